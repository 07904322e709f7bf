"""/healthz and /readyz: each readiness check fails on its own cause and names itself; the request id."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from agent.app import create_app
from agent.config import load_settings
from agent.health import HEARTBEATS, Heartbeats, build_health_router, readiness
from agent.service import Mandat
from agent.store import models as m
from tests.conftest import DEMO_FIRM


@pytest.fixture
def client(service: Mandat) -> TestClient:
    return TestClient(create_app(service))


def test_healthz_needs_nothing_but_the_process(client: TestClient, service: Mandat) -> None:
    service.db.engine.dispose()
    service.db.read_engine.dispose()
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    assert resp.headers["cache-control"] == "no-store"  # the security headers, as on every route


def test_readyz_ready_on_a_fresh_service(client: TestClient) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "ready" and body["failing"] == []
    assert set(body["checks"]) == {"database", "files", "outbox", "pollers"}
    assert body["checks"]["outbox"]["lag_s"] == 0.0


def test_readyz_names_an_unreachable_database(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM,
                             database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    service = Mandat.__new__(Mandat)  # no setup: the database is the thing that is down
    service.settings = settings
    from agent.store.db import Database

    service.db = Database(settings.db_url)
    ok, body = readiness(service, heartbeats=Heartbeats())
    assert not ok
    assert body["failing"] == ["database", "outbox"]
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert "nobody" not in str(body), "the probe says what failed, not the connection string"


def test_readyz_names_a_files_dir_that_takes_no_writes(service: Mandat) -> None:
    files = service.settings.files_dir
    files.parent.mkdir(parents=True, exist_ok=True)
    if files.exists():
        import shutil

        shutil.rmtree(files)
    files.write_bytes(b"not a directory")  # what a broken mount looks like to mkdir/open
    app = TestClient(create_app(service))
    resp = app.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["failing"] == ["files"]


def test_readyz_outbox_lag_counts_only_due_rows(service: Mandat) -> None:
    old = datetime.now(UTC) - timedelta(minutes=20)
    with service.db.write() as s:  # waiting out a backoff: not late
        s.add(m.OutboxRow(message_id="lag.1", channel="email", address="x", body={}, created_at=old,
                          not_before=datetime.now(UTC) + timedelta(minutes=5)))
    ok, body = readiness(service, heartbeats=Heartbeats())
    assert ok, body
    with service.db.write() as s:  # due and 20 minutes old: delivery is stuck
        s.add(m.OutboxRow(message_id="lag.2", channel="email", address="x", body={}, created_at=old))
    ok, body = readiness(service, heartbeats=Heartbeats())
    assert not ok and body["failing"] == ["outbox"]
    assert 1190 < body["checks"]["outbox"]["lag_s"] < 1300


def test_readyz_names_a_silent_poller(service: Mandat) -> None:
    now = [1000.0]
    beats = Heartbeats(clock=lambda: now[0])
    beats.beat("imap:client/INBOX", max_age_s=60)
    app = TestClient(_router_app(service, beats))
    assert app.get("/readyz").status_code == 200
    now[0] += 61
    resp = app.get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["failing"] == ["pollers"] and body["checks"]["pollers"]["stale"] == {"imap:client/INBOX": 61.0}
    beats.stop("imap:client/INBOX")  # a poller stopped on purpose is not a failure
    assert app.get("/readyz").status_code == 200


def _router_app(service: Mandat, beats: Heartbeats):  # noqa: ANN202
    from fastapi import FastAPI

    app = FastAPI()
    app.include_router(build_health_router(service, heartbeats=beats))
    return app


def test_the_process_registry_is_what_channels_beat() -> None:
    from agent import health

    health.beat("test-poller", max_age_s=30)
    assert "test-poller" in HEARTBEATS.ages() and not HEARTBEATS.stale()
    health.stopped("test-poller")
    assert "test-poller" not in HEARTBEATS.ages()


def test_every_response_carries_a_request_id_and_logs_carry_it(client: TestClient, service: Mandat,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    from agent.logs import JsonFormatter

    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert first and second and first != second
    assert client.get("/healthz", headers={"X-Request-ID": "lb-42"}).headers["x-request-id"] == "lb-42"
    forged = client.get("/healthz", headers={"X-Request-ID": "a\"b<script>"}).headers["x-request-id"]
    assert forged != "a\"b<script>" and forged.isalnum()
    seen: list[str] = []

    @client.app.get("/_log_probe")  # type: ignore[attr-defined]
    def probe() -> dict[str, str]:
        logging.getLogger("agent.probe").warning("probe for %s", "someone@example.org")
        return {}

    with caplog.at_level(logging.WARNING, logger="agent.probe"):
        rid = client.get("/_log_probe", headers={"X-Request-ID": "req-7"}).headers["x-request-id"]
        seen = [JsonFormatter().format(r) for r in caplog.records if r.name == "agent.probe"]
    assert rid == "req-7" and seen
    assert '"request_id": "req-7"' in seen[0] and "someone@example.org" not in seen[0] and "[email]" in seen[0]
    with service.db.read() as s:  # the probe endpoints wrote nothing
        assert s.execute(text("SELECT COUNT(*) FROM outbox")).scalar() == 0


def test_a_database_outage_is_a_503_with_retry_after(service: Mandat) -> None:
    from sqlalchemy.exc import OperationalError

    app = create_app(service)

    @app.get("/_db_down")
    def down() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    resp = TestClient(app, raise_server_exceptions=False).get("/_db_down")
    assert resp.status_code == 503 and resp.headers["retry-after"] == "5"
    assert resp.json()["error"] == "unavailable" and resp.json()["message_en"]


def test_a_500_carries_the_request_id_too(service: Mandat) -> None:
    app = create_app(service)

    @app.get("/_boom")
    def boom() -> None:
        raise RuntimeError("bug")

    resp = TestClient(app, raise_server_exceptions=False).get("/_boom", headers={"X-Request-ID": "req-500"})
    assert resp.status_code == 500 and resp.headers["x-request-id"] == "req-500"
    assert resp.headers["x-frame-options"] == "DENY"
