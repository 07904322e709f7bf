"""A new request from a mail template: its default items are preselected and stay editable; the
invitation can be previewed before anything is created or sent."""


from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from agent.service import RequestError
from agent.staff import accounts, queries, template_defaults
from agent.staff.routes.deps import Current, StaffContext, page_guard, posted_form
from agent.staff.texts import t

MAX_UPLOAD_LABELS = 20


@dataclass(frozen=True)
class Draft:
    template: str = ""
    client_name: str = ""
    client_email: str = ""
    lang: str = "de"
    staff: str = ""
    questionnaires: tuple[str, ...] = ()
    uploads: tuple[str, ...] = ()
    sign: tuple[str, ...] = ()
    send: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _from_form(form: Any) -> Draft:
    uploads = tuple(line.strip()[:200] for line in str(form.get("uploads") or "").splitlines() if line.strip())
    return Draft(template=str(form.get("template") or "")[:100], client_name=str(form.get("client_name") or "")[:200],
                 client_email=str(form.get("client_email") or "").strip()[:320],
                 lang="en" if form.get("lang") == "en" else "de", staff=str(form.get("staff") or "")[:320],
                 questionnaires=tuple(str(q) for q in form.getlist("questionnaire"))[:20],
                 uploads=uploads[:MAX_UPLOAD_LABELS], sign=tuple(str(x) for x in form.getlist("sign"))[:20],
                 send=form.get("send") == "1")


def build(ctx: StaffContext) -> APIRouter:
    router = APIRouter()
    guard = page_guard(ctx)
    service = ctx.service
    mail = ctx.mail_templates

    def template_choices() -> list[tuple[str, str]]:
        return [(tpl.name, tpl.description) for tpl in with_items()]

    def with_items() -> list[template_defaults.ClientTemplate]:
        """Client templates that bring items — as an admin set them in settings, else the firm folder's."""
        return [tpl for tpl in template_defaults.client_templates(mail, service.db, service.firm.id)
                if not tpl.items.empty]

    def with_template(draft: Draft, name: str) -> Draft:
        found = {tpl.name: tpl.items for tpl in with_items()}.get(name)
        if found is None:
            return replace(draft, template="")
        return replace(draft, template=name, questionnaires=found.questionnaires,
                       uploads=tuple(found.upload_labels(draft.lang)), sign=found.sign)

    def sign_templates(lang: str) -> list[tuple[str, str]]:
        from agent.signing_flow import SigningFlow

        return [(tid, tpl.title.get(lang)) for tid, tpl in sorted(SigningFlow(service).templates.items())]

    def page(current: Current, draft: Draft, **values: Any) -> Response:
        lang = current.lang
        qs = [(qid, service.questionnaire(qid).text("title", lang)) for qid in service.questionnaires.ids()]
        return ctx.render("new.html", lang=lang, me=current.member, csrf=current.csrf,
                          bell=queries.bell(service.db, current.member.id), v=draft, templates=template_choices(),
                          questionnaires=qs, sign_templates=sign_templates(lang),
                          staff=accounts.everyone(service.db, ctx.default_lang), **values)

    def preview(draft: Draft, current: Current) -> Any:
        if mail is None:
            return None
        context = {"client_name": draft.client_name, "firm_name": service.firm.name, "staff_name": current.member.name,
                   "items": [{"label": label} for label in _labels(service, draft)], "chat_link": "…/c/…",
                   "first_question": None}
        try:
            return mail.render(draft.template or "invitation", draft.lang, context)
        except Exception as exc:  # a broken template is shown, not a 500
            return type("Preview", (), {"subject": "—", "text": str(exc)})()

    @router.get("/staff/requests/new")
    async def new_form(current: Annotated[Current, Depends(guard)],
                       template: Annotated[str, Query(max_length=100)] = "invitation") -> Response:
        start = Draft(lang=current.lang, staff=current.member.email)
        return await run_in_threadpool(lambda: page(current, with_template(start, template)))

    @router.post("/staff/requests/new")
    async def create(request: Request, current: Annotated[Current, Depends(guard)]) -> Response:
        form = await posted_form(ctx, request, current)
        draft = _from_form(form)
        if form.get("action") == "preview":
            return await run_in_threadpool(lambda: page(current, draft, preview=preview(draft, current)))
        return await run_in_threadpool(_create, current, draft)

    def _create(current: Current, draft: Draft) -> Response:
        try:
            made = service.create_request(
                client_name=draft.client_name, client_email=draft.client_email or None, lang=draft.lang,
                questionnaires=list(draft.questionnaires), uploads=list(draft.uploads), sign=list(draft.sign),
                staff_email=draft.staff or current.member.email, send=draft.send)
        except RequestError as exc:
            return page(current, draft, error=str(exc), status_code=400)
        if draft.send:
            service.outbox.wake()
        return page(current, Draft(lang=current.lang, staff=current.member.email), created_id=made.id,
                    notice=t("created", current.lang, url=made.links.get("chat", "")), status_code=201)

    return router


def _labels(service: Any, draft: Draft) -> list[str]:
    labels = [service.questionnaire(q).text("title", draft.lang) for q in draft.questionnaires
              if q in service.questionnaires.ids()]
    return labels + list(draft.uploads) + list(draft.sign)
