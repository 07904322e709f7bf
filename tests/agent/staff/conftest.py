"""The whole app (create_app) behind a real uvicorn server, with two staff members who can sign in."""

from __future__ import annotations

import re
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
from agent.staff.accounts import add_staff, set_password
from tests.agent.api.server import free_port, running

REPO = Path(__file__).resolve().parents[3]
ANNA = "anna.beispiel@beispiel.example"
JONAS = "jonas.muster@beispiel.example"
PASSWORD = "correct horse battery"
TOKEN = "api-s3cret"
_ids = count(1)
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF value in the page"
    return found.group(1)


@dataclass
class Staffed:
    service: Mandat
    base: str
    app: object

    def browser(self) -> httpx.Client:
        """A client that behaves like a browser on our origin (sends Origin, keeps cookies)."""
        return httpx.Client(base_url=self.base, timeout=30, follow_redirects=False, headers={"Origin": self.base})

    def login(self, email: str = ANNA, password: str = PASSWORD) -> httpx.Client:
        client = self.browser()
        page = client.get("/staff/login")
        resp = client.post("/staff/login", data={"email": email, "password": password, "csrf": csrf_of(page.text)})
        assert resp.status_code == 303, resp.text
        return client

    def create(self, name: str = "Alex Beispiel", **extra: object) -> str:
        made = self.service.create_request(client_name=name, client_email=f"c{next(_ids)}@example.org", lang="de",
                                           questionnaires=["kuendigung"], uploads=["Kündigungsschreiben"],
                                           staff_email=ANNA, **extra)
        return made.id

    def say(self, request_id: str, text: str, attachments: tuple[Attachment, ...] = (),
            channel: str = "webchat") -> None:
        n = next(_ids)
        self.service.receive(InboundMessage(channel=channel, sender=f"link:{request_id}", text=text,
                                            external_id=f"staff-test-{n}", request_id=request_id,
                                            attachments=attachments))

    def reset_limits(self) -> None:
        ctx = staff_context(self.app)
        ctx.login_per_account._hits.clear()
        ctx.login_per_ip._hits.clear()


def flat_routes(routes: list) -> list:
    """Every route of the app, also those inside included routers (FastAPI ≥0.16 keeps them nested)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out.extend(flat_routes(inner.routes))
        else:
            out.append(route)
    return out


def staff_context(app: object) -> object:
    def walk(routes: list) -> object | None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                ctx = getattr(inner, "staff_context", None) or walk(inner.routes)
                if ctx is not None:
                    return ctx
        return None

    found = walk(app.routes)  # type: ignore[attr-defined]
    assert found is not None
    return found


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staffed]:
    port = free_port()
    settings = load_settings(data_dir=tmp_path_factory.mktemp("staff"), firm_dir=REPO / "examples" / "demo-firm",
                             public_url=f"http://127.0.0.1:{port}", staff_token=TOKEN)
    service = build_service(settings)
    add_staff(service.db, service.firm.id, ANNA, "Dr. Anna Beispiel", "admin")
    set_password(service.db, ANNA, PASSWORD)
    set_password(service.db, JONAS, PASSWORD, lang="en")
    app = create_app(service)
    try:
        with running(app, port) as base:
            yield Staffed(service, base, app)
    finally:
        service.close()


@pytest.fixture
def staff(staffed: Staffed) -> Staffed:
    staffed.reset_limits()
    return staffed
