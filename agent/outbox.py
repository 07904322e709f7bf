"""The outbox: rows written with the state change, delivered by channel senders once each.

A sender gets an ``OutboundMessage`` whose ``message_id`` is deterministic. Rows are claimed
(``sending``) before delivery and marked ``sent`` after; a row left in ``sending`` by a crash is
retried with the same message id, so receivers that know the id (e-mail Message-ID, the web chat)
see it once.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from agent.messages import Attachment, OutboundMessage
from agent.store.db import Database
from agent.store.models import OutboxRow

log = logging.getLogger(__name__)

Sender = Callable[[OutboundMessage], None]
MAX_ATTEMPTS = 8
SEND_LEASE = timedelta(seconds=60)  # how long a claimed row is left to the dispatcher that claimed it


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
    failed: int = 0


class Dispatcher:
    def __init__(self, db: Database, attachments: Callable[[OutboxRow], tuple[Attachment, ...]] | None = None):
        self.db = db
        self.senders: dict[str, Sender] = {}
        self._attachments = attachments
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def register(self, channel: str, sender: Sender) -> None:
        self.senders[channel] = sender

    def wake(self) -> None:
        self._wake.set()

    def deliver_pending(self, limit: int = 100, *, channel: str | None = None) -> DeliveryReport:
        """Deliver what is due; safe to call from several threads and processes."""
        report = DeliveryReport()
        with self._lock:
            now = datetime.now(UTC)
            with self.db.read() as s:
                stmt = (
                    select(OutboxRow.id)
                    .where(OutboxRow.status.in_(("pending", "sending")))
                    .where(OutboxRow.channel.in_(list(self.senders)))
                    .where(or_(OutboxRow.not_before.is_(None), OutboxRow.not_before <= now))
                    .order_by(OutboxRow.id)
                    .limit(limit)
                )
                if channel:
                    stmt = stmt.where(OutboxRow.channel == channel)
                ids = list(s.scalars(stmt))
            for row_id in ids:
                self._deliver_one(row_id, report)
        return report

    def _deliver_one(self, row_id: int, report: DeliveryReport) -> None:
        now = datetime.now(UTC)
        with self.db.write() as s:
            # Claim the row atomically, with a lease: of several dispatchers (workers) exactly one sends
            # it; a row left "sending" by a crash becomes claimable again when its lease runs out.
            claimed = s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id, OutboxRow.status.in_(("pending", "sending")),
                       or_(OutboxRow.not_before.is_(None), OutboxRow.not_before <= now))
                .values(status="sending", attempts=OutboxRow.attempts + 1, not_before=now + SEND_LEASE)
            ).rowcount
            if claimed != 1:
                return
            row = s.get(OutboxRow, row_id)
            assert row is not None
            attempts = row.attempts
            message = row_to_message(row, self._attachments(row) if self._attachments else ())
        sender = self.senders.get(message.channel)
        if sender is None:
            return
        try:
            sender(message)
        except Undeliverable as exc:
            log.warning("%s over %s not delivered: %s", message.message_id, message.channel, exc)
            with self.db.write() as s:
                s.execute(update(OutboxRow).where(OutboxRow.id == row_id)
                          .values(status="failed", error=str(exc)[:1000]))
            report.failed += 1
            return
        except Exception as exc:  # a failed send is retried later with backoff
            log.warning("delivery of %s over %s failed: %s", message.message_id, message.channel, exc)
            with self.db.write() as s:
                values: dict[str, object] = {"error": str(exc)[:1000]}
                if attempts >= MAX_ATTEMPTS:
                    values["status"] = "failed"
                else:
                    values["status"] = "pending"
                    values["not_before"] = datetime.now(UTC) + timedelta(seconds=min(2**attempts, 300))
                s.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(**values))
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

    def start(self, interval_s: float = 1.0) -> None:
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.deliver_pending()
                except Exception:  # keep the loop alive; the next round retries
                    log.exception("outbox round failed")
                self._wake.wait(interval_s)
                self._wake.clear()

        self._thread = threading.Thread(target=loop, name="outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
