"""Firm settings for admins: logo, description and brand colour (applied at once), the staff list,
and what each mail template brings by default."""


from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from agent.staff import accounts, queries
from agent.staff.branding import MAX_LOGO_BYTES, BrandingError, check_logo, current_branding, save_branding
from agent.staff.routes.deps import Current, StaffContext, page_guard, posted_form, require_admin
from agent.staff.texts import t

MAX_SETTINGS_FORM = MAX_LOGO_BYTES + 64 * 1024


def build(ctx: StaffContext) -> APIRouter:
    router = APIRouter()
    guard = page_guard(ctx)
    service = ctx.service

    def template_items() -> list[tuple[str, list[str]]]:
        mail = ctx.mail_templates
        if mail is None:
            return []
        out = []
        for name in mail.names():
            items = mail.spec(name).items
            listed = list(items.questionnaires) + items.upload_labels("de") + list(items.sign)
            if listed:
                out.append((name, listed))
        return out

    def page(current: Current, *, status_code: int = 200, **values: Any) -> Response:
        return ctx.render("settings.html", lang=current.lang, me=current.member, csrf=current.csrf,
                          bell=queries.bell(service.db, current.member.id), brand=current_branding(service),
                          max_kb=MAX_LOGO_BYTES // 1024, staff=accounts.everyone(service.db, ctx.default_lang),
                          templates=template_items(), status_code=status_code, **values)

    @router.get("/staff/settings")
    async def settings_page(current: Annotated[Current, Depends(guard)]) -> Response:
        require_admin(current)
        return await run_in_threadpool(page, current)

    @router.post("/staff/settings")
    async def save(request: Request, current: Annotated[Current, Depends(guard)]) -> Response:
        require_admin(current)
        form = await posted_form(ctx, request, current, max_bytes=MAX_SETTINGS_FORM)
        upload = form.get("logo")
        logo_bytes = await upload.read(MAX_LOGO_BYTES + 1) if upload is not None and hasattr(upload, "read") else b""

        def apply() -> Response:
            try:
                logo = check_logo(logo_bytes) if logo_bytes else None
                save_branding(service.db, service.firm.id, colour=str(form.get("colour") or ""), logo=logo,
                              description={"de": str(form.get("description_de") or ""),
                                           "en": str(form.get("description_en") or "")})
            except BrandingError as exc:
                return page(current, status_code=400, error=t(exc.code, current.lang, **exc.values))
            return page(current, notice=t("saved", current.lang))

        return await run_in_threadpool(apply)

    return router
