"""Greetings, thanks, questions and markup are never a text answer (issue 13, item 6)."""

from __future__ import annotations

import pytest

from agent.understanding.not_an_answer import is_name_field, not_an_answer, reply_for


@pytest.mark.parametrize(("text", "reason"), [
    ("Hallo", "greeting"), ("hallo!", "greeting"), ("Guten Tag", "greeting"), ("Moin moin", "greeting"),
    ("Hi there", None), ("Sehr geehrte Damen und Herren,", "greeting"), ("Good morning", "greeting"),
    ("Danke", "thanks"), ("Vielen Dank!", "thanks"), ("thank you", "thanks"), ("Danke schön", "thanks"),
    ("<script>alert(1)</script>", "markup"), ("<b>Max</b>", "markup"), ("Max &amp; Co", "markup"),
    ("{{7*7}}", "markup"), ("javascript:alert(1)", "markup"),
    ("Was kostet das?", "question"), ("Muss ich das ausfüllen?", "question"),
])
def test_reasons(text: str, reason: str | None) -> None:
    got = not_an_answer(text, field_id="job_title")
    if text == "Hi there":  # "there" is no greeting word: a job title could be anything
        assert got is None
    else:
        assert got == reason


@pytest.mark.parametrize("name", ["Max", "Anne-Marie", "O'Brien", "Müller-Lüdenscheidt", "Hans Peter",
                                  "José", "Ðorđe", "van der Berg", "D’Angelo"])
def test_real_names_pass(name: str) -> None:
    assert not_an_answer(name, field_id="first_name") is None
    assert not_an_answer(name, field_id="last_name") is None


@pytest.mark.parametrize("bad", ["Max123", "Hallo, ich bin Max", "max@example.org", "x" * 81,
                                 "eins zwei drei vier fünf sechs", "Max; DROP TABLE", "_"])
def test_implausible_names_are_refused(bad: str) -> None:
    assert not_an_answer(bad, field_id="first_name") == "name"
    # Not a name field: only greetings, thanks, questions and markup are refused.
    assert not_an_answer(bad, field_id="job_title") is None


def test_name_fields_and_replies() -> None:
    assert is_name_field("first_name") and is_name_field("witness_last_name") and not is_name_field("employer_name")
    assert reply_for("greeting", "de").startswith("Hallo") and reply_for("greeting", "en").startswith("Hello")
    assert "<" in reply_for("markup", "de") and reply_for("name", "en")
