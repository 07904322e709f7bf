"""Table tests for the deterministic parsers, German and English."""

from __future__ import annotations

import time
from datetime import date

import pytest

from agent.understanding.errors import ERROR_TEXTS
from agent.understanding.parsers import FIELD_TYPES, Option, Parsed, parse_value, warm_up

TODAY = date(2025, 3, 12)  # a Wednesday

KUENDIGUNG = (
    Option("ordentlich", {"de": "Ordentliche Kündigung", "en": "Ordinary dismissal"}),
    Option("fristlos", {"de": "Fristlose Kündigung", "en": "Summary dismissal"}),
    Option("aufhebung", {"de": "Aufhebungsvertrag", "en": "Termination agreement"}),
)


def ok(field_type: str, text: str, lang: str = "de", **kw) -> Parsed:
    kw.setdefault("today", TODAY)
    result = parse_value(field_type, text, lang, **kw)
    assert result.ok, f"{field_type} {text!r} ({lang}) failed: {result}"
    return result


def fail(field_type: str, text: str, lang: str = "de", **kw) -> Parsed:
    kw.setdefault("today", TODAY)
    result = parse_value(field_type, text, lang, **kw)
    assert not result.ok, f"{field_type} {text!r} ({lang}) should fail, got {result}"
    assert result.error in ERROR_TEXTS
    return result


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("field_type", "text", "expected"),
    [
        ("text", "  Max Mustermann  ", "Max Mustermann"),
        ("text", "Max\x00\x07 Muster\u200bmann", "Max Mustermann"),
        ("text", "Zeile 1\nZeile 2", "Zeile 1 Zeile 2"),
        ("long_text", "Zeile 1\r\nZeile 2\t!", "Zeile 1\nZeile 2 !"),
    ],
)
def test_text(field_type, text, expected):
    assert ok(field_type, text).value == expected


@pytest.mark.parametrize("field_type", ["text", "long_text", "number", "date", "iban", "choice"])
@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "\u200b"])
def test_empty(field_type, text):
    assert fail(field_type, text, options=KUENDIGUNG).error == "empty"


def test_text_too_long():
    result = fail("text", "x" * 5000)
    assert result.error == "text.too_long"
    assert result.params["max"] == 2000
    assert ok("long_text", "x" * 5000).value == "x" * 5000


# --------------------------------------------------------------------------- number


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("40", "de", 40),
        ("1.234", "de", 1234),
        ("1.234", "en", 1.234),
        ("1,234", "en", 1234),
        ("1,234", "de", 1.234),
        ("1,5", "de", 1.5),
        ("1,5", "en", 1.5),
        ("1.5", "de", 1.5),
        ("1.234,56", "en", 1234.56),
        ("1,234.56", "de", 1234.56),
        ("1.234.567", "de", 1234567),
        ("1 234 567", "de", 1234567),
        ("40 Stunden", "de", 40),
        ("ca. 40 Stunden pro Woche", "de", 40),
        ("approx 40", "en", 40),
        ("about 37.5 hours", "en", 37.5),
        ("-3", "de", -3),
        ("0,75", "de", 0.75),
        ("zwei", "de", 2),
        ("three", "en", 3),
        ("keine", "de", 0),
        ("3k", "en", 3000),
    ],
)
def test_number(text, lang, expected):
    value = ok("number", text, lang).value
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("text", ["zwischen 30 und 40", "viele", "abc", "1.2.3.4"])
def test_number_invalid(text):
    assert fail("number", text).error == "number.invalid"


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("text", "lang", "amount", "currency"),
    [
        ("1.234,56 €", "de", "1234.56", "EUR"),
        ("1.234,56\u00a0€", "de", "1234.56", "EUR"),
        ("EUR 1,234.56", "de", "1234.56", "EUR"),
        ("EUR 1,234.56", "en", "1234.56", "EUR"),
        ("€1,234.56", "en", "1234.56", "EUR"),
        ("3500", "de", "3500.00", "EUR"),
        ("3500", "en", "3500.00", "EUR"),
        ("3.500 Euro", "de", "3500.00", "EUR"),
        ("3.500 Euro", "en", "3500.00", "EUR"),  # money never has three decimals
        ("3.500,- €", "de", "3500.00", "EUR"),
        ("3,5k", "de", "3500.00", "EUR"),
        ("2,5 Mio. €", "de", "2500000.00", "EUR"),
        ("12,50", "de", "12.50", "EUR"),
        ("12.50", "en", "12.50", "EUR"),
        ("-€1,234.56", "en", "-1234.56", "EUR"),
        ("$5", "en", "5.00", "USD"),
        ("1.234,56 $", "de", "1234.56", "USD"),
        ("£1,000", "en", "1000.00", "GBP"),
        ("CHF1,234.56", "en", "1234.56", "CHF"),
        ("ungefähr 2000 Euro brutto im Monat", "de", "2000.00", "EUR"),
        ("0,00 €", "de", "0.00", "EUR"),
        ("50 Cent", "de", "0.50", "EUR"),
    ],
)
def test_money(text, lang, amount, currency):
    assert ok("money", text, lang).value == {"amount": amount, "currency": currency}


