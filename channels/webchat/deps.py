"""The prologue every web-chat endpoint shares, as FastAPI dependencies: resolve the link in the path
(failed lookups limited per client IP), count a POST against the link's message limit, read a JSON
message body within its cap. Each refuses by raising `Refused` with the answer to give.

A lookup only reads (a GET must stay harmless: mail scanners open links) and answers an unknown,
expired or revoked token alike.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from agent.page_views import LinkView
from agent.pages import Refused, client_ip
from channels.webchat.state import WebchatState, chat_state
from channels.webchat.texts import GONE, TOO_MANY, t

MAX_JSON_BYTES = 64 * 1024
MAX_TEXT_CHARS = 5000
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")

State = Annotated[WebchatState, Depends(chat_state)]


def error(link: LinkView, status: int, code: str, **values: object) -> JSONResponse:
    """A JSON refusal in the client's language; `code` is a text key ("err_rate" → error "rate")."""
    return JSONResponse({"error": code.removeprefix("err_"), "message": t(code, link.lang, **values)},
                        status_code=status)


async def _resolve(state: WebchatState, request: Request, token: str, *, html: bool) -> LinkView:
    ip = client_ip(request)
    lookups = state.lookup_limiter
    if lookups.blocked(ip):
        headers = {"Retry-After": str(lookups.retry_after(ip))}
        if html:
            raise Refused(HTMLResponse(state.pages.too_many_html, status_code=429, headers=headers))
        raise Refused(JSONResponse({"error": "too_many_attempts", "message": TOO_MANY["de"][1],
                                    "message_en": TOO_MANY["en"][1]}, status_code=429, headers=headers))
    link = await run_in_threadpool(state.service.resolve_link, token, "chat")
    if link.ok:
        return link
    lookups.hit(ip)
    status = 404 if link.problem == "unknown" else 410
    if html:
        raise Refused(HTMLResponse(state.pages.gone_html, status_code=status))
    raise Refused(JSONResponse({"error": "link_invalid", "message": GONE["de"][0], "message_en": GONE["en"][0]},
                               status_code=status))


async def chat_link(state: State, request: Request, token: str) -> LinkView:
    """The link of a JSON endpoint (history, events)."""
    return await _resolve(state, request, token, html=False)


async def page_link(state: State, request: Request, token: str) -> LinkView:
    """The link of the chat page: a bad one gets the plain bilingual page, not JSON."""
    return await _resolve(state, request, token, html=True)


async def posting_link(state: State, link: Annotated[LinkView, Depends(chat_link)]) -> LinkView:
    """A POST's link, counted against the link's message limit."""
    limiter = state.message_limiter
    if not limiter.hit(link.link_id):
        response = error(link, 429, "err_rate")
        response.headers["Retry-After"] = str(limiter.retry_after(link.link_id))
        raise Refused(response)
    return link


Chat = Annotated[LinkView, Depends(chat_link)]
Posting = Annotated[LinkView, Depends(posting_link)]


def client_id_of(link: LinkView, value: Any) -> str | None:
    """The page's id for a message (its retry key); absent is fine, malformed is refused."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and CLIENT_ID.match(value):
        return value
    raise Refused(error(link, 400, "err_id"))


@dataclass(frozen=True)
class ChatMessage:
    text: str
    client_id: str | None


async def message_body(request: Request, link: Posting) -> ChatMessage:
    """``{"text": …, "id": …}`` read within its cap, as UTF-8 JSON, with a non-empty text."""
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_JSON_BYTES:
            raise Refused(error(link, 413, "err_too_long", n=MAX_TEXT_CHARS))
    try:
        data = json.loads(bytes(raw).decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(error(link, 400, "err_utf8")) from None
    except ValueError:
        raise Refused(error(link, 400, "err_json")) from None
    if not isinstance(data, dict):
        raise Refused(error(link, 400, "err_json"))
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise Refused(error(link, 400, "err_text"))
    if len(text) > MAX_TEXT_CHARS:
        raise Refused(error(link, 400, "err_too_long", n=MAX_TEXT_CHARS))
    return ChatMessage(text=text, client_id=client_id_of(link, data.get("id")))
