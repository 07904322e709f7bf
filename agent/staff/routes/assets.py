"""The staff pages' CSS and script, and the branding every page reads (colours and logo are public)."""


from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from agent.staff.branding import brand_css, current_branding
from agent.staff.routes.deps import HERE, StaffContext


def build(ctx: StaffContext) -> APIRouter:
    router = APIRouter()
    files = {name: (HERE / "static" / name).read_bytes() for name in ("staff.css", "staff.js")}

    def static(body: bytes, media_type: str, max_age: int = 300) -> Response:
        return Response(body, media_type=media_type, headers={"Cache-Control": f"public, max-age={max_age}"})

    @router.get("/static/staff/staff.css")
    async def stylesheet() -> Response:
        return static(files["staff.css"], "text/css; charset=utf-8")

    @router.get("/static/staff/staff.js")
    async def script() -> Response:
        return static(files["staff.js"], "text/javascript; charset=utf-8")

    @router.get("/static/brand/brand.css")
    async def brand() -> Response:
        current = await run_in_threadpool(current_branding, ctx.service)
        return static(brand_css(current), "text/css; charset=utf-8", max_age=0)

    @router.get("/static/brand/logo")
    async def logo() -> Response:
        current = await run_in_threadpool(current_branding, ctx.service)
        if current.logo is None:
            return Response(status_code=404)
        return static(current.logo, current.logo_type or "application/octet-stream", max_age=0)

    return router
