"""Reminders for clients who stopped half way (issue 15): a schedule per firm and request template,
quiet hours and holidays, a stop command, durable steps. ``install_reminders(service)`` registers the job
with the installation's scheduler; ``erase_request_data`` is for the privacy tools. (Imports are inside
the functions: firm.yaml's model imports ``agent.reminders.config`` early.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from agent.service import Mandat

__all__ = ["EVERY_S", "erase_request_data", "install_reminders"]

EVERY_S = 60.0  # how often the scheduler looks for due reminders


def install_reminders(service: Mandat, every_s: float = EVERY_S) -> None:
    from agent.reminders.job import JOB_NAME, Reminders

    job = Reminders(service, reachable=lambda channel: channel in service.outbox.senders)
    service.scheduler.every(JOB_NAME, every_s, job.run)


def erase_request_data(session: Session, request_ids: Iterable[str]) -> int:
    """Delete the reminder log and stop marks of ``request_ids`` in the caller's transaction (the reminder
    texts themselves are outbox rows, which the privacy tools erase with the rest of the outbox)."""
    from sqlalchemy import delete

    from agent.store.sync_tables import ReminderSent, ReminderStop

    ids = list(request_ids)
    if not ids:
        return 0
    gone = session.execute(delete(ReminderSent).where(ReminderSent.request_id.in_(ids))).rowcount or 0
    gone += session.execute(delete(ReminderStop).where(ReminderStop.request_id.in_(ids))).rowcount or 0
    return int(gone)
