"""Signed webhooks: events of a request pushed into the firm's own software (case management, DMS).

``events`` turns new activities into event rows in the outbox (inside the same flush), ``sender``
delivers them with a Stripe-style signature, ``registry`` keeps the subscriptions, ``guard`` refuses
addresses inside the firm's network. ``install_webhooks(service)`` wires the sender into a service's
outbox; the privacy tools' cascade erases a request's deliveries with it. (Imports are inside
the functions so ``mandat --help`` stays light.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.service import Mandat

__all__ = ["WORKERS", "install_webhooks"]

WORKERS = 4  # requests whose events are delivered side by side (each request's events stay in order)


def install_webhooks(service: Mandat) -> None:
    """Deliver the ``webhook`` outbox rows of ``service`` (in their own lane, so a slow receiver never
    holds up a client's e-mail) and wake its dispatcher whenever an event commits."""
    from agent.webhooks.events import watch_dispatcher
    from agent.webhooks.sender import WebhookSender

    sender = WebhookSender(service.db, allow_private=service.settings.webhook_allow_private)
    service.outbox.register("webhook", sender, lane=True, workers=WORKERS)
    watch_dispatcher(service.outbox)
