"""The composition root: builds the service, the HTTP app, and wires every configured channel to it.

``create_app(service)`` is the whole HTTP surface: the staff API (``/api``), the web chat (``/c/…``,
from ``channels.webchat``) and whatever other channels add in ``wire_channels``. Every response
carries the security headers of principle 7, including errors raised outside any route.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.api import build_staff_router
from agent.config import Settings
from agent.health import build_health_router, install_outage_handlers
from agent.logs import RequestIdMiddleware, install_json_logs
from agent.ports import Ports, PortsFactory
from agent.service import Mandat
from agent.store import models as m

log = logging.getLogger(__name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("X-Robots-Tag", "noindex"),
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)


class SecurityHeaders:
    """Pure ASGI (no BaseHTTPMiddleware): streams and SSE pass untouched; our values replace a route's own."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        pairs = list(SECURITY_HEADERS)
        if https:
            pairs.append(("Strict-Transport-Security", "max-age=31536000"))
        self._names = {k.lower().encode("latin-1") for k, _ in pairs}
        self._raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in pairs]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self._names]
                message = {**message, "headers": headers + self._raw}
            await send(message)

        await self.app(scope, receive, send_secured)


class MandatApp(FastAPI):
    """FastAPI whose outermost layer adds the security headers, so even a 500 carries them."""

    secure_https: bool = False

    def build_middleware_stack(self) -> ASGIApp:
        # The request id outside the error handler too, so a 500's response and log lines carry it.
        return SecurityHeaders(RequestIdMiddleware(super().build_middleware_stack()), https=self.secure_https)


async def _readable_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
              for e in exc.errors()]
    message = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in errors)
    # "detail" keeps FastAPI's list shape for clients that parse it; "message" is for people.
    return JSONResponse(status_code=422, content={"detail": errors, "message": message or "invalid request"})


# --------------------------------------------------------------------------- lifecycle
Hook = Callable[[], Any]


def add_lifecycle(app: FastAPI, start: Hook | None = None, stop: Hook | None = None) -> None:
    """Run ``start`` when the server starts and ``stop`` when it stops (stops in reverse order)."""
    app.state.lifecycle.append((start, stop))


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    service: Mandat = app.state.service
    install_redaction: Hook | None = app.state.install_log_redaction
    if install_redaction is not None:
        install_redaction()  # uvicorn has configured its loggers by now
    if logging.getLogger("uvicorn").handlers:  # under uvicorn: JSON lines; a test client keeps its logging
        install_json_logs()  # after the web chat's token filter, which still runs on the records first
    started: list[Hook | None] = []
    try:
        for start, stop in app.state.lifecycle:
            if start is not None:
                await asyncio.to_thread(start)
            started.append(stop)
        service.outbox.start()
        service.scheduler.start()
        yield
    finally:
        await asyncio.to_thread(service.scheduler.stop)
        await asyncio.to_thread(service.outbox.stop)
        for stop in reversed(started):
            if stop is not None:
                try:
                    await asyncio.to_thread(stop)
                except Exception:  # one channel failing to stop must not keep the others running
                    log.exception("stopping a channel failed")


# --------------------------------------------------------------------------- the app
class Wiring:
    """The composition root's ``PortsFactory``: the service's constructor calls it with the service, and it
    builds signing, the e-mail and Telegram channels and (for ``serve``) the FAQ search — each needs the
    service — and returns their ports. It keeps what it built, so ``create_app`` can mount their routes
    and threads."""

    def __init__(self, *, signing: bool = True, email: bool = True, telegram: bool = True,
                 knowledge: bool = False, announce: bool = True) -> None:
        self.wants = {"signing": signing, "email": email, "telegram": telegram, "knowledge": knowledge}
        self.announce = announce
        self.signing: Any = None  # agent.signing_flow.SigningFlow, when the firm has document templates
        self.email: Any = None  # channels.email.wiring.EmailChannel, when SMTP or IMAP is configured
        self.telegram: Any = None  # channels.telegram.TelegramPlug (its ``channel`` None without a token)

    def __call__(self, service: Mandat) -> Ports:
        ports = Ports()
        if self.wants["signing"]:
            from agent.signing_flow import SigningFlow

            flow = SigningFlow(service)
            self.signing = flow if flow.templates else None
            ports = ports.plus(flow.ports())
        if self.wants["email"]:
            from channels.email.wiring import EmailPlug

            email = EmailPlug()
            ports = ports.plus(email(service))
            self.email = email.channel
        if self.wants["telegram"]:
            from channels.telegram import TelegramPlug

            self.telegram = TelegramPlug(announce=self.announce)
            ports = ports.plus(self.telegram(service))
        if self.wants["knowledge"]:
            from agent.knowledge import knowledge_ports

            ports = ports.plus(knowledge_ports(service))  # indexes the FAQ in the background
        return ports

    @property
    def telegram_channel(self) -> Any:
        return self.telegram.channel if self.telegram is not None else None


