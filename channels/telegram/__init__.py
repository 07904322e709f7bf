"""The Telegram channel: deep-link binding, the conversation in a chat, uploads, buttons.

Wiring (composition root)::

    channel = wire(service, app, settings)      # None when MANDAT_TELEGRAM_TOKEN is not set
    if channel is not None:
        add_lifecycle(app, channel.start_lenient, channel.stop_background)
"""

from channels.telegram.api import BotApi, OutboxSender
from channels.telegram.channel import ChatOrderedProcessor, TelegramChannel, webhook_secret
from channels.telegram.webhook import SECRET_HEADER, build_webhook_router
from channels.telegram.wiring import wire

__all__ = [
    "SECRET_HEADER",
    "BotApi",
    "ChatOrderedProcessor",
    "OutboxSender",
    "TelegramChannel",
    "build_webhook_router",
    "webhook_secret",
    "wire",
]
