"""What every staff route shares: the service, templates, sessions, limits, and the FastAPI dependencies
that turn a cookie into the signed-in staff member and refuse forged or expired forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from agent.ratelimit import SlidingWindowLimiter
from agent.service import Mandat
from agent.staff import accounts, csrf
from agent.staff.accounts import StaffMember
from agent.staff.sessions import COOKIE, ActiveSession, SessionStore
from agent.staff.texts import Texts
from agent.store import models as m
from agent.store.staff_tables import StaffLogin, StaffSession

HERE = Path(__file__).resolve().parent.parent
LOGIN_URL = "/staff/login"
LOGIN_WINDOW_S = 15 * 60.0


class MailTemplates(Protocol):
    """The firm's mail templates (channels.email.templates.EmailTemplates, handed in by the app)."""

    def names(self) -> list[str]: ...
    def spec(self, name: str) -> Any: ...
    def render(self, name: str, lang: str, context: Any) -> Any: ...


@dataclass
class StaffContext:
    service: Mandat
    sessions: SessionStore
    env: Environment
    mail_templates: MailTemplates | None = None
    login_per_account: SlidingWindowLimiter = field(
        default_factory=lambda: SlidingWindowLimiter(5, LOGIN_WINDOW_S))
    login_per_ip: SlidingWindowLimiter = field(default_factory=lambda: SlidingWindowLimiter(20, LOGIN_WINDOW_S))
    # E-mailed sign-in links: a few per address (known or not), more per IP (an office shares one).
    link_per_address: SlidingWindowLimiter = field(default_factory=lambda: SlidingWindowLimiter(3, LOGIN_WINDOW_S))
    link_per_ip: SlidingWindowLimiter = field(default_factory=lambda: SlidingWindowLimiter(20, LOGIN_WINDOW_S))

    @property
    def secure_cookie(self) -> bool:
        return self.service.settings.public_url.startswith("https://")

    @property
    def default_lang(self) -> str:
        return self.service.firm.default_language

    def render(self, name: str, *, lang: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(tx=Texts(lang), lang=lang, firm_name=self.service.firm.name,
                                                  **values)
        return HTMLResponse(html, status_code=status_code)


def make_env() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                       trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Current:
    """The signed-in staff member and their session (its CSRF value goes into every form)."""

    member: StaffMember
    session: ActiveSession

    @property
    def lang(self) -> str:
        return self.member.lang

    @property
    def csrf(self) -> str:
        return self.session.csrf


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class NeedLogin(HTTPException):
    def __init__(self) -> None:
        super().__init__(status.HTTP_303_SEE_OTHER, "Sign in first.", headers={"Location": LOGIN_URL})


def resolve_current(ctx: StaffContext, request: Request) -> Current | None:
    """The session and its staff member, read in one database round (every staff request does this)."""
    key = ctx.sessions.key(request.cookies.get(COOKIE))
    if key is None:
        return None
    # Session row, staff member and login in one query: every staff request pays for this round trip.
    with ctx.service.db.read() as s:
        found = s.execute(select(StaffSession, m.Staff, StaffLogin)
                          .join(m.Staff, m.Staff.id == StaffSession.staff_id)
                          .outerjoin(StaffLogin, StaffLogin.staff_id == StaffSession.staff_id)
                          .where(StaffSession.id == key)).one_or_none()
    if found is None:
        return None
    session, stale = ctx.sessions.check(found[0])
    member = accounts.member_of(found[1], found[2], ctx.default_lang)
    if session is None or not member.has_password:
        return None
    if stale:
        ctx.sessions.touch(session)
    return Current(member, session)


def page_guard(ctx: StaffContext):  # noqa: ANN201 - a FastAPI dependency factory
    """Pages: without a session, 303 to the login page."""

    def current(request: Request) -> Current:
        found = resolve_current(ctx, request)
        if found is None:
            raise NeedLogin()
        return found

    return current


def json_guard(ctx: StaffContext):  # noqa: ANN201
    """Small JSON endpoints (the bell): 401 without a session, so polling never follows a redirect."""

    def current(request: Request) -> Current:
        found = resolve_current(ctx, request)
        if found is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Sign in first.")
        return found

    return current


def check_form(ctx: StaffContext, request: Request, current: Current, form: Any) -> None:
    """A state-changing request: the session's CSRF value in the form and our own Origin, or 403."""
    if not csrf.origin_ok(request, ctx.service.settings.public_url) or \
            not csrf.token_ok(form.get("csrf"), current.csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, Texts(current.lang).forbidden)


def require_admin(current: Current) -> None:
    if not current.member.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, Texts(current.lang).admin_only)


MAX_FORM_BYTES = 64 * 1024


async def read_form(request: Request, *, max_bytes: int = MAX_FORM_BYTES) -> Any:
    """The posted form, refused before parsing when it announces more than ``max_bytes``."""
    try:
        length = int(request.headers.get("content-length") or 0)
    except ValueError:
        length = 0
    if length > max_bytes:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "The form is too large.")
    return await request.form(max_files=1, max_fields=50)


async def posted_form(ctx: StaffContext, request: Request, current: Current, *,
                      max_bytes: int = MAX_FORM_BYTES) -> Any:
    form = await read_form(request, max_bytes=max_bytes)
    check_form(ctx, request, current, form)
    return form


def see_other(url: str) -> Any:
    from fastapi.responses import RedirectResponse

    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
