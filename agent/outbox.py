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
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session

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


_TOKEN_IN_URL = re.compile(r"(/[cs]/|[?&](?:start|token)=)[A-Za-z0-9_-]{20,}")


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


def row_to_message(row: Any, attachments: tuple[Attachment, ...] = ()) -> OutboundMessage:
    """``row``: an ``OutboxRow`` or any row with its columns (the claim's RETURNING)."""
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

    def add(self, other: DeliveryReport) -> None:
        self.sent, self.failed, self.claimed = (self.sent + other.sent, self.failed + other.failed,
                                                self.claimed + other.claimed)


# Core expressions on the table (not ORM aliases): the dispatcher builds them per row, so they must be cheap.
_T = OutboxRow.__table__
_E = _T.alias("earlier")


def _no_open_earlier_row() -> Any:
    """For the claim: no earlier row of the same request, channel and address is still open."""
    return ~exists().where(_E.c.channel == _T.c.channel, _E.c.address == _T.c.address,
                           _E.c.request_id == _T.c.request_id, _E.c.id < _T.c.id, _E.c.status.in_(OPEN))


def _not_behind_a_waiting_row(channels: Any, now: Any) -> Any:
    """For the batch: not behind an open row of its conversation that is not due (in backoff, or being
    sent by someone). Such rows are few, so they are found once (grouped) and anti-joined, instead of
    checking every candidate against every open row; a row behind a due one is in the same batch, later."""
    waiting = (select(_E.c.channel, _E.c.address, _E.c.request_id, func.min(_E.c.id).label("first_id"))
               .where(_E.c.status.in_(OPEN), _E.c.channel.in_(channels), _E.c.not_before.is_not(None),
                      _E.c.not_before > now)
               .group_by(_E.c.channel, _E.c.address, _E.c.request_id).subquery("waiting"))
    return ~exists().where(waiting.c.channel == _T.c.channel, waiting.c.address == _T.c.address,
                           waiting.c.request_id == _T.c.request_id, waiting.c.first_id < _T.c.id)


def _due(now: Any) -> Any:
    return or_(_T.c.not_before.is_(None), _T.c.not_before <= now)


# The dispatcher runs after every turn, so its statements are built once with parameters: building
# and cache-keying these anti-joins per round cost more than the turn itself (docs/performance.md).
_NOW = bindparam("now_", type_=_T.c.not_before.type)
_CHANNELS = bindparam("channels", expanding=True)
_RETURNED = (_T.c.id, _T.c.message_id, _T.c.request_id, _T.c.channel, _T.c.address, _T.c.kind, _T.c.body,
             _T.c.attempts, _T.c.created_at)


def _candidates(limit: int) -> Any:
    return (select(_T.c.id, _T.c.channel, _T.c.address, _T.c.request_id)
            .where(_T.c.status.in_(OPEN), _T.c.channel.in_(_CHANNELS), _due(_NOW),
                   _not_behind_a_waiting_row(_CHANNELS, _NOW))
            .order_by(_T.c.id).limit(limit))


_CANDIDATES = {100: _candidates(100)}  # the loop's batch; other limits are built when asked
# Claim a row atomically, with a lease: of several dispatchers (workers) exactly one sends it; a row
# left "sending" by a crash becomes claimable again when its lease runs out. An earlier open row of the
# same conversation keeps it waiting (order).
_CLAIM = (update(_T)
          .where(_T.c.id == bindparam("row_id"), _T.c.status.in_(OPEN), _due(_NOW), _no_open_earlier_row())
          .values(status="sending", attempts=_T.c.attempts + 1, not_before=bindparam("lease_until"))
          .returning(*_RETURNED))
_SENT = (update(_T).where(_T.c.id == bindparam("row_id"))
         .values(status="sent", sent_at=bindparam("sent_at_"), error=None, not_before=None))
_SENT_SCRUBBED = _SENT.values(body=bindparam("body_"))
# Settle-first channels (``register(..., settle_first=True)``): every due row marked sent in one write,
# taken only when a read finds one (a round without web-chat rows must not queue for the writer lock).
_SETTLE_WHERE = (_T.c.status.in_(OPEN), _T.c.channel.in_(_CHANNELS), _due(_NOW))
_SETTLE_DUE = select(_T.c.id).where(*_SETTLE_WHERE).limit(1)
_SETTLE = (update(_T)
           .where(*_SETTLE_WHERE)
           .values(status="sent", sent_at=_NOW, attempts=_T.c.attempts + 1, error=None, not_before=None)
           .returning(*_RETURNED))