@pytest.mark.parametrize("text", ["viel Geld", "€", "5 € oder 6 €", "5 $ 6 €", "12.34.56"])
def test_money_invalid(text):
    assert fail("money", text).error == "money.invalid"


# --------------------------------------------------------------------------- date


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("3. März 2025", "de", "2025-03-03"),
        ("3. Maerz 2025", "de", "2025-03-03"),
        ("03.03.25", "de", "2025-03-03"),
        ("3.3.2025", "de", "2025-03-03"),
        ("3.3.2025", "en", "2025-03-03"),
        ("2025-03-03", "de", "2025-03-03"),
        ("2025-03-03", "en", "2025-03-03"),
        ("March 3, 2025", "en", "2025-03-03"),
        ("March 3rd 2025", "en", "2025-03-03"),
        ("3 March 2025", "en", "2025-03-03"),
        ("3rd of March 2025", "en", "2025-03-03"),
        ("am 3. März 2025", "de", "2025-03-03"),
        ("Montag, 3. März 2025", "de", "2025-03-03"),
        ("1. Okt. 2024", "de", "2024-10-01"),
        ("24. Dezember 1999", "de", "1999-12-24"),
        ("13/04/2025", "en", "2025-04-13"),
        ("04/13/2025", "en", "2025-04-13"),
        ("03/04/2025", "de", "2025-04-03"),
        ("4/4/2025", "en", "2025-04-04"),
        ("gestern", "de", "2025-03-11"),
        ("heute", "de", "2025-03-12"),
        ("vorgestern", "de", "2025-03-10"),
        ("yesterday", "en", "2025-03-11"),
        ("today", "en", "2025-03-12"),
        ("Today.", "en", "2025-03-12"),
        ("morgen", "de", "2025-03-13"),
        ("letzten Montag", "de", "2025-03-10"),
        ("last Monday", "en", "2025-03-10"),
        ("letzten Mittwoch", "de", "2025-03-05"),  # today is a Wednesday: a week ago
        ("am Freitag", "de", "2025-03-07"),
        ("vor 3 Tagen", "de", "2025-03-09"),
        ("vor zwei Wochen", "de", "2025-02-26"),
        ("2 weeks ago", "en", "2025-02-26"),
        ("vor einem Monat", "de", "2025-02-12"),
        ("3.3.", "de", "2025-03-03"),
        ("24.12.", "de", "2024-12-24"),  # no year: the most recent such day
        ("15.1.2025 um 10 Uhr", "de", "2025-01-15"),
        ("March 3, 2025 at 10am", "en", "2025-03-03"),
    ],
)
def test_date(text, lang, expected):
    assert ok("date", text, lang).value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03.03.00", "2000-03-03"),
        ("03.03.25", "2025-03-03"),
        ("03.03.26", "2026-03-03"),  # up to today's yy + 1 -> 20xx
        ("03.03.27", "1927-03-03"),
        ("03.03.99", "1999-03-03"),
    ],
)
def test_date_two_digit_years(text, expected):
    assert ok("date", text).value == expected


def test_date_free_form_fallback():
    result = ok("date", "letzte Woche", "de")
    assert result.value == "2025-03-05"
    assert result.confidence < 1.0


@pytest.mark.parametrize(
    ("text", "lang", "error"),
    [
        ("31.02.2025", "de", "date.invalid"),
        ("hallo", "de", "date.invalid"),
        ("irgendwann", "de", "date.invalid"),
        ("42", "de", "date.invalid"),
        ("03/04/2025", "en", "date.ambiguous"),
        ("März 2025", "de", "date.incomplete"),
        ("March", "en", "date.incomplete"),
    ],
)
def test_date_invalid(text, lang, error):
    assert fail("date", text, lang).error == error


