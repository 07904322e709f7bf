"""The outbox: rows written with the state change, delivered by channel senders once each.

A sender gets an ``OutboundMessage`` whose ``message_id`` is deterministic. Rows are claimed
(``sending``) before delivery and marked ``sent`` after; a row left in ``sending`` by a crash is
retried with the same message id, so receivers that know the id (e-mail Message-ID, the web chat,
a webhook's event id) see it once.

Order: the rows of one request to one address over one channel leave in the order they were written —
a later row waits while an earlier one is pending (replies never overtake each other, a webhook's
``request.completed`` never arrives before its ``document.uploaded``).

Retries: a failed send is tried again after an exponential backoff with jitter (so receivers coming
back are not hit by every installation at the same second), for a retry window per channel (24 h for
webhooks, 48 h for e-mail). When the window is over the row fails and staff get an important
``delivery_failed`` activity on the request — the outbox never gives up silently.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

import agent.reminders.stop  # noqa: F401 - see below
import agent.webhooks.events  # noqa: F401 - see below
from agent.messages import Attachment, OutboundMessage
from agent.store.db import Database
from agent.store.models import Activity, OutboxRow, Request

# The two modules above register SQLAlchemy flush hooks that add rows to the transaction of the write they
# react to: webhook events for new activities, reminder stops for a client's "stop". They are imported
# here because every process that writes builds a Dispatcher, so no write can bypass them.

log = logging.getLogger(__name__)

Sender = Callable[[OutboundMessage], None]
SEND_LEASE = timedelta(seconds=60)  # how long a claimed row is left to the dispatcher that claimed it
OPEN = ("pending", "sending")


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often one channel retries: ``base_s`` doubled per attempt up to ``cap_s``,
    with "equal jitter" (half fixed, half random), until the row is ``window`` old."""

    window: timedelta
    base_s: float = 2.0
    cap_s: float = 300.0

    def delay_s(self, attempts: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** max(attempts - 1, 0))
        return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


DEFAULT_POLICY = RetryPolicy(window=timedelta(hours=24), base_s=2, cap_s=300)
POLICIES: dict[str, RetryPolicy] = {
    "webhook": RetryPolicy(window=timedelta(hours=24), base_s=5, cap_s=3600),
    # A relay down for an hour must not lose a client's mail: retry at most every 15 min for two days.
    "email": RetryPolicy(window=timedelta(hours=48), base_s=5, cap_s=900),
    "telegram": RetryPolicy(window=timedelta(hours=24), base_s=2, cap_s=300),
}


class Undeliverable(Exception):
    """A sender's final word on a message (e.g. a loop guard): retrying would not help, so it fails now."""


_TOKEN_IN_URL = re.compile(r"(/[cs]/|[?&]start=)[A-Za-z0-9_-]{20,}")


