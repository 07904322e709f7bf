"""Scanned letters get role slots too: Tesseract's word boxes become positioned lines (issue 13 item 2)."""

from __future__ import annotations

import pytest

from tests.tools.documents.letters import court, dismissal, scan_pdf, scan_png
from tools.documents import analyse_document

pytestmark = pytest.mark.slow


def test_a_scanned_pdf_without_text_layer_fills_sender_and_dates() -> None:
    letter = dismissal(3)
    result = analyse_document(scan_pdf(letter, 7))
    assert result.error is None and result.pages[0].method == "ocr"
    slots = result.slots
    assert slots["employer.name"].value == letter.truth["employer.name"]
    assert slots["letter_date"].value == letter.truth["letter_date"]
    assert slots["termination_date"].value == letter.truth["termination_date"]
    assert slots["employer.name"].method == "layout:letterhead" and slots["employer.name"].page == 1
    assert letter.client.split()[0] not in slots["employer.name"].value, "the recipient is never the employer"


def test_a_photographed_page_turned_sideways_is_read_upright_and_gets_slots() -> None:
    letter = court(2)
    result = analyse_document(scan_png(letter, 11, turn=90))
    assert result.error is None and result.kind == "png"
    assert result.slots["court.name"].value == letter.truth["court.name"]
    assert result.slots["file_number"].value == letter.truth["file_number"]