# --------------------------------------------------------------------------- boolean


@pytest.mark.parametrize(
    "text",
    [
        "ja",
        "Ja.",
        "JA!",
        "jo",
        "jup",
        "jawohl",
        "stimmt",
        "korrekt",
        "richtig",
        "genau",
        "ja, habe ich",
        "Ja klar",
        "auf jeden Fall",
        "passt",
        "yes",
        "Yes!",
        "yep",
        "y",
        "yeah",
        "sure",
        "correct",
        "of course",
        "yes, I do",
        "that's right",
    ],
)
def test_boolean_yes(text):
    assert ok("boolean", text).value is True


@pytest.mark.parametrize(
    "text",
    [
        "nein",
        "Nein.",
        "nö",
        "ne",
        "nee",
        "falsch",
        "stimmt nicht",
        "nicht richtig",
        "nein, habe ich nicht",
        "auf keinen Fall",
        "keine",
        "no",
        "nope",
        "n",
        "No I don't",
        "not really",
        "I don't",
        "wrong",
        "nein danke",
    ],
)
def test_boolean_no(text):
    assert ok("boolean", text).value is False


@pytest.mark.parametrize(
    "text",
    [
        "vielleicht",
        "weiß nicht",
        "maybe",
        "ja nein",
        "yes and no",
        "hallo",
        "ja, aber die PLZ ist falsch",
        "yes but not the first one",
        "Ich habe zwei Kinder",
    ],
)
def test_boolean_unclear(text):
    assert fail("boolean", text).error == "boolean.unclear"


# --------------------------------------------------------------------------- choice


@pytest.mark.parametrize(
    ("text", "lang", "key"),
    [
        ("ordentlich", "de", "ordentlich"),
        ("Fristlose Kündigung", "de", "fristlos"),
        ("fristlose kuendigung", "de", "fristlos"),
        ("Summary dismissal", "de", "fristlos"),
        ("Aufhebungsvertrag", "en", "aufhebung"),
        ("2", "de", "fristlos"),
        ("2.", "de", "fristlos"),
        ("(3)", "de", "aufhebung"),
        ("Nr. 3", "de", "aufhebung"),
        ("die zweite", "de", "fristlos"),
        ("the second one", "en", "fristlos"),
        ("die erste bitte", "de", "ordentlich"),
        ("die letzte", "de", "aufhebung"),
        ("Die 1", "de", "ordentlich"),
        ("eins", "de", "ordentlich"),
        ("the 2nd", "en", "fristlos"),
        ("3 bitte", "de", "aufhebung"),
    ],
)
def test_choice_exact(text, lang, key):
    result = ok("choice", text, lang, options=KUENDIGUNG)
    assert result.value == key
    assert result.confidence == 1.0


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Ordentlche Kündigung", "ordentlich"),
        ("aufhebungsvertag", "aufhebung"),
        ("fristlos", "fristlos"),
        ("ich glaube die fristlose", "fristlos"),
        ("termination", "aufhebung"),
    ],
)
def test_choice_fuzzy(text, key):
    result = ok("choice", text, options=KUENDIGUNG)
    assert result.value == key
    assert result.confidence <= 1.0


def test_choice_misspelling_has_lower_confidence():
    assert 0.8 <= ok("choice", "Ordentlche Kündigung", options=KUENDIGUNG).confidence < 1.0


def test_choice_ambiguous():
    result = fail("choice", "Kündigung", options=KUENDIGUNG)
    assert result.error == "choice.ambiguous"
    assert "Ordentliche Kündigung" in result.params["options"]
    assert "Aufhebungsvertrag" not in result.params["options"]


@pytest.mark.parametrize("text", ["banane", "4", "0", "xy"])
def test_choice_unknown(text):
    result = fail("choice", text, options=KUENDIGUNG)
    assert result.error == "choice.unknown"
    assert "1. Ordentliche Kündigung" in result.params["options"]


def test_choice_options_in_the_clients_language():
    result = fail("choice", "banane", "en", options=KUENDIGUNG)
    assert "1. Ordinary dismissal" in result.params["options"]


