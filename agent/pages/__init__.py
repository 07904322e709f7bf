"""What every client page (the web chat, the signing page, their link-gone pages) shares: the base
layout (templates/base.html, Jinja2 inheritance), the firm's branding as static files, the link
headers on every answer, and the way a dependency refuses a request.

Each page package keeps its own templates and routes; it builds its environment with
`page_environment(its_templates_dir)` so that `{% extends "base.html" %}` finds the layout here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from agent.colour import on_colour
from agent.firm import Firm

HERE = Path(__file__).resolve().parent
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".webp": "image/webp"}


class Refused(Exception):
    """Raised by a route's dependency (bad link, rate limit, body too large …): `response` is the answer.
    The page routers' route class turns it into that response, with the link headers."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def secure_route(headers: Mapping[str, str]) -> type[APIRoute]:
    """A route class that answers a `Refused` with its response and adds `headers` to every answer (also
    when the router runs outside the main app: tests, embedding). A header a route set itself wins."""

    class SecureRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
            handler = super().get_route_handler()

            async def secured(request: Request) -> Response:
                try:
                    response = await handler(request)
                except Refused as refused:
                    response = refused.response
                for name, value in headers.items():
                    response.headers.setdefault(name, value)
                return response

            return secured

    return SecureRoute


def page_environment(templates: Path) -> Environment:
    """Jinja2 for a page package: its own templates first, then the shared layout; everything escaped."""
    loader = ChoiceLoader([FileSystemLoader(templates), FileSystemLoader(HERE / "templates")])
    return Environment(loader=loader, autoescape=select_autoescape(default=True), trim_blocks=True,
                       lstrip_blocks=True)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def static_response(body: bytes, media_type: str) -> Response:
    """A page's own script, style or logo: cacheable for a few minutes (they carry no secret)."""
    return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=300"})


@dataclass(frozen=True)
class Branding:
    """The firm's colour as a style sheet, its logo and description, as shown now."""

    css: bytes
    logo: bytes | None
    logo_type: str
    description: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, firm: Firm) -> Branding:
        """The firm folder's seed (for the notice pages, which must not touch the database)."""
        css = f":root{{--brand:{firm.colour};--on-brand:{on_colour(firm.colour)}}}\n".encode()
        path = firm.logo_path()
        logo = path.read_bytes() if path is not None and path.is_file() else None
        logo_type = LOGO_TYPES.get(path.suffix.lower(), "application/octet-stream") if path is not None else ""
        return cls(css=css, logo=logo, logo_type=logo_type)

    @classmethod
    def now(cls, service: Any) -> Branding:
        """What an admin set in /staff/settings, else the firm folder's seed — read per request (cheap, one
        primary-key read) so that a change shows at once on every page. ``service``: agent.service.Mandat."""
        from agent.staff.branding import brand_css, current_branding

        brand = current_branding(service)
        return cls(css=brand_css(brand), logo=brand.logo, logo_type=brand.logo_type or "application/octet-stream",
                   description=brand.description)

    def description_in(self, lang: str) -> str:
        return self.description.get(lang) or next(iter(self.description.values()), "")

    def css_response(self) -> Response:
        return static_response(self.css, "text/css; charset=utf-8")

    def logo_response(self) -> Response:
        if self.logo is None:
            return Response(status_code=404)
        return static_response(self.logo, self.logo_type)
