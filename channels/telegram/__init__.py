"""The Telegram channel: deep-link binding, the conversation in a chat, uploads, buttons.

Wiring (composition root)::

    plug = TelegramPlug()                       # a PortsFactory
    service = Mandat(settings, ports=plug)      # plug.channel: None when MANDAT_TELEGRAM_TOKEN is not set
    plug.mount(app)                             # the webhook route, if configured
    if plug.channel is not None:
        add_lifecycle(app, plug.channel.start_lenient, plug.channel.stop_background)
"""

from channels.telegram.api import BotApi, OutboxSender
from channels.telegram.channel import ChatOrderedProcessor, TelegramChannel, webhook_secret
from channels.telegram.webhook import SECRET_HEADER, build_webhook_router
from channels.telegram.wiring import TelegramPlug

__all__ = [
    "SECRET_HEADER",
    "BotApi",
    "ChatOrderedProcessor",
    "OutboxSender",
    "TelegramChannel",
    "TelegramPlug",
    "build_webhook_router",
    "webhook_secret",
]
