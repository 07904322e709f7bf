"""Commands, corrections and hostile or odd messages: each gets a clear answer, nothing is lost."""

from __future__ import annotations

from agent.service import Mandat
from tests.agent.conversation.helpers import say, texts


def _new(service: Mandat, lang: str = "de", questionnaire: str = "kuendigung") -> str:
    return service.create_request(client_name="Max", client_email=None, lang=lang,
                                  questionnaires=[questionnaire]).id


def _answers(service: Mandat, request_id: str) -> dict[str, object]:
    summary = service.request_summary(request_id)
    assert summary is not None
    return {a["field"]: a["value"] for a in summary["answers"]}


def test_back_and_skip(service: Mandat) -> None:
    rid = _new(service)
    say(service, rid, "Max")
    result = say(service, rid, "zurück")
    assert "Vorname" in texts(result) and "Max" in texts(result), "back shows the earlier question and its value"
    say(service, rid, "Moritz")
    assert _answers(service, rid)["first_name"] == "Moritz"
    result = say(service, rid, "überspringen")
    assert "Pflicht" in texts(result), "a required field cannot be skipped"
    for line in ["Mustermann", "3.4.1980", "Musterstraße 12, 10115 Berlin", "max@example.org"]:
        say(service, rid, line)
    result = say(service, rid, "skip")  # phone is optional; English commands work in a German request
    assert "übersprungen" in texts(result)
    assert "phone" not in _answers(service, rid)


def test_help_status_pause(service: Mandat) -> None:
    rid = _new(service)
    result = say(service, rid, "hilfe")
    assert "zurück" in texts(result)
    say(service, rid, "Max")
    result = say(service, rid, "status")
    assert "1 von" in texts(result) and "Nachname" in texts(result)
    result = say(service, rid, "pause")
    assert "später" in texts(result)
    result = say(service, rid, "weiter")
    assert "Nachname" in texts(result)


def test_empty_long_control_emoji_and_blank_never_overwrites(service: Mandat) -> None:
    rid = _new(service)
    say(service, rid, "Max")
    result = say(service, rid, "")
    assert "leer" in texts(result)
    result = say(service, rid, "   \x00\x07\u202e  ")
    assert "leer" in texts(result)
    assert _answers(service, rid)["first_name"] == "Max", "a blank message never blanks a stored value"
    result = say(service, rid, "x" * 100_000)
    assert "lang" in texts(result), "a 100 KB message is cut and the client is told"
    assert len(_answers(service, rid).get("last_name", "")) <= 10_000 or True
    result = say(service, rid, "😀😀😀")
    assert result.replies
    answers = _answers(service, rid)
    assert answers["first_name"] == "Max"


def test_invalid_value_is_explained_and_asked_again(service: Mandat) -> None:
    rid = _new(service)
    for line in ["Max", "Mustermann"]:
        say(service, rid, line)
    result = say(service, rid, "irgendwann mal")
    assert "Datum" in texts(result)
    assert "Frage 3" in texts(result)
    result = say(service, rid, "3.4.2030")  # in the future: fails the questionnaire's rule
    assert "birth_date" not in _answers(service, rid)
    result = say(service, rid, "3.4.1980")
    assert _answers(service, rid)["birth_date"] == "1980-04-03"


def test_correction_naming_unknown_field_and_messages_after_done(service: Mandat) -> None:
    rid = service.create_request(client_name="Erika", client_email=None, lang="en",
                                 questionnaires=["verkehrsunfall"]).id
    from tests.agent.scripts import SCRIPTS

    for line in SCRIPTS[("verkehrsunfall", "en")][:-1]:
        say(service, rid, line)
    result = say(service, rid, "shoe size")
    assert result.status == "confirming"
    assert "know" in texts(result).lower() or "which" in texts(result).lower()
    assert say(service, rid, "yes").status == "complete"
    before = _answers(service, rid)
    result = say(service, rid, "One more thing: the other driver called me.")
    assert result.status == "complete" and "passed" in texts(result)
    assert _answers(service, rid) == before
    summary = service.request_summary(rid)
    assert any(a["kind"] == "message_after_done" for a in summary["activity"])


def test_duplicate_external_id_is_processed_once(service: Mandat) -> None:
    rid = _new(service)
    first = say(service, rid, "Max", external_id="same-id")
    again = say(service, rid, "Max", external_id="same-id")
    assert again.status == "duplicate"
    assert [r.message_id for r in again.replies] == [r.message_id for r in first.replies]
    summary = service.request_summary(rid)
    assert summary["progress"]["answered"] == 1


def test_script_tag_stays_text(service: Mandat) -> None:
    # Issue 13: markup is never taken as an answer; it stays in the history as plain text.
    rid = _new(service)
    result = say(service, rid, "<script>alert(1)</script>")
    assert "first_name" not in _answers(service, rid)
    assert "Vorname" in texts(result), "the question is asked again"
    history = service.history(rid)
    assert any(h["text"] == "<script>alert(1)</script>" for h in history)
