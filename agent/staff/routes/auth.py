"""Sign in, sign out, and the language of one's pages."""


import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from agent.staff import accounts, csrf, magic
from agent.staff.routes.deps import (
    LOGIN_URL,
    Current,
    StaffContext,
    client_ip,
    page_guard,
    posted_form,
    read_form,
    resolve_current,
    see_other,
)
from agent.staff.sessions import COOKIE
from agent.staff.texts import t

PRE_COOKIE = "mandat_staff_login"  # the login form's CSRF value before there is a session


def pre_login_page(ctx: StaffContext, name: str, *, status_code: int = 200, **values: object) -> Response:
    """A page before sign-in (login form, link confirmation): its forms carry a CSRF value kept in a cookie."""
    value = secrets.token_urlsafe(24)
    response = ctx.render(name, lang=ctx.default_lang, status_code=status_code, csrf=value, me=None,
                          link_login=magic.enabled(ctx.service.settings), **values)
    response.set_cookie(PRE_COOKIE, value, httponly=True, samesite="strict", secure=ctx.secure_cookie,
                        path="/staff/login", max_age=3600)
    return response


def pre_login_form_ok(ctx: StaffContext, request: Request, form: object) -> bool:
    return csrf.origin_ok(request, ctx.service.settings.public_url) and \
        csrf.token_ok(form.get("csrf"), request.cookies.get(PRE_COOKIE))  # type: ignore[attr-defined]


async def signed_in(ctx: StaffContext, request: Request, staff_id: int) -> Response:
    """A new session (the browser's old one revoked: no fixation), its cookie, and on to the list."""
    value, _session = await run_in_threadpool(ctx.sessions.start, staff_id, client_ip(request),
                                              replaces=request.cookies.get(COOKIE))
    response = see_other("/staff")
    response.set_cookie(COOKIE, value, httponly=True, samesite="lax", secure=ctx.secure_cookie, path="/")
    response.delete_cookie(PRE_COOKIE, path="/staff/login")
    return response


def build(ctx: StaffContext) -> APIRouter:
    router = APIRouter()
    guard = page_guard(ctx)
    lang = ctx.default_lang

    def login_page(_request: Request, *, status_code: int = 200, error: str = "", email: str = "",
                   notice: str = "") -> Response:
        return pre_login_page(ctx, "login.html", status_code=status_code, error=error, email=email, notice=notice)

    @router.get("/staff/login")
    async def login_form(request: Request, out: int = 0) -> Response:
        if await run_in_threadpool(resolve_current, ctx, request) is not None:
            return see_other("/staff")
        return login_page(request, notice=t("logged_out", lang) if out else "")

    def limited(request: Request, email: str) -> int:
        """Seconds to wait when this account or this address has failed too often, else 0."""
        ip, account = client_ip(request), email.strip().lower()[:320]
        waits = [limiter.retry_after(key) for limiter, key in ((ctx.login_per_account, account),
                                                               (ctx.login_per_ip, ip)) if limiter.blocked(key)]
        return max(waits, default=0)

    @router.post("/staff/login")
    async def login(request: Request) -> Response:
        form = await read_form(request)
        email, password = str(form.get("email") or ""), str(form.get("password") or "")
        if not pre_login_form_ok(ctx, request, form):
            return login_page(request, status_code=403, error=t("forbidden", lang), email=email)
        wait = limited(request, email)
        if wait:
            response = login_page(request, status_code=429, email=email,
                                  error=t("login_limited", lang, minutes=max(1, (wait + 59) // 60)))
            response.headers["Retry-After"] = str(wait)
            return response
        member = await run_in_threadpool(accounts.authenticate, ctx.service.db, email, password, lang)
        if member is None:
            ctx.login_per_account.hit(email.strip().lower()[:320])
            ctx.login_per_ip.hit(client_ip(request))
            return login_page(request, status_code=401, error=t("login_failed", lang), email=email)
        return await signed_in(ctx, request, member.id)

    @router.post("/staff/logout")
    async def logout(request: Request, current: Annotated[Current, Depends(guard)]) -> Response:
        await posted_form(ctx, request, current)
        await run_in_threadpool(ctx.sessions.revoke, request.cookies.get(COOKIE))
        response = see_other(f"{LOGIN_URL}?out=1")
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=ctx.secure_cookie)
        return response

    @router.post("/staff/lang")
    async def switch_lang(request: Request, current: Annotated[Current, Depends(guard)]) -> Response:
        form = await posted_form(ctx, request, current)
        await run_in_threadpool(accounts.set_lang, ctx.service.db, current.member.id, str(form.get("lang") or ""))
        back = urlsplit(request.headers.get("referer") or "")
        path = back.path if back.path.startswith("/staff") and back.path != LOGIN_URL else "/staff"
        return see_other(path + (f"?{back.query}" if back.query and path == back.path else ""))

    return router
