from __future__ import annotations

import pytest

from agent.i18n import lookup, normalise_lang


@pytest.mark.parametrize(("raw", "want"), [
    ("EN", "en"), ("en-GB", "en"), ("en_US", "en"), ("English", "en"), ("en-GB,en;q=0.9,de;q=0.8", "en"),
    ("de-AT", "de"), ("DE", "de"), ("Deutsch", "de"), ("fr", "de"), ("", "de"), (None, "de"), (" en ", "en"),
])
def test_every_spelling_of_a_language_becomes_one_code(raw: object, want: str) -> None:
    assert normalise_lang(raw) == want


def test_unknown_language_falls_back_to_the_given_default() -> None:
    assert normalise_lang("fr", default="en") == "en"


def test_lookup_formats_and_falls_back_to_german() -> None:
    catalogue = {"hello": {"de": "Hallo {name}", "en": "Hello {name}"}, "only_de": {"de": "Nur Deutsch"}}
    assert lookup(catalogue, "hello", "en-GB", name="Erika") == "Hello Erika"
    assert lookup(catalogue, "hello", "de-AT", name="{x}") == "Hallo {x}"
    assert lookup(catalogue, "only_de", "en") == "Nur Deutsch"


CATALOGUES = ["agent.conversation.texts", "channels.webchat.texts", "portal_fallback.texts",
              "channels.telegram.texts", "channels.email.texts"]


@pytest.mark.parametrize("module", CATALOGUES)
def test_every_catalogue_has_one_signature_and_both_languages(module: str) -> None:
    import importlib
    import inspect

    mod = importlib.import_module(module)
    assert list(inspect.signature(mod.t).parameters) == ["key", "lang", "values"]
    catalogue = getattr(mod, "CATALOGUE", None) or mod.TEXTS
    for key, entry in catalogue.items():
        assert set(entry) == {"de", "en"}, key
        if "{" not in entry["de"]:
            assert mod.t(key, "de-AT") == entry["de"] and mod.t(key, "en-GB") == entry["en"], key


def test_read_backs_and_questionnaire_texts_follow_the_same_rule() -> None:
    from datetime import date

    from agent.questionnaire.model import pick_text
    from agent.understanding.formatting import format_value

    assert format_value("date", date(2025, 3, 14), "en-GB") == format_value("date", date(2025, 3, 14), "en")
    assert format_value("date", date(2025, 3, 14), "de-AT") == "14. März 2025"
    assert pick_text({"de": "Frage", "en": "Question"}, "EN") == "Question"
    assert pick_text({"de": "Frage", "en": "Question"}, "fr") == "Frage"
