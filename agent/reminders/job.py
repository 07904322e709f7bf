"""The reminder job: run by the installation's scheduler, it reminds clients who stopped half way.

Step k of a request's schedule (default days 2, 5, 9) is due ``days[k]`` days after the client's last
message — or after the request was created, before any — and at least a day after the previous
reminder (so a scheduler that was down for a week does not fire three at once). A new client message
starts the schedule again; after its last step staff get ``request_stalled`` and the job stays quiet.

Durability: the ``reminder_sent`` row (unique per request and step) and the outbox row are written in one
transaction, and the step is recomputed under the request's lock, so a restart, a second scheduler or a
client answering meanwhile can never produce a second or a needless reminder.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent import links
from agent.reminders.calendar import may_send
from agent.reminders.config import ReminderSchedule
from agent.reminders.content import compose, contact, what_is_missing
from agent.store import models as m
from agent.store.staff_tables import RequestPause
from agent.store.sync_tables import ReminderSent, ReminderStop

if TYPE_CHECKING:
    from agent.service import Mandat

log = logging.getLogger(__name__)

JOB_NAME = "reminders"
MIN_GAP = timedelta(days=1)
IGNORED_INBOUND = ("quarantined", "rejected", "ignored")


@dataclass(frozen=True)
class Due:
    request_id: str
    step: int  # counted over the request's life: the unique key with the request
    cycle_step: int  # 1-based position in the schedule
    of: int  # steps in the schedule
    anchor: datetime  # the client's last message (or the request's creation)

    @property
    def last(self) -> bool:
        return self.cycle_step == self.of


def next_due(request_id: str, anchor: datetime, sent: list[tuple[int, datetime]], schedule: ReminderSchedule,
             now: datetime) -> Due | None:
    """The reminder due now for one request, if any. ``sent``: (step, sent_at) of its reminders so far."""
    if not schedule.enabled:
        return None
    in_cycle = sorted(at for _, at in sent if at > anchor)
    done = len(in_cycle)
    if done >= len(schedule.days):
        return None
    due_at = anchor + timedelta(days=schedule.days[done])
    if in_cycle:
        due_at = max(due_at, in_cycle[-1] + MIN_GAP)
    if now < due_at:
        return None
    step = max((s for s, _ in sent), default=0) + 1
    return Due(request_id, step, done + 1, len(schedule.days), anchor)


class Reminders:
    def __init__(self, service: Mandat, reachable: Callable[[str], bool] | None = None) -> None:
        """``reachable``: whether a channel can deliver here (the server: it has a sender for it), so an
        installation without SMTP never queues reminder mails that could only fail."""
        self.service = service
        self.options = service.firm.reminders
        self.reachable = reachable or (lambda _channel: True)

    def run(self, now: datetime | None = None) -> int:
        """Send what is due (nothing during quiet hours, on Sundays and public holidays); the count sent."""
        now = now or datetime.now(UTC)
        opts = self.options
        if not may_send(now, self.service.tz, quiet=opts.quiet_hours(), country=opts.holiday_country,
                        region=opts.holiday_region):
            return 0
        sent = 0
        for due in self.due(now):
            try:
                sent += self._send(due.request_id, now)
            except IntegrityError:  # another scheduler sent this step a moment ago
                log.info("reminder %s step %s already sent", due.request_id, due.step)
        if sent:
            self.service.outbox.wake()
        return sent

    def due(self, now: datetime) -> list[Due]:
        found: list[Due] = []
        with self.service.db.read() as s:
            open_requests = _open_requests(s)
            for start in range(0, len(open_requests), 500):  # a few queries per 500 requests, not per request
                chunk = open_requests[start:start + 500]
                facts = _Facts.load(s, [rid for rid, _ in chunk])
                found += [d for d in (self._due_of(s, rid, created, now, facts) for rid, created in chunk) if d]
        return found

    def _due_of(self, s: Session, request_id: str, created: datetime, now: datetime,
                facts: _Facts | None = None) -> Due | None:
        facts = facts or _Facts.load(s, [request_id])
        anchor = max(created, facts.last_message.get(request_id, created))
        schedule = self.options.schedule_for(facts.questionnaires.get(request_id, []))
        return next_due(request_id, anchor, facts.sent.get(request_id, []), schedule, now)

    def _send(self, request_id: str, now: datetime) -> int:
        service = self.service
        with service.db.write() as s:
            req = service.db.lock_request(s, request_id)
            if req is None or req.status == "complete" or _stopped(s, request_id):
                return 0
            due = self._due_of(s, req.id, req.created_at, now)  # again, under the lock: the client may just
            target = contact(s, req, self.reachable) if due is not None else None  # have answered
            missing = what_is_missing(service, s, req) if target is not None else None
            if due is None or target is None or missing is None or not missing.anything:
                return 0
            channel, address = target
            chat = links.issue(s, req.id, "chat", service.settings.link_days, now=now)
            url = f"{service.settings.public_url}/c/{chat.token}"
            text = compose(lang=req.lang, client_name=req.client.name, firm_name=service.firm.name,
                           missing=missing, link=url)
            message_id = f"{req.id}.reminder.{due.step}"
            s.add(ReminderSent(request_id=req.id, step=due.step, cycle_step=due.cycle_step, channel=channel,
                               outbox_message_id=message_id, sent_at=now))
            s.add(m.OutboxRow(message_id=message_id, request_id=req.id, channel=channel, address=address,
                              kind="reminder", body={"text": text, "quick_replies": [], "link": url}))
            _record(s, req.id, due, channel, missing.open_questions, now)
            s.flush()  # the unique (request, step) key speaks here, before the commit
        return 1


def _record(s: Session, request_id: str, due: Due, channel: str, open_questions: int, now: datetime) -> None:
    s.add(m.Activity(request_id=request_id, kind="reminder_sent", actor="system", created_at=now,
                     summary=f"Reminder {due.cycle_step} of {due.of} sent ({channel})",
                     data={"step": due.step, "cycle_step": due.cycle_step, "channel": channel,
                           "open_questions": open_questions}))
    if due.last:
        days = max((now - due.anchor).days, 0)
        s.add(m.Activity(request_id=request_id, kind="request_stalled", actor="system", important=True,
                         created_at=now,
                         summary=f"No answer from the client for {days} days after {due.of} reminders",
                         data={"reminders": due.of, "since": due.anchor.isoformat()}))
        s.execute(m.Request.__table__.update().where(m.Request.id == request_id).values(unseen=True))


def _stopped(s: Session, request_id: str) -> bool:
    return s.get(ReminderStop, request_id) is not None or s.get(RequestPause, request_id) is not None


def _open_requests(s: Session) -> list[tuple[str, datetime]]:
    """Open requests whose client did not say stop and that staff have not taken over."""
    stmt = (select(m.Request.id, m.Request.created_at).where(m.Request.status != "complete")
            .where(m.Request.id.notin_(select(ReminderStop.request_id)))
            .where(m.Request.id.notin_(select(RequestPause.request_id))))
    return [(rid, created) for rid, created in s.execute(stmt)]


@dataclass
class _Facts:
    last_message: dict[str, datetime]
    sent: dict[str, list[tuple[int, datetime]]]
    questionnaires: dict[str, list[str]]

    @classmethod
    def load(cls, s: Session, request_ids: list[str]) -> _Facts:
        last = dict(s.execute(select(m.InboundRecord.request_id, func.max(m.InboundRecord.received_at))
                              .where(m.InboundRecord.request_id.in_(request_ids),
                                     m.InboundRecord.status.notin_(IGNORED_INBOUND))
                              .group_by(m.InboundRecord.request_id)).all())
        sent: dict[str, list[tuple[int, datetime]]] = defaultdict(list)
        for rid, step, at in s.execute(select(ReminderSent.request_id, ReminderSent.step, ReminderSent.sent_at)
                                       .where(ReminderSent.request_id.in_(request_ids))):
            sent[rid].append((step, at))
        refs: dict[str, list[str]] = defaultdict(list)
        for rid, ref in s.execute(select(m.RequestItem.request_id, m.RequestItem.ref)
                                  .where(m.RequestItem.request_id.in_(request_ids),
                                         m.RequestItem.kind == "questionnaire")
                                  .order_by(m.RequestItem.position)):
            refs[rid].append(ref)
        return cls({k: _aware(v) for k, v in last.items() if v is not None}, sent, refs)


def _aware(value: datetime | str) -> datetime:
    """``max()`` of a timestamp comes back as text on SQLite; as an aware UTC datetime everywhere."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
