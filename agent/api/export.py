"""``GET /api/requests/{id}/export``: the request's case export as one ZIP (agent/privacy/export.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.responses import Response

from agent.api.files import content_disposition


def add_export_routes(router: APIRouter, service: object) -> None:
    """Mount on the staff router (its bearer guard applies), before its catch-all route."""

    @router.get("/requests/{request_id}/export", response_class=Response,
                responses={200: {"content": {"application/zip": {}}}, 404: {}})
    def export(request_id: Annotated[str, Path(min_length=1, max_length=32)]) -> Response:
        from agent.privacy.export import ExportError, export_request  # here: privacy reuses agent.api.files

        try:
            data = export_request(service, request_id)
        except ExportError:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No such request.") from None
        return Response(data, media_type="application/zip", headers={
            "Content-Disposition": content_disposition(f"mandat-{request_id}.zip")})