def test_choice_label_that_is_a_number_wins_over_position():
    options = (Option("one", {"de": "1"}), Option("three_plus", {"de": "3"}), Option("two", {"de": "2"}))
    assert ok("choice", "2", options=options).value == "two"
    assert ok("choice", "3", options=options).value == "three_plus"


# --------------------------------------------------------------------------- multi_choice


@pytest.mark.parametrize(
    ("text", "lang", "keys"),
    [
        ("1, 3", "de", ["ordentlich", "aufhebung"]),
        ("1 3", "de", ["ordentlich", "aufhebung"]),
        ("1 und 2", "de", ["ordentlich", "fristlos"]),
        ("2 and 3", "en", ["fristlos", "aufhebung"]),
        ("Ordentliche Kündigung und Aufhebungsvertrag", "de", ["ordentlich", "aufhebung"]),
        ("fristlos; aufhebung", "de", ["fristlos", "aufhebung"]),
        ("Ordinary dismissal, termination agreement", "en", ["ordentlich", "aufhebung"]),
        ("Aufhebungsvertrag", "de", ["aufhebung"]),
        ("3, 3, 1", "de", ["aufhebung", "ordentlich"]),
        ("alle", "de", ["ordentlich", "fristlos", "aufhebung"]),
        ("keine", "de", []),
    ],
)
def test_multi_choice(text, lang, keys):
    assert ok("multi_choice", text, lang, options=KUENDIGUNG).value == keys


def test_multi_choice_label_containing_und():
    options = (Option("lohn", {"de": "Lohn und Gehalt"}), Option("urlaub", {"de": "Urlaub"}))
    assert ok("multi_choice", "Lohn und Gehalt", options=options).value == ["lohn"]


def test_multi_choice_unknown_part():
    result = fail("multi_choice", "1 und 5", options=KUENDIGUNG)
    assert result.error == "choice.unknown"
    assert result.params["value"] == "5"


# --------------------------------------------------------------------------- email


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max@beispiel.de", "max@beispiel.de"),
        (" Max.Mustermann@Example.COM ", "Max.Mustermann@example.com"),
        ("mailto:max@beispiel.de", "max@beispiel.de"),
        ("<max@beispiel.de>", "max@beispiel.de"),
        ("Meine Mail: max@beispiel.de", "max@beispiel.de"),
        ("jürgen@müller.de", "jürgen@müller.de"),
    ],
)
def test_email(text, expected):
    assert ok("email", text).value == expected


@pytest.mark.parametrize("text", ["max@example", "max.beispiel.de", "max@@beispiel.de", "a@b.de c@d.de", "@x.de"])
def test_email_invalid(text):
    assert fail("email", text).error == "email.invalid"


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0170 1234567", "+491701234567"),
        ("+49 (170) 123 45 67", "+491701234567"),
        ("0049 170 1234567", "+491701234567"),
        ("030/1234567", "+49301234567"),
        ("030-123 456 7", "+49301234567"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+43 1 5123456", "+4315123456"),
        ("Tel. 030 1234567, tagsüber", "+49301234567"),
    ],
)
def test_phone(text, expected):
    assert ok("phone", text).value == expected


@pytest.mark.parametrize("text", ["12", "0000", "hallo", "0170", "+49 0"])
def test_phone_invalid(text):
    assert fail("phone", text).error == "phone.invalid"


# --------------------------------------------------------------------------- IBAN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("de89370400440532013000", "DE89370400440532013000"),
        ("DE89-3704-0044-0532-0130-00", "DE89370400440532013000"),
        ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("AT61 1904 3002 3457 3201", "AT611904300234573201"),
        ("Meine IBAN ist DE89 3704 0044 0532 0130 00, danke", "DE89370400440532013000"),
    ],
)
def test_iban(text, expected):
    assert ok("iban", text).value == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("DE88 3704 0044 0532 0130 00", "iban.checksum"),
        ("DE89 3704 0044 0532 0130 01", "iban.checksum"),
        ("DE89 3704 0044", "iban.invalid"),
        ("hallo", "iban.invalid"),
        ("XX89 3704 0044 0532 0130 00", "iban.invalid"),
    ],
)
def test_iban_invalid(text, error):
    assert fail("iban", text).error == error


