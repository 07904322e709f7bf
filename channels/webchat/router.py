"""The web chat's HTTP endpoints: the page, messages, uploads, history and the event stream.

Every endpoint starts from the link token in the path. A lookup only reads (a GET must stay harmless:
mail scanners open links), does the same database work whether the token is unknown, expired or
revoked, and answers all three alike. Failed lookups are limited per client IP, messages per link.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from agent import links
from agent.ratelimit import SlidingWindowLimiter
from agent.service import Mandat, RequestError
from agent.staff.branding import brand_css as brand_css_now
from agent.staff.branding import current_branding
from agent.store import models as m
from channels.messages import InboundMessage, TurnResult
from channels.webchat.hub import WebchatHub
from channels.webchat.texts import GONE, TOO_MANY, t, texts
from channels.webchat.uploads import FormError, TooLarge, read_upload_form

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
MAX_JSON_BYTES = 64 * 1024
MAX_TEXT_CHARS = 5000
MAX_FILES = 10
MAX_STREAMS_PER_REQUEST = 8
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
NO_REQUEST = "-" * 16  # looked up when the token is bad, so every path does the same database work
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".webp": "image/webp"}
STATUSES = ("open", "confirming", "complete")


class _SecureRoute(APIRoute):
    """Adds the link headers to every answer of this router (the app adds them globally too)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def secured(request: Request) -> Response:
            response = await handler(request)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return secured


@dataclass(frozen=True)
class Chat:
    link_id: str
    request_id: str
    lang: str


def _on_colour(hex_colour: str) -> str:
    """Black or white, whichever reads better on the brand colour (WCAG relative luminance)."""
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#ffffff" if (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.05) else "#111111"


