"""The LLM interpreter proposes choices by option key; keys with underscores and digits must parse."""

from agent.understanding.parsers import Option, parse_value

SIZES = [Option("up_to_10", {"de": "bis 10", "en": "up to 10"}),
         Option("from_11_to_20", {"de": "11 bis 20", "en": "11 to 20"})]


def test_choice_by_exact_key() -> None:
    assert parse_value("choice", "from_11_to_20", "de", options=SIZES).value == "from_11_to_20"
    assert parse_value("choice", "up_to_10", "en", options=SIZES).value == "up_to_10"


def test_multi_choice_by_keys() -> None:
    assert parse_value("multi_choice", "up_to_10, from_11_to_20", "de", options=SIZES).value == [
        "up_to_10", "from_11_to_20"]
