"""A Mandat on a temp data dir behind a real uvicorn server; one per module to keep the tests fast."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import httpx
import pytest

from agent.app import build_service, create_app
from agent.config import load_settings
from agent.messages import Attachment, InboundMessage
from agent.service import Mandat
from tests.agent.api.server import free_port, running

REPO = Path(__file__).resolve().parents[3]
TOKEN = "s3cret"
_ids = count(1)


@dataclass
class Live:
    service: Mandat
    base: str
    client: httpx.Client  # sends the staff token
    anon: httpx.Client  # sends none

    def create(self, **overrides: object) -> dict:
        body = {"client": {"name": "Alex Beispiel", "email": "alex@example.org", "lang": "de"},
                "questionnaires": ["kuendigung"], "uploads": ["Kündigungsschreiben"], "sign": [],
                "staff": "anna.beispiel@beispiel.example", "send": False}
        body.update(overrides)
        resp = self.client.post("/api/requests", json=body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def say(self, request_id: str, text: str, attachments: tuple[Attachment, ...] = ()) -> None:
        n = next(_ids)
        self.service.receive(InboundMessage(channel="webchat", sender=f"link:{request_id}", text=text,
                                            external_id=f"test-{n}", request_id=request_id,
                                            attachments=attachments))


def _live(tmp: Path, staff_token: str | None) -> Iterator[Live]:
    port = free_port()
    settings = load_settings(data_dir=tmp, firm_dir=REPO / "examples" / "demo-firm", staff_token=staff_token,
                             public_url=f"http://127.0.0.1:{port}")
    service = build_service(settings)
    app = create_app(service)
    try:
        with running(app, port) as base, \
                httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {TOKEN}"}) as client, \
                httpx.Client(base_url=base, timeout=30) as anon:
            yield Live(service, base, client, anon)
    finally:
        service.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    yield from _live(tmp_path_factory.mktemp("api"), TOKEN)


@pytest.fixture(scope="module")
def live_off(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    yield from _live(tmp_path_factory.mktemp("api-off"), None)


def small_pdf(text: str = "Kündigung zum 31.12.2026") -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
