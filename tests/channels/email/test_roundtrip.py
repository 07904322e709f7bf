"""The channel's pieces together against the real servers: compose → SMTP → client replies into IMAP →
poller → parse → routing finds the request (what the core will do, minus the core)."""

import pytest

from agent.messages import OutboundMessage
from channels.email.compose import build_email
from channels.email.config import EmailSettings
from channels.email.imap import ImapPoller, RawMail
from channels.email.noise import classify_noise
from channels.email.parse import parse_incoming
from channels.email.routing import plus_address, plus_token, request_id_from_thread
from channels.email.smtp import SmtpSender
from tests.channels.email import mails

pytestmark = pytest.mark.slow


def test_invitation_reply_is_routed_back_to_its_request(dovecot, smtp_server) -> None:
    settings = EmailSettings(
        smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_tls="none",
        mail_from="kanzlei@beispiel.example", imap_host=dovecot.host, imap_port=dovecot.port, imap_tls="none",
        imap_user=dovecot.user, imap_password=dovecot.password,
    )
    reply_to = plus_address(settings.reply_base, "tok42")
    out = OutboundMessage(message_id="inv-1", request_id="r42", channel="email", address="max@example.org",
                          text="Wann haben Sie die Kündigung erhalten?", kind="invitation",
                          meta={"subject": "Ihre Unterlagen"})
    SmtpSender(settings).send(build_email(out, firm_name="Kanzlei Beispiel", mail_from=settings.mail_from,
                                          reply_to=reply_to))
    [sent] = smtp_server.wait_for(1)

    answer = mails.plain(
        "Am 28.02.2025.\n\nViele Grüße\nMax\n\nAm 03.03.2025 um 10:12 schrieb Kanzlei Beispiel:\n> Wann?\n",
        to=sent["Reply-To"].addresses[0].addr_spec, subject="Re: Ihre Unterlagen",
        In_Reply_To=sent["Message-ID"], References=sent["Message-ID"],
    )
    answer.add_attachment(mails.PDF, maintype="application", subtype="pdf", filename="Kuendigung.pdf")
    dovecot.append(bytes(answer))

    got: list[RawMail] = []
    poller = ImapPoller(settings, lambda m: got.append(m) is None)
    try:
        assert poller.run_once() == 1
    finally:
        poller.close()
    parsed = parse_incoming(got[0].raw, max_attachment_bytes=settings.max_attachment_bytes)
    assert classify_noise(parsed, settings.own_domains) is None
    assert plus_token(parsed.to_addrs, settings.reply_base) == "tok42"
    assert request_id_from_thread(parsed.message_ids_referenced, settings.own_domains) == "r42"
    assert parsed.text == "Am 28.02.2025."
    assert [a.filename for a in parsed.attachments] == ["Kuendigung.pdf"]
