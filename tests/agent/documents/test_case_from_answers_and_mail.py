"""Issue 13 item 5: the request's `case` lists sources from documents and from the client's answers (answer ->
slot by `from_document`), conflicts between them, and the staff completion mail shows the case data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agent.messages import Attachment
from agent.service import Mandat
from agent.store import models as m
from channels.email.notify import StaffNotifier
from tests.agent.conversation.helpers import say
from tests.agent.scripts import KUENDIGUNG_DE
from tests.tools.documents.letters import dismissal

pytestmark = pytest.mark.slow


def _upload(service: Mandat, rid: str) -> None:
    say(service, rid, "", attachments=(Attachment("kuendigung.pdf", dismissal(0).pdf, "application/pdf"),))


def test_confirmed_proposals_are_answer_sources_of_the_same_slot(service: Mandat) -> None:
    rid = service.create_request(client_name="Max Weber", client_email=None, questionnaires=["kuendigung"]).id
    _upload(service, rid)
    say(service, rid, "Arbeitgeber ist die ACME GmbH, sonst passt alles")
    case = service.request_summary(rid)["case"]
    employer = case["slots"]["employer.name"]
    kinds = {src["type"] for src in employer["sources"]}
    assert kinds == {"document", "answer"}
    answer = next(src for src in employer["sources"] if src["type"] == "answer")
    assert answer["field"] == "employer_name" and answer["value"] == "ACME GmbH" and answer["confirmed"]
    assert employer["value"] == "ACME GmbH", "the client's corrected word is shown"
    conflicts = {c["slot"]: c["values"] for c in case["conflicts"]}
    assert conflicts["employer.name"] == ["ACME GmbH", "Muster Logistik GmbH & Co. KG"]
    received = case["slots"]["letter_date"]
    assert {src["type"] for src in received["sources"]} == {"document", "answer"}
    assert "letter_date" not in conflicts, "the confirmed date agrees with the letter"
    doc_answer = next(src for src in received["sources"] if src["type"] == "answer")
    assert doc_answer["document_id"] == service.request_summary(rid)["documents"][0]["id"]
    assert "dismissal.kind" not in case["slots"] and "notice_type" not in conflicts, "option keys are not compared"


def test_the_staff_completion_mail_shows_the_case_with_its_conflict(service: Mandat) -> None:
    rid = service.create_request(client_name="Max Mustermann", client_email="max@example.org",
                                 questionnaires=["kuendigung"]).id
    _upload(service, rid)
    say(service, rid, "nein")  # take nothing from the letter: the client's own answers follow
    for line in KUENDIGUNG_DE:
        say(service, rid, line)
    assert service.request_summary(rid)["status"] == "complete"
    assert StaffNotifier(service, digest_minutes=0).run_once() >= 1
    with service.db.read() as s:
        bodies = [row.body["text"] for row in s.scalars(select(m.OutboxRow).where(
            m.OutboxRow.request_id == rid, m.OutboxRow.kind == "notification"))]
    mail = next(b for b in bodies if "vollständig beantwortet" in b)
    assert "Falldaten aus Unterlagen und Angaben:" in mail
    assert "Arbeitgeber: ACME GmbH  (Widerspruch: ACME GmbH ≠ Muster Logistik GmbH & Co. KG)" in mail
    assert "kuendigung.pdf, S. 1; Angaben des Mandanten" in mail
    assert "Unterzeichner: Sabine Krüger    Quelle: kuendigung.pdf, S. 1\n" in mail, "a slot only the letter has"
    assert "Versicherungsnummer: RS-123456    Quelle: Angaben des Mandanten" in mail, "a slot only the answers have"
