"""Sign-in by e-mailed link (only when SMTP is configured): ask for a link, open it, confirm it.

Asking answers the same for every address, known or not, and the mail goes out after the answer (a
background task), so neither the text nor the time tells whether an account exists. Both steps are
rate limited per address and per IP; a wrong or spent token is refused like an expired one.
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from agent.staff import magic
from agent.staff.routes.auth import pre_login_form_ok, pre_login_page, signed_in
from agent.staff.routes.deps import StaffContext, client_ip, read_form
from agent.staff.texts import t


def build(ctx: StaffContext) -> APIRouter:
    router = APIRouter()
    lang = ctx.default_lang
    service = ctx.service

    def available() -> None:
        if not magic.enabled(service.settings):
            raise HTTPException(status.HTTP_404_NOT_FOUND, t("not_found", lang))

    def limited(request: Request, email: str) -> Response | None:
        address, ip = email.strip().lower()[:320], client_ip(request)
        if ctx.link_per_address.hit(address) and ctx.link_per_ip.hit(ip):
            return None
        wait = max(ctx.link_per_address.retry_after(address), ctx.link_per_ip.retry_after(ip), 1)
        response = pre_login_page(ctx, "login.html", status_code=429, email=email, notice="",
                                  error=t("link_limited", lang, minutes=max(1, (wait + 59) // 60)))
        response.headers["Retry-After"] = str(wait)
        return response

    @router.post("/staff/login/mail")
    async def ask_for_link(request: Request) -> Response:
        available()
        form = await read_form(request)
        email = str(form.get("email") or "")[:320]
        if not pre_login_form_ok(ctx, request, form):
            return pre_login_page(ctx, "login.html", status_code=403, error=t("forbidden", lang), email=email,
                                  notice="")
        refused = limited(request, email)
        if refused is not None:
            return refused
        response = pre_login_page(ctx, "login.html", email="", error="", notice=t("link_sent", lang))
        response.background = BackgroundTask(magic.send_link, service.db, service.settings, email, lang,
                                             service.firm.name, service.outbox.wake)
        return response

    @router.get(magic.LINK_PATH)
    async def open_link(token: Annotated[str, Query(max_length=100)] = "") -> Response:
        available()
        if not await run_in_threadpool(magic.valid, service.db, token):
            return pre_login_page(ctx, "link.html", status_code=410, token="", error=t("link_invalid", lang))
        return pre_login_page(ctx, "link.html", token=token, error="")

    @router.post(magic.LINK_PATH)
    async def confirm_link(request: Request) -> Response:
        available()
        form = await read_form(request)
        if not pre_login_form_ok(ctx, request, form):
            return pre_login_page(ctx, "link.html", status_code=403, token="", error=t("forbidden", lang))
        if not ctx.link_per_ip.hit(client_ip(request)):
            return pre_login_page(ctx, "link.html", status_code=429, token="",
                                  error=t("link_limited", lang, minutes=15))
        staff_id = await run_in_threadpool(magic.consume, service.db, str(form.get("token") or ""))
        if staff_id is None:
            return pre_login_page(ctx, "link.html", status_code=410, token="", error=t("link_invalid", lang))
        return await signed_in(ctx, request, staff_id)

    return router
