"""Greetings, thanks and markup in a conversation; choices by meaning (issue 13, items 6 and 7)."""

from __future__ import annotations

from agent.service import Mandat
from tests.agent.conversation.helpers import say, texts
from tests.agent.scripts import KUENDIGUNG_DE


def _new(service: Mandat, lang: str = "de") -> str:
    return service.create_request(client_name="Max", client_email=None, lang=lang,
                                  questionnaires=["kuendigung"]).id


def _answers(service: Mandat, request_id: str) -> dict[str, object]:
    summary = service.request_summary(request_id)
    assert summary is not None
    return {a["field"]: a["value"] for a in summary["answers"]}


def test_greeting_thanks_and_bad_names_are_never_stored(service: Mandat) -> None:
    rid = _new(service)
    for message, expected in [("Hallo", "Hallo!"), ("Danke!", "Gern geschehen"), ("<b>Max</b>", "Zeichen"),
                              ("Max123", "Buchstaben")]:
        result = say(service, rid, message)
        assert expected in texts(result) and "Vorname" in texts(result), (message, texts(result))
        assert "first_name" not in _answers(service, rid)
    say(service, rid, "Anne-Marie")
    say(service, rid, "O'Brien")
    assert _answers(service, rid) == {"first_name": "Anne-Marie", "last_name": "O'Brien"}


def test_english_greeting(service: Mandat) -> None:
    rid = _new(service, "en")
    result = say(service, rid, "Hello")
    assert "Hello!" in texts(result) and "first name" in texts(result).lower()
    assert "first_name" not in _answers(service, rid)


def test_choices_by_meaning_in_a_conversation(service: Mandat) -> None:
    rid = _new(service)
    for answer in KUENDIGUNG_DE[:12]:
        say(service, rid, answer)
    say(service, rid, "so um die 50 Leute")
    assert _answers(service, rid)["company_size"] == "from_21_to_200"
    say(service, rid, "zurück")
    say(service, rid, "weiß nicht genau")
    assert _answers(service, rid)["company_size"] == "unknown"


def test_unclear_choice_gets_one_clarifying_question_then_goes_to_staff(service: Mandat) -> None:
    rid = _new(service)
    for answer in KUENDIGUNG_DE[:12]:
        say(service, rid, answer)
    first = texts(say(service, rid, "kommt drauf an"))
    assert "keiner der Möglichkeiten" in first
    second = texts(say(service, rid, "schwer zu sagen"))
    assert "Meinen Sie eher" in second and second.count("„") == 2, second
    third = texts(say(service, rid, "hmm"))
    assert "offen" in third and "Wie viele" not in third, "the same question is never asked a third time"
    assert "company_size" not in _answers(service, rid)
    summary = service.request_summary(rid)
    assert any(a["kind"] == "needs_person" and "company_size" in a["summary"] for a in summary["activity"])
