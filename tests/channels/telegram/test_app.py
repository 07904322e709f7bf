"""The composition root with a Telegram token: the API answers with the deep link, the server runs the bot."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from agent.app import build_service, create_app
from tests.agent.api.server import free_port, running
from tests.channels.telegram.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow


def test_serve_with_a_token_links_and_runs_the_bot(tmp_path: Path, fake: FakeTelegram) -> None:
    port = free_port()
    settings = make_settings(tmp_path, fake, staff_token="s3cret")
    settings.public_url = f"http://127.0.0.1:{port}"
    service = build_service(settings)
    app = create_app(service)
    try:
        with running(app, port) as base, httpx.Client(base_url=base, timeout=30,
                                                      headers={"Authorization": "Bearer s3cret"}) as client:
            resp = client.post("/api/requests", json={
                "client": {"name": "Alex Beispiel", "email": "alex@example.org", "lang": "en"},
                "questionnaires": ["kuendigung"], "uploads": [], "sign": [],
                "staff": "anna.beispiel@beispiel.example", "send": False})
            assert resp.status_code == 201, resp.text
            link = resp.json()["links"]["telegram"]
            assert link.startswith("https://t.me/mandat_test_bot?start=")
            token = link.split("?start=", 1)[1]
            assert len(token) >= 43 and "alex" not in token.lower()  # 256 bits, no personal data
            fake.queue(fake.text(61, f"/start {token}"))
            assert fake.wait(lambda: any(t.startswith("Question 1 of") for t in fake.texts_to(61)), 15), \
                fake.texts_to(61)
            assert fake.texts_to(61)[0].startswith("Welcome!")  # the client's language
            fake.queue(fake.text(61, "Alex"))
            assert fake.wait(lambda: fake.texts_to(61)[-1].startswith("Question 2 of"), 15)
            summary = client.get(f"/api/requests/{resp.json()['id']}").json()
            assert summary["client"]["telegram_chat_id"] == "61"
        assert {c["command"] for c in fake.commands} >= {"status", "help", "stop"}
    finally:
        service.close()


def test_no_token_means_the_channel_is_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from agent.config import load_settings
    from tests.conftest import DEMO_FIRM

    service = build_service(load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM))
    try:
        create_app(service)
        assert "Telegram: OFF" in capsys.readouterr().out
        assert "telegram" not in service.outbox.senders
        created = service.create_request(client_name="A B", client_email=None, questionnaires=["kuendigung"])
        assert "telegram" not in created.links
    finally:
        service.close()


def test_the_signing_link_is_a_url_button(tmp_path: Path, fake: FakeTelegram) -> None:
    settings = make_settings(tmp_path, fake)
    service = build_service(settings)
    app = create_app(service)  # wires the signing page too
    channel = app.state.telegram_channel
    channel.poll_timeout_s = 1.0
    channel.start_background()
    service.outbox.start(interval_s=0.1)
    try:
        created = service.create_request(client_name="Max Mustermann", client_email="max@example.org",
                                         sign=["vollmacht"])
        fake.queue(fake.text(71, "/start " + created.links["telegram"].split("?start=", 1)[1]))
        assert fake.wait(lambda: any("Vollmacht" in t for t in fake.texts_to(71)), 10), fake.texts_to(71)
        fake.queue(fake.text(71, "Wie geht das?"))
        assert fake.wait(lambda: len([m for m in fake.messages_to(71) if m.get("reply_markup")]) >= 2, 10)
        for sent in [m for m in fake.messages_to(71) if m.get("reply_markup")]:
            button = sent["reply_markup"]["inline_keyboard"][-1][0]
            assert button["text"] == "Jetzt unterschreiben" and "/s/" in button["url"]
    finally:
        channel.stop_background()
        channel.close()
        service.close()


def test_a_wrong_token_keeps_the_rest_running(tmp_path: Path, fake: FakeTelegram,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from agent.app import wiring_of
    from agent.config import load_settings
    from tests.conftest import DEMO_FIRM

    settings = load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM, telegram_token="999:wrong",
                             telegram_api_url=fake.url)
    service = build_service(settings)
    try:
        channel = wiring_of(service).telegram_channel
        assert channel is not None
        channel.start_lenient()  # what the server's lifespan calls: logs, does not raise
        assert "Telegram: could not start" in capsys.readouterr().out
        created = service.create_request(client_name="A B", client_email=None, questionnaires=["kuendigung"])
        assert "telegram" not in created.links and "chat" in created.links  # no deep link, request made
        channel.stop_background()
        channel.close()
    finally:
        service.close()
