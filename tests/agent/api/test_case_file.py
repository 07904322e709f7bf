"""Issue 13 item 5: GET /api/requests/{id} carries the merged case file built from uploaded letters."""

from __future__ import annotations

from agent.case_file import DocumentSlots, merge_case
from agent.messages import Attachment
from tests.agent.api.conftest import Live
from tests.tools.documents.letters import dismissal


def _upload(live: Live, rid: str, name: str, pdf: bytes) -> None:
    live.say(rid, "", attachments=(Attachment(name, pdf, "application/pdf"),))


def test_uploaded_dismissal_letter_fills_the_case_with_page_and_evidence(live: Live) -> None:
    letter = dismissal(0)
    rid = live.create()["id"]
    _upload(live, rid, "kuendigung.pdf", letter.pdf)
    summary = live.client.get(f"/api/requests/{rid}").json()
    slots = summary["case"]["slots"]
    employer, letter_date = slots["employer.name"], slots["letter_date"]
    assert employer["value"] == letter.truth["employer.name"]
    assert letter_date["value"] == letter.truth["letter_date"]
    doc_id = summary["documents"][0]["id"]
    for slot in (employer, letter_date):
        (source,) = slot["sources"]
        assert source["document_id"] == doc_id and source["filename"] == "kuendigung.pdf"
        assert source["page"] == 1 and source["method"] and 0 < source["confidence"] <= 1
    assert letter.truth["employer.name"] in employer["sources"][0]["evidence"]
    assert "01.03.2026" in letter_date["sources"][0]["evidence"], "dismissal(0) has its date in an info block"
    assert summary["case"]["conflicts"] == []
    assert summary["documents"][0]["facts"], "the existing facts stay beside the slots"
    for slot in slots.values():
        assert letter.client.casefold() not in str(slot["value"]).casefold()


def test_two_letters_that_disagree_produce_a_conflict(live: Live) -> None:
    first, second = dismissal(0), dismissal(1)
    assert first.truth["employer.name"] != second.truth["employer.name"]
    rid = live.create()["id"]
    _upload(live, rid, "erste.pdf", first.pdf)
    _upload(live, rid, "zweite.pdf", second.pdf)
    case = live.client.get(f"/api/requests/{rid}").json()["case"]
    conflicts = {c["slot"]: c["values"] for c in case["conflicts"]}
    assert sorted(conflicts["employer.name"]) == sorted([first.truth["employer.name"], second.truth["employer.name"]])
    assert {s["filename"] for s in case["slots"]["employer.name"]["sources"]} == {"erste.pdf", "zweite.pdf"}


def test_a_slot_extraction_failure_still_uploads_with_no_slots(live: Live, monkeypatch, caplog) -> None:
    def broken(*_args: object, **_kwargs: object) -> dict:
        raise RuntimeError("slot rules broke")

    monkeypatch.setattr("tools.documents.analyse.extract_slots", broken)
    rid = live.create()["id"]
    _upload(live, rid, "kuendigung.pdf", dismissal(2).pdf)
    summary = live.client.get(f"/api/requests/{rid}").json()
    assert len(summary["documents"]) == 1, summary["documents"]
    assert summary["documents"][0]["facts"], "facts are still read when the slot rules fail"
    assert summary["case"] == {"slots": {}, "conflicts": []}
    assert "slot extraction failed" in caplog.text


def test_malformed_layout_lines_from_the_child_give_no_slots() -> None:
    from tools.documents.analyse import _slots

    assert _slots([[1, "x"], ["not", "a", "line"]], "dismissal_letter", "sha", "a.pdf") == {}
    assert _slots([], "dismissal_letter", "sha", "a.pdf") == {}


def test_a_damaged_pdf_leaves_the_case_empty(live: Live) -> None:
    rid = live.create()["id"]
    _upload(live, rid, "kaputt.pdf", dismissal(0).pdf[:400])
    assert live.client.get(f"/api/requests/{rid}").json()["case"] == {"slots": {}, "conflicts": []}


def test_the_client_is_never_a_party_in_the_merged_case() -> None:
    slots = {"parties.claimant": {"value": "Alex Beispiel", "role": "party", "confidence": 0.9, "page": 1},
             "court.name": {"value": "Arbeitsgericht Berlin", "role": "authority", "confidence": 0.9, "page": 1}}
    case = merge_case([DocumentSlots("d1", "ladung.pdf", slots)], client_name="Alex Beispiel")
    assert set(case["slots"]) == {"court.name"}
