"""How the composition root connects the Telegram channel to the service and the HTTP app."""

from __future__ import annotations

import logging
import sys
from typing import Any

from agent.config import Settings
from agent.service import Mandat
from channels.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)


def wire(service: Mandat, app: Any | None, settings: Settings | None = None, *,
         announce: bool = True) -> TelegramChannel | None:
    """Register the outbox sender and the deep-link maker, and the webhook route when configured.

    Returns the channel (start it with ``start_background``/``stop_background`` or ``await start()``),
    or None when ``MANDAT_TELEGRAM_TOKEN`` is not set — then the channel is off and says so.
    """
    settings = settings or service.settings
    if not settings.telegram_token:
        if announce:
            print("Telegram: OFF (set MANDAT_TELEGRAM_TOKEN to turn it on)", file=sys.stdout, flush=True)
        return None
    channel = TelegramChannel(service, settings)
    service.outbox.register("telegram", channel.sender)
    service.link_makers.append(channel.make_links)
    mode = "long polling"
    if settings.telegram_webhook_url:
        mode = f"webhook {settings.telegram_webhook_url}"
        if app is not None:
            from channels.telegram.webhook import build_webhook_router

            app.include_router(build_webhook_router(channel))
    if announce:
        print(f"Telegram: ON ({mode})", file=sys.stdout, flush=True)
    return channel
