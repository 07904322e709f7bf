"""The staff API: create requests, read them, the activity log with unseen markers, stored files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import Response
from starlette.routing import Match

from agent.api import queries
from agent.api.auth import StaffGuard
from agent.api.export import add_export_routes
from agent.api.files import stored_file
from agent.api.schemas import ActivityOut, CreatedOut, CreateRequestIn, RequestSummaryOut, SeenOut
from agent.api.webhooks import build_webhook_router
from agent.service import Mandat, RequestError

RequestId = Annotated[str, Path(min_length=1, max_length=32)]


def build_staff_router(service: Mandat) -> APIRouter:
    guard = StaffGuard(service.settings.staff_token)
    router = APIRouter(prefix="/api", tags=["staff"], dependencies=[Depends(guard)],
                       responses={401: {"description": "Missing or wrong staff token"},
                                  503: {"description": "The staff API is off (no MANDAT_STAFF_TOKEN)"}})

    # Handlers are sync on purpose: the service blocks (SQLite, turns), so they run in the threadpool.
    @router.post("/requests", status_code=status.HTTP_201_CREATED, response_model=CreatedOut,
                 responses={400: {"description": "The request cannot be created as asked"}})
    def create_request(body: CreateRequestIn) -> CreatedOut:
        try:
            created = service.create_request(
                client_name=body.client.name, client_email=body.client.email, lang=body.client.lang,
                questionnaires=body.questionnaires, uploads=body.uploads, sign=body.sign,
                staff_email=body.staff, send=body.send, case_data=body.case_data,
            )
        except RequestError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        return CreatedOut(id=created.id, links=created.links, expires_at=created.expires_at)

    @router.get("/requests/{request_id}", response_model=RequestSummaryOut, responses={404: {}})
    def get_request(request_id: RequestId) -> dict:
        summary = service.request_summary(request_id)
        if summary is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No such request.")
        return summary

    @router.post("/requests/{request_id}/seen", response_model=SeenOut, responses={404: {}})
    def mark_seen(request_id: RequestId) -> SeenOut:
        count = queries.mark_seen(service.db, request_id)
        if count is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No such request.")
        return SeenOut(id=request_id, marked_seen=count, unseen=False)

    @router.get("/activity", response_model=ActivityOut)
    def activity(unseen: bool = False,
                 request_id: Annotated[str | None, Query(max_length=32)] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
        return queries.activity(service.db, unseen_only=unseen, request_id=request_id, limit=limit)

    @router.get("/files/{document_id}", response_class=Response,
                responses={200: {"content": {"application/octet-stream": {}}}, 404: {}})
    def get_file(document_id: Annotated[str, Path(min_length=1, max_length=32)]) -> Response:
        stored = queries.document(service.db, document_id)
        served = stored_file(service.desk.blobs, stored.sha256, stored.filename) if stored is not None else None
        if served is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No such document.")
        return served

    add_export_routes(router, service)  # GET /api/requests/{id}/export (issue 15)

    router.include_router(build_webhook_router(service))  # /api/webhooks (agent/api/webhooks.py)

    @router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                      include_in_schema=False)
    def unknown(rest: str, request: Request) -> None:
        # Reached only with a valid token (the guard runs first): an unknown staff route — or a known
        # one asked with a method it does not take, which is 405 with Allow (HTTP), not 404.
        allowed = _allowed_methods(router, request)
        if allowed:
            raise HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED, "Method not allowed.",
                                headers={"Allow": ", ".join(sorted(allowed))})
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not found.")

    return router


def _allowed_methods(router: APIRouter, request: Request) -> set[str]:
    """The methods this router's declared routes take at the request's path (the catch-all aside). Asked
    through each route's own matching, so routes of included routers (resolved lazily) count too."""
    allowed: set[str] = set()
    routes = [r for r in router.routes if not str(getattr(r, "path", "")).endswith("{rest:path}")]
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in routes):
            allowed.add(method)
    return allowed
