"""The signing page's refusals: the plain bilingual notice page for a browser, JSON for the page's posts.
Unknown, expired and revoked links get the same answer (nothing tells an attacker which it was)."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from fastapi.responses import HTMLResponse, JSONResponse

from agent.signing_flow import SignRefused
from portal_fallback.state import SignState
from portal_fallback.texts import GONE, TOO_MANY, refusal, texts


def notice(state: SignState, sections: list[tuple[str, str]], status: int, lang: str = "de",
           **headers: str) -> HTMLResponse:
    html = state.pages.notice.render(lang=lang, sections=sections, firm_name=state.firm.name,
                                     has_logo=state.pages.branding.logo is not None)
    return HTMLResponse(html, status_code=status, headers=headers or None)


def refused(state: SignState, exc: SignRefused, *, html: bool = False) -> Response:
    lang = exc.params.get("lang", "de")
    if html:
        if exc.code == "already_signed":
            tx = texts(lang)
            return notice(state, [(tx["signed_title"], tx["signed"])], 409, lang)
        return notice(state, [GONE["de"], GONE["en"]], exc.status)
    params = {k: v for k, v in exc.params.items() if k not in ("lang", "detail")}
    body: dict[str, Any] = {"error": exc.code, "message": refusal(exc.code, lang, **params)}
    if exc.code == "link_invalid":
        body["message_en"] = refusal(exc.code, "en")
    if "detail" in exc.params:
        body["detail"] = exc.params["detail"]
    return JSONResponse(body, status_code=exc.status)


def too_many(state: SignState, ip: str, *, html: bool) -> Response:
    headers = {"Retry-After": str(state.lookup_limiter.retry_after(ip))}
    if html:
        return notice(state, [TOO_MANY["de"], TOO_MANY["en"]], 429, **headers)
    return JSONResponse({"error": "rate", "message": refusal("rate", "de"), "message_en": refusal("rate", "en")},
                        status_code=429, headers=headers)


def bad(lang: str, code: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": code, "message": refusal(code, lang)}, status_code=status)
