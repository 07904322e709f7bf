"""The web chat's HTTP endpoints as plain route functions: the page and its files, history, messages,
the "sign now" button, uploads and the event stream.

What every endpoint shares (link resolution, the per-link message limit, body reading) comes in as a
dependency (channels/webchat/deps.py); the shared state is ``app.state.webchat`` (state.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from agent.page_views import LinkView
from agent.pages import secure_route, static_response
from agent.service import Mandat
from channels.webchat.deps import (
    MAX_TEXT_CHARS,
    Chat,
    ChatMessage,
    Posting,
    State,
    client_id_of,
    error,
    message_body,
    page_link,
)
from channels.webchat.hub import Subscription, WebchatHub
from channels.webchat.state import WebchatState, build_state
from channels.webchat.texts import texts
from channels.webchat.turns import run_turn, turn_json
from channels.webchat.uploads import FormError, TooLarge, read_upload_form

SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
MAX_FILES = 10
MAX_STREAMS_PER_REQUEST = 8

router = APIRouter(route_class=secure_route(SECURITY_HEADERS), include_in_schema=False)


# ---------------------------------------------------------------------- the page and its files
@router.api_route("/c/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def page(state: State, link: Annotated[LinkView, Depends(page_link)]) -> Response:
    service, tx = state.service, texts(link.lang)
    html = state.pages.chat.render(
        lang=link.lang, t=tx, firm_name=service.firm.name, description=service.firm.description_in(link.lang),
        has_logo=state.pages.branding.logo is not None, max_mb=state.max_mb,
        max_bytes=service.settings.max_upload_bytes, upload_hint=tx["upload_hint"].format(mb=state.max_mb))
    return HTMLResponse(html)


@router.get("/static/webchat/chat.js")
async def script(state: State) -> Response:
    return static_response(state.pages.files["chat.js"], "text/javascript; charset=utf-8")


@router.get("/static/webchat/chat.css")
async def stylesheet(state: State) -> Response:
    return static_response(state.pages.files["chat.css"], "text/css; charset=utf-8")


@router.get("/static/webchat/brand.css")
async def brand(state: State) -> Response:
    return state.pages.branding.css_response()


@router.get("/static/webchat/logo")
async def firm_logo(state: State) -> Response:
    return state.pages.branding.logo_response()


# ---------------------------------------------------------------------- conversation
@router.get("/c/{token}/history")
async def history(state: State, link: Chat) -> Response:
    view = await run_in_threadpool(state.service.chat_history, link.request_id, link.lang)
    return JSONResponse({"messages": list(view.messages), "progress": view.progress.json(),
                         "status": view.progress.status, "lang": view.lang})


@router.post("/c/{token}/messages")
async def post_message(state: State, link: Posting, body: Annotated[ChatMessage, Depends(message_body)]) -> Response:
    result = await run_turn(state.service, link, body.text, body.client_id)
    return JSONResponse(await turn_json(state.service, result, link))


@router.post("/c/{token}/sign/{item_id}")
async def sign_now(state: State, link: Posting, item_id: int) -> Response:
    """The chat's "sign now" button: a fresh signing link, made only when the client asks for it."""
    url = await run_in_threadpool(state.service.fresh_sign_link, link.request_id, item_id)
    if url is None:
        return error(link, 404, "err_sign_gone")
    return JSONResponse({"url": url})


@router.post("/c/{token}/uploads")
async def post_uploads(state: State, link: Posting, request: Request) -> Response:
    try:
        form = await read_upload_form(request, max_file_bytes=state.service.settings.max_upload_bytes,
                                      max_files=MAX_FILES)
    except TooLarge as exc:
        return error(link, 413, exc.code, **{"mb": state.max_mb, "n": MAX_FILES, **exc.values})
    except FormError as exc:
        return error(link, 400, exc.code, **exc.values)
    if not form.files:
        return error(link, 400, "err_no_file")
    client_id = client_id_of(link, form.fields.get("id"))
    result = await run_turn(state.service, link, form.fields.get("text", "")[:MAX_TEXT_CHARS], client_id,
                            tuple(form.files))
    return JSONResponse(await turn_json(state.service, result, link, documents=True))


@router.get("/c/{token}/events")
async def events(state: State, link: Chat, token: str, request: Request) -> Response:
    if state.hub.subscribers(link.request_id) >= MAX_STREAMS_PER_REQUEST:
        return error(link, 429, "err_rate")
    sub = state.hub.subscribe(link.request_id)
    return StreamingResponse(_stream(state, sub, token, request), media_type="text/event-stream",
                             headers={"X-Accel-Buffering": "no"})


async def _stream(state: WebchatState, sub: Subscription, token: str, request: Request) -> AsyncIterator[str]:
    """Replies as they leave the outbox; a keep-alive while quiet, which also re-checks the link."""
    try:
        yield "retry: 3000\n\n"
        while True:
            try:
                payload = await asyncio.wait_for(sub.queue.get(), state.keepalive_s)
            except TimeoutError:
                if await request.is_disconnected():
                    break
                still = await run_in_threadpool(state.service.resolve_link, token, "chat")
                if not still.ok:  # revoked or expired while open: tell the page and stop
                    yield "event: gone\ndata: {}\n\n"
                    break
                yield ": keep-alive\n\n"
                continue
            data = json.dumps(payload, ensure_ascii=False)
            yield f"id: {payload['id']}\nevent: message\ndata: {data}\n\n"
    finally:
        state.hub.unsubscribe(sub)


def install_webchat(app: FastAPI, service: Mandat, hub: WebchatHub | None = None, *,
                    keepalive_s: float = 15.0) -> WebchatState:
    """Add the web chat to ``app``: its state on ``app.state.webchat`` and its routes. Returns the state."""
    state = build_state(service, hub, keepalive_s=keepalive_s)
    app.state.webchat = state
    app.include_router(router)
    return state
