from __future__ import annotations

from datetime import date

import pytest

from agent.questionnaire.engine import (
    find_field_by_name,
    is_complete,
    is_visible,
    next_field,
    progress,
    relevant_answers,
    validate,
    visible_fields,
)
from agent.questionnaire.loader import load_questionnaire
from agent.questionnaire.model import Questionnaire

from .conftest import DEMO_FIRM, field, make_questionnaire

TODAY = date(2024, 3, 15)


def ids(fields) -> list[str]:
    return [f.id for f in fields]


# --------------------------------------------------------------------------- conditions


def test_no_answers_shows_only_unconditional_fields(flow: Questionnaire) -> None:
    assert ids(visible_fields(flow, {})) == ["name", "insured", "kind", "protection", "notes"]


def test_equals_on_boolean(flow: Questionnaire) -> None:
    assert is_visible(flow, flow.field("insurer"), {"insured": True})
    assert not is_visible(flow, flow.field("insurer"), {"insured": False})
    # 1 is not True: booleans never equal numbers
    assert not is_visible(flow, flow.field("insurer"), {"insured": 1})


def test_answered(flow: Questionnaire) -> None:
    assert not is_visible(flow, flow.field("policy"), {"insured": True})
    assert is_visible(flow, flow.field("policy"), {"insured": True, "insurer": "ARAG"})
    assert not is_visible(flow, flow.field("policy"), {"insured": True, "insurer": None})


def test_in(flow: Questionnaire) -> None:
    notice = flow.field("notice_end")
    assert is_visible(flow, notice, {"kind": "ordinary"})
    assert is_visible(flow, notice, {"kind": "change"})
    assert not is_visible(flow, notice, {"kind": "summary"})
    assert not is_visible(flow, notice, {})


def test_equals_on_multi_choice_means_chosen(flow: Questionnaire) -> None:
    degree = flow.field("degree")
    assert is_visible(flow, degree, {"protection": ["pregnant", "disabled"]})
    assert not is_visible(flow, degree, {"protection": ["pregnant"]})
    assert not is_visible(flow, degree, {"protection": []})


def test_not_equals_is_false_while_unanswered(flow: Questionnaire) -> None:
    target = flow.field("not_summary")
    assert is_visible(flow, target, {"kind": "ordinary"})
    assert not is_visible(flow, target, {"kind": "summary"})
    assert not is_visible(flow, target, {})


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"insured": True, "kind": "summary"}, True),
        ({"insured": True, "kind": "ordinary", "protection": ["pregnant"]}, True),
        ({"insured": True, "kind": "ordinary", "protection": ["none"]}, False),  # any fails
        ({"insured": False, "kind": "summary"}, False),  # all fails
        ({"insured": True, "insurer": "ARAG", "policy": "P-1", "kind": "summary"}, False),  # not fails
        ({"insured": True, "insurer": "ARAG", "kind": "summary"}, True),
    ],
)
def test_nested_all_any_not(flow: Questionnaire, answers: dict, expected: bool) -> None:
    assert is_visible(flow, flow.field("combined"), answers) is expected


def test_hidden_field_answer_does_not_switch_on_followers(flow: Questionnaire) -> None:
    # `policy` depends on `insurer`, which is hidden once `insured` is False: the stale
    # insurer answer must not keep `policy` visible.
    answers = {"insured": False, "insurer": "ARAG"}
    assert not is_visible(flow, flow.field("policy"), answers)
    assert "policy" not in ids(visible_fields(flow, answers))


def test_money_and_numbers_compare_by_value() -> None:
    q = make_questionnaire(
        field("amount", "money"),
        field("hours", "number"),
        field("big", when={"field": "amount", "equals": 1000}),
        field("full", when={"field": "hours", "in": [40, 38.5]}),
    )
    assert is_visible(q, q.field("big"), {"amount": {"amount": "1000.00", "currency": "EUR"}})
    assert not is_visible(q, q.field("big"), {"amount": {"amount": "999.99", "currency": "EUR"}})
    assert is_visible(q, q.field("full"), {"hours": 38.5})
    assert is_visible(q, q.field("full"), {"hours": 40})
    assert not is_visible(q, q.field("full"), {"hours": 20})


# --------------------------------------------------------------------------- flow


