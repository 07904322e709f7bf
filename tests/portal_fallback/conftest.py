"""A Mandat on a temp data dir behind a real uvicorn server (the app factory, so the real wiring and
security headers), and helpers to read a signing page and post to it."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from agent.app import build_service, create_app
from agent.config import load_settings
from agent.service import Mandat
from agent.signing_flow import SigningFlow
from agent.store import models as m
from tests.agent.api.server import free_port, running

REPO = Path(__file__).resolve().parents[2]
DEMO_FIRM = REPO / "examples" / "demo-firm"
ARTIFACTS = REPO / "test-artifacts"
STAFF_TOKEN = "staff-token-for-signing-tests"


@dataclass
class SignPageData:
    url: str
    token: str
    html: str
    csrf: str
    sha: str


@dataclass
class Live:
    service: Mandat
    flow: SigningFlow
    base: str
    http: httpx.Client

    def create(self, template: str = "vollmacht", *, lang: str = "de", email: str | None = "erika@example.org",
               questionnaires: list[str] | None = None) -> tuple[str, str]:
        """A new request whose opening message carries the signing link; returns (request id, url)."""
        created = self.service.create_request(client_name="Erika Mustermann", client_email=email, lang=lang,
                                              questionnaires=questionnaires or [], sign=[template])
        url = self.sign_url_in_outbox(created.id)
        assert url.startswith(self.service.settings.public_url + "/s/")
        return created.id, url

    def sign_url_in_outbox(self, request_id: str) -> str:
        with self.service.db.read() as s:
            row = s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == request_id,
                                                      m.OutboxRow.kind == "sign_link")
                            .order_by(m.OutboxRow.id.desc())).first()
            assert row is not None, "no signing link was sent"
            link = row.body["link"]
        if link.startswith("sign:"):  # the web chat got a button: press it, as the page does
            link = self.service.fresh_sign_link(request_id, int(link.removeprefix("sign:")))
            assert link is not None
        return link

    def open(self, url: str) -> SignPageData:
        resp = self.http.get(url)
        assert resp.status_code == 200, resp.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', resp.text)
        sha = re.search(r'name="document_sha256" value="([0-9a-f]{64})"', resp.text)
        assert csrf and sha
        return SignPageData(url, url.rsplit("/", 1)[1], resp.text, csrf.group(1), sha.group(1))

    def post(self, page: SignPageData, *, png: bytes | None = None, values: dict[str, Any] | None = None,
             consent: bool = True, sha: str | None = None, csrf: str | None = None,
             headers: dict[str, str] | None = None, typed_name: str = "") -> httpx.Response:
        import json

        data = {"csrf": page.csrf if csrf is None else csrf, "document_sha256": sha or page.sha,
                "consent": "1" if consent else "", "values": json.dumps(values if values is not None else
                                                                      {"ort": "Berlin"}),
                "typed_name": typed_name}
        files = {"signature": ("signature.png", signature_png() if png is None else png, "image/png")}
        return self.http.post(f"{page.url}/sign", data=data, files=files,
                              headers={"Origin": self.base, **(headers or {})})

    def counts(self) -> dict[str, int]:
        """What a refused submit must leave untouched."""
        with self.service.db.read() as s:
            out = {name: s.scalar(select(func.count()).select_from(model)) or 0 for name, model in (
                ("documents", m.Document), ("activities", m.Activity), ("outbox", m.OutboxRow))}
            out["used_links"] = s.scalar(select(func.count()).select_from(m.Link)
                                         .where(m.Link.used_at.is_not(None))) or 0
            out["complete_items"] = s.scalar(select(func.count()).select_from(m.RequestItem)
                                             .where(m.RequestItem.status == "complete")) or 0
            out["versions"] = s.scalar(select(func.sum(m.Request.version))) or 0
        out["blobs"] = sum(1 for p in self.service.settings.files_dir.rglob("*") if p.is_file())
        return out

    def signed_document(self, request_id: str) -> tuple[m.Document, bytes]:
        with self.service.db.read() as s:
            doc = s.scalars(select(m.Document).where(m.Document.request_id == request_id,
                                                     m.Document.origin == "signed")).one()
            s.expunge(doc)
        return doc, self.service.desk.blobs.get(doc.sha256, verify=True)


def signature_png(size: tuple[int, int] = (600, 200), *, ink: bool = True) -> bytes:
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    if ink:
        w, h = size
        draw = ImageDraw.Draw(img)
        points = [(0.07, 0.75), (0.2, 0.2), (0.33, 0.8), (0.47, 0.25), (0.63, 0.75), (0.87, 0.3)]
        draw.line([(x * w, y * h) for x, y in points], fill=(15, 25, 90, 255), width=max(3, h // 30))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def start(tmp: Path, **overrides: Any) -> Iterator[Live]:
    port = free_port()
    overrides.setdefault("staff_token", STAFF_TOKEN)
    settings = load_settings(data_dir=tmp, firm_dir=DEMO_FIRM, public_url=f"http://127.0.0.1:{port}", **overrides)
    service = build_service(settings)
    app = create_app(service)
    flow = app.state.signing
    try:
        with running(app, port) as base, httpx.Client(base_url=base, timeout=60) as http:
            yield Live(service, flow, base, http)
    finally:
        service.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    yield from start(tmp_path_factory.mktemp("sign"))


@pytest.fixture
def make_live(tmp_path: Path) -> Iterator[Callable[..., Live]]:
    """A separate server with its own settings (one per test)."""
    stack: list[Iterator[Live]] = []

    def make(**overrides: Any) -> Live:
        gen = start(tmp_path / f"var{len(stack)}", **overrides)
        stack.append(gen)
        return next(gen)

    yield make
    for gen in reversed(stack):
        for _ in gen:
            pass
