"""Layout-aware slot extraction on generated letters: every slot right, the recipient never a party."""

from __future__ import annotations

import pytest

from tests.tools.documents.letters import corpus, dismissal
from tools.documents.layout import lines_of_pdf
from tools.documents.slots import extract_slots

LETTERS = corpus()


def test_corpus_is_big_and_varied() -> None:
    assert len(LETTERS) >= 40
    assert {letter.doc_type for letter in LETTERS} == {"dismissal_letter", "court_letter", "fine_notice",
                                                       "insurance_letter"}


@pytest.mark.parametrize("letter", LETTERS, ids=lambda letter: letter.name)
def test_slots_match_ground_truth(letter) -> None:
    slots = extract_slots(lines_of_pdf(letter.pdf), letter.doc_type)
    got = {name: slot.value for name, slot in slots.items()}
    assert got == letter.truth, "every slot right, and none the letter does not have"
    for slot in slots.values():
        assert slot.value.casefold() not in letter.client.casefold() or slot.role not in ("opposing_party", "party")
        assert slot.page == 1 and slot.evidence and slot.method and 0 < slot.confidence <= 1
        assert len(slot.bbox) == 4


def test_footer_register_court_is_never_the_sender_or_court() -> None:
    letter = dismissal(0)
    slots = extract_slots(lines_of_pdf(letter.pdf), "dismissal_letter")
    assert "Amtsgericht" not in slots["employer.name"].value
    assert "Geschäftsführer" not in slots["employer.name"].evidence
    court_slots = extract_slots(lines_of_pdf(letter.pdf), "court_letter")
    assert "court.name" not in court_slots, "the Registergericht in a footer is no court writing to the client"


def test_a_rotated_noisy_scan_keeps_sender_and_dates() -> None:
    from tests.tools.documents.letters import scan_image
    from tools.documents.ocr import lines_of_image

    letter = dismissal(1)
    slots = extract_slots(lines_of_image(scan_image(letter, 1)), letter.doc_type)
    assert slots["employer.name"].value == letter.truth["employer.name"]
    assert slots["letter_date"].value == letter.truth["letter_date"]
    assert slots["employer.name"].method == "layout:letterhead" and slots["employer.name"].bbox[1] < 27 * 72 / 25.4