def test_next_field_in_file_order_with_skip(flow: Questionnaire) -> None:
    assert next_field(flow, {}).id == "name"
    assert next_field(flow, {"name": "Eva"}).id == "insured"
    assert next_field(flow, {"name": "Eva", "insured": True}).id == "insurer"
    assert next_field(flow, {"name": "Eva", "insured": False}).id == "kind"
    assert next_field(flow, {"name": "Eva", "insured": True}, skipped={"insurer"}).id == "kind"
    assert next_field(flow, {}, skipped=frozenset({"name", "insured"})).id == "kind"


def test_next_field_none_when_all_answered_or_skipped(flow: Questionnaire) -> None:
    answers = {"name": "Eva", "insured": False, "kind": "summary", "protection": ["none"]}
    assert next_field(flow, answers).id == "notes"
    assert next_field(flow, answers, skipped={"notes"}) is None
    assert next_field(flow, {**answers, "notes": "nichts"}) is None


def test_progress_counts_visible_fields_only(flow: Questionnaire) -> None:
    assert progress(flow, {}) == (0, 5)
    assert progress(flow, {"name": "Eva", "insured": True}) == (2, 6)
    # a skipped field is still open
    assert progress(flow, {"name": "Eva"}, skipped={"insured"}) == (1, 5)
    # an answer to a hidden field does not count
    assert progress(flow, {"name": "Eva", "insured": False, "insurer": "ARAG"}) == (2, 5)


def test_is_complete_needs_visible_required_fields(flow: Questionnaire) -> None:
    base = {"name": "Eva", "insured": False, "kind": "unsure"}
    assert is_complete(flow, base)
    assert not is_complete(flow, {"name": "Eva", "insured": True, "kind": "unsure"})
    assert is_complete(flow, {"name": "Eva", "insured": True, "insurer": "ARAG", "kind": "unsure"})
    # skipping a required field does not complete it
    assert not is_complete(flow, {"name": "Eva", "kind": "unsure"}, skipped={"insured"})
    # None is "no answer"
    assert not is_complete(flow, {**base, "name": None})


def test_relevant_answers_after_condition_flips(flow: Questionnaire) -> None:
    answers = {"name": "Eva", "insured": True, "insurer": "ARAG", "policy": "P-1", "kind": "ordinary",
               "notice_end": "2024-06-30", "unknown_field": 1}
    assert relevant_answers(flow, answers) == {
        "name": "Eva", "insured": True, "insurer": "ARAG", "policy": "P-1", "kind": "ordinary",
        "notice_end": "2024-06-30",
    }
    flipped = {**answers, "insured": False, "kind": "summary"}
    assert relevant_answers(flow, flipped) == {"name": "Eva", "insured": False, "kind": "summary"}
    expected_order = ["name", "insured", "insurer", "policy", "kind", "notice_end"]
    assert list(relevant_answers(flow, answers)) == expected_order


# --------------------------------------------------------------------------- validation


def _date_field(**rules) -> object:
    return make_questionnaire(field("d", "date", validation=rules)).field("d")


def test_required_and_optional_empty_values() -> None:
    q = make_questionnaire(field("a", required=True), field("b"))
    for empty in (None, "", []):
        assert validate(q.field("a"), empty, TODAY) == ("required", {})
        assert validate(q.field("b"), empty, TODAY) is None


def test_number_and_money_min_max() -> None:
    q = make_questionnaire(
        field("hours", "number", validation={"min": 1, "max": 80}),
        field("salary", "money", validation={"min": 0, "max": "100000.50"}),
    )
    hours, salary = q.field("hours"), q.field("salary")
    assert validate(hours, 0, TODAY) == ("min", {"min": 1})
    assert validate(hours, 81.5, TODAY) == ("max", {"max": 80})
    assert validate(hours, 80, TODAY) is None
    assert validate(hours, 1, TODAY) is None
    assert validate(salary, {"amount": "-1.00", "currency": "EUR"}, TODAY) == ("min", {"min": 0})
    too_much = {"amount": "100000.51", "currency": "EUR"}
    assert validate(salary, too_much, TODAY) == ("max", {"max": "100000.50"})
    assert validate(salary, {"amount": "100000.50", "currency": "EUR"}, TODAY) is None


