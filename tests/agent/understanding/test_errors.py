"""Client-facing error texts."""

from __future__ import annotations

import string

import pytest

from agent.understanding.errors import ERROR_TEXTS, error_text

REQUIRED_CODES = [
    "invalid",
    "empty",
    "number.invalid",
    "money.invalid",
    "date.invalid",
    "date.ambiguous",
    "date.incomplete",
    "boolean.unclear",
    "choice.unknown",
    "choice.ambiguous",
    "email.invalid",
    "phone.invalid",
    "iban.invalid",
    "iban.checksum",
    "address.incomplete",
    "file.needs_upload",
    "text.too_long",
    "min",
    "max",
    "min_length",
    "max_length",
    "pattern",
    "date.too_early",
    "date.too_late",
    "date.in_future",
    "date.in_past",
    "required",
]
ALLOWED_PLACEHOLDERS = {"min", "max", "date", "options", "value"}


@pytest.mark.parametrize("code", REQUIRED_CODES)
def test_every_code_has_both_languages(code):
    assert set(ERROR_TEXTS[code]) == {"de", "en"}
    assert ERROR_TEXTS[code]["de"] != ERROR_TEXTS[code]["en"]


@pytest.mark.parametrize("code", sorted(ERROR_TEXTS))
def test_placeholders_are_known(code):
    for text in ERROR_TEXTS[code].values():
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        assert names <= ALLOWED_PLACEHOLDERS, (code, names)


def test_placeholders_are_filled():
    assert "18" in error_text("min", "de", min=18)
    assert "100" in error_text("max", "en", max=100)
    assert "1. März 2025" in error_text("date.too_early", "de", date="1. März 2025")
    assert "1. A, 2. B" in error_text("choice.unknown", "en", options="1. A, 2. B")


def test_missing_placeholder_does_not_leak_braces():
    text = error_text("min", "de")
    assert "{" not in text and "}" not in text


def test_fallbacks():
    assert error_text("no.such.code", "en") == ERROR_TEXTS["invalid"]["en"]
    assert error_text("empty", "fr") == ERROR_TEXTS["empty"]["de"]
    assert error_text("empty", "en-GB") == ERROR_TEXTS["empty"]["en"]


def test_braces_in_params_are_not_interpreted():
    assert "{max}" in error_text("choice.unknown", "de", options="{max}")
