"""Issue 4 end to end: invitation → the client's replies by e-mail (with attachments) → the agent's
threaded answers → questionnaire complete → staff summary; against real Dovecot and aiosmtpd."""

from __future__ import annotations

import time

import pytest

from channels.email.routing import request_id_from_message_id
from tests.agent.scripts import VERKEHRSUNFALL_DE
from tests.channels.email import harness as h

pytestmark = pytest.mark.slow

CLIENT = "erika@example.org"


def test_whole_questionnaire_by_email_with_attachments_and_staff_summary(tmp_path, dovecot, smtp_server) -> None:
    service = h.make_service(tmp_path / "var", dovecot, smtp_server)
    run = h.start(service, h.wire(service))
    try:
        created = service.create_request(client_name="Erika Musterfrau", client_email=CLIENT,
                                         questionnaires=["verkehrsunfall"], send=True)
        [invitation] = h.wait_for_mails(smtp_server, CLIENT, 1)
        assert invitation["Auto-Submitted"] == "auto-generated"
        reply_address = invitation["Reply-To"].addresses[0].addr_spec
        assert reply_address.startswith("kanzlei+") and reply_address.endswith("@beispiel.example")
        assert request_id_from_message_id(invitation["Message-ID"], ["beispiel.example"]) == created.id
        text = invitation.get_body(("plain",)).get_content()
        assert "Wie lautet Ihr Vorname?" in text and created.links["chat"] in text
        assert created.links["chat"] in invitation.get_body(("html",)).get_content()

        # First answer with a PDF (reportlab) and a JPEG (Pillow), quoted like a mail program does.
        first = h.reply_to(
            invitation, f"{VERKEHRSUNFALL_DE[0]}\n\nViele Grüße\nErika\n\nAm 03.03.2025 schrieb Kanzlei:\n> Vorname?",
            sender=CLIENT, attachments=(("Unfallskizze.pdf", h.pdf_bytes(), "application/pdf"),
                                        ("Foto.jpg", h.jpeg_bytes(), "image/jpeg")))
        appended = time.monotonic()
        dovecot.append(bytes(first))
        h.wait_until(lambda: h.inbound_rows(service), 2.0, "IDLE to wake the poller within 2 s")
        assert time.monotonic() - appended < 2.0
        answer = h.wait_for_mails(smtp_server, CLIENT, 2)[-1]
        assert answer["In-Reply-To"] == first["Message-ID"]
        refs = answer["References"].split()
        assert refs[0] == invitation["Message-ID"] and refs[-1] == first["Message-ID"]
        assert answer["Auto-Submitted"] == "auto-replied"
        assert answer["Subject"] == first["Subject"]
        assert answer["Reply-To"].addresses[0].addr_spec == reply_address
        assert "Nachname" in answer.get_body(("plain",)).get_content()
        [record] = h.inbound_rows(service)
        assert record.text == "Erika" and record.raw_sha256 and record.meta["message_id"] == first["Message-ID"]

        last = answer
        for n, value in enumerate(VERKEHRSUNFALL_DE[1:], start=3):
            mail = h.reply_to(last, value, sender=CLIENT)
            dovecot.append(bytes(mail))
            last = h.wait_for_mails(smtp_server, CLIENT, n)[-1]
            assert last["In-Reply-To"] == mail["Message-ID"]
        summary = service.request_summary(created.id)
        assert summary is not None and summary["status"] == "complete"
        assert {d["filename"] for d in summary["documents"]} == {"Unfallskizze.pdf", "Foto.jpg"}
        assert any(a["source"]["type"] == "message" for a in summary["answers"])

        staff = h.wait_until(lambda: [m for m in h.to(smtp_server, h.STAFF)
                                      if str(m["Subject"]).startswith("Fragebogen ausgefüllt")], 10,
                             "the staff summary")
        body = staff[0].get_body(("plain",)).get_content()
        assert "Erika Musterfrau" in body and "E-Mail vom" in body
        assert "<table" in staff[0].get_body(("html",)).get_content()
        assert f"/api/requests/{created.id}" in body
        uploads = [m for m in h.to(smtp_server, h.STAFF) if str(m["Subject"]).startswith("Neue Unterlagen")]
        assert len(uploads) == 1 and "Unfallskizze.pdf" in uploads[0].get_body(("plain",)).get_content()
        # Nothing for the staff member ever went to the client, nothing for the client to staff.
        assert all(m["X-Mandat-Kind"] != "notification" for m in h.to(smtp_server, CLIENT))
        assert len(h.to(smtp_server, CLIENT)) == len(VERKEHRSUNFALL_DE) + 1
    finally:
        run.stop()
