"""The wired channel's guarantees, one pass at a time (no background threads): dedupe, UIDVALIDITY,
crash between processing and sending, quotes, trust, noise, caps, hostile mail, the CLI's --send."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest

from agent.store import models as m
from channels.email.wiring import EmailChannel
from tests.channels.email import harness as h
from tests.channels.email import mails
from tests.channels.email.test_quotes import (
    APPLE_DE,
    APPLE_EN,
    GMAIL_DE,
    GMAIL_EN,
    OUTLOOK_DE,
    OUTLOOK_EN,
    THUNDERBIRD_DE,
    THUNDERBIRD_EN,
)

pytestmark = pytest.mark.slow

CLIENT = "max@example.org"


@dataclass
class Env:
    service: Any
    channel: EmailChannel
    request_id: str
    invitation: EmailMessage
    dovecot: Any
    smtp: Any

    def poll(self) -> int:
        poller = self.channel.make_poller()
        try:
            return poller.run_once()
        finally:
            poller.close()

    def settle(self) -> None:
        """Deliver what is due, tell staff, deliver that too."""
        self.service.outbox.deliver_pending()
        self.channel.notifier.run_once()
        self.service.outbox.deliver_pending()

    def client_mails(self) -> list[EmailMessage]:
        return h.to(self.smtp, CLIENT)

    def staff_mails(self) -> list[EmailMessage]:
        return h.to(self.smtp, h.STAFF)


def make_env(tmp_path, dovecot, smtp, *, service_kw: dict | None = None) -> Env:
    service = h.make_service(tmp_path / "var", dovecot, smtp, **(service_kw or {}))
    channel = h.wire(service)
    created = service.create_request(client_name="Max Mustermann", client_email=CLIENT,
                                     questionnaires=["kuendigung"], send=True)
    service.outbox.deliver_pending()
    [invitation] = h.to(smtp, CLIENT)
    return Env(service, channel, created.id, invitation, dovecot, smtp)


@pytest.fixture
def env(tmp_path, dovecot, smtp_server) -> Iterator[Env]:
    e = make_env(tmp_path, dovecot, smtp_server)
    yield e
    e.service.close()


def test_same_message_twice_is_processed_once(env: Env) -> None:
    raw = bytes(h.reply_to(env.invitation, "Max", sender=CLIENT, message_id="<twice@example.org>"))
    env.dovecot.append(raw)
    env.dovecot.append(raw)
    assert env.poll() == 2
    env.settle()
    assert len(env.client_mails()) == 2  # the invitation and one reply
    assert [r.status for r in h.inbound_rows(env.service)] == ["processed"]


def test_uidvalidity_change_does_not_process_again(tmp_path, dovecot, smtp_server) -> None:
    env = make_env(tmp_path, dovecot, smtp_server, service_kw={"imap_folder": "Kanzlei"})
    try:
        first = bytes(h.reply_to(env.invitation, "Max", sender=CLIENT, message_id="<uv1@example.org>"))
        dovecot.append(first, folder="Kanzlei")
        assert env.poll() == 1
        dovecot.recreate_folder("Kanzlei")  # new UIDVALIDITY: UIDs start at 1 again
        dovecot.append(first, folder="Kanzlei")
        dovecot.append(bytes(h.reply_to(env.invitation, "Mustermann", sender=CLIENT,
                                        message_id="<uv2@example.org>")), folder="Kanzlei")
        assert env.poll() == 2
        env.settle()
        rows = h.inbound_rows(env.service)
        assert [r.meta["message_id"] for r in rows] == ["<uv1@example.org>", "<uv2@example.org>"]
        assert rows[0].external_id.split("/")[-2] != rows[1].external_id.split("/")[-2]
        assert len(env.client_mails()) == 3
    finally:
        env.service.close()


def test_killed_between_processing_and_sending_gives_exactly_one_reply(tmp_path, dovecot, smtp_server) -> None:
    env = make_env(tmp_path, dovecot, smtp_server)
    mail = h.reply_to(env.invitation, "Max", sender=CLIENT)
    dovecot.append(bytes(mail))
    assert env.poll() == 1  # processed and committed; the reply waits in the outbox
    env.service.close()  # "killed": nothing was delivered
    assert len(env.client_mails()) == 1

    service = h.make_service(tmp_path / "var", dovecot, smtp_server)
    try:
        channel = h.wire(service)
        assert service.recover() == 0
        assert channel.make_poller().run_once() == 0  # flagged processed: not fetched again
        service.outbox.deliver_pending()
        service.outbox.deliver_pending()
        replies = h.to(smtp_server, CLIENT)[1:]
        assert len(replies) == 1 and replies[0]["In-Reply-To"] == mail["Message-ID"]
    finally:
        service.close()


QUOTED = [
    (OUTLOOK_DE, "Guten Tag,\n\ndie Kündigung kam am 28.02.2025 per Post."),
    (OUTLOOK_EN, "I received it on 28 February."),
    (GMAIL_DE, "Am 28.02.2025 habe ich sie bekommen."),
    (GMAIL_EN, "On the 28th of February."),
    (APPLE_DE, "Am 28.02.2025."),
    (APPLE_EN, "February 28th."),
    (THUNDERBIRD_DE, "Am 28.02.2025, per Einschreiben."),
    (THUNDERBIRD_EN, "By registered mail on 28 February."),
]


def test_quoted_replies_reach_the_agent_stripped(env: Env) -> None:
    for body, _expected in QUOTED:
        env.dovecot.append(bytes(h.reply_to(env.invitation, body, sender=CLIENT)))
    assert env.poll() == len(QUOTED)
    assert [r.text for r in h.inbound_rows(env.service)] == [e for _b, e in QUOTED]


def test_right_token_with_foreign_from_is_quarantined_and_staff_told(env: Env) -> None:
    env.dovecot.append(bytes(h.reply_to(env.invitation, "Ich bin auch Max", sender="mallory@evil.example")))
    assert env.poll() == 1
    env.settle()
    [row] = h.inbound_rows(env.service)
    assert (row.status, row.result["reason"], row.request_id) == ("quarantined", "foreign_sender", env.request_id)
    assert env.service.history(env.request_id)[-1]["from"] == "agent"  # the agent never saw it
    assert len(env.client_mails()) == 1 and h.to(env.smtp, "mallory@evil.example") == []
    [told] = env.staff_mails()
    assert "mallory@evil.example" in str(told["Subject"])


def test_unknown_sender_to_the_firm_address_gets_nothing_staff_told(env: Env) -> None:
    env.dovecot.append(bytes(mails.plain("Ich brauche einen Anwalt", sender="neu@example.net", to=h.FIRM)))
    assert env.poll() == 1
    env.settle()
    assert h.to(env.smtp, "neu@example.net") == []
    [told] = env.staff_mails()
    assert "neu@example.net" in str(told["Subject"])


@pytest.mark.parametrize("raw", [
    pytest.param(None, id="out-of-office"),
    pytest.param(mails.BOUNCE, id="bounce"),
])
def test_noise_is_recorded_and_never_answered(env: Env, raw: bytes | None) -> None:
    if raw is None:
        raw = bytes(h.reply_to(env.invitation, "Ich bin bis 10.03. nicht im Büro.", sender=CLIENT,
                               Auto_Submitted="auto-replied"))
    env.dovecot.append(raw)
    assert env.poll() == 1
    env.settle()
    [row] = h.inbound_rows(env.service)
    assert row.status == "ignored" and row.raw_sha256
    assert len(env.client_mails()) == 1 and env.staff_mails() == []


def test_attachment_over_the_cap_is_rejected_and_the_client_told(tmp_path, dovecot, smtp_server) -> None:
    env = make_env(tmp_path, dovecot, smtp_server, service_kw={"max_upload_mb": 0.05})
    try:
        big = h.pdf_bytes() + b"%" + b"0" * 80_000
        env.dovecot.append(bytes(h.reply_to(env.invitation, "Max", sender=CLIENT,
                                            attachments=(("Vertrag.pdf", big, "application/pdf"),))))
        assert env.poll() == 1
        env.settle()
        reply = env.client_mails()[-1].get_body(("plain",)).get_content()
        assert "zu groß" in reply, reply
        assert h.activities(env.service, "upload_rejected")
        assert any("Vertrag.pdf" in m.get_body(("plain",)).get_content() for m in env.staff_mails())
    finally:
        env.service.close()


def test_malformed_mime_is_stored_and_reported_without_crash(env: Env) -> None:
    env.dovecot.append(mails.MALFORMED)
    env.dovecot.append(bytes(h.reply_to(env.invitation, "Max", sender=CLIENT)))
    assert env.poll() == 2  # the next mail is still handled
    env.settle()
    bad, good = h.inbound_rows(env.service)
    assert bad.status == "quarantined" and bad.result["reason"].startswith("malformed") and bad.raw_sha256
    assert env.service.desk.blobs.exists(bad.raw_sha256)
    assert good.status == "processed"
    assert env.staff_mails()


def test_five_megabyte_html_only_mail(env: Env) -> None:
    para = "<p>Max</p>" + "<div><p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p></div>" * 80_000
    msg = h.reply_to(env.invitation, "x", sender=CLIENT)
    msg.set_content(para, subtype="html")
    raw = bytes(msg)
    assert len(raw) > 5_000_000
    env.dovecot.append(raw)
    assert env.poll() == 1
    env.settle()
    [row] = h.inbound_rows(env.service)
    assert row.status == "processed" and row.text.startswith("Max")
    assert len(env.client_mails()) == 2


def _settle_all(env: Env) -> None:
    for _ in range(3):  # settle until every row is sent or failed
        env.settle()
        with env.service.db.write() as s:  # skip the dispatcher's backoff wait
            s.query(m.OutboxRow).update({m.OutboxRow.not_before: None})


def test_reply_cap_stops_a_loop_but_not_staff_mail(tmp_path, dovecot, smtp_server) -> None:
    """Issue 12: the cap is a loop guard. An auto-responder without Auto-Submitted repeats itself; after
    two mails in a row without a new human message the client gets one final mail (when, chat link)."""
    env = make_env(tmp_path, dovecot, smtp_server, service_kw={"reply_cap_per_hour": 2})
    try:
        for _ in range(5):
            env.dovecot.append(bytes(h.reply_to(env.invitation, "Ich bin bis 10.3. nicht im Büro.",
                                                sender=CLIENT)))
        assert env.poll() == 5
        _settle_all(env)
        mails = env.client_mails()
        assert len(mails) == 5  # invitation + three replies + the one final mail
        final = mails[-1].get_body(("plain",)).get_content()
        assert "Antwortschleife" in final and "http://127.0.0.1:8000/c/" in final and " ab " in final
        with env.service.db.read() as s:
            failed = s.query(m.OutboxRow).filter(m.OutboxRow.status == "failed").all()
        assert len({r.inbound_id for r in failed}) == 2  # the fourth and fifth; one final mail only
        assert all(r.error.startswith("reply cap") for r in failed)
        assert h.activities(env.service, "reply_capped") and h.activities(env.service, "loop_guard_notice")
        assert any("Antwortlimit" in m.get_body(("plain",)).get_content() for m in env.staff_mails())
    finally:
        env.service.close()


def test_reply_cap_never_limits_a_working_conversation(tmp_path, dovecot, smtp_server) -> None:
    env = make_env(tmp_path, dovecot, smtp_server, service_kw={"reply_cap_per_hour": 2})
    try:
        for text in ("Max", "Mustermann", "3. April 1980", "Musterstraße 12, 10115 Berlin"):
            env.dovecot.append(bytes(h.reply_to(env.invitation, text, sender=CLIENT)))
        assert env.poll() == 4
        _settle_all(env)
        assert len(env.client_mails()) == 5  # every new human message is answered
        assert not h.activities(env.service, "reply_capped")
    finally:
        env.service.close()


def test_cli_request_create_send_delivers_the_invitation(tmp_path, dovecot, smtp_server, monkeypatch,
                                                         capsys) -> None:
    from agent.cli import main

    env = {"MANDAT_DATA_DIR": str(tmp_path / "var"), "MANDAT_FIRM_DIR": str(h.DEMO_FIRM),
           "MANDAT_SMTP_HOST": smtp_server.host, "MANDAT_SMTP_PORT": str(smtp_server.port),
           "MANDAT_SMTP_TLS": "none", "MANDAT_MAIL_FROM": h.FIRM}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    assert main(["request", "create", "--client-name", "Max Mustermann", "--client-email", CLIENT,
                 "--questionnaire", "kuendigung", "--send"]) == 0
    created = json.loads(capsys.readouterr().out)
    [invitation] = h.to(smtp_server, CLIENT)
    assert created["links"]["chat"] in invitation.get_body(("plain",)).get_content()
    assert invitation["X-Mandat-Kind"] == "invitation"
