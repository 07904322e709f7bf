"""The signing page as plain route functions: ``GET /s/{token}`` shows the document (with its page
images and PDF), ``POST /s/{token}/code`` sends a one-time code, ``POST /s/{token}/sign`` signs.

Posts must come from the page itself: a foreign ``Origin`` is refused, and every post carries the
page's HMAC value (which also tells the audit trail when the page was opened, without a write).
The shared prologue (link, origin, limits, body) is in deps.py; the state is ``app.state.sign_page``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from agent.pages import client_ip, secure_route, static_response
from agent.service import Mandat
from agent.signing_flow import SigningFlow, SignPage, SignRefused, Submission
from portal_fallback import forms
from portal_fallback.answers import bad, refused
from portal_fallback.deps import Posting, State, body_within, file_link, page_link
from portal_fallback.state import SignState, build_sign_state
from portal_fallback.texts import texts

log = logging.getLogger(__name__)

LINK_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
}

router = APIRouter(route_class=secure_route(LINK_HEADERS), include_in_schema=False)
Found = Annotated[SignPage, Depends(file_link)]


# ---------------------------------------------------------------------- the page
@router.api_route("/s/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def page(state: State, token: str, found: Annotated[SignPage, Depends(page_link)]) -> Response:
    return HTMLResponse(state.pages.sign.render(**_page_values(state, token, found)))


def _page_values(state: SignState, token: str, found: SignPage) -> dict[str, Any]:
    lang, tx, template = found.lang, texts(found.lang), found.template
    prefilled = []
    for spec in template.case_fields:
        value = found.values.get(spec.name, "")
        if spec.type == "checkbox":
            value = tx["yes"] if value == "/Yes" else tx["no"]
        prefilled.append((spec.label.get(lang), value or "—"))
    return dict(
        lang=lang, t=tx, firm_name=state.firm.name, has_logo=state.pages.branding.logo is not None, token=token,
        title=template.title.get(lang), pages=range(1, found.pages + 1), page_count=found.pages,
        prefilled=prefilled, client_fields=[(f, f.label.get(lang)) for f in template.client_fields],
        consent=template.consent.get(lang), csrf=state.flow.page_token(found.link_id, datetime.now(UTC)),
        sha=found.shown_sha256, otp=found.otp,
        otp_hint=tx["otp_hint"].format(channel=tx.get(f"channel_{found.otp_channel}", "")),
        client_name=found.client_name, legal_note=template.legal_note.get(lang) if template.needs_original else "",
    )


@router.get("/s/{token}/pages/{number}.png")
async def page_image(state: State, found: Found, number: int) -> Response:
    if not 1 <= number <= found.pages:
        return JSONResponse({"error": "not_found"}, status_code=404)
    try:
        images = await run_in_threadpool(state.renders.get, found.shown_sha256, lambda: state.flow.shown_pdf(found))
    except KeyError:
        return JSONResponse({"error": "not_found"}, status_code=404)
    return Response(images[number - 1], media_type="image/png")


@router.get("/s/{token}/document.pdf")
async def document(state: State, found: Found) -> Response:
    try:
        pdf = await run_in_threadpool(state.flow.shown_pdf, found)
    except KeyError:
        return JSONResponse({"error": "not_found"}, status_code=404)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{found.template.id}.pdf"'})


# ---------------------------------------------------------------------- posts
@router.post("/s/{token}/code")
async def send_code(state: State, token: str, request: Request, found: Posting,
                    raw: Annotated[bytes, Depends(body_within("bad_request"))]) -> Response:
    try:
        state.flow.check_page_token(found.link_id,
                                    request.headers.get("x-page-token") or forms.field(raw, request, "csrf"))
        channel = await run_in_threadpool(state.flow.send_code, token)
    except SignRefused as exc:
        exc.params.setdefault("lang", found.lang)
        return refused(state, exc)
    return JSONResponse({"ok": True, "channel": channel, "message": texts(found.lang)["otp_sent"]})


@router.post("/s/{token}")
@router.post("/s/{token}/sign")
async def submit(state: State, token: str, request: Request, found: Posting,
                 raw: Annotated[bytes, Depends(body_within("too_large"))]) -> Response:
    try:
        form = await forms.parse(request, raw)
    except ValueError:
        return bad(found.lang, "bad_request")
    try:
        opened_at = state.flow.check_page_token(found.link_id, form.get("csrf"))
        sub = Submission(
            png=form["png"], values=form["values"], consent=forms.truthy(form.get("consent")),
            shown_hash=str(form.get("document_sha256") or ""), typed_name=forms.text_value(form.get("typed_name")),
            code=forms.text_value(form.get("code")), ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""), opened_at=opened_at)
        signed = await run_in_threadpool(state.flow.submit, token, sub)
    except SignRefused as exc:
        exc.params.setdefault("lang", found.lang)
        return refused(state, exc)
    except Exception:
        log.exception("signing failed for link %s", found.link_id)
        return bad(found.lang, "busy", 500)
    tx = texts(signed.lang)
    return JSONResponse({"ok": True, "title": tx["done_title"], "message": tx["done"].format(title=signed.title),
                         "complete": signed.request_complete})


# ---------------------------------------------------------------------- static files
@router.get("/static/sign/sign.js")
async def script(state: State) -> Response:
    return static_response(state.pages.files["sign.js"], "text/javascript; charset=utf-8")


@router.get("/static/sign/sign.css")
async def stylesheet(state: State) -> Response:
    return static_response(state.pages.files["sign.css"], "text/css; charset=utf-8")


@router.get("/static/sign/brand.css")
async def brand(state: State) -> Response:
    return state.pages.branding.css_response()


@router.get("/static/sign/logo")
async def firm_logo(state: State) -> Response:
    return state.pages.branding.logo_response()


def install_sign_page(app: FastAPI, service: Mandat, flow: SigningFlow) -> SignState:
    """Add the signing page to ``app``: its state on ``app.state.sign_page`` and its routes."""
    state = build_sign_state(service, flow)
    app.state.sign_page = state
    app.include_router(router)
    return state
