"""What the signing page's routes share, built once per app and kept on ``app.state.sign_page``.

The routes are plain functions on a stateless router (portal_fallback/routes.py); they reach this
through the typed dependency `sign_state`, never through attributes hung on the router.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request
from jinja2 import Template

from agent.firm import Firm
from agent.pages import Branding, page_environment
from agent.ratelimit import SlidingWindowLimiter
from agent.service import Mandat
from agent.signing_flow import SigningFlow
from portal_fallback.renders import Renders

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
SUBMITS_PER_MINUTE = 30


@dataclass(frozen=True)
class Pages:
    sign: Template
    notice: Template
    files: dict[str, bytes]
    branding: Branding

    @classmethod
    def load(cls, firm: Firm) -> Pages:
        env = page_environment(HERE / "templates")
        return cls(sign=env.get_template("sign.html"), notice=env.get_template("notice.html"),
                   files={name: (STATIC / name).read_bytes() for name in ("sign.js", "sign.css")},
                   branding=Branding.of(firm))


@dataclass
class SignState:
    """The signing flow (the core's door for signing: frozen SignPage/Signed views, no ORM here), the
    page's templates, its limiters (failed lookups per IP, posts per link) and the public origin."""

    flow: SigningFlow
    firm: Firm
    pages: Pages
    lookup_limiter: SlidingWindowLimiter
    submit_limiter: SlidingWindowLimiter
    renders: Renders
    public_origin: str


def build_sign_state(service: Mandat, flow: SigningFlow) -> SignState:
    settings, firm = service.settings, service.firm
    public = urlsplit(settings.public_url)
    state = SignState(flow=flow, firm=firm, pages=Pages.load(firm),
                      lookup_limiter=SlidingWindowLimiter(settings.failed_lookups_per_minute),
                      submit_limiter=SlidingWindowLimiter(SUBMITS_PER_MINUTE), renders=Renders(),
                      public_origin=f"{public.scheme}://{public.netloc}".lower())
    return state


def sign_state(request: Request) -> SignState:
    return request.app.state.sign_page
