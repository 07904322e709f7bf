"""The webhook route: Telegram POSTs updates here when ``MANDAT_TELEGRAM_WEBHOOK_URL`` is set.

Only requests carrying our secret token (``X-Telegram-Bot-Api-Secret-Token``) are accepted; the
route hands the update to the channel's bot and answers at once.
"""

from __future__ import annotations

import hmac
import json
from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from channels.telegram.channel import TelegramChannel, webhook_secret

MAX_UPDATE_BYTES = 1_000_000
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_path(webhook_url: str) -> str:
    path = urlparse(webhook_url).path.rstrip("/")
    return path or "/telegram/webhook"


def build_webhook_router(channel: TelegramChannel) -> APIRouter:
    assert channel.settings.telegram_webhook_url
    secret = webhook_secret(channel.token)
    router = APIRouter()

    @router.post(webhook_path(channel.settings.telegram_webhook_url), include_in_schema=False)
    async def telegram_webhook(request: Request) -> JSONResponse:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return JSONResponse({"ok": False, "error": "forbidden"}, status_code=403)
        body = await request.body()
        if len(body) > MAX_UPDATE_BYTES:
            return JSONResponse({"ok": False, "error": "too large"}, status_code=413)
        try:
            data = json.loads(body)
        except ValueError:
            return JSONResponse({"ok": False, "error": "not JSON"}, status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return JSONResponse({"ok": False, "error": "not an update"}, status_code=400)
        try:
            await channel.feed(data)
        except RuntimeError:  # not started (yet): Telegram retries later
            return JSONResponse({"ok": False, "error": "not ready"}, status_code=503)
        return JSONResponse({"ok": True})

    return router
