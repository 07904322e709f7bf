"""`POST/GET /api/webhooks`, deliveries in the staff API behind the bearer token, and `mandat webhook`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent.app import build_service, create_app
from agent.cli import main
from agent.config import load_settings
from tests.agent.api.server import free_port, running
from tests.agent.webhooks.receiver import Receiver
from tests.conftest import DEMO_FIRM

TOKEN = "hook-token"


@pytest.fixture
def api(tmp_path: Path, receiver: Receiver) -> Iterator[httpx.Client]:
    port = free_port()
    settings = load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM, staff_token=TOKEN,
                             public_url=f"http://127.0.0.1:{port}", webhook_allow_private=True)
    service = build_service(settings)
    app = create_app(service)  # installs webhook delivery; the lifespan starts the outbox
    try:
        with running(app, port) as base, httpx.Client(base_url=base, timeout=30,
                                                      headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            yield client
    finally:
        service.close()


def test_subscribe_create_and_see_the_delivery(api: httpx.Client, receiver: Receiver) -> None:
    made = api.post("/api/webhooks", json={"url": receiver.url, "events": ["request.created", "message.received"],
                                           "description": "DMS"})
    assert made.status_code == 201, made.text
    body = made.json()
    receiver.secret = body["secret"]
    assert body["secret"].startswith("whsec_") and body["events"] == ["request.created", "message.received"]
    listed = api.get("/api/webhooks").json()
    assert [w["id"] for w in listed] == [body["id"]] and "secret" not in listed[0], "the secret is shown once"
    created = api.post("/api/requests", json={"client": {"name": "Alex Beispiel", "email": "alex@example.org"},
                                              "questionnaires": ["kuendigung"]})
    assert created.status_code == 201
    (event,) = receiver.wait_for(1)  # delivered by the running server's outbox, woken by the commit
    assert event["type"] == "request.created" and event["request_id"] == created.json()["id"]
    assert receiver.deliveries[0].verified
    shown = api.get(f"/api/webhooks/{body['id']}/deliveries").json()
    assert shown["webhook_id"] == body["id"]
    (delivery,) = shown["deliveries"]
    assert delivery["event_id"] == event["id"] and delivery["status"] in ("sending", "sent")
    assert api.get(f"/api/webhooks/{body['id']}/deliveries", params={"status": "failed"}).json()["deliveries"] == []
    assert api.delete(f"/api/webhooks/{body['id']}").status_code == 204
    assert api.get("/api/webhooks").json() == []
    assert api.get(f"/api/webhooks/{body['id']}/deliveries").status_code == 404


def test_bad_subscriptions_are_400_or_422(api: httpx.Client) -> None:
    bad_event = api.post("/api/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["request.deleted"]})
    assert bad_event.status_code == 400 and "unknown event" in bad_event.json()["detail"]
    bad_scheme = api.post("/api/webhooks", json={"url": "ftp://127.0.0.1/", "events": ["*"]})
    assert bad_scheme.status_code == 400 and "http" in bad_scheme.json()["detail"]
    assert api.post("/api/webhooks", json={"url": "http://x.example/", "events": []}).status_code == 422


def test_the_staff_token_is_required(api: httpx.Client) -> None:
    anon = httpx.Client(base_url=str(api.base_url), timeout=30)
    assert anon.get("/api/webhooks").status_code == 401
    assert anon.post("/api/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["*"]}).status_code == 401
    assert anon.get("/api/webhooks/1/deliveries").status_code == 401


def test_private_targets_are_refused_by_default(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    settings = load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM, staff_token=TOKEN)
    service = build_service(settings)
    try:
        client = TestClient(create_app(service), headers={"Authorization": f"Bearer {TOKEN}"})
        refused = client.post("/api/webhooks", json={"url": "http://127.0.0.1:8080/hook", "events": ["*"]})
        assert refused.status_code == 400 and "MANDAT_WEBHOOK_ALLOW_PRIVATE" in refused.json()["detail"]
        assert client.get("/api/webhooks").json() == []
    finally:
        service.close()


def test_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("MANDAT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MANDAT_FIRM_DIR", str(DEMO_FIRM))
    assert main(["webhook", "add", "http://127.0.0.1:9/hook", "--events", "request.created,message.received"]) == 2
    assert "MANDAT_WEBHOOK_ALLOW_PRIVATE" in capsys.readouterr().err
    monkeypatch.setenv("MANDAT_WEBHOOK_ALLOW_PRIVATE", "1")
    assert main(["webhook", "add", "http://127.0.0.1:9/hook", "--events", "request.created,message.received",
                 "document.signed"]) == 0
    out = capsys.readouterr()
    made = json.loads(out.out)
    assert made["secret"].startswith("whsec_") and "not shown again" in out.err
    assert made["events"] == ["request.created", "message.received", "document.signed"]
    assert main(["webhook", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [w["url"] for w in listed] == ["http://127.0.0.1:9/hook"] and "secret" not in listed[0]
    assert main(["webhook", "deliveries", str(made["id"])]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["webhook", "add", "http://127.0.0.1:9/", "--events", "nope"]) == 2
    assert "unknown event" in capsys.readouterr().err
    assert main(["webhook", "remove", str(made["id"])]) == 0
    assert main(["webhook", "remove", str(made["id"])]) == 1
