"""The prologue the signing page's endpoints share, as FastAPI dependencies: resolve the link (failed
lookups limited per client IP), refuse a post from another site, count a post against the link's
limit, read the body within its cap. Each refuses by raising `Refused` with the answer to give.

A GET only reads (mail scanners open links): no activity, no state, no counters in the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from agent.pages import Refused, client_ip
from agent.signing_flow import SignPage, SignRefused
from portal_fallback.answers import bad, refused, too_many
from portal_fallback.state import SignState, sign_state
from portal_fallback.texts import refusal

MAX_BODY = 700_000  # a 512 KB signature plus form fields; anything bigger is refused unread

State = Annotated[SignState, Depends(sign_state)]


async def _resolve(state: SignState, request: Request, token: str, *, html: bool) -> SignPage:
    ip = client_ip(request)
    if state.lookup_limiter.blocked(ip):
        raise Refused(too_many(state, ip, html=html))
    try:
        return await run_in_threadpool(state.flow.open, token)
    except SignRefused as exc:
        if exc.code == "link_invalid":
            state.lookup_limiter.hit(ip)
        raise Refused(refused(state, exc, html=html)) from None


async def page_link(state: State, request: Request, token: str) -> SignPage:
    """The link of the page itself: a bad one gets the plain notice page."""
    return await _resolve(state, request, token, html=True)


async def file_link(state: State, request: Request, token: str) -> SignPage:
    """The link of the page's images and PDF (JSON refusals)."""
    return await _resolve(state, request, token, html=False)


def foreign(state: SignState, request: Request) -> bool:
    """A post from another site: a foreign Origin (or, without one, a foreign Referer/fetch site)."""
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower().rstrip("/") != state.public_origin
    if request.headers.get("sec-fetch-site", "") == "cross-site":
        return True
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() != state.public_origin
    return False


async def posting_link(state: State, request: Request, token: str) -> SignPage:
    """A post's link: from the page's own origin, and counted against the link's submit limit."""
    if foreign(state, request):
        raise Refused(JSONResponse({"error": "cross_origin", "message": refusal("cross_origin", "de"),
                                    "message_en": refusal("cross_origin", "en")}, status_code=403))
    found = await _resolve(state, request, token, html=False)
    limiter = state.submit_limiter
    if not limiter.hit(found.link_id):
        raise Refused(JSONResponse({"error": "rate", "message": refusal("rate", found.lang)}, status_code=429,
                                   headers={"Retry-After": str(limiter.retry_after(found.link_id))}))
    return found


Posting = Annotated[SignPage, Depends(posting_link)]


async def read_body(request: Request) -> bytes | None:
    """The whole body, or None when it is (or says it is) over `MAX_BODY`."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        return None
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY:
            return None
    return bytes(raw)


def body_within(code: str) -> Callable[..., Awaitable[bytes]]:
    """A dependency reading the post's body; too large is refused with `code` (413)."""

    async def body(request: Request, found: Posting) -> bytes:
        raw = await read_body(request)
        if raw is None:
            raise Refused(bad(found.lang, code, 413))
        return raw

    return body
