"""Batched asking and the deterministic reading of a reply to a batch (issue 12)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from agent.conversation.batch import render_batch, select_batch
from agent.conversation.batch_flow import own_lines
from agent.questionnaire.engine import validate
from agent.questionnaire.loader import load_questionnaire
from agent.understanding.batch_reply import read_batch_reply
from agent.understanding.parsers import Parsed, parse_value

FIRM = Path(__file__).resolve().parents[3] / "examples" / "demo-firm" / "questionnaires"
Q = load_questionnaire(FIRM / "kuendigung.yaml")
VU = load_questionnaire(FIRM / "verkehrsunfall.yaml")
TODAY = date(2026, 12, 3)


def parse(lang: str):
    def run(f, text):
        p = parse_value(f.type, text, lang, options=f.option_objects(), today=TODAY)
        if p.ok and (problem := validate(f, p.value, TODAY)) is not None:
            return Parsed(ok=False, error=problem[0], params=problem[1])
        return p
    return run


def read(text: str, lang: str = "de", full: str | None = None, values: dict | None = None):
    fields = select_batch(Q, values or {}, set(), 8)
    return fields, read_batch_reply(text, full, fields, Q, lang, parse(lang))


def found(reading) -> dict:
    return {f.field.id: f.parsed.value for f in reading.found}


def test_first_batch_is_eight_open_questions_numbered_with_hints_choices_and_status() -> None:
    fields = select_batch(Q, {}, set(), 8)
    assert [f.id for f in fields] == ["first_name", "last_name", "birth_date", "address", "email", "phone",
                                      "employer_name", "employer_address"]
    text = render_batch(Q, {}, fields, "de")
    assert "1. Wie lautet Ihr Vorname?" in text and "6. Unter welcher Telefonnummer" in text
    assert "(freiwillig)" in text and "(z. B. 14.03.1985)" in text
    assert "0 von 23 erledigt. Danach: noch 15 weitere Fragen, dann eine Zusammenfassung zum Bestätigen." in text
    en = render_batch(Q, {}, fields, "en")
    assert "0 of 23 done." in en and "(optional)" in en


def test_a_question_whose_condition_rests_on_an_unanswered_one_waits() -> None:
    values = {f: "x" for f in ["first_name", "last_name", "birth_date", "address", "email", "phone",
                               "employer_name", "employer_address", "job_title", "employment_start",
                               "gross_salary", "weekly_hours", "company_size", "works_council",
                               "dismissal_received"]}
    ids = [f.id for f in select_batch(Q, values, set(), 8)]
    assert "dismissal_delivery" in ids and "dismissal_delivery_other" not in ids and "notice_end" not in ids
    assert "insurer" not in ids
    # sick_leave is visible while medical_treatment is open (a `not` condition), but it depends on it.
    vu = {"injuries": True, "other_party_known": False}
    assert "sick_leave" not in [f.id for f in select_batch(VU, vu, set(), 30)]


def test_choices_are_spelled_out_and_file_items_go_as_attachment() -> None:
    fields = [VU.field("damage_photos"), Q.field("company_size")]
    text = render_batch(VU, {}, fields, "de")
    assert "Bitte als Anhang" in text
    assert "Möglich: bis 10 · 11 bis 20 · 21 bis 200" in render_batch(Q, {}, [Q.field("company_size")], "de")
    assert "as an attachment" in render_batch(VU, {}, fields, "en")


def test_numbered_labelled_and_positional_answers_in_german() -> None:
    _, r = read("Hallo,\n\n1. Erika\n2) Mustermann\n3: 12.5.85\nAnschrift: Musterstraße 12, 10115 Berlin\n"
                "erika@example.org\n-\nACME GmbH")
    got = found(r)
    assert got["first_name"] == "Erika" and got["last_name"] == "Mustermann"
    assert got["birth_date"] == "1985-05-12" and got["address"]["city"] == "Berlin"
    assert got["email"] == "erika@example.org" and got["employer_name"] == "ACME GmbH"
    assert [f.id for f in r.skips] == ["phone"] and not r.invalid and not r.unassigned


def test_changed_order_and_english_labels() -> None:
    _, r = read("3. 12 May 1985\nLast name: Mustermann\n1) Erika\nE-mail address: erika@example.org", lang="en")
    assert found(r) == {"birth_date": "1985-05-12", "last_name": "Mustermann", "first_name": "Erika",
                        "email": "erika@example.org"}


def test_a_german_date_with_a_month_name_is_not_a_numbered_answer() -> None:
    fields = select_batch(Q, {"first_name": "Max", "last_name": "M"}, set(), 8)
    r = read_batch_reply("3. April 1980", None, fields, Q, "de", parse("de"))
    assert found(r) == {"birth_date": "1980-04-03"}


def test_half_answered_batch_and_an_invalid_value() -> None:
    _, r = read("1. Erika\n3. 12.5.2030")
    assert found(r) == {"first_name": "Erika"}
    [bad] = r.invalid
    assert bad.field.id == "birth_date" and bad.parsed.error == "date.too_late"


def test_inline_answers_under_quoted_questions_quote_never_stored() -> None:
    fields = select_batch(Q, {}, set(), 8)
    full = ("Guten Tag,\n\nanbei meine Antworten.\n\nAm 03.03.2025 um 10:12 schrieb Kanzlei Beispiel:\n"
            "> Kündigung – Ihre Angaben\n>\n> 1. Wie lautet Ihr Vorname?\nErika\n> 2. Und Ihr Nachname?\n"
            "Mustermann\n> 3. Wann sind Sie geboren?\n>    (z. B. 14.03.1985)\n12.05.1985\n"
            "> 4. Unter welcher Anschrift sind Sie erreichbar? (Straße, Hausnummer, PLZ, Ort)\n"
            "Musterstraße 12\n10115 Berlin\n> 5. Unter welcher E-Mail-Adresse dürfen wir Ihnen schreiben?\n"
            "> 6. Unter welcher Telefonnummer erreichen wir Sie am besten, falls es eilt? (freiwillig)\n"
            "> 7. Wie heißt Ihr Arbeitgeber?\nACME GmbH\n\nViele Grüße\nErika\n> 8. Wie lautet die Anschrift\n")
    stripped = "Guten Tag,\n\nanbei meine Antworten."
    r = read_batch_reply(stripped, full, fields, Q, "de", parse("de"))
    got = found(r)
    assert got["first_name"] == "Erika" and got["last_name"] == "Mustermann"
    assert got["birth_date"] == "1985-05-12" and got["address"]["postal_code"] == "10115"
    assert got["employer_name"] == "ACME GmbH" and "email" not in got
    raws = " ".join(f.raw for f in r.found)
    assert "Wie lautet" not in raws and "Grüße" not in raws and "anbei" not in raws
    assert all(f.style == "inline" for f in r.found)


def test_outlook_style_copy_without_quote_marks_keeps_our_lines_out() -> None:
    fields = select_batch(Q, {}, set(), 8)
    full = ("\nVon: Kanzlei Beispiel <kanzlei@beispiel.example>\nGesendet: Montag, 3. März 2025 10:12\n"
            "Betreff: Ihre Angaben\n\n1. Wie lautet Ihr Vorname?\nErika\n2. Und Ihr Nachname?\nMustermann\n"
            "3. Wann sind Sie geboren?\n   (z. B. 14.03.1985)\n12.5.85\n\n0 von 23 erledigt.\nLieber im Chat?\n")
    r = read_batch_reply("", full, fields, Q, "de", parse("de"), own=own_lines(fields, "de"))
    assert found(r) == {"first_name": "Erika", "last_name": "Mustermann", "birth_date": "1985-05-12"}


@pytest.mark.parametrize("text", ["Wie lautet Ihr Vorname?", "Hallo,", "Viele Grüße\nErika"])
def test_greetings_questions_and_sign_offs_are_never_answers(text: str) -> None:
    _, r = read(text)
    assert not r.found


def test_a_batch_never_spans_two_sections_and_respects_the_maximum() -> None:
    personal = {"de": "Zur Person", "en": "About you"}
    fields = [f.model_copy(update={"section": personal if i < 3 else None}) for i, f in enumerate(Q.fields)]
    sectioned = Q.model_copy(update={"fields": fields})
    assert [f.id for f in select_batch(sectioned, {}, set(), 8)] == ["first_name", "last_name", "birth_date"]
    assert len(select_batch(Q, {}, set(), 3)) == 3
    after = {"first_name": "A", "last_name": "B", "birth_date": "1980-01-01"}
    assert select_batch(sectioned, after, set(), 8)[0].id == "address"
