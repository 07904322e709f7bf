"""A small synchronous Bot API client for the outbox thread, and how an outbound message looks in Telegram.

The outbox calls its senders from a plain thread, so sending is a plain HTTP call (httpx) rather
than a hop onto the polling loop. Requests are form-encoded with nested values as JSON strings,
exactly as the Bot API documents.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from agent.messages import OutboundMessage
from channels.telegram.texts import button_label

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
MAX_TEXT = 4096
MAX_CALLBACK = 64
MAX_RETRY_AFTER_S = 10.0


class BotApiError(RuntimeError):
    def __init__(self, method: str, status: int, description: str) -> None:
        super().__init__(f"{method}: HTTP {status}: {description}")
        self.status = status
        self.description = description


def api_base(api_url: str | None) -> str:
    return (api_url or DEFAULT_API_URL).rstrip("/")


class BotApi:
    def __init__(self, token: str, api_url: str | None = None, *, timeout_s: float = 15.0) -> None:
        self._base = f"{api_base(api_url)}/bot{token}"
        self._file_base = f"{api_base(api_url)}/file/bot{token}"
        self._http = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, params: dict[str, Any] | None = None, *,
             files: dict[str, tuple[str, bytes, str]] | None = None, timeout_s: float | None = None) -> Any:
        data = {k: (json.dumps(v) if isinstance(v, dict | list) else str(v))
                for k, v in (params or {}).items() if v is not None}
        for attempt in range(3):
            resp = self._http.post(f"{self._base}/{method}", data=data, files=files,
                                   timeout=timeout_s if timeout_s is not None else httpx.USE_CLIENT_DEFAULT)
            try:
                body = resp.json()
            except ValueError:
                raise BotApiError(method, resp.status_code, resp.text[:200]) from None
            retry_after = (body.get("parameters") or {}).get("retry_after") if resp.status_code == 429 else None
            if isinstance(retry_after, int | float) and retry_after <= MAX_RETRY_AFTER_S and attempt < 2:
                # Flood control: wait here rather than fail, so this chat's messages keep their order.
                time.sleep(float(retry_after))
                continue
            if resp.status_code != 200 or not body.get("ok"):
                raise BotApiError(method, resp.status_code, str(body.get("description", ""))[:300])
            return body.get("result")
        raise BotApiError(method, 429, "flood control")

    def get_me(self, *, timeout_s: float | None = None) -> dict[str, Any]:
        return dict(self.call("getMe", timeout_s=timeout_s))

    def send_text(self, chat_id: str, text: str, markup: dict[str, Any] | None = None) -> None:
        chunks = split_text(text)
        for n, chunk in enumerate(chunks):
            last = n == len(chunks) - 1
            params: dict[str, Any] = {"chat_id": chat_id, "text": chunk}
            if last and markup:
                params["reply_markup"] = markup
            try:
                self.call("sendMessage", params)
            except BotApiError as exc:
                # Telegram refuses some URL buttons (e.g. a local address); the link is in the text too.
                if last and markup and exc.status == 400 and "button" in exc.description.lower():
                    log.warning("Telegram refused the keyboard (%s); sending the text alone", exc.description)
                    params.pop("reply_markup")
                    self.call("sendMessage", params)
                else:
                    raise


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    text = text or " "
    chunks = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    chunks.append(text)
    return chunks


def quick_reply_data(index: int, message_id: str) -> str | None:
    """Callback data for a quick reply: short, and naming the message so a stale press is recognisable."""
    data = f"q:{index}:{message_id}"
    return data if len(data.encode()) <= MAX_CALLBACK else None


def parse_quick_reply(data: str) -> tuple[int, str] | None:
    parts = data.split(":", 2)
    if len(parts) != 3 or parts[0] != "q" or not parts[1].isdigit() or len(parts[1]) > 3:
        return None
    return int(parts[1]), parts[2]


def keyboard(message_id: str, quick_replies: tuple[str, ...] | list[str], link: str | None, kind: str,
             lang: str | None) -> dict[str, Any] | None:
    rows: list[list[dict[str, str]]] = []
    for n, label in enumerate(quick_replies):
        data = quick_reply_data(n, message_id)
        if data is None:
            return None if not link else {"inline_keyboard": [[_url_button(link, kind, lang)]]}
        rows.append([{"text": str(label)[:64], "callback_data": data}])
    if link:
        rows.append([_url_button(link, kind, lang)])
    return {"inline_keyboard": rows} if rows else None


def _url_button(link: str, kind: str, lang: str | None) -> dict[str, str]:
    return {"text": button_label(kind, lang), "url": link}


class OutboxSender:
    """The outbox's sender for channel "telegram": one OutboundMessage → sendMessage (+ sendDocument)."""

    def __init__(self, api: BotApi, lang_of: Callable[[str], str | None]) -> None:
        self.api = api
        self.lang_of = lang_of

    def __call__(self, message: OutboundMessage) -> None:
        lang = self.lang_of(message.request_id) if message.request_id else None
        markup = keyboard(message.message_id, message.quick_replies, message.link, message.kind, lang)
        if message.text.strip() or markup:
            self.api.send_text(message.address, message.text, markup)
        for att in message.attachments:
            self.api.call("sendDocument", {"chat_id": message.address},
                          files={"document": (att.filename, att.content,
                                              att.declared_type or "application/octet-stream")})
