"""How the composition root connects the Telegram channel to the service and the HTTP app.

The service is built with a ``TelegramPlug`` among its ports: when the service is constructed the plug
makes the channel, registers its outbox sender and contributes the deep-link maker. Afterwards
``plug.mount(app)`` adds the webhook route when one is configured.
"""

from __future__ import annotations

import sys
from typing import Any

from agent.config import Settings
from agent.ports import Ports
from agent.service import Mandat
from channels.telegram.channel import TelegramChannel


class TelegramPlug:
    """A ``PortsFactory``; ``channel`` is None when ``MANDAT_TELEGRAM_TOKEN`` is not set (the channel is off
    and says so). Start the channel with ``start_background``/``stop_background`` or ``await start()``."""

    def __init__(self, settings: Settings | None = None, *, announce: bool = True) -> None:
        self.settings = settings
        self.announce = announce
        self.channel: TelegramChannel | None = None

    def __call__(self, service: Mandat) -> Ports:
        settings = self.settings or service.settings
        if not settings.telegram_token:
            self._say("Telegram: OFF (set MANDAT_TELEGRAM_TOKEN to turn it on)")
            return Ports()
        self.channel = TelegramChannel(service, settings)
        service.outbox.register("telegram", self.channel.sender)
        mode = f"webhook {settings.telegram_webhook_url}" if settings.telegram_webhook_url else "long polling"
        self._say(f"Telegram: ON ({mode})")
        return Ports(link_makers=(self.channel.make_links,))

    def mount(self, app: Any) -> None:
        """The webhook route, when the channel runs with a webhook."""
        if self.channel is not None and self.channel.settings.telegram_webhook_url:
            from channels.telegram.webhook import build_webhook_router

            app.include_router(build_webhook_router(self.channel))

    def _say(self, text: str) -> None:
        if self.announce:
            print(text, file=sys.stdout, flush=True)
