"""Firm settings for admins: logo, description and brand colour (applied at once), the staff list,
and what each mail template brings by default."""


from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from agent.staff import accounts, queries, template_defaults
from agent.staff.branding import MAX_LOGO_BYTES, BrandingError, check_logo, current_branding, save_branding
from agent.staff.routes.deps import Current, StaffContext, page_guard, posted_form, require_admin
from agent.staff.texts import t

MAX_SETTINGS_FORM = MAX_LOGO_BYTES + 64 * 1024


def build(ctx: StaffContext) -> APIRouter:
    router = APIRouter()
    guard = page_guard(ctx)
    service = ctx.service

    def choices(lang: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(questionnaire id, title) and (sign template id, title) a template's items are picked from."""
        from agent.signing_flow import SigningFlow

        qs = [(qid, service.questionnaire(qid).text("title", lang)) for qid in service.questionnaires.ids()]
        signs = [(tid, tpl.title.get(lang)) for tid, tpl in sorted(SigningFlow(service).templates.items())]
        return qs, signs

    def page(current: Current, *, status_code: int = 200, **values: Any) -> Response:
        qs, signs = choices(current.lang)
        return ctx.render("settings.html", lang=current.lang, me=current.member, csrf=current.csrf,
                          bell=queries.bell(service.db, current.member.id), brand=current_branding(service),
                          max_kb=MAX_LOGO_BYTES // 1024, staff=accounts.everyone(service.db, ctx.default_lang),
                          templates=template_defaults.client_templates(ctx.mail_templates, service.db,
                                                                       service.firm.id),
                          questionnaires=qs, sign_templates=signs, status_code=status_code, **values)

    def save_defaults(current: Current, name: str, form: Any) -> Response:
        lang = current.lang
        if name not in {tpl.name for tpl in template_defaults.client_templates(ctx.mail_templates, service.db,
                                                                                service.firm.id)}:
            return page(current, status_code=404, error=t("no_template", lang))
        if form.get("action") == "reset":
            template_defaults.reset(service.db, service.firm.id, name)
            return page(current, notice=t("defaults_reset_done", lang, name=name))
        qs, signs = choices(lang)
        try:
            items = template_defaults.Items(
                questionnaires=tuple(str(q) for q in form.getlist("questionnaire")),
                uploads=template_defaults.parse_uploads(str(form.get("uploads") or "")),
                sign=tuple(str(x) for x in form.getlist("sign")))
            template_defaults.save(service.db, service.firm.id, name, items, staff_id=current.member.id,
                                   known_questionnaires={q for q, _ in qs}, known_sign={x for x, _ in signs})
        except template_defaults.DefaultsError as exc:
            return page(current, status_code=400, error=t(exc.code, lang, **exc.values))
        return page(current, notice=t("defaults_saved", lang, name=name))

    @router.post("/staff/settings/templates/{name}")
    async def save_template_defaults(name: Annotated[str, Path(min_length=1, max_length=100)], request: Request,
                                     current: Annotated[Current, Depends(guard)]) -> Response:
        require_admin(current)
        form = await posted_form(ctx, request, current)
        return await run_in_threadpool(save_defaults, current, name, form)

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
