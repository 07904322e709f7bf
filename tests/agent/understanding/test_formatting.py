"""Read-back formatting, German and English."""

from __future__ import annotations

from datetime import date

import pytest

from agent.understanding.formatting import format_value
from agent.understanding.parsers import Option

OPTIONS = (
    Option("ordentlich", {"de": "Ordentliche Kündigung", "en": "Ordinary dismissal"}),
    Option("fristlos", {"de": "Fristlose Kündigung", "en": "Summary dismissal"}),
    Option("aufhebung", {"de": "Aufhebungsvertrag"}),
)
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("field_type", "value", "lang", "expected"),
    [
        ("date", "2025-03-03", "de", "3. März 2025"),
        ("date", "2025-03-03", "en", "3 March 2025"),
        ("date", date(2024, 12, 24), "de", "24. Dezember 2024"),
        ("money", {"amount": "1234.56", "currency": "EUR"}, "de", f"1.234,56{NBSP}€"),
        ("money", {"amount": "1234.56", "currency": "EUR"}, "en", "€1,234.56"),
        ("money", {"amount": "3500.00", "currency": "USD"}, "en", "US$3,500.00"),
        ("number", 1234, "de", "1.234"),
        ("number", 1234.5, "en", "1,234.5"),
        ("number", 1.5, "de", "1,5"),
        ("boolean", True, "de", "Ja"),
        ("boolean", False, "de", "Nein"),
        ("boolean", True, "en", "Yes"),
        ("boolean", False, "en", "No"),
        ("choice", "fristlos", "de", "Fristlose Kündigung"),
        ("choice", "fristlos", "en", "Summary dismissal"),
        ("choice", "aufhebung", "en", "Aufhebungsvertrag"),  # falls back to the German label
        ("choice", "unbekannt", "de", "unbekannt"),
        ("multi_choice", ["ordentlich", "aufhebung"], "de", "Ordentliche Kündigung und Aufhebungsvertrag"),
        (
            "multi_choice",
            ["ordentlich", "fristlos", "aufhebung"],
            "en",
            "Ordinary dismissal, Summary dismissal and Aufhebungsvertrag",
        ),
        ("multi_choice", [], "de", "—"),
        ("phone", "+491701234567", "de", "+49 170 1234567"),
        ("phone", "+49301234567", "en", "+49 30 1234567"),
        ("iban", "DE89370400440532013000", "de", "DE89 3704 0044 0532 0130 00"),
        ("email", "max@beispiel.de", "de", "max@beispiel.de"),
        ("text", "Hallo", "de", "Hallo"),
        (
            "address",
            {"street": "Musterstraße 12", "postal_code": "10115", "city": "Berlin", "country": "DE"},
            "de",
            "Musterstraße 12, 10115 Berlin",
        ),
        (
            "address",
            {"street": "12 Baker Street", "postal_code": "NW1 6XE", "city": "London", "country": "GB"},
            "en",
            "12 Baker Street, London NW1 6XE, United Kingdom",
        ),
        (
            "address",
            {"street": "Mariahilfer Straße 1", "postal_code": "1060", "city": "Wien", "country": "AT"},
            "de",
            "Mariahilfer Straße 1, 1060 Wien, Österreich",
        ),
        ("file", {"filename": "vertrag.pdf"}, "de", "vertrag.pdf"),
    ],
)
def test_format_value(field_type, value, lang, expected):
    assert format_value(field_type, value, lang, options=OPTIONS) == expected


@pytest.mark.parametrize("field_type", ["text", "date", "money", "boolean", "choice", "address", "iban"])
def test_none_reads_as_dash(field_type):
    assert format_value(field_type, None, "de") == "—"


@pytest.mark.parametrize(
    ("field_type", "value"),
    [("date", "kein datum"), ("money", {"amount": "x"}), ("number", "abc"), ("address", "Berlin")],
)
def test_malformed_values_do_not_raise(field_type, value):
    assert isinstance(format_value(field_type, value, "de"), str)
