"""The request list (``/staff``) and the bell's small JSON endpoint."""


from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from agent.staff import queries
from agent.staff.queries import ListFilter
from agent.staff.routes.deps import Current, StaffContext, json_guard, page_guard


def build(ctx: StaffContext) -> APIRouter:
    router = APIRouter()
    guard, jguard = page_guard(ctx), json_guard(ctx)
    db = ctx.service.db

    @router.get("/staff")
    async def request_list(request: Request, current: Annotated[Current, Depends(guard)],
                           who: Annotated[str, Query(max_length=10)] = "all",
                           state: Annotated[str, Query(max_length=10)] = "",
                           q: Annotated[str, Query(max_length=100)] = "",
                           after: Annotated[str | None, Query(max_length=80)] = None) -> Response:
        f = ListFilter(mine=who == "mine", state=state if state in queries.STATES else "", q=q.strip(), cursor=after)
        def read() -> tuple[queries.ListPage, queries.Bell]:
            with db.read() as s:  # one transaction (and one pooled connection) for the page and the bell
                return (queries.list_requests_in(s, db.is_sqlite, current.member.id, f),
                        queries.bell_in(s, current.member.id))

        page, bell = await run_in_threadpool(read)
        base = {"who": "mine" if f.mine else "all", "state": f.state, "q": f.q}
        next_url = f"/staff?{urlencode({**base, 'after': page.next_cursor})}" if page.next_cursor else None
        return ctx.render("list.html", lang=current.lang, me=current.member, csrf=current.csrf, bell=bell,
                          page=page, f=f, next_url=next_url, first_url=f"/staff?{urlencode(base)}")

    @router.get("/staff/bell.json")
    async def bell_json(current: Annotated[Current, Depends(jguard)]) -> Response:
        bell = await run_in_threadpool(queries.bell, db, current.member.id)
        return JSONResponse({"count": bell.count, "shown": bell.shown, "items": [
            {"id": i.id, "request_id": i.request_id, "client": i.client, "kind": i.kind, "summary": i.summary,
             "at": i.at.isoformat(), "unseen": i.unseen} for i in bell.items]})

    return router
