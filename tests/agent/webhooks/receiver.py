"""A real webhook receiver on 127.0.0.1 for tests and the benchmark: verifies Mandat-Signature the way a
firm's system would, answers with scripted status codes, and can go down and come back on its port."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify(secret: str, header: str, body: bytes, *, tolerance_s: float = 300) -> bool:
    """Stripe-style check: t within tolerance, v1 equal to HMAC-SHA256(secret, "t.body")."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        stamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return abs(time.time() - stamp) <= tolerance_s and hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass
class Delivery:
    event: dict[str, Any]
    headers: dict[str, str]
    body: bytes
    verified: bool
    status: int
    at: float


@dataclass
class Receiver:
    secret: str = ""
    answer: Callable[[dict[str, Any]], int] = field(default=lambda _event: 200)
    deliveries: list[Delivery] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/mandat"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def setup(self) -> None:
                super().setup()
                # Headers and body leave in separate writes; without this Nagle + delayed ACK add 40 ms.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                event = json.loads(body)
                status = receiver.answer(event)
                ok = verify(receiver.secret, self.headers.get("Mandat-Signature", ""), body)
                with receiver._lock:
                    receiver.deliveries.append(Delivery(event, dict(self.headers), body, ok, status, time.time()))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def accepted(self) -> list[dict[str, Any]]:
        with self._lock:
            return [d.event for d in self.deliveries if 200 <= d.status < 300]

    def wait_for(self, count: int, timeout_s: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = self.accepted()
            if len({e["id"] for e in got}) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"expected {count} accepted events, got {len(self.accepted())}")
