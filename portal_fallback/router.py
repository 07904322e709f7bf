"""The signing page: ``GET /s/{token}`` shows the document, ``POST /s/{token}/sign`` signs it.

A GET only reads (mail scanners open links): no activity, no state, no counters in the database.
Unknown, expired and revoked links get the same plain page; failed lookups are limited per IP.
Posts must come from the page itself: a foreign ``Origin`` is refused, and every post carries the
page's HMAC value (which also tells the audit trail when the page was opened, without a write).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from agent.ratelimit import SlidingWindowLimiter as Limiter
from agent.signing_flow import SigningFlow, SignPage, SignRefused, Submission
from agent.staff.branding import brand_css as brand_css_now
from agent.staff.branding import current_branding
from portal_fallback.texts import GONE, TOO_MANY, message, texts
from tools.signing import render_pages

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
MAX_BODY = 700_000  # a 512 KB signature plus form fields; anything bigger is refused unread
SUBMITS_PER_MINUTE = 30
RENDER_CACHE_DOCS = 16
LINK_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
}
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".webp": "image/webp"}


class _SecureRoute(APIRoute):
    """Link headers on every answer, also when the router runs outside the main app (tests, embedding)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def secured(request: Request) -> Response:
            response = await handler(request)
            for name, value in LINK_HEADERS.items():
                if name == "Cache-Control" and request.url.path.startswith("/static/"):
                    continue
                response.headers.setdefault(name, value)
            return response

        return secured


