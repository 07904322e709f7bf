"""Messages a crashed worker stored but never answered, answered by the scheduler's leader.

``mandat serve`` recovers such messages at start, but with several workers the installation may
never restart when one worker dies (the supervisor replaces it). So the leader looks every minute
for messages still ``received`` well after they arrived and hands each back to the entry point
under its own channel and external id: ``receive`` finds the stored copy and processes that (the
attachments and raw bytes were kept when it was stored). It is safe if the message is in fact still
being processed elsewhere: the outcome is written once, guarded by the message's status and the
request's version, and the late one returns the stored result.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from agent.messages import InboundMessage
from agent.service import Mandat
from agent.store.models import InboundRecord

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=2)  # far beyond a turn (the LLM times out after 20 s)
EVERY_S = 60.0


def recover_stale(service: Mandat, older_than: timedelta = STALE_AFTER, limit: int = 100) -> int:
    """Process up to ``limit`` messages left ``received`` for longer than ``older_than``; returns how many."""
    cutoff = datetime.now(UTC) - older_than
    with service.db.read() as s:
        rows = s.execute(
            select(InboundRecord.channel, InboundRecord.external_id, InboundRecord.request_id, InboundRecord.sender)
            .where(InboundRecord.status == "received", InboundRecord.received_at < cutoff)
            .order_by(InboundRecord.id).limit(limit)).all()
    for channel, external_id, request_id, sender in rows:
        try:
            service.receive(InboundMessage(channel=channel, sender=sender, text="", external_id=external_id,
                                           request_id=request_id))
        except Exception:  # one broken message must not keep the others waiting; it is tried again
            log.exception("recovering a stale message of request %s failed", request_id)
    return len(rows)


def schedule_recovery(service: Mandat) -> None:
    service.scheduler.every("recover-stale-messages", EVERY_S, lambda: recover_stale(service))
