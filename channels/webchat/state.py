"""What the web chat's routes share, built once per app and kept on ``app.state.webchat``.

The routes are plain functions on a stateless router (channels/webchat/routes.py); they reach this
through the typed dependency `chat_state`, never through attributes hung on the router.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from jinja2 import Template

from agent.outbox import Sender
from agent.pages import Branding, page_environment
from agent.ratelimit import SlidingWindowLimiter
from agent.service import Mandat
from channels.webchat.hub import WebchatHub
from channels.webchat.texts import GONE, TOO_MANY

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"


@dataclass(frozen=True)
class Pages:
    """The chat page's template, its static files and the two bilingual notice pages, rendered once."""

    chat: Template
    gone_html: str
    too_many_html: str
    files: dict[str, bytes]
    branding: Branding

    @classmethod
    def load(cls, service: Mandat) -> Pages:
        env = page_environment(HERE / "templates")
        gone = env.get_template("gone.html")
        return cls(chat=env.get_template("chat.html"),
                   gone_html=gone.render(texts=[GONE["de"], GONE["en"]]),
                   too_many_html=gone.render(texts=[TOO_MANY["de"], TOO_MANY["en"]]),
                   files={name: (STATIC / name).read_bytes() for name in ("chat.js", "chat.css")},
                   branding=Branding.of(service.firm))


@dataclass
class WebchatState:
    service: Mandat
    hub: WebchatHub
    pages: Pages
    lookup_limiter: SlidingWindowLimiter  # failed link lookups per client IP
    message_limiter: SlidingWindowLimiter  # posts per link (GETs are not counted)
    keepalive_s: float = 15.0  # a quiet event stream sends a keep-alive (and re-checks its link) this often

    @property
    def max_mb(self) -> str:
        return f"{self.service.settings.max_upload_mb:g}"


def register_sender(service: Mandat, sender: Sender) -> None:
    """The web chat's outbox sender (its hub, or the cross-worker relay): the chat's readers go by the
    outbox table, so its rows settle first (agent/outbox.py)."""
    service.outbox.register("webchat", sender, settle_first=True)


def build_state(service: Mandat, hub: WebchatHub | None = None, *, keepalive_s: float = 15.0) -> WebchatState:
    """Without ``hub`` the chat reuses a hub already registered as the outbox's web-chat sender, or
    creates one and registers it, so the event stream works however the app wires it."""
    if hub is None:
        owner = getattr(service.outbox.senders.get("webchat"), "__self__", None)
        hub = owner if isinstance(owner, WebchatHub) else WebchatHub()
        if not isinstance(owner, WebchatHub):
            register_sender(service, hub.publish)
    settings = service.settings
    return WebchatState(service=service, hub=hub, pages=Pages.load(service), keepalive_s=keepalive_s,
                        lookup_limiter=SlidingWindowLimiter(settings.failed_lookups_per_minute, 60.0),
                        message_limiter=SlidingWindowLimiter(settings.rate_limit_per_minute, 60.0))


def chat_state(request: Request) -> WebchatState:
    return request.app.state.webchat