def test_text_length_and_pattern() -> None:
    q = make_questionnaire(
        field("name", validation={"min_length": 2, "max_length": 5}),
        field("time", validation={"pattern": r"([01]?[0-9]|2[0-3]):[0-5][0-9]"}),
    )
    assert validate(q.field("name"), "A", TODAY) == ("min_length", {"min": 2})
    assert validate(q.field("name"), "Annabel", TODAY) == ("max_length", {"max": 5})
    assert validate(q.field("name"), "Anna", TODAY) is None
    assert validate(q.field("time"), "14:30", TODAY) is None
    assert validate(q.field("time"), "9:05", TODAY) is None
    assert validate(q.field("time"), "25:00", TODAY) == ("pattern", {})
    assert validate(q.field("time"), "14:30 Uhr", TODAY) == ("pattern", {})  # whole value must match


def test_relative_dates() -> None:
    birth = _date_field(min_date="-120y", max_date="-14y")
    assert validate(birth, "2010-03-16", TODAY) == ("date.too_late", {"date": "2010-03-15"})
    assert validate(birth, "2010-03-15", TODAY) is None
    assert validate(birth, "1904-03-14", TODAY) == ("date.too_early", {"date": "1904-03-15"})
    assert validate(birth, "1985-07-01", TODAY) is None


def test_today_rules_give_past_and_future_codes() -> None:
    past = _date_field(max_date="today")
    assert validate(past, "2024-03-16", TODAY) == ("date.in_future", {"date": "2024-03-15"})
    assert validate(past, "2024-03-15", TODAY) is None
    future = _date_field(min_date="today")
    assert validate(future, "2024-03-14", TODAY) == ("date.in_past", {"date": "2024-03-15"})


@pytest.mark.parametrize(
    ("rule", "earliest"),
    [
        ("-3w", "2024-02-23"),
        ("-10d", "2024-03-05"),
        ("+2d", "2024-03-17"),
        ("-1m", "2024-02-15"),
        ("+1y", "2025-03-15"),
        ("2024-01-31", "2024-01-31"),
    ],
)
def test_relative_date_units(rule: str, earliest: str) -> None:
    d = _date_field(min_date=rule)
    before = date.fromordinal(date.fromisoformat(earliest).toordinal() - 1).isoformat()
    assert validate(d, before, TODAY) == ("date.too_early", {"date": earliest})
    assert validate(d, earliest, TODAY) is None


def test_month_arithmetic_clamps_to_month_end() -> None:
    d = _date_field(max_date="-1m")
    assert validate(d, "2024-02-29", date(2024, 3, 31)) is None
    assert validate(d, "2024-03-01", date(2024, 3, 31)) == ("date.too_late", {"date": "2024-02-29"})
    leap = _date_field(max_date="-1y")
    assert validate(leap, "2023-02-28", date(2024, 2, 29)) is None


# --------------------------------------------------------------------------- naming fields


@pytest.fixture(scope="module")
def kuendigung() -> Questionnaire:
    return load_questionnaire(DEMO_FIRM / "questionnaires" / "kuendigung.yaml")


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Geburtsdatum", "de", "birth_date"),
        ("birthday", "en", "birth_date"),
        ("mein Geburtstag", "de", "birth_date"),
        ("die IBAN", "de", "iban"),
        ("IBAN", "en", "iban"),
        ("Telefonnummer", "de", "phone"),
        ("my phone number", "en", "phone"),
        ("meine E-Mail-Adresse", "de", "email"),
        ("Bruttogehalt", "de", "gross_salary"),
        ("Bruttomonatsgehalt", "de", "gross_salary"),
        ("gross monthly salary", "en", "gross_salary"),
        ("Rechtschutzversicherung", "de", "legal_insurance"),  # typo tolerated
        ("Betriebsrat", "de", "works_council"),
        ("weekly_hours", "en", "weekly_hours"),
    ],
)
def test_find_field_by_name(kuendigung: Questionnaire, text: str, lang: str, expected: str) -> None:
    found = find_field_by_name(kuendigung, text, lang)
    assert found is not None and found.id == expected


@pytest.mark.parametrize("text", ["Wetter morgen", "", "die", "Name", "xyzzy"])
def test_find_field_by_name_unclear(kuendigung: Questionnaire, text: str) -> None:
    assert find_field_by_name(kuendigung, text, "de") is None


def test_find_field_by_name_uses_ids_without_labels_matching() -> None:
    q = make_questionnaire(field("birth_date", "date", label={"de": "Wann geboren", "en": "Born"}))
    found = find_field_by_name(q, "birth date", "en")
    assert found is not None and found.id == "birth_date"
