"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives."""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes


@dataclass
class SmtpCapture:
    host: str = "127.0.0.1"
    port: int = 0
    user: str | None = None
    password: str | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    # aiosmtpd handler hook
    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        with self._cond:
            self.envelopes.append(Envelope(envelope.mail_from, list(envelope.rcpt_tos), raw))
            self.messages.append(msg)  # type: ignore[arg-type]
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if login == self.user and password == self.password:
                self.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def wait_for(self, n: int, timeout: float = 5.0) -> list[EmailMessage]:
        """Block until at least ``n`` messages arrived; fail the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {n} messages at the SMTP server, got {len(self.messages)}")
                self._cond.wait(remaining)
            return list(self.messages)


@contextlib.contextmanager
def running_smtp(user: str | None = None, password: str | None = None) -> Iterator[SmtpCapture]:
    capture = SmtpCapture(user=user, password=password)
    kwargs: dict = {}
    if user is not None:
        kwargs = {"authenticator": capture.authenticate, "auth_require_tls": False, "auth_required": True}
    port = _free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    capture.port = port
    try:
        yield capture
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpCapture]:
    """aiosmtpd without authentication."""
    with running_smtp() as capture:
        yield capture


@pytest.fixture
def smtp_server_auth() -> Iterator[SmtpCapture]:
    """aiosmtpd that requires AUTH (PLAIN/LOGIN over plain text; user 'mandat', password 'geheim')."""
    with running_smtp(user="mandat", password="geheim") as capture:
        yield capture