def build_webchat_router(service: Mandat, hub: WebchatHub | None = None, *,
                         keepalive_s: float = 15.0) -> APIRouter:
    """The web chat's routes. ``router.hub`` is the hub its event streams listen to.

    Without ``hub`` the router reuses a hub already registered as the outbox's web-chat sender, or
    creates one and registers it, so the SSE stream works however the app wires it.
    """
    if hub is None:
        current = service.outbox.senders.get("webchat")
        owner = getattr(current, "__self__", None)
        hub = owner if isinstance(owner, WebchatHub) else WebchatHub()
        if not isinstance(owner, WebchatHub):
            service.outbox.register("webchat", hub.publish)
    settings = service.settings
    firm = service.firm
    router = APIRouter(route_class=_SecureRoute, include_in_schema=False)
    router.hub = hub  # type: ignore[attr-defined]
    lookups = SlidingWindowLimiter(settings.failed_lookups_per_minute, 60.0)
    messages = SlidingWindowLimiter(settings.rate_limit_per_minute, 60.0)
    router.lookup_limiter = lookups  # type: ignore[attr-defined]
    router.message_limiter = messages  # type: ignore[attr-defined]
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    page_template = env.get_template("chat.html")
    gone_template = env.get_template("gone.html")
    static_files = {name: (STATIC / name).read_bytes() for name in ("chat.js", "chat.css")}
    logo = firm.logo_path()
    logo_bytes = logo.read_bytes() if logo is not None and logo.is_file() else None
    logo_type = LOGO_TYPES.get(logo.suffix.lower(), "application/octet-stream") if logo is not None else ""
    max_mb = f"{settings.max_upload_mb:g}"
    gone_html = gone_template.render(texts=[GONE["de"], GONE["en"]])
    too_many_html = gone_template.render(texts=[TOO_MANY["de"], TOO_MANY["en"]])

    # ------------------------------------------------------------------ link lookup
    def client_ip(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def lookup(token: str) -> tuple[str | None, Chat | None]:
        with service.db.read() as s:
            check = links.resolve(s, token, "chat")
            req = s.get(m.Request, check.link.request_id if check.link is not None else NO_REQUEST)
            if check.problem is not None or check.link is None or req is None:
                return check.problem or "unknown", None
            return None, Chat(link_id=check.link.id, request_id=check.link.request_id, lang=req.lang)

    async def resolve(request: Request, token: str, *, html: bool = False) -> Chat | Response:
        ip = client_ip(request)
        if lookups.blocked(ip):
            return too_many_lookups(ip, html)
        problem, chat = await run_in_threadpool(lookup, token)
        if chat is not None:
            return chat
        lookups.hit(ip)
        status = 404 if problem == "unknown" else 410
        if html:
            return HTMLResponse(gone_html, status_code=status)
        return JSONResponse({"error": "link_invalid", "message": GONE["de"][0], "message_en": GONE["en"][0]},
                            status_code=status)

    def too_many_lookups(ip: str, html: bool) -> Response:
        headers = {"Retry-After": str(lookups.retry_after(ip))}
        if html:
            return HTMLResponse(too_many_html, status_code=429, headers=headers)
        return JSONResponse({"error": "too_many_attempts", "message": TOO_MANY["de"][1],
                             "message_en": TOO_MANY["en"][1]}, status_code=429, headers=headers)

    def error(chat: Chat, status: int, code: str, **values: object) -> JSONResponse:
        return JSONResponse({"error": code.removeprefix("err_"), "message": t(chat.lang, code, **values)},
                            status_code=status)

    def rate_limited(chat: Chat) -> JSONResponse | None:
        if messages.hit(chat.link_id):
            return None
        response = error(chat, 429, "err_rate")
        response.headers["Retry-After"] = str(messages.retry_after(chat.link_id))
        return response

    async def resolve_posting(request: Request, token: str) -> Chat | Response:
        """A POST's link, counted against the link's message limit (GETs are not counted)."""
        chat = await resolve(request, token)
        if isinstance(chat, Response):
            return chat
        return rate_limited(chat) or chat

    # ------------------------------------------------------------------ answers
    def current_state(request_id: str) -> tuple[dict[str, int], str]:
        summary = service.request_summary(request_id) or {}
        progress = summary.get("progress") or {"answered": 0, "total": 0}
        return progress, summary.get("status", "open")

    async def turn_json(result: TurnResult, chat: Chat, *, documents: bool = False) -> dict[str, Any]:
        status = result.status
        progress = {"answered": result.progress[0], "total": result.progress[1]}
        if status not in STATUSES:  # a retried message: the stored replies, but today's state
            progress, status = await run_in_threadpool(current_state, chat.request_id)
        body: dict[str, Any] = {
            "replies": [{"id": r.message_id, "text": r.text, "quick_replies": list(r.quick_replies),
                         "link": r.link} for r in result.replies],
            "progress": progress,
            "status": status,
        }
        if documents:
            body["documents"] = [dict(d) for d in result.documents]
        return body

    async def run_turn(chat: Chat, text: str, client_id: str | None,
                       attachments: tuple[Any, ...] = ()) -> TurnResult | JSONResponse:
        msg = InboundMessage(channel="webchat", sender=f"link:{chat.link_id}", request_id=chat.request_id,
                             text=text, external_id=f"{chat.link_id}:{client_id or uuid.uuid4().hex}",
                             attachments=attachments)
        try:
            return await run_in_threadpool(service.receive, msg)
        except RequestError:
            return JSONResponse({"error": "link_invalid", "message": GONE[chat.lang if chat.lang in GONE
                                                                            else "de"][0]}, status_code=410)

    def client_id_of(value: Any) -> tuple[bool, str | None]:
        if value is None or value == "":
            return True, None
        if isinstance(value, str) and CLIENT_ID.match(value):
            return True, value
        return False, None

    # ------------------------------------------------------------------ the page and its files
    @router.api_route("/c/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
    async def page(token: str, request: Request) -> Response:
        chat = await resolve(request, token, html=True)
        if isinstance(chat, Response):
            return chat
        tx = texts(chat.lang)
        brand_now = await run_in_threadpool(current_branding, service)  # an admin's change shows at once
        html = page_template.render(lang=chat.lang, t=tx, firm_name=firm.name,
                                    description=brand_now.description_in(chat.lang),
                                    has_logo=logo_bytes is not None,
                                    max_mb=max_mb, max_bytes=settings.max_upload_bytes,
                                    upload_hint=tx["upload_hint"].format(mb=max_mb))
        return HTMLResponse(html)

    def static(body: bytes, media_type: str) -> Response:
        return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=300"})

    @router.get("/static/webchat/chat.js")
    async def script() -> Response:
        return static(static_files["chat.js"], "text/javascript; charset=utf-8")

    @router.get("/static/webchat/chat.css")
    async def stylesheet() -> Response:
        return static(static_files["chat.css"], "text/css; charset=utf-8")

    @router.get("/static/webchat/brand.css")
    async def brand() -> Response:
        return static(brand_css_now(await run_in_threadpool(current_branding, service)), "text/css; charset=utf-8")

    @router.get("/static/webchat/logo")
    async def firm_logo() -> Response:
        now = await run_in_threadpool(current_branding, service)  # what an admin set in /staff/settings
        if now.logo is None:
            return Response(status_code=404)
        return static(now.logo, now.logo_type or logo_type)

    # ------------------------------------------------------------------ conversation
    @router.get("/c/{token}/history")
    async def history(token: str, request: Request) -> Response:
        chat = await resolve(request, token)
        if isinstance(chat, Response):
            return chat

        def read() -> dict[str, Any]:
            progress, status = current_state(chat.request_id)
            return {"messages": service.history(chat.request_id), "progress": progress, "status": status,
                    "lang": chat.lang}

        return JSONResponse(await run_in_threadpool(read))

    @router.post("/c/{token}/messages")
    async def post_message(token: str, request: Request) -> Response:
        chat = await resolve_posting(request, token)
        if isinstance(chat, Response):
            return chat
        raw = bytearray()
        async for chunk in request.stream():
            raw.extend(chunk)
            if len(raw) > MAX_JSON_BYTES:
                return error(chat, 413, "err_too_long", n=MAX_TEXT_CHARS)
        try:
            body = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return error(chat, 400, "err_utf8")
        try:
            data = json.loads(body)
        except ValueError:
            return error(chat, 400, "err_json")
        if not isinstance(data, dict):
            return error(chat, 400, "err_json")
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            return error(chat, 400, "err_text")
        if len(text) > MAX_TEXT_CHARS:
            return error(chat, 400, "err_too_long", n=MAX_TEXT_CHARS)
        ok, client_id = client_id_of(data.get("id"))
        if not ok:
            return error(chat, 400, "err_id")
        result = await run_turn(chat, text, client_id)
        if isinstance(result, Response):
            return result
        return JSONResponse(await turn_json(result, chat))

    @router.post("/c/{token}/sign/{item_id}")
    async def sign_now(token: str, item_id: int, request: Request) -> Response:
        """The chat's "sign now" button: a fresh signing link, made only when the client asks for it."""
        chat = await resolve_posting(request, token)
        if isinstance(chat, Response):
            return chat
        url = await run_in_threadpool(service.fresh_sign_link, chat.request_id, item_id)
        if url is None:
            return error(chat, 404, "err_sign_gone")
        return JSONResponse({"url": url})

    @router.post("/c/{token}/uploads")
    async def post_uploads(token: str, request: Request) -> Response:
        chat = await resolve_posting(request, token)
        if isinstance(chat, Response):
            return chat
        try:
            form = await read_upload_form(request, max_file_bytes=settings.max_upload_bytes, max_files=MAX_FILES)
        except TooLarge as exc:
            values = {"mb": max_mb, "n": MAX_FILES, **exc.values}
            return error(chat, 413, exc.code, **values)
        except FormError as exc:
            return error(chat, 400, exc.code, **exc.values)
        if not form.files:
            return error(chat, 400, "err_no_file")
        text = form.fields.get("text", "")[:MAX_TEXT_CHARS]
        ok, client_id = client_id_of(form.fields.get("id"))
        if not ok:
            return error(chat, 400, "err_id")
        result = await run_turn(chat, text, client_id, tuple(form.files))
        if isinstance(result, Response):
            return result
        return JSONResponse(await turn_json(result, chat, documents=True))

    @router.get("/c/{token}/events")
    async def events(token: str, request: Request) -> Response:
        chat = await resolve(request, token)
        if isinstance(chat, Response):
            return chat
        if hub.subscribers(chat.request_id) >= MAX_STREAMS_PER_REQUEST:
            return error(chat, 429, "err_rate")
        sub = hub.subscribe(chat.request_id)

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 3000\n\n"
                while True:
                    try:
                        payload = await asyncio.wait_for(sub.queue.get(), keepalive_s)
                    except TimeoutError:
                        if await request.is_disconnected():
                            break
                        _problem, still = await run_in_threadpool(lookup, token)
                        if still is None:  # revoked or expired while open: tell the page and stop
                            yield "event: gone\ndata: {}\n\n"
                            break
                        yield ": keep-alive\n\n"
                        continue
                    data = json.dumps(payload, ensure_ascii=False)
                    yield f"id: {payload['id']}\nevent: message\ndata: {data}\n\n"
            finally:
                hub.unsubscribe(sub)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"X-Accel-Buffering": "no"})

    return router
