"""One request: the detail page (opening it marks it seen for this staff member), its files, and the
actions staff take on it."""


from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from agent.api.files import stored_file
from agent.service import Mandat
from agent.staff import actions, detail, previews, queries
from agent.staff.routes.deps import Current, StaffContext, page_guard, posted_form
from agent.staff.texts import t

RequestId = Annotated[str, Path(min_length=1, max_length=32)]
DocumentId = Annotated[str, Path(min_length=1, max_length=32)]


def labeller(service: Mandat) -> detail.Labeller:
    """Questionnaire title and field labels in the staff member's language (the pinned version)."""

    def labels(qid: str, version: int | None, lang: str) -> tuple[str, dict[str, str]]:
        try:
            q = service.questionnaire(qid, version)
        except Exception:  # a questionnaire removed from the firm folder still shows its answers
            return qid, {}
        return q.text("title", lang), {f.id: f.text("label", lang) for f in q.fields}

    return labels


def build(ctx: StaffContext) -> APIRouter:
    router = APIRouter()
    guard = page_guard(ctx)
    service = ctx.service
    labels = labeller(service)

    def show(current: Current, request_id: str, *, notice: str = "", error: str = "",
             status_code: int = 200) -> Response:
        queries.mark_seen(service.db, current.member.id, request_id)
        found = detail.request_detail(service.db, request_id, labels, current.lang)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, t("not_found", current.lang))
        bell = queries.bell(service.db, current.member.id)
        docs = {doc.id: doc for doc in found.documents + found.signed}
        registry = [(qid, labels(qid, None, current.lang)[0]) for qid in service.questionnaires.ids()]
        return ctx.render("detail.html", lang=current.lang, me=current.member, csrf=current.csrf, bell=bell,
                          d=found, docs_by_id=docs, notice=notice, error=error, status_code=status_code,
                          registry=registry)

    @router.get("/staff/requests/{request_id}")
    async def request_page(request_id: RequestId, current: Annotated[Current, Depends(guard)]) -> Response:
        return await run_in_threadpool(show, current, request_id)

    @router.get("/staff/requests/{request_id}/files/{document_id}")
    async def request_file(request_id: RequestId, document_id: DocumentId,
                           current: Annotated[Current, Depends(guard)]) -> Response:
        doc = await run_in_threadpool(detail.document_of, service.db, request_id, document_id)
        served = None
        if doc is not None:  # read through the store: files may be encrypted at rest
            served = await run_in_threadpool(stored_file, service.desk.blobs, doc.sha256, doc.filename,
                                             nosniff=False)
        if served is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No such document.")
        return served

    @router.get("/staff/requests/{request_id}/files/{document_id}/pages/{page}.png")
    async def page_preview(request_id: RequestId, document_id: DocumentId,
                           page: Annotated[int, Path(ge=1, le=previews.MAX_PAGE)],
                           current: Annotated[Current, Depends(guard)],
                           box: Annotated[str | None, Query(max_length=80)] = None) -> Response:
        doc = await run_in_threadpool(detail.document_of, service.db, request_id, document_id)
        body = await run_in_threadpool(_preview, service, doc, page, previews.parse_box(box)) if doc else None
        if body is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, t("not_found", current.lang))
        return Response(body, media_type="image/png")  # the app marks every response no-store

    def action(name: str, run: Callable[[Current, str, object], str]) -> None:
        """A POST that changes the request, then the detail page again with what happened."""

        @router.post(f"/staff/requests/{{request_id}}/{name}", name=f"staff_{name}")
        async def handler(request_id: RequestId, request: Request,
                          current: Annotated[Current, Depends(guard)]) -> Response:
            form = await posted_form(ctx, request, current)
            try:
                notice = await run_in_threadpool(run, current, request_id, form)
            except actions.ActionError as exc:
                code, text = (404 if exc.code == "not_found" else 400), t(exc.code, current.lang)
                return await run_in_threadpool(lambda: show(current, request_id, error=text, status_code=code))
            return await run_in_threadpool(show, current, request_id, notice=notice)

    for name, run in _actions(service).items():
        action(name, run)
    return router


def _preview(service: Mandat, doc: object, page: int, box: previews.Box | None) -> bytes | None:
    """The page's PNG (framed when a box is given), or None when the file or the page is not there."""
    try:
        png = previews.cached_page(service.desk.blobs, doc.sha256, page)  # type: ignore[attr-defined]
    except (previews.NoPreview, ValueError):
        return None
    return (previews.boxed(png, box) if box else None) or png


def _actions(service: Mandat) -> dict[str, Callable[[Current, str, object], str]]:
    def reply(current: Current, request_id: str, form: object) -> str:
        actions.reply_as_staff(service, request_id, current.member, str(form.get("text") or ""))  # type: ignore[attr-defined]
        return t("reply_sent", current.lang)

    def takeover(current: Current, request_id: str, _form: object) -> str:
        if not actions.take_over(service, request_id, current.member):
            raise actions.ActionError("not_found")
        return t("taken_over", current.lang)

    def handback(current: Current, request_id: str, _form: object) -> str:
        if not actions.hand_back(service, request_id, current.member):
            raise actions.ActionError("not_found")
        return t("handed_back", current.lang)

    def reissue(current: Current, request_id: str, _form: object) -> str:
        made = service.reissue_chat_link(request_id)
        if made is None:
            raise actions.ActionError("not_found")
        return t("reissued", current.lang, url=made[0])

    def revoke(current: Current, request_id: str, _form: object) -> str:
        return t("revoked", current.lang, n=service.revoke_links(request_id))

    def sign(current: Current, request_id: str, _form: object) -> str:
        from agent.signing_flow import SigningFlow, SignRefused

        try:
            sent = SigningFlow(service).send_links(request_id)
        except SignRefused:
            raise actions.ActionError("not_found") from None
        return t("sign_sent", current.lang, n=len(sent)) if sent else t("sign_none", current.lang)

    def add_item(current: Current, request_id: str, form: object) -> str:
        get = form.get  # type: ignore[attr-defined]
        kind = str(get("kind") or "")
        ref = str(get("questionnaire") or "") if kind == "questionnaire" else str(get("label") or "")
        added = actions.add_item(service, request_id, current.member, kind, ref)
        return t("item_added", current.lang, ref=added)

    return {"reply": reply, "takeover": takeover, "handback": handback, "reissue": reissue, "revoke": revoke,
            "sign": sign, "items": add_item}