# --------------------------------------------------------------------------- address


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "Musterstr. 12, 10115 Berlin",
            "de",
            {"street": "Musterstraße 12", "postal_code": "10115", "city": "Berlin", "country": "DE"},
        ),
        (
            "Hauptstraße 5a\n80331 München",
            "de",
            {"street": "Hauptstraße 5a", "postal_code": "80331", "city": "München", "country": "DE"},
        ),
        (
            "Musterstraße 12 10115 Berlin",
            "de",
            {"street": "Musterstraße 12", "postal_code": "10115", "city": "Berlin", "country": "DE"},
        ),
        (
            "Max Mustermann\nBerliner Str. 7\nD-10115 Berlin\nDeutschland",
            "de",
            {"street": "Berliner Straße 7", "postal_code": "10115", "city": "Berlin", "country": "DE"},
        ),
        (
            "12 Baker Street, London NW1 6XE",
            "en",
            {"street": "12 Baker Street", "postal_code": "NW1 6XE", "city": "London", "country": "GB"},
        ),
        (
            "12 Baker Street\nLondon\nnw16xe\nUnited Kingdom",
            "en",
            {"street": "12 Baker Street", "postal_code": "NW1 6XE", "city": "London", "country": "GB"},
        ),
        (
            "Mariahilfer Str. 1, 1060 Wien, Österreich",
            "de",
            {"street": "Mariahilfer Straße 1", "postal_code": "1060", "city": "Wien", "country": "AT"},
        ),
        (
            "Bahnhofstrasse 1, 8001 Zürich",
            "de",
            {"street": "Bahnhofstrasse 1", "postal_code": "8001", "city": "Zürich", "country": "CH"},
        ),
        (
            "Am Markt 1, 01067 Dresden",
            "de",
            {"street": "Am Markt 1", "postal_code": "01067", "city": "Dresden", "country": "DE"},
        ),
    ],
)
def test_address(text, lang, expected):
    assert ok("address", text, lang).value == expected


@pytest.mark.parametrize("text", ["Musterstraße 12 Berlin", "Berlin", "10115 Berlin", "Musterstraße 12, 10115"])
def test_address_incomplete(text):
    assert fail("address", text).error == "address.incomplete"


# --------------------------------------------------------------------------- file and API edges


def test_file_always_needs_upload():
    result = fail("file", "hier ist die Datei")
    assert result.error == "file.needs_upload"


def test_unknown_field_type_is_a_programming_error():
    with pytest.raises(ValueError):
        parse_value("colour", "rot", "de")


def test_unknown_language_is_treated_as_german():
    assert parse_value("number", "1.234", "fr").value == 1234
    assert parse_value("number", "1.234", "en-GB").value == 1.234


def test_field_types_contract():
    assert FIELD_TYPES == (
        "text",
        "long_text",
        "number",
        "money",
        "date",
        "boolean",
        "choice",
        "multi_choice",
        "email",
        "phone",
        "iban",
        "address",
        "file",
    )


def test_values_are_json_serialisable():
    import json

    samples = {
        "number": "1,5",
        "money": "3.500 €",
        "date": "3. März 2025",
        "boolean": "ja",
        "choice": "2",
        "multi_choice": "1, 2",
        "email": "a@b.de",
        "phone": "030 1234567",
        "iban": "DE89370400440532013000",
        "address": "Musterstr. 12, 10115 Berlin",
        "text": "x",
    }
    for field_type, text in samples.items():
        json.dumps(ok(field_type, text, options=KUENDIGUNG).value)


def test_parsing_is_fast_after_warm_up():
    warm_up()
    samples = [
        ("number", "1.234,5"),
        ("money", "1.234,56 €"),
        ("date", "3. März 2025"),
        ("date", "gestern"),
        ("boolean", "ja, habe ich"),
        ("choice", "Ordentlche Kündigung"),
        ("multi_choice", "1, 3"),
        ("email", "max@beispiel.de"),
        ("phone", "0170 1234567"),
        ("iban", "DE89 3704 0044 0532 0130 00"),
        ("address", "Musterstr. 12, 10115 Berlin"),
    ]
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        for field_type, text in samples:
            parse_value(field_type, text, "de", options=KUENDIGUNG, today=TODAY)
    per_parse_ms = (time.perf_counter() - start) * 1000 / (rounds * len(samples))
    assert per_parse_ms < 1.0, per_parse_ms
