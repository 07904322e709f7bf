"""Table tests for the small readers the slot rules share (money, IBAN, dates as OCR spells them) and for
the classifier ignoring a company footer's register court."""

from __future__ import annotations

import pytest

from tools.documents.classify import classify
from tools.documents.slot_rules import iban, money
from tools.documents.slots_base import parse_date


@pytest.mark.parametrize(("text", "value"), [
    ("Geldbuße: 70,00 €", "70.00"), ("1.234,56 EUR", "1234.56"), ("EUR 28,50", "28.50"), ("70 €", None),
])
def test_money(text: str, value: str | None) -> None:
    assert money(text) == value


@pytest.mark.parametrize(("raw", "value"), [
    ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ("DE12 5001 0517.0648 4898-90", "DE12500105170648489890"),  # OCR's dot and dash between groups
    ("DE89 3704 0044 0532 0130 01", None),  # checksum
])
def test_iban_is_checked_with_schwifty(raw: str, value: str | None) -> None:
    assert iban(raw) == value


@pytest.mark.parametrize(("text", "iso"), [
    ("Datum: 15,3.2026", "2026-03-15"), ("Köln, den 4. Marz 2026", "2026-03-04"),
    ("31.02.2026, 1.3.2026", "2026-03-01"),
])
def test_dates_as_ocr_reads_them(text: str, iso: str) -> None:
    found = parse_date(text)
    assert found is not None and found[0].isoformat() == iso


def test_a_register_court_in_the_footer_does_not_make_a_court_letter() -> None:
    body = ("Kündigung Ihres Arbeitsverhaltnisses\nwir. kündigen das Arbeitsverhältnis außerordentlich\n"
            "Geschäftsführer: Dr. Ute Sommer - Registergericht: Amtsgericht Köln HRB 1011")
    assert classify(body, "png")[0] == "dismissal_letter"
    court = "Arbeitsgericht Berlin\nLadung zum Gütetermin\nIn dem Rechtsstreit A ./. B"
    assert classify(court, "pdf")[0] == "court_letter"
