"""What the privacy tools call before a request's rows are erased: its webhook deliveries go with it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy.orm import Session

from agent.store.models import OutboxRow
from agent.webhooks.events import CHANNEL


def erase_request_data(session: Session, request_ids: Iterable[str]) -> int:
    """Delete the webhook deliveries (event bodies with the client's data) of ``request_ids``, in the
    caller's transaction; returns how many rows went. The subscriptions themselves hold no personal data."""
    ids = list(request_ids)
    if not ids:
        return 0
    result = session.execute(delete(OutboxRow).where(OutboxRow.channel == CHANNEL, OutboxRow.request_id.in_(ids)))
    return int(result.rowcount or 0)
