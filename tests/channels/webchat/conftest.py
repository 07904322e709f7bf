"""A real uvicorn server on 127.0.0.1 serving the web chat router over a Mandat on a temp data dir."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from agent.config import load_settings
from agent.service import Mandat
from channels.webchat import WebchatHub, WebchatState, install_log_redaction, install_webchat

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
MAX_UPLOAD_MB = 0.5
FAILED_LOOKUPS = 20
RATE_LIMIT = 60


class CSPHeaders:
    """What the app adds globally; here so the page is tested under a strict CSP."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"].append((b"content-security-policy", CSP.encode()))
            await send(message)

        await self.app(scope, receive, with_headers)


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class ChatServer:
    base: str
    service: Mandat
    hub: WebchatHub
    router: WebchatState  # the chat's state on app.state.webchat: its hub and limiters
    logs: Capture
    tokens: list[str] = field(default_factory=list)

    def new_request(self, lang: str = "de", name: str = "Max Mustermann") -> tuple[str, str, str]:
        """(page url on this server, token, request id)"""
        created = self.service.create_request(client_name=name, client_email=f"{time.time_ns()}@example.org",
                                              lang=lang, questionnaires=["kuendigung"],
                                              uploads=["Kündigungsschreiben"])
        token = created.links["chat"].rsplit("/", 1)[1]
        self.tokens.append(token)
        return f"{self.base}/c/{token}", token, created.id

    def reset_limits(self) -> None:
        self.router.lookup_limiter._hits.clear()
        self.router.message_limiter._hits.clear()


@pytest.fixture(scope="package")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    settings = load_settings(data_dir=tmp_path_factory.mktemp("webchat") / "var", firm_dir=REPO / "examples/demo-firm",
                             public_url=base, max_upload_mb=MAX_UPLOAD_MB, failed_lookups_per_minute=FAILED_LOOKUPS,
                             rate_limit_per_minute=RATE_LIMIT)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    service = Mandat(settings)
    service.setup()
    hub = WebchatHub()
    service.outbox.register("webchat", hub.publish)
    app = FastAPI()
    router = install_webchat(app, service, hub, keepalive_s=0.5)
    config = uvicorn.Config(CSPHeaders(app), log_level="info", access_log=True, lifespan="off",
                            timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    capture = Capture()
    for name in ("uvicorn.access", "uvicorn.error", ""):
        logging.getLogger(name).addHandler(capture)
    install_log_redaction()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    service.outbox.start(interval_s=0.2)
    yield ChatServer(base=base, service=service, hub=hub, router=router, logs=capture)
    server.should_exit = True
    thread.join(timeout=10)
    for name in ("uvicorn.access", "uvicorn.error", ""):
        logging.getLogger(name).removeHandler(capture)
    service.close()
    sock.close()


@pytest.fixture
def chat(chat_server: ChatServer) -> ChatServer:
    chat_server.reset_limits()
    return chat_server