@dataclass(frozen=True)
class Claimed:
    """A row this dispatcher holds (status ``sending``), as the claim returned it."""

    id: int
    message_id: str
    request_id: str | None
    channel: str
    address: str
    kind: str
    body: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass
class _Lane:
    """One delivery loop: the shared one, or a channel of its own (``register(..., lane=True)``)."""

    channels: tuple[str, ...] | None  # None: every registered channel without a lane of its own
    workers: int = 1  # conversations delivered side by side (each one still in order)
    wake: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None
    pool: ThreadPoolExecutor | None = None


class Dispatcher:
    def __init__(self, db: Database, attachments: Callable[[Any], tuple[Attachment, ...]] | None = None):
        self.db = db
        self.senders: dict[str, Sender] = {}
        self.policies: dict[str, RetryPolicy] = dict(POLICIES)
        self._attachments = attachments
        self._stop = threading.Event()
        self._lanes: dict[str | None, _Lane] = {None: _Lane(channels=None)}
        self._started_interval: float | None = None
        self._settle_first: set[str] = set()

    def register(self, channel: str, sender: Sender, *, lane: bool = False, workers: int = 1,
                 settle_first: bool = False) -> None:
        """``lane``: deliver this channel in a thread of its own, so a slow receiver (a webhook timing out)
        never delays the others; ``workers``: how many of its conversations go out side by side.
        ``settle_first``: the channel's readers take its rows from the table (the web chat's streams and
        history re-read the outbox) and the sender only tells them to look — so all due rows are marked
        sent in one write, then handed to the sender in order, with no claim, retry or lease per row."""
        self.senders[channel] = sender
        if settle_first:
            self._settle_first.add(channel)
        else:
            self._settle_first.discard(channel)
        if lane and channel not in self._lanes:
            self._lanes[channel] = _Lane(channels=(channel,), workers=max(1, workers))
            if self._started_interval is not None:
                self._start_lane(self._lanes[channel], self._started_interval)

    @property
    def _thread(self) -> threading.Thread | None:
        """The shared lane's thread (None until ``start``); tests check that the app started it."""
        return self._lanes[None].thread

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
        return self._deliver(channels, limit, self._lanes[channel if channel in self._lanes else None])

    def _deliver(self, channels: Iterable[str], limit: int, lane: _Lane) -> DeliveryReport:
        report = DeliveryReport()
        channels = [c for c in channels if c in self.senders]
        if not channels:
            return report
        with lane.lock:
            settle = [c for c in channels if c in self._settle_first]
            if settle:
                report.add(self._settle(settle))
                channels = [c for c in channels if c not in self._settle_first]
                if not channels:
                    return report
            stmt = _CANDIDATES.get(limit)
            if stmt is None:
                stmt = _candidates(limit)
            with self.db.read_one() as conn:
                rows = conn.execute(stmt, {"channels": channels, "now_": datetime.now(UTC)}).all()
            groups: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
            for row_id, *key in rows:  # one conversation's rows stay in one worker, in order
                groups[(key[0], key[1], key[2] if key[2] is not None else f"#{row_id}")].append(row_id)
            if lane.workers > 1 and len(groups) > 1:
                if lane.pool is None:
                    lane.pool = ThreadPoolExecutor(lane.workers, thread_name_prefix="outbox-worker")
                for part in list(lane.pool.map(self._deliver_group, groups.values())):
                    report.add(part)
            else:
                for ids in groups.values():
                    report.add(self._deliver_group(ids))
        return report

    def _deliver_group(self, ids: list[int]) -> DeliveryReport:
        report = DeliveryReport()
        for row_id in ids:
            if not self._deliver_one(row_id, report):
                break  # the rest of this conversation waits for this row
        return report

    def _settle(self, channels: list[str]) -> DeliveryReport:
        report = DeliveryReport()
        params = {"channels": channels, "now_": datetime.now(UTC)}
        with self.db.read_one() as conn:
            if conn.execute(_SETTLE_DUE, params).first() is None:
                return report
        with self.db.write_conn() as conn:
            rows = conn.execute(_SETTLE, params).all()
        for row in sorted(rows, key=lambda r: r.id):  # RETURNING has no order on PostgreSQL
            claim = Claimed(*row)
            report.claimed += 1
            attachments = self._attachments(claim) if self._attachments else ()
            try:
                self.senders[claim.channel](row_to_message(claim, attachments))
            except Exception:  # the row is in the table, which is what the channel's readers go by
                log.warning("settle-first sender for %s failed", claim.message_id, exc_info=True)
            report.sent += 1
        return report

    def _claim(self, row_id: int) -> Claimed | None:
        now = datetime.now(UTC)
        with self.db.write_conn() as conn:
            row = conn.execute(_CLAIM, {"row_id": row_id, "now_": now, "lease_until": now + SEND_LEASE}).first()
            return Claimed(*row) if row is not None else None

    def _deliver_one(self, row_id: int, report: DeliveryReport) -> bool:
        """True when the row left (or another dispatcher has it); False when it must be retried."""
        claim = self._claim(row_id)
        if claim is None:
            return False
        report.claimed += 1
        sender = self.senders.get(claim.channel)
        if sender is None:
            return False
        message = row_to_message(claim, self._attachments(claim) if self._attachments else ())
        try:
            sender(message)
        except Undeliverable as exc:
            log.warning("%s over %s not delivered: %s", claim.message_id, claim.channel, exc)
            self._give_up(claim, str(exc), important=False)
            report.failed += 1
            return True  # it will never leave: the next row need not wait for it
        except Exception as exc:  # a failed send is retried later with backoff
            log.warning("delivery of %s over %s failed: %s", claim.message_id, claim.channel, exc)
            report.failed += 1
            return self._retry_or_give_up(claim, str(exc) or type(exc).__name__)
        from agent.faults import crash_point

        crash_point("after_send")
        params: dict[str, Any] = {"row_id": row_id, "sent_at_": datetime.now(UTC)}
        stmt = _SENT
        if claim.channel != "webchat":  # the chat page shows its history; everywhere else it has left
            scrubbed = scrub_tokens(claim.body)
            if scrubbed != claim.body:
                stmt, params["body_"] = _SENT_SCRUBBED, scrubbed
        with self.db.write_conn() as conn:
            conn.execute(stmt, params)
        report.sent += 1
        return True

    def _retry_or_give_up(self, claim: Claimed, error: str) -> bool:
        policy = self.policy(claim.channel)
        now = datetime.now(UTC)
        deadline = claim.created_at + policy.window
        if now >= deadline:
            self._give_up(claim, error, important=True)
            return True
        # The last try falls on the window's end, so "24 h" means 24 h whatever the backoff step.
        retry_at = min(now + timedelta(seconds=policy.delay_s(claim.attempts)), deadline)
        with self.db.write() as s:
            s.execute(update(_T).where(_T.c.id == claim.id)
                      .values(status="pending", error=error[:1000], not_before=retry_at))
        return False

    def _give_up(self, claim: Claimed, error: str, *, important: bool) -> None:
        with self.db.write() as s:
            s.execute(update(_T).where(_T.c.id == claim.id)
                      .values(status="failed", error=error[:1000], not_before=None))
            record_delivery_failed(s, claim, error, important=important)

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
                    report = self._deliver(self._channels_of(lane), 100, lane)
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
            if lane.pool is not None:
                lane.pool.shutdown(wait=False)
                lane.pool = None
        self._started_interval = None


def record_delivery_failed(s: Session, claim: Claimed, error: str, *, important: bool) -> None:
    """The staff-visible trace of a message that did not leave, in the transaction that fails the row."""
    now = datetime.now(UTC)
    what = f"webhook event {claim.kind}" if claim.channel == "webhook" else f"{claim.kind} over {claim.channel}"
    s.add(Activity(
        request_id=claim.request_id, kind="delivery_failed", actor="system", important=important,
        summary=f"Could not deliver {what} after {claim.attempts} attempt(s): {error[:300]}",
        data={"outbox_id": claim.id, "message_id": claim.message_id, "channel": claim.channel, "kind": claim.kind,
              "attempts": claim.attempts, "error": error[:300]},
        # A failed staff notification must not ask for another notification (that could fail the same way).
        notified_at=now if claim.kind in ("notification", "digest") else None))
    if claim.request_id is not None:
        s.execute(update(Request).where(Request.id == claim.request_id).values(unseen=True)
                  .execution_options(synchronize_session=False))
