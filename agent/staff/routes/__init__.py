"""``build_staff_pages(service)``: every staff route, each module one part of the workspace."""

from __future__ import annotations

from fastapi import APIRouter

from agent.service import Mandat
from agent.staff.routes import assets, auth, create, listing, magic_link, request_page, settings
from agent.staff.routes.deps import MailTemplates, StaffContext, make_env
from agent.staff.sessions import SessionStore


def build_staff_pages(service: Mandat, *, mail_templates: MailTemplates | None = None,
                      sessions: SessionStore | None = None) -> APIRouter:
    ctx = StaffContext(service=service, sessions=sessions or SessionStore(service.db), env=make_env(),
                       mail_templates=mail_templates)
    router = APIRouter(include_in_schema=False)
    for part in (assets, auth, magic_link, listing, create, request_page, settings):
        router.include_router(part.build(ctx))
    router.staff_context = ctx  # type: ignore[attr-defined]  # tests reach the limiters through it
    return router
