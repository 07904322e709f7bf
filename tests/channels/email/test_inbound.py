from channels.email.config import EmailSettings
from channels.email.imap import RawMail
from channels.email.inbound import RequestInfo, make_handler, triage
from channels.email.routing import message_id_for
from tests.channels.email import mails

SETTINGS = EmailSettings(mail_from="kanzlei@beispiel.example", require_dmarc=True, authserv_id="mx.beispiel.example")
OURS = message_id_for("r1", "invitation", 1, domain="beispiel.example")


def lookup(*, token, thread_request_id):
    if token == "tok123" or thread_request_id == "r1":
        return RequestInfo("r1", "Max@Example.org")
    return None


def raw(msg) -> RawMail:
    return RawMail("k@imap", "INBOX", 7, 3, bytes(msg))


AUTH = "mx.beispiel.example; dmarc=pass header.from=example.org"


def test_client_reply_is_delivered_as_inbound_message() -> None:
    d = triage(raw(mails.plain("Ja.\n> alt", In_Reply_To=OURS, Authentication_Results=AUTH)), SETTINGS, lookup)
    assert d.action == "deliver" and d.inbound is not None
    assert d.inbound.request_id == "r1" and d.inbound.text == "Ja."
    assert d.inbound.external_id == "k@imap/INBOX/7/3" and d.inbound.channel == "email"


def test_right_token_foreign_sender_is_quarantined() -> None:
    d = triage(raw(mails.plain("Hallo", sender="mallory@evil.example", Authentication_Results=AUTH)),
               SETTINGS, lookup)
    assert (d.action, d.reason, d.request_id) == ("quarantine", "foreign_sender", "r1")


def test_unknown_sender_to_firm_address_and_missing_dmarc() -> None:
    d = triage(raw(mails.plain("Hallo", to="kanzlei@beispiel.example")), SETTINGS, lookup)
    assert (d.action, d.reason) == ("quarantine", "unknown_request")
    d = triage(raw(mails.plain("Hallo")), SETTINGS, lookup)
    assert (d.action, d.reason) == ("quarantine", "dmarc_fail")


def test_out_of_office_is_ignored_and_handler_reports_stored() -> None:
    seen = []
    handle = make_handler(SETTINGS, lookup, seen.append)
    assert handle(raw(mails.plain("Bin weg", Auto_Submitted="auto-replied"))) is True
    assert (seen[0].action, seen[0].reason) == ("ignore", "auto_reply")
