from __future__ import annotations

from datetime import date

from tools.documents import Fact, PageText
from tools.documents.deadlines import find_deadlines, next_working_day


def letter(d: str) -> list[Fact]:
    return [Fact("letter_date", d, 1, "Köln, den ...", 0.85)]


def test_kschg_from_receipt_date() -> None:
    [d] = find_deadlines("dismissal_letter", [], letter("2025-03-14"), date(2025, 3, 17))
    assert d.kind == "kschg_claim" and d.due_date == date(2025, 4, 7) and not d.needs_confirmation
    assert "§ 4" in d.basis and "KSchG" in d.basis


def test_kschg_from_letter_date_needs_confirmation() -> None:
    [d] = find_deadlines("dismissal_letter", [], letter("2025-03-14"), None)
    assert d.due_date == date(2025, 4, 4) and d.needs_confirmation and "bestätigt" in d.basis


def test_weekend_and_holiday_move_the_end() -> None:
    assert next_working_day(date(2025, 4, 5)) == date(2025, 4, 7)  # Saturday
    assert next_working_day(date(2025, 4, 18)) == date(2025, 4, 22)  # Good Friday → after Easter Monday
    [d] = find_deadlines("dismissal_letter", [], letter("2025-03-28"), None)
    assert d.due_date == date(2025, 4, 22)


def test_fine_notice_objection_period() -> None:
    pages = [PageText(1, "Gegen diesen Bescheid kann innerhalb von zwei Wochen nach Zustellung Einspruch", "text")]
    [d] = find_deadlines("fine_notice", pages, letter("2025-03-20"), None)
    assert d.kind == "owig_objection" and d.due_date == date(2025, 4, 3) and "§ 67" in d.basis


def test_stated_deadlines_in_court_letter() -> None:
    pages = [PageText(1, "Stellungnahme binnen einer Frist von 4 Wochen ab Zustellung.\n"
                         "Erwiderung bis zum 12.05.2025.\nZahlung innerhalb eines Monats.", "text")]
    found = {(d.due_date, d.needs_confirmation) for d in find_deadlines("court_letter", pages, [], date(2025, 4, 1))}
    assert (date(2025, 4, 29), False) in found and (date(2025, 5, 12), False) in found


def test_contract_clauses_are_not_deadlines() -> None:
    clause = "Ansprüche verfallen, wenn sie nicht innerhalb von drei Monaten geltend gemacht werden"
    pages = [PageText(1, clause, "text")]
    assert find_deadlines("employment_contract", pages, letter("2021-01-15"), None) == []