def _on_colour(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    rgb = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#ffffff" if (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.05) else "#111111"


class _Renders:
    """Page images by document hash. pdfium is not thread-safe: one render at a time."""

    def __init__(self) -> None:
        self._cache: OrderedDict[str, list[bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha: str, load: Callable[[], bytes]) -> list[bytes]:
        with self._lock:
            pages = self._cache.get(sha)
            if pages is None:
                pages = [_small_png(p) for p in render_pages(load(), scale=1.5)]
                self._cache[sha] = pages
                while len(self._cache) > RENDER_CACHE_DOCS:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(sha)
            return pages


def _small_png(png: bytes) -> bytes:
    """A text page needs few colours: a 32-colour palette makes it about four times smaller for phones."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        small = img.convert("RGB").quantize(colors=32, method=Image.Quantize.MEDIANCUT)
        buf = io.BytesIO()
        small.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def build_sign_router(service: Any, flow: SigningFlow) -> APIRouter:
    settings = service.settings
    firm = service.firm
    router = APIRouter(route_class=_SecureRoute, include_in_schema=False)
    lookups = Limiter(settings.failed_lookups_per_minute)
    submits = Limiter(SUBMITS_PER_MINUTE)
    router.lookup_limiter = lookups  # type: ignore[attr-defined]
    router.flow = flow  # type: ignore[attr-defined]
    renders = _Renders()
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    page_template = env.get_template("sign.html")
    notice_template = env.get_template("notice.html")
    static_files = {name: (STATIC / name).read_bytes() for name in ("sign.js", "sign.css")}
    logo = firm.logo_path()
    logo_bytes = logo.read_bytes() if logo is not None and logo.is_file() else None
    logo_type = LOGO_TYPES.get(logo.suffix.lower(), "application/octet-stream") if logo is not None else ""
    public = urlsplit(settings.public_url)
    public_origin = f"{public.scheme}://{public.netloc}".lower()

    # ------------------------------------------------------------------ helpers
    def client_ip(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def notice(sections: list[tuple[str, str]], status: int, lang: str = "de", **headers: str) -> HTMLResponse:
        return HTMLResponse(notice_template.render(lang=lang, sections=sections, firm_name=firm.name,
                                                  has_logo=logo_bytes is not None), status_code=status,
                            headers=headers or None)

    def refused(exc: SignRefused, *, html: bool = False) -> Response:
        lang = exc.params.get("lang", "de")
        if html:
            if exc.code == "already_signed":
                tx = texts(lang)
                return notice([(tx["signed_title"], tx["signed"])], 409, lang)
            return notice([GONE["de"], GONE["en"]], exc.status)
        params = {k: v for k, v in exc.params.items() if k not in ("lang", "detail")}
        body: dict[str, Any] = {"error": exc.code, "message": message(lang, exc.code, **params)}
        if exc.code in ("link_invalid",):
            body["message_en"] = message("en", exc.code)
        if "detail" in exc.params:
            body["detail"] = exc.params["detail"]
        return JSONResponse(body, status_code=exc.status)

    def too_many(ip: str, html: bool) -> Response:
        headers = {"Retry-After": str(lookups.retry_after(ip))}
        if html:
            return notice([TOO_MANY["de"], TOO_MANY["en"]], 429, **headers)
        return JSONResponse({"error": "rate", "message": message("de", "rate"), "message_en": message("en", "rate")},
                            status_code=429, headers=headers)

    async def resolve(request: Request, token: str, *, html: bool = False) -> SignPage | Response:
        ip = client_ip(request)
        if lookups.blocked(ip):
            return too_many(ip, html)
        try:
            return await run_in_threadpool(flow.open, token)
        except SignRefused as exc:
            if exc.code == "link_invalid":
                lookups.hit(ip)
            return refused(exc, html=html)

    def foreign(request: Request) -> bool:
        """A post from another site: a foreign Origin (or, without one, a foreign Referer/fetch site)."""
        origin = request.headers.get("origin")
        if origin is not None:
            return origin.lower().rstrip("/") != public_origin
        if request.headers.get("sec-fetch-site", "") == "cross-site":
            return True
        referer = request.headers.get("referer")
        if referer:
            parts = urlsplit(referer)
            return f"{parts.scheme}://{parts.netloc}".lower() != public_origin
        return False

    async def read_body(request: Request) -> bytes | None:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return None
        raw = bytearray()
        async for chunk in request.stream():
            raw.extend(chunk)
            if len(raw) > MAX_BODY:
                return None
        return bytes(raw)

    # ------------------------------------------------------------------ the page
    @router.api_route("/s/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
    async def page(token: str, request: Request) -> Response:
        found = await resolve(request, token, html=True)
        if isinstance(found, Response):
            return found
        lang = found.lang
        tx = texts(lang)
        template = found.template
        prefilled = []
        for spec in template.case_fields:
            value = found.values.get(spec.name, "")
            if spec.type == "checkbox":
                value = tx["yes"] if value == "/Yes" else tx["no"]
            prefilled.append((spec.label.get(lang), value or "—"))
        html = page_template.render(
            lang=lang, t=tx, firm_name=firm.name, has_logo=logo_bytes is not None, token=token,
            title=template.title.get(lang), pages=range(1, found.pages + 1), page_count=found.pages,
            prefilled=prefilled, client_fields=[(f, f.label.get(lang)) for f in template.client_fields],
            consent=template.consent.get(lang), csrf=flow.page_token(found.link_id, datetime.now(UTC)),
            sha=found.shown_sha256, otp=found.otp,
            otp_hint=tx["otp_hint"].format(channel=tx.get(f"channel_{found.otp_channel}", "")),
            client_name=found.client_name, legal_note=template.legal_note.get(lang) if template.needs_original else "",
        )
        return HTMLResponse(html)

    @router.get("/s/{token}/pages/{number}.png")
    async def page_image(token: str, number: int, request: Request) -> Response:
        found = await resolve(request, token)
        if isinstance(found, Response):
            return found
        if not 1 <= number <= found.pages:
            return JSONResponse({"error": "not_found"}, status_code=404)
        try:
            images = await run_in_threadpool(renders.get, found.shown_sha256, lambda: flow.shown_pdf(found))
        except KeyError:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return Response(images[number - 1], media_type="image/png")

    @router.get("/s/{token}/document.pdf")
    async def document(token: str, request: Request) -> Response:
        found = await resolve(request, token)
        if isinstance(found, Response):
            return found
        try:
            pdf = await run_in_threadpool(flow.shown_pdf, found)
        except KeyError:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{found.template.id}.pdf"'})

    # ------------------------------------------------------------------ posts
    async def guarded(request: Request, token: str) -> SignPage | Response:
        if foreign(request):
            return JSONResponse({"error": "cross_origin", "message": message("de", "cross_origin"),
                                 "message_en": message("en", "cross_origin")}, status_code=403)
        found = await resolve(request, token)
        if isinstance(found, Response):
            return found
        if not submits.hit(found.link_id):
            return JSONResponse({"error": "rate", "message": message(found.lang, "rate")}, status_code=429,
                                headers={"Retry-After": str(submits.retry_after(found.link_id))})
        return found

    def bad(found: SignPage, code: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": code, "message": message(found.lang, code)}, status_code=status)

    @router.post("/s/{token}/code")
    async def send_code(token: str, request: Request) -> Response:
        found = await guarded(request, token)
        if isinstance(found, Response):
            return found
        raw = await read_body(request)
        if raw is None:
            return bad(found, "bad_request", 413)
        try:
            flow.check_page_token(found.link_id, request.headers.get("x-page-token") or _field(raw, request, "csrf"))
            channel = await run_in_threadpool(flow.send_code, token)
        except SignRefused as exc:
            exc.params.setdefault("lang", found.lang)
            return refused(exc)
        return JSONResponse({"ok": True, "channel": channel, "message": texts(found.lang)["otp_sent"]})

    async def submit(token: str, request: Request) -> Response:
        found = await guarded(request, token)
        if isinstance(found, Response):
            return found
        raw = await read_body(request)
        if raw is None:
            return bad(found, "too_large", 413)
        try:
            form = await _parse(request, raw)
        except ValueError:
            return bad(found, "bad_request")
        try:
            opened_at = flow.check_page_token(found.link_id, form.get("csrf"))
            sub = Submission(
                png=form["png"], values=form["values"], consent=_truthy(form.get("consent")),
                shown_hash=str(form.get("document_sha256") or ""), typed_name=_str(form.get("typed_name")),
                code=_str(form.get("code")), ip=client_ip(request),
                user_agent=request.headers.get("user-agent", ""), opened_at=opened_at)
            signed = await run_in_threadpool(flow.submit, token, sub)
        except SignRefused as exc:
            exc.params.setdefault("lang", found.lang)
            return refused(exc)
        except Exception:
            log.exception("signing failed for link %s", found.link_id)
            return bad(found, "busy", 500)
        tx = texts(signed.lang)
        return JSONResponse({"ok": True, "title": tx["done_title"], "message": tx["done"].format(title=signed.title),
                             "complete": signed.request_complete})

    router.add_api_route("/s/{token}", submit, methods=["POST"])
    router.add_api_route("/s/{token}/sign", submit, methods=["POST"])

    # ------------------------------------------------------------------ static files
    def static(body: bytes, media_type: str) -> Response:
        return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=300"})

    @router.get("/static/sign/sign.js")
    async def script() -> Response:
        return static(static_files["sign.js"], "text/javascript; charset=utf-8")

    @router.get("/static/sign/sign.css")
    async def stylesheet() -> Response:
        return static(static_files["sign.css"], "text/css; charset=utf-8")

    @router.get("/static/sign/brand.css")
    async def brand() -> Response:
        return static(brand_css_now(await run_in_threadpool(current_branding, service)), "text/css; charset=utf-8")

    @router.get("/static/sign/logo")
    async def firm_logo() -> Response:
        now = await run_in_threadpool(current_branding, service)  # what an admin set in /staff/settings
        if now.logo is None:
            return Response(status_code=404)
        return static(now.logo, now.logo_type or logo_type)

    return router


# ---------------------------------------------------------------------- body parsing
async def _parse(request: Request, raw: bytes) -> dict[str, Any]:
    """JSON (signature as a base64 data URL) or multipart (signature as a file part) into one shape."""
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("application/json"):
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError("not JSON") from exc
        if not isinstance(data, dict):
            raise ValueError("not an object")
        sig = data.get("signature")
        if not isinstance(sig, str):
            raise ValueError("no signature")
        if sig.startswith("data:"):
            sig = sig.partition(",")[2]
        try:
            png = base64.b64decode(sig, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("signature not base64") from exc
        values = data.get("values") or {}
    elif ctype.startswith("multipart/form-data"):
        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": raw, "more_body": False}

        try:
            form = await Request(request.scope, replay).form(max_files=2, max_fields=100)
        except Exception as exc:  # starlette raises its own types (and HTTPException) for broken forms
            raise ValueError("unreadable form") from exc
        upload = form.get("signature")
        if upload is None or isinstance(upload, str):
            raise ValueError("no signature")
        png = await upload.read()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            values = json.loads(data.get("values") or "{}")
        except ValueError as exc:
            raise ValueError("values not JSON") from exc
    else:
        raise ValueError("unsupported content type")
    if not isinstance(values, dict) or len(values) > 50:
        raise ValueError("values must be an object")
    return {**data, "png": png, "values": values}


def _field(raw: bytes, request: Request, name: str) -> str | None:
    if request.headers.get("content-type", "").lower().startswith("application/json"):
        try:
            data = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError):
            return None
        value = data.get(name) if isinstance(data, dict) else None
        return value if isinstance(value, str) else None
    return None


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "yes", "on", "ja"}


def _str(value: Any) -> str | None:
    return value[:500] if isinstance(value, str) and value.strip() else None
