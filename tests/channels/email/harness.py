"""The whole e-mail channel wired to a real service, against real Dovecot and aiosmtpd."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from agent.config import load_settings
from agent.service import Mandat
from agent.store import models as m
from channels.email.wiring import EmailChannel, EmailPlug

DEMO_FIRM = Path(__file__).resolve().parents[3] / "examples" / "demo-firm"
STAFF = "anna.beispiel@beispiel.example"
FIRM = "kanzlei@beispiel.example"


def make_service(data_dir: Path, dovecot: Any, smtp: Any, **overrides: Any) -> Mandat:
    values: dict[str, Any] = dict(
        data_dir=data_dir, firm_dir=DEMO_FIRM, public_url="http://127.0.0.1:8000",
        smtp_host=smtp.host, smtp_port=smtp.port, smtp_tls="none", mail_from=FIRM,
        imap_host=dovecot.host, imap_port=dovecot.port, imap_tls="none", imap_user=dovecot.user,
        imap_password=dovecot.password, notify_digest_minutes=0, reply_cap_per_hour=100,
    )
    values.update(overrides)
    plug = EmailPlug(poll_interval_s=1.0, imap_timeout_s=10)
    service = Mandat(load_settings(**values), ports=plug)
    service.setup()
    return service


def wire(service: Mandat) -> EmailChannel:
    """The channel the service was built with (``make_service``)."""
    assert isinstance(service.assembled_by, EmailPlug)
    channel = service.assembled_by.channel
    assert channel is not None
    channel.notify_interval_s = 0.2
    return channel


@dataclass
class Running:
    service: Mandat
    channel: EmailChannel

    def stop(self) -> None:
        self.channel.stop()
        self.service.close()


def start(service: Mandat, channel: EmailChannel) -> Running:
    service.outbox.start(interval_s=0.2)
    channel.start()
    return Running(service, channel)


def to(smtp: Any, address: str) -> list[EmailMessage]:
    return [msg for msg in list(smtp.messages) if msg["To"].addresses[0].addr_spec == address]


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_for_mails(smtp: Any, address: str, n: int, timeout: float = 10.0) -> list[EmailMessage]:
    return wait_until(lambda: (lambda got: got if len(got) >= n else None)(to(smtp, address)), timeout,
                      f"{n} mails to {address}")


def reply_to(mail: EmailMessage, body: str, *, sender: str, message_id: str | None = None,
             attachments: tuple[tuple[str, bytes, str], ...] = (), **headers: str) -> EmailMessage:
    """What a mail program sends when the client presses "reply" on ``mail``."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail["Reply-To"].addresses[0].addr_spec if mail["Reply-To"] else str(mail["From"])
    subject = str(mail["Subject"])
    msg["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    msg["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[1])
    msg["In-Reply-To"] = mail["Message-ID"]
    msg["References"] = " ".join(filter(None, [mail.get("References"), mail["Message-ID"]]))
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    for filename, content, ctype in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def inbound_rows(service: Mandat) -> list[m.InboundRecord]:
    with service.db.read() as s:
        return list(s.query(m.InboundRecord).order_by(m.InboundRecord.id))


def activities(service: Mandat, kind: str | None = None) -> list[m.Activity]:
    with service.db.read() as s:
        q = s.query(m.Activity).order_by(m.Activity.id)
        if kind:
            q = q.filter(m.Activity.kind == kind)
        return list(q)


def pdf_bytes(text: str = "Unfallskizze Kreuzung") -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def jpeg_bytes(size: tuple[int, int] = (640, 480)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(buf, format="JPEG", quality=85)
    return buf.getvalue()
