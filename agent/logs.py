"""Structured logs: one JSON object per line, with the id of the HTTP request it belongs to, and no
personal data or credentials in it.

A log line is read by more people, kept longer and copied further than the database, so what could
identify a client or open a link is replaced before it is written: e-mail addresses, IBANs, link tokens
(``/c/…``, ``/s/…``, ``?start=…``, bearer values) and any other long random-looking value. The web chat's
token filter (``channels.webchat.logs``) still runs on the records first; the formatter here is the
last line, applied to the finished text, tracebacks included.

``RequestIdMiddleware`` gives every HTTP request an id (the caller's ``X-Request-ID`` when it is a
plain short value, else a fresh one), returns it in ``X-Request-ID`` and puts it on every line logged
while the request is handled — threads started with ``asyncio.to_thread`` carry it too.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("mandat_request_id", default=None)

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# IBAN: country, check digits, then 10–30 letters/digits, in groups of four or not.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){10,30}\b")
_BOT_TOKEN = re.compile(r"(/(?:file/)?bot)\d+:[A-Za-z0-9_-]+")  # Bot API URLs carry the bot's token (httpx logs them)
_LINK = re.compile(r"(/[cs]/|[?&](?:start|token)=|Bearer\s+|/start\s+)[A-Za-z0-9_.~%-]{8,}", re.IGNORECASE)
# 32+ url-safe characters with letters and digits mixed: a token, a secret or a hash — none belongs in a log.
_OPAQUE = re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def scrub(text: str) -> str:
    """``text`` without e-mail addresses, IBANs and tokens."""
    text = _BOT_TOKEN.sub(lambda m: m.group(1) + "[redacted]", text)
    text = _LINK.sub(lambda m: m.group(1) + "[redacted]", text)
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub("[iban]", text)
    return _OPAQUE.sub("[redacted]", text)


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", "request_id"?, "exc"?}`` on one line, scrubbed."""

    def _clean(self, text: str) -> str:
        return scrub(text)

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": self._clean(message),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exc"] = self._clean(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc"] = self._clean(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


_INSTALLED = "_mandat_json"


def _stamp_request_ids() -> None:
    """Every record remembers the request it was made in: handlers may format it later, elsewhere."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, _INSTALLED, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return record

    setattr(factory, _INSTALLED, True)
    logging.setLogRecordFactory(factory)


_stamp_request_ids()


def install_json_logs(*, level: int = logging.INFO,
                      stream: Any = None, loggers: tuple[str, ...] = ("uvicorn", "uvicorn.error",
                                                                      "uvicorn.access")) -> logging.Handler:
    """JSON on every handler uvicorn set up, and one JSON handler on the root logger for everything
    else (the service, channels, tools). Call it once the server configured logging; again is a no-op."""
    formatter = JsonFormatter()
    for name in loggers:
        for handler in logging.getLogger(name).handlers:
            handler.setFormatter(formatter)
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, _INSTALLED, False):
            return handler
    handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(formatter)
    setattr(handler, _INSTALLED, True)
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return handler


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Whatever ``sys.stderr`` is now (a test runner swaps it per test), never a stream closed since."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class RequestIdMiddleware:
    """Pure ASGI, so streams and server-sent events pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), "")
        request_id = given if _SAFE_REQUEST_ID.match(given) and not _OPAQUE.search(given) else uuid.uuid4().hex[:16]
        reset = REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode("latin-1"))]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(reset)