def build_service(settings: Settings, *, ports: Ports | PortsFactory | None = None) -> Mandat:
    """The service with its ports: by default a ``Wiring`` of signing and every configured channel."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    service = Mandat(settings, ports=Wiring() if ports is None else ports)
    service.setup()
    from agent.privacy.retention import install_purge

    install_purge(service)  # the daily retention purge (docs/privacy.md); runs only where the scheduler runs
    return service


def wiring_of(service: Mandat) -> Wiring:
    """What the ``Wiring`` built for ``service`` (an empty wiring for a service built otherwise)."""
    if isinstance(service.assembled_by, Wiring):
        return service.assembled_by
    return Wiring(signing=False, email=False, telegram=False)


def create_app(service: Mandat, *, cluster: bool = False) -> FastAPI:
    """The HTTP app for one service. /docs and /redoc are off (their UI needs a CDN the CSP forbids);
    the OpenAPI schema is public at /openapi.json — it describes routes, never data. ``cluster``: one of
    several workers (the web chat then relays its events to the streams other workers hold)."""
    app = MandatApp(title="Mandat", version="0.1.0", docs_url=None, redoc_url=None, lifespan=_lifespan,
                    description="Staff API (bearer MANDAT_STAFF_TOKEN) and the client web chat.")
    app.secure_https = service.settings.public_url.startswith("https://")
    app.state.service = service
    app.state.lifecycle = []
    app.state.install_log_redaction = None
    app.add_exception_handler(RequestValidationError, _readable_validation_error)
    app.include_router(build_health_router(service))  # /healthz, /readyz
    install_outage_handlers(app)  # a database outage answers 503 + Retry-After
    _wire_sync(service)
    # The client-facing routes first: routing tries every route in order, and a chat POST comes far more
    # often than a staff page (matching past the staff routes was a tenth of a chat turn's CPU).
    wire_channels(service, app, cluster=cluster)
    app.include_router(build_staff_router(service))
    _wire_staff_pages(service, app)
    return app


def _wire_sync(service: Mandat) -> None:
    """Reminders (a scheduler job) and webhook delivery (an outbox lane) for the running server."""
    from agent.reminders import install_reminders
    from agent.webhooks import install_webhooks

    install_webhooks(service)
    install_reminders(service)


def _wire_staff_pages(service: Mandat, app: FastAPI) -> None:
    """The staff workspace (/staff); it previews invitations with the e-mail channel's templates."""
    from agent.staff import build_staff_pages
    from channels.email.templates import EmailTemplates

    app.include_router(build_staff_pages(service, mail_templates=EmailTemplates(service.settings.firm_dir)))


# --- channels ---
# How to add a channel (email, telegram …): write a ``_wire_<name>(service, app)`` below and call it
# from ``wire_channels``. In it: return early when the channel is not configured (check
# ``service.settings``) and build it in ``Wiring.__call__`` (while the service is constructed):
# ``service.outbox.register("<channel>", sender)`` for outbound messages, and return its ``Ports``
# (invitation senders, link makers). Then mount it here: ``app.include_router(...)`` for HTTP endpoints
# (webhooks); ``add_lifecycle(app, start, stop)`` for pollers and other threads (started after the app
# is up, stopped before the outbox stops). Import the channel inside the function so an unconfigured
# channel costs nothing.
def wire_channels(service: Mandat, app: FastAPI, *, cluster: bool = False) -> None:
    wiring = wiring_of(service)
    _wire_webchat(service, app, cluster=cluster)
    _mount_email(wiring, app)
    _mount_signing(wiring, app)
    if wiring.telegram is not None:
        wiring.telegram.mount(app)  # the webhook route, when configured
    telegram = wiring.telegram_channel
    if telegram is not None:
        app.state.telegram_channel = telegram
        add_lifecycle(app, telegram.start_lenient, telegram.stop_background)


def _mount_signing(wiring: Wiring, app: FastAPI) -> None:
    if wiring.signing is None:
        return
    import portal_fallback  # the firm's sealing key and the /s/{token} page

    portal_fallback.wire(wiring.signing, app)


def _mount_email(wiring: Wiring, app: FastAPI) -> None:
    channel = wiring.email  # None unless MANDAT_SMTP_HOST or MANDAT_IMAP_* are set
    if channel is None:
        return
    app.state.email_channel = channel
    add_lifecycle(app, channel.start, channel.stop)  # IMAP poller (IDLE) and the staff notifier


