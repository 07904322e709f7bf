"""Reminders for clients who stopped half way (issue 15): a schedule per firm and request template,
quiet hours and holidays, a stop command, durable steps. ``install_reminders(service)`` registers the job
with the installation's scheduler; the privacy tools' cascade erases its rows with the request. (Imports are inside
the functions: firm.yaml's model imports ``agent.reminders.config`` early.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.service import Mandat

__all__ = ["EVERY_S", "install_reminders"]

EVERY_S = 60.0  # how often the scheduler looks for due reminders


def install_reminders(service: Mandat, every_s: float = EVERY_S) -> None:
    from agent.reminders.job import JOB_NAME, Reminders

    job = Reminders(service, reachable=lambda channel: channel in service.outbox.senders)
    service.scheduler.every(JOB_NAME, every_s, job.run)
