"""Webhook subscriptions and their deliveries: what the CLI and the staff API share."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from agent.store.db import Database
from agent.store.models import OutboxRow
from agent.store.sync_tables import Webhook
from agent.webhooks.events import CHANNEL, EVENT_TYPES
from agent.webhooks.guard import check_url

MAX_DELIVERIES = 500


class WebhookError(ValueError):
    """The webhook cannot be added as asked; the message says why."""


@dataclass(frozen=True)
class WebhookInfo:
    id: int
    url: str
    events: list[str]
    description: str
    created_at: datetime
    secret: str | None = None  # only in the answer that created it


def parse_events(values: Iterable[str]) -> list[str]:
    """``--events a,b --events c`` or a JSON list; ``*`` means every event type."""
    events: list[str] = []
    for value in values:
        for name in str(value).split(","):
            name = name.strip()
            if name and name not in events:
                events.append(name)
    if not events:
        raise WebhookError(f"name at least one event: {', '.join(EVENT_TYPES)} (or *)")
    unknown = [e for e in events if e != "*" and e not in EVENT_TYPES]
    if unknown:
        raise WebhookError(f"unknown event {unknown[0]!r}; known: {', '.join(EVENT_TYPES)} (or *)")
    return ["*"] if "*" in events else events


def _info(row: Webhook, secret: str | None = None) -> WebhookInfo:
    return WebhookInfo(id=row.id, url=row.url, events=list(row.events or []), description=row.description,
                       created_at=row.created_at, secret=secret)


def add_webhook(db: Database, url: str, events: Iterable[str], *, description: str = "",
                allow_private: bool = False) -> WebhookInfo:
    """Subscribe ``url``; the answer carries the signing secret, which is shown this once."""
    wanted = parse_events(events)
    check_url(url, allow_private=allow_private)  # raises WebhookUrlRefused (a ValueError) with the reason
    secret = "whsec_" + secrets.token_urlsafe(32)
    with db.write() as s:
        row = Webhook(url=url.strip(), events=wanted, secret=secret, description=(description or "")[:200])
        s.add(row)
        s.flush()
        return _info(row, secret)


def list_webhooks(db: Database) -> list[WebhookInfo]:
    with db.read() as s:
        return [_info(r) for r in s.scalars(select(Webhook).where(Webhook.active).order_by(Webhook.id))]


def get_webhook(db: Database, webhook_id: int) -> WebhookInfo | None:
    with db.read() as s:
        row = s.get(Webhook, webhook_id)
        return _info(row) if row is not None and row.active else None


def remove_webhook(db: Database, webhook_id: int) -> bool:
    """Deactivate it; its undelivered events are cancelled (failed, "webhook removed"), the log stays."""
    with db.write() as s:
        row = s.get(Webhook, webhook_id)
        if row is None or not row.active:
            return False
        row.active = False
        s.execute(update(OutboxRow)
                  .where(OutboxRow.channel == CHANNEL, OutboxRow.address == str(webhook_id),
                         OutboxRow.status.in_(("pending", "sending")))
                  .values(status="failed", error="webhook removed", not_before=None)
                  .execution_options(synchronize_session=False))
        return True


def deliveries(db: Database, webhook_id: int, *, status: str | None = None,
               limit: int = 100) -> list[dict[str, Any]]:
    """The newest deliveries of one webhook: event, request, status, attempts, last error, times."""
    limit = max(1, min(limit, MAX_DELIVERIES))
    with db.read() as s:
        stmt = (select(OutboxRow).where(OutboxRow.channel == CHANNEL, OutboxRow.address == str(webhook_id))
                .order_by(OutboxRow.id.desc()).limit(limit))
        if status:
            stmt = stmt.where(OutboxRow.status == status)
        now = datetime.now(UTC)
        return [{
            "id": r.id, "event_id": (r.body or {}).get("meta", {}).get("event_id"), "type": r.kind,
            "request_id": r.request_id, "status": r.status, "attempts": r.attempts, "last_error": r.error,
            "created_at": r.created_at, "delivered_at": r.sent_at,
            "next_attempt_at": r.not_before if r.status == "pending" and r.not_before and r.not_before > now
            else None,
        } for r in s.scalars(stmt)]