def _wire_webchat(service: Mandat, app: FastAPI, *, cluster: bool = False) -> None:
    try:
        import channels.webchat as webchat
    except ImportError:  # pragma: no cover - the package exists; its parts may not yet
        webchat = None
    install = getattr(webchat, "install_log_redaction", None)
    if install is None:
        try:
            from channels.webchat.logs import install_log_redaction as install
        except ImportError:
            install = None
    app.state.install_log_redaction = install
    hub_class = getattr(webchat, "WebchatHub", None)
    install_webchat = getattr(webchat, "install_webchat", None)
    if hub_class is None or install_webchat is None:
        log.warning("the web chat is not available (channels.webchat has no routes yet)")
        return
    try:
        state = install_webchat(app, service, hub_class())  # its state is app.state.webchat
    except Exception:  # the staff API and the other channels still serve; the log says why the chat does not
        log.exception("the web chat could not be built")
        return
    app.state.webchat_hub = state.hub
    from channels.webchat.state import register_sender

    if not cluster:
        register_sender(service, state.hub.publish)
        return
    from channels.webchat.relay import relay_for

    relay = relay_for(service, state.hub)  # a reply sent by any worker reaches the stream this one holds
    register_sender(service, relay.publish)
    add_lifecycle(app, relay.start, relay.stop)


# --------------------------------------------------------------------------- make run
DEMO_KEY = "demo.request"


@dataclass(frozen=True)
class DemoLink:
    request_id: str
    url: str
    expires_at: datetime
    created: bool


def ensure_demo_request(service: Mandat, *, out: TextIO | None = None) -> DemoLink:
    """First start: create the demo request; later starts: reissue its chat link. Prints the link."""
    out = out or sys.stdout
    with service.db.read() as s:
        marker = s.get(m.KeyValue, DEMO_KEY)
        request_id = (marker.value or {}).get("request_id") if marker else None
        if request_id and s.get(m.Request, request_id) is None:
            request_id = None
    if request_id:
        reissued = service.reissue_chat_link(request_id)
        assert reissued is not None
        link = DemoLink(request_id, reissued[0], reissued[1], created=False)
    else:
        created = service.create_request(
            client_name="Alex Beispiel", client_email="alex.beispiel@example.org", lang="de",
            questionnaires=["kuendigung"], uploads=["Kündigungsschreiben"],
            staff_email=str(service.firm.staff[0].email), send=False)
        with service.db.write() as s:
            s.merge(m.KeyValue(key=DEMO_KEY, value={"request_id": created.id}))
        link = DemoLink(created.id, created.links["chat"], created.expires_at, created=True)
    bar = "=" * 78
    what = "created" if link.created else "new link issued (the old one is revoked)"
    print(f"\n{bar}\n  Mandat demo — {service.firm.name}: demo request {link.request_id} ({what})\n"
          f"  Open the client's chat:\n\n    {link.url}\n\n"
          f"  valid until {link.expires_at:%Y-%m-%d %H:%M} UTC\n{bar}\n", file=out, flush=True)
    return link


def describe_staff_api(settings: Settings, *, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    base = settings.public_url
    if settings.staff_token:
        print(f"Staff API: ON at {base}/api (Authorization: Bearer $MANDAT_STAFF_TOKEN); "
              f"OpenAPI schema: {base}/openapi.json", file=out, flush=True)
    else:
        print(f"Staff API: OFF (set MANDAT_STAFF_TOKEN to turn it on); OpenAPI schema: {base}/openapi.json",
              file=out, flush=True)


def serve(settings: Settings, *, host: str, port: int, demo: bool = False, workers: int = 1) -> int:
    """One process, or (``workers`` > 1) a supervisor of that many worker processes sharing the socket."""
    import uvicorn

    if "public_url" not in settings.model_fields_set:
        # Without MANDAT_PUBLIC_URL, links point at where this server listens.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        settings.public_url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"
    install_json_logs()  # before the service's background threads log (see worker_app)
    service = build_service(settings, ports=Wiring(knowledge=workers == 1))
    try:
        recovered = service.recover()
        if recovered:
            print(f"Recovered {recovered} message(s) stored but not processed before the last stop.", flush=True)
        if demo:
            ensure_demo_request(service)
            from agent.staff.demo import ensure_demo_staff

            ensure_demo_staff(service)
        describe_staff_api(settings)
        if workers > 1:
            service.close()  # the supervisor only migrates, recovers and watches; the workers serve
            from agent.cluster.supervisor import run_workers

            return run_workers(settings, host=host, port=port, workers=workers)
        app = create_app(service)
        config = uvicorn.Config(app, host=host, port=port, log_level="info", server_header=False)
        uvicorn.Server(config).run()
    finally:
        service.close()
    return 0


def worker_app() -> FastAPI:
    """The app of one worker of ``mandat serve --workers N`` (uvicorn calls this in each process; the
    settings come from the environment the supervisor exported)."""
    from agent.cluster.recovery import schedule_recovery
    from agent.config import load_settings

    # JSON logs before the service starts its background threads: the FAQ indexer's "FAQ index ready"
    # (an operator's and the bench's signal) was dropped when it finished before the app's lifespan ran.
    install_json_logs()
    service = build_service(load_settings(), ports=Wiring(knowledge=True))
    schedule_recovery(service)  # a worker that died mid-turn is replaced, not restarted with the rest
    app = create_app(service, cluster=True)
    app.state.lifecycle.insert(0, (None, service.close))  # stopped last, after every channel
    return app
