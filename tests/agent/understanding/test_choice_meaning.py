"""Choices understood by meaning: numbers into ranges, don't-know, aliases, synonyms (issue 13, item 7)."""

from __future__ import annotations

import pytest

from agent.understanding.choice_meaning import Range, match_meaning, option_range
from agent.understanding.parsers import Option, parse_value

SIZE = [
    Option("up_to_10", {"de": "bis 10", "en": "up to 10"}),
    Option("from_11_to_20", {"de": "11 bis 20", "en": "11 to 20"}),
    Option("from_21_to_200", {"de": "21 bis 200", "en": "21 to 200"}),
    Option("more_than_200", {"de": "mehr als 200", "en": "more than 200"}),
    Option("unknown", {"de": "weiß ich nicht", "en": "I don't know"}),
]
DELIVERY = [
    Option("handed_over", {"de": "persönlich übergeben", "en": "handed to me in person"}, aliases=("per Hand",)),
    Option("letterbox", {"de": "per Brief in den Briefkasten", "en": "by letter"}, aliases=("mit der Post",)),
    Option("electronic", {"de": "per E-Mail", "en": "by e-mail"}),
    Option("post", {"de": "per Post", "en": "by post"}),
]


@pytest.mark.parametrize(("label", "expected"), [
    ("bis 10", Range(0, 10)), ("11 bis 20", Range(11, 20)), ("21 to 200", Range(21, 200)),
    ("mehr als 200", Range(201, float("inf"))), ("weniger als 5", Range(0, 4)), ("1.000 bis 5.000", Range(1000, 5000)),
    ("200+", Range(200, float("inf"))), ("weiß ich nicht", None), ("per Post", None),
])
def test_option_range(label: str, expected: Range | None) -> None:
    assert option_range(label) == expected


@pytest.mark.parametrize(("text", "key"), [
    ("ca. 45", "from_21_to_200"), ("so um die 50 Leute", "from_21_to_200"), ("knapp 200", "from_21_to_200"),
    ("über 200", "more_than_200"), ("etwa 8", "up_to_10"), ("45", "from_21_to_200"), ("10", "up_to_10"),
    ("11", "from_11_to_20"), ("about 300 people", "more_than_200"), ("zwischen 15 und 18", None),
    ("15 bis 18", "from_11_to_20"), ("weiß nicht genau", "unknown"), ("keine Ahnung", "unknown"),
    ("I don't know", "unknown"), ("3", "from_21_to_200"),  # a bare small number stays the option's position
])
def test_numbers_and_dont_know(text: str, key: str | None) -> None:
    parsed = parse_value("choice", text, "de", options=SIZE)
    if key is None:
        assert not parsed.ok or parsed.value in {o.key for o in SIZE}
    else:
        assert parsed.ok and parsed.value == key, (text, parsed)


@pytest.mark.parametrize(("text", "key"), [
    ("Einschreiben", "post"), ("per Hand", "handed_over"), ("mit der Post gekommen", "letterbox"),
    ("persönlich", "handed_over"), ("by hand", "handed_over"),
])
def test_aliases_and_synonyms(text: str, key: str) -> None:
    parsed = parse_value("choice", text, "de", options=DELIVERY)
    assert parsed.ok and parsed.value == key, (text, parsed)


def test_multi_choice_from_a_sentence() -> None:
    parsed = parse_value("multi_choice", "per Mail und per Post", "de", options=DELIVERY)
    assert parsed.ok and parsed.value == ["electronic", "post"]
    parsed = parse_value("multi_choice", "Ich habe sie per Hand und als Einschreiben bekommen", "de", options=DELIVERY)
    assert parsed.ok and set(parsed.value) == {"handed_over", "post"}


def test_no_meaning_is_no_guess() -> None:
    assert match_meaning("vielleicht morgen", SIZE) is None
    assert match_meaning("45", []) is None
    assert match_meaning("x" * 400, SIZE) is None
    assert match_meaning("weiß nicht", DELIVERY) is None  # no don't-know option to pick
