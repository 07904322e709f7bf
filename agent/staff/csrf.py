"""Cross-site request forgery: every state-changing form carries the session's CSRF value, and the
browser's Origin (or, lacking it, Referer) must be this server. Both checks, not either."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import Request


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(request: Request, public_url: str) -> set[str]:
    """The configured public URL, and the address this request was sent to (behind no proxy they agree)."""
    origins = {_origin_of(public_url) or ""}
    host = request.headers.get("host")
    if host:
        origins.add(f"{request.url.scheme}://{host}".lower())
    return origins - {""}


def origin_ok(request: Request, public_url: str) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        origin = _origin_of(referer) if referer else None
    if not origin:
        return False
    return origin.lower() in allowed_origins(request, public_url)


def token_ok(given: object, expected: str | None) -> bool:
    if not isinstance(given, str) or not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