def scrub_tokens(value: Any) -> Any:
    """The same body with every link token replaced: once a message has left, the database keeps
    only the hash of a personal link (principle 7), not the link itself."""
    if isinstance(value, str):
        return _TOKEN_IN_URL.sub(lambda m: m.group(1) + "[token]", value)
    if isinstance(value, dict):
        return {k: scrub_tokens(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_tokens(v) for v in value]
    return value


def row_to_message(row: OutboxRow, attachments: tuple[Attachment, ...] = ()) -> OutboundMessage:
    body = row.body or {}
    return OutboundMessage(
        message_id=row.message_id,
        request_id=row.request_id or "",
        channel=row.channel,  # type: ignore[arg-type]
        address=row.address,
        text=body.get("text", ""),
        quick_replies=tuple(body.get("quick_replies", ())),
        kind=row.kind,
        in_reply_to=body.get("in_reply_to"),
        link=body.get("link"),
        attachments=attachments,
        meta=body.get("meta", {}),
    )


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # attempts that failed (retried later or given up)
    claimed: int = 0


def _no_open_earlier_row(now: datetime | None) -> Any:
    """No earlier row of the same request, channel and address still open. With ``now``: none that is
    open *and not due* (one that is due is in the same batch, before this one)."""
    earlier = aliased(OutboxRow)
    cond = [earlier.channel == OutboxRow.channel, earlier.address == OutboxRow.address,
            earlier.request_id == OutboxRow.request_id, earlier.id < OutboxRow.id, earlier.status.in_(OPEN)]
    if now is not None:
        cond.append(and_(earlier.not_before.is_not(None), earlier.not_before > now))
    return ~exists().where(*cond)


def _due(now: datetime) -> Any:
    return or_(OutboxRow.not_before.is_(None), OutboxRow.not_before <= now)


@dataclass
class _Lane:
    """One delivery loop: the shared one, or a channel of its own (``register(..., lane=True)``)."""

    channels: tuple[str, ...] | None  # None: every registered channel without a lane of its own
    wake: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None


class Dispatcher:
    def __init__(self, db: Database, attachments: Callable[[OutboxRow], tuple[Attachment, ...]] | None = None):
        self.db = db
        self.senders: dict[str, Sender] = {}
        self.policies: dict[str, RetryPolicy] = dict(POLICIES)
        self._attachments = attachments
        self._stop = threading.Event()
        self._lanes: dict[str | None, _Lane] = {None: _Lane(channels=None)}
        self._started_interval: float | None = None

    def register(self, channel: str, sender: Sender, *, lane: bool = False) -> None:
        """``lane``: deliver this channel in a thread of its own, so a slow receiver (a webhook timing out)
        never delays the others."""
        self.senders[channel] = sender
        if lane and channel not in self._lanes:
            self._lanes[channel] = _Lane(channels=(channel,))
            if self._started_interval is not None:
                self._start_lane(self._lanes[channel], self._started_interval)

    def policy(self, channel: str) -> RetryPolicy:
        return self.policies.get(channel, DEFAULT_POLICY)

    def wake(self) -> None:
        for lane in list(self._lanes.values()):
            lane.wake.set()

    def _channels_of(self, lane: _Lane) -> list[str]:
        if lane.channels is not None:
            return [c for c in lane.channels if c in self.senders]
        return [c for c in self.senders if c not in self._lanes]

    def deliver_pending(self, limit: int = 100, *, channel: str | None = None) -> DeliveryReport:
        """Deliver what is due (every registered channel, or one); safe from several threads and processes."""
        channels = [channel] if channel else list(self.senders)
        key = channel if channel in self._lanes else None
        return self._deliver(channels, limit, self._lanes[key].lock)

    def _deliver(self, channels: Iterable[str], limit: int, lock: threading.Lock) -> DeliveryReport:
        report = DeliveryReport()
        channels = [c for c in channels if c in self.senders]
        if not channels:
            return report
        with lock:
            now = datetime.now(UTC)
            with self.db.read() as s:
                stmt = (
                    select(OutboxRow.id)
                    .where(OutboxRow.status.in_(OPEN), OutboxRow.channel.in_(channels), _due(now),
                           _no_open_earlier_row(now))
                    .order_by(OutboxRow.id)
                    .limit(limit)
                )
                ids = list(s.scalars(stmt))
            for row_id in ids:
                self._deliver_one(row_id, report)
        return report

    def _claim(self, row_id: int) -> tuple[OutboundMessage, int, datetime] | None:
        now = datetime.now(UTC)
        with self.db.write() as s:
            # Claim the row atomically, with a lease: of several dispatchers (workers) exactly one sends
            # it; a row left "sending" by a crash becomes claimable again when its lease runs out. An
            # earlier open row of the same conversation keeps it waiting (order).
            claimed = s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id, OutboxRow.status.in_(OPEN), _due(now), _no_open_earlier_row(None))
                .values(status="sending", attempts=OutboxRow.attempts + 1, not_before=now + SEND_LEASE)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                return None
            row = s.get(OutboxRow, row_id)
            assert row is not None
            return row_to_message(row, self._attachments(row) if self._attachments else ()), row.attempts, \
                row.created_at

    def _deliver_one(self, row_id: int, report: DeliveryReport) -> None:
        claim = self._claim(row_id)
        if claim is None:
            return
        message, attempts, created_at = claim
        report.claimed += 1
        sender = self.senders.get(message.channel)
        if sender is None:
            return
        try:
            sender(message)
        except Undeliverable as exc:
            log.warning("%s over %s not delivered: %s", message.message_id, message.channel, exc)
            self._give_up(row_id, str(exc), attempts, important=False)
            report.failed += 1
            return
        except Exception as exc:  # a failed send is retried later with backoff
            log.warning("delivery of %s over %s failed: %s", message.message_id, message.channel, exc)
            self._retry_or_give_up(row_id, message.channel, str(exc) or type(exc).__name__, attempts, created_at)
            report.failed += 1
            return
        from agent.faults import crash_point

        crash_point("after_send")
        with self.db.write() as s:
            row = s.get(OutboxRow, row_id)
            if row is not None:
                row.status, row.sent_at, row.error, row.not_before = "sent", datetime.now(UTC), None, None
                if row.channel != "webchat":  # the chat page shows its history; everywhere else it has left
                    row.body = scrub_tokens(row.body)
        report.sent += 1

    def _retry_or_give_up(self, row_id: int, channel: str, error: str, attempts: int, created_at: datetime) -> None:
        policy = self.policy(channel)
        now = datetime.now(UTC)
        deadline = created_at + policy.window
        if now >= deadline:
            self._give_up(row_id, error, attempts, important=True)
            return
        # The last try falls on the window's end, so "24 h" means 24 h whatever the backoff step.
        retry_at = min(now + timedelta(seconds=policy.delay_s(attempts)), deadline)
        with self.db.write() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == row_id)
                      .values(status="pending", error=error[:1000], not_before=retry_at)
                      .execution_options(synchronize_session=False))

    def _give_up(self, row_id: int, error: str, attempts: int, *, important: bool) -> None:
        with self.db.write() as s:
            row = s.get(OutboxRow, row_id)
            if row is None:
                return
            row.status, row.error, row.not_before = "failed", error[:1000], None
            record_delivery_failed(s, row, attempts, important=important)

    def start(self, interval_s: float = 1.0) -> None:
        if self._started_interval is not None:
            return
        self._stop.clear()
        self._started_interval = interval_s
        for lane in list(self._lanes.values()):
            self._start_lane(lane, interval_s)

    def _start_lane(self, lane: _Lane, interval_s: float) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                busy = False
                try:
                    report = self._deliver(self._channels_of(lane), 100, lane.lock)
                    busy = report.claimed > 0  # more may be due at once (the next row of a conversation)
                except Exception:  # keep the loop alive; the next round retries
                    log.exception("outbox round failed")
                if not busy:
                    lane.wake.wait(interval_s)
                lane.wake.clear()

        name = "outbox" if lane.channels is None else f"outbox-{lane.channels[0]}"
        lane.thread = threading.Thread(target=loop, name=name, daemon=True)
        lane.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        for lane in list(self._lanes.values()):
            if lane.thread is not None:
                lane.thread.join(timeout=5)
                lane.thread = None
        self._started_interval = None


def record_delivery_failed(s: Session, row: OutboxRow, attempts: int, *, important: bool) -> None:
    """The staff-visible trace of a message that did not leave, in the transaction that fails the row."""
    now = datetime.now(UTC)
    what = f"webhook event {row.kind}" if row.channel == "webhook" else f"{row.kind} over {row.channel}"
    s.add(Activity(
        request_id=row.request_id, kind="delivery_failed", actor="system", important=important,
        summary=f"Could not deliver {what} after {attempts} attempt(s): {(row.error or '')[:300]}",
        data={"outbox_id": row.id, "message_id": row.message_id, "channel": row.channel, "kind": row.kind,
              "attempts": attempts, "error": (row.error or "")[:300]},
        # A failed staff notification must not ask for another notification (that could fail the same way).
        notified_at=now if row.kind in ("notification", "digest") else None))
    if row.request_id is not None:
        s.execute(update(Request).where(Request.id == row.request_id).values(unseen=True)
                  .execution_options(synchronize_session=False))
