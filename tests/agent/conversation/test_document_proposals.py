"""Issue 13 item 4: an uploaded letter proposes the mapped answers in one message; the client confirms,
corrects, or settles a conflict — through the service's one entry point (Mandat.receive)."""

from __future__ import annotations

from typing import Any

import pytest

from agent.messages import Attachment
from agent.service import Mandat
from tests.agent.conversation.helpers import say, texts
from tests.tools.documents.letters import dismissal

pytestmark = pytest.mark.slow


def _request(service: Mandat, lang: str = "de") -> str:
    return service.create_request(client_name="Max Weber", client_email=None, lang=lang,
                                  questionnaires=["kuendigung"]).id


def _answers(service: Mandat, rid: str) -> dict[str, dict[str, Any]]:
    return {a["field"]: a for a in service.request_summary(rid)["answers"]}


def _upload(service: Mandat, rid: str, i: int = 0, text: str = "") -> str:
    letter = dismissal(i)
    return texts(say(service, rid, text, attachments=(Attachment("kuendigung.pdf", letter.pdf, "application/pdf"),)))


def test_upload_proposes_everything_in_one_message_and_yes_stores_it_with_provenance(service: Mandat) -> None:
    rid = _request(service)
    reply = _upload(service, rid)
    proposal = next(line for line in reply.split("\n") if "übernommen" in line)
    assert proposal.startswith("Ich habe aus Ihrem Schreiben „kuendigung.pdf“ übernommen: Arbeitgeber Muster Logistik")
    for part in ("Anschrift des Arbeitgebers Hafenstraße 1", "Zugang der Kündigung 1. März 2026 (Datum des Schreibens)",
                 "Art der Kündigung ordentliche Kündigung", "Ende laut Kündigung 1. Juni 2026"):
        assert part in proposal, proposal
    assert proposal.endswith("stimmt das?") and reply.count("stimmt das?") == 1, "one message, not one per field"
    assert _answers(service, rid) == {}, "nothing counts before the client confirms"

    after = texts(say(service, rid, "passt"))
    assert "Vorname" in after, "then the questionnaire goes on where it was"
    answers = _answers(service, rid)
    doc_id = service.request_summary(rid)["documents"][0]["id"]
    assert answers["employer_name"]["value"] == "Muster Logistik GmbH & Co. KG"
    assert answers["employer_address"]["value"]["postal_code"] == "20457"
    assert answers["dismissal_kind"]["value"] == "ordinary" and answers["notice_end"]["value"] == "2026-06-01"
    received = answers["dismissal_received"]
    assert received["value"] == "2026-03-01" and received["method"] == "document" and received["confirmed"]
    assert received["source"] == {"type": "document", "id": doc_id, "page": 1}
    assert "01.03.2026" in received["raw_text"], "the evidence line from the letter"
    notes = [a for a in service.request_summary(rid)["activity"] if a["kind"] == "document_answer"]
    assert {n["data"]["field"] for n in notes} >= {"employer_name", "dismissal_received"}
    assert all(n["data"]["method"] and n["data"]["slot"] for n in notes), "extraction method and slot are kept"

    say(service, rid, "Max")
    say(service, rid, "Weber")
    asked = texts(say(service, rid, "3.4.1980"))
    assert "Anschrift" in asked and "Arbeitgeber" not in asked


def test_a_correction_is_taken_and_shown_once_more_before_storing(service: Mandat) -> None:
    rid = _request(service)
    _upload(service, rid)
    again = texts(say(service, rid, "Zugang ist der 3.3.2026"))
    assert "geändert" in again and "Zugang der Kündigung 3. März 2026" in again and "stimmt das?" in again
    assert _answers(service, rid) == {}
    say(service, rid, "ja")
    answers = _answers(service, rid)
    assert answers["dismissal_received"]["value"] == "2026-03-03"
    assert answers["dismissal_received"]["method"] == "parser", "the client's value, not the document's"
    assert answers["dismissal_received"]["raw_text"] == "Zugang ist der 3.3.2026"
    assert answers["employer_name"]["method"] == "document"


def test_a_correction_with_the_rest_confirmed_needs_no_second_round(service: Mandat) -> None:
    rid = _request(service)
    _upload(service, rid, 1)
    reply = texts(say(service, rid, "Arbeitgeber ist die Bäckerei Schmidt GmbH, sonst passt alles"))
    assert "Vorname" in reply
    answers = _answers(service, rid)
    assert answers["employer_name"]["value"] == "Bäckerei Schmidt GmbH"
    assert answers["dismissal_kind"]["value"] == "extraordinary"
    assert "notice_end" not in answers, "a summary dismissal has no end date to ask (condition)"


def test_no_takes_nothing_and_an_unclear_reply_asks_again(service: Mandat) -> None:
    rid = _request(service)
    _upload(service, rid)
    unclear = texts(say(service, rid, "hmm vielleicht"))
    assert "Datum ist der 3.4." in unclear and "stimmt das?" in unclear
    reply = texts(say(service, rid, "nein"))
    assert "einzeln" in reply and "Vorname" in reply
    assert _answers(service, rid) == {}


def test_a_conflict_with_an_earlier_answer_is_asked_never_overwritten(service: Mandat) -> None:
    rid = _request(service)
    for line in ["Max", "Weber", "3.4.1980", "Musterstraße 12, 10115 Berlin", "max@example.org", "überspringen",
                 "ACME GmbH"]:
        say(service, rid, line)
    reply = _upload(service, rid)
    assert "Anschrift des Arbeitgebers" in reply and "Arbeitgeber Muster" not in reply.split("stimmt das?")[0]
    conflict = texts(say(service, rid, "ja"))
    assert _answers(service, rid)["employer_name"]["value"] == "ACME GmbH", "not overwritten by the bundle"
    assert "Sie hatten ACME GmbH angegeben" in conflict and "Muster Logistik GmbH & Co. KG" in conflict
    unclear = texts(say(service, rid, "hm"))
    assert "eine der beiden" in unclear and "Sie hatten ACME GmbH angegeben" in unclear
    kept = texts(say(service, rid, "ACME GmbH"))
    assert "bleibt bei ACME GmbH" in kept
    assert _answers(service, rid)["employer_name"]["value"] == "ACME GmbH"


def test_a_conflict_settled_for_the_document_takes_its_value(service: Mandat) -> None:
    rid = _request(service)
    for line in ["Max", "Weber", "3.4.1980", "Musterstraße 12, 10115 Berlin", "max@example.org", "überspringen",
                 "ACME GmbH"]:
        say(service, rid, line)
    _upload(service, rid)
    say(service, rid, "ja")
    say(service, rid, "Muster Logistik GmbH & Co. KG")
    employer = _answers(service, rid)["employer_name"]
    assert employer["value"] == "Muster Logistik GmbH & Co. KG" and employer["source"]["type"] == "document"


def test_english_client_gets_the_proposal_in_english(service: Mandat) -> None:
    rid = _request(service, "en")
    reply = _upload(service, rid)
    assert "I have taken from your letter “kuendigung.pdf”: Employer Muster Logistik" in reply
    assert "(date of the letter)" in reply and "is that correct?" in reply
    say(service, rid, "yes")
    assert _answers(service, rid)["employer_name"]["method"] == "document"
