"""The LLM path through the service, against the scripted fake OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.config import Settings
from agent.llm import LLMClient
from agent.service import Mandat
from tests.agent.conversation.helpers import say, texts
from tests.fakes.llm_server import FakeLLMServer, fake_llm_fixture  # noqa: F401


@pytest.fixture
def llm_service(settings: Settings, fake_llm: FakeLLMServer) -> Iterator[Mandat]:
    client = LLMClient(fake_llm.base_url, "test-key", "fake-model", timeout_s=0.5)
    svc = Mandat(settings, llm=client)
    svc.setup()
    yield svc
    svc.close()


def _answers(service: Mandat, rid: str) -> dict[str, object]:
    return {a["field"]: a for a in service.request_summary(rid)["answers"]}


def _start(service: Mandat) -> str:
    rid = service.create_request(client_name="Max", client_email=None, lang="de", questionnaires=["kuendigung"]).id
    return rid


def test_parsers_first_no_llm_call_for_plain_answers(llm_service: Mandat, fake_llm: FakeLLMServer) -> None:
    rid = _start(llm_service)
    say(llm_service, rid, "Max")
    say(llm_service, rid, "Mustermann")
    say(llm_service, rid, "03.04.1980")
    assert fake_llm.requests == []
    assert llm_service.request_summary(rid)["llm"]["calls"] == 0


def test_free_form_message_fills_several_fields(llm_service: Mandat, fake_llm: FakeLLMServer) -> None:
    rid = _start(llm_service)
    say(llm_service, rid, "Max")
    say(llm_service, rid, "Mustermann")
    fake_llm.script([{"parsed": {
        "answers": [
            {"field_id": "birth_date", "text": "1980-04-03", "quote": "geboren am 3.4.1980", "confidence": 0.95},
            {"field_id": "employer_name", "text": "ACME GmbH", "quote": "bei ACME GmbH", "confidence": 0.9},
            {"field_id": "email", "text": "not-an-email", "quote": "x", "confidence": 0.9},
        ],
        "corrections": [], "side_question": None, "wants": "answer"}}])
    result = say(llm_service, rid, "Ich bin am 3.4.1980 geboren und arbeite seit Jahren bei ACME GmbH")
    answers = _answers(llm_service, rid)
    assert answers["birth_date"]["value"] == "1980-04-03" and answers["birth_date"]["method"] == "llm"
    assert answers["birth_date"]["raw_text"] == "geboren am 3.4.1980"
    assert answers["employer_name"]["value"] == "ACME GmbH"
    assert "email" not in answers, "an invalid proposal is explained, not stored"
    assert "Notiert" in texts(result)
    summary = llm_service.request_summary(rid)
    assert summary["llm"]["calls"] == 1 and summary["llm"]["prompt_tokens"] > 0
    body = fake_llm.requests[0]
    user = body["messages"][-1]["content"]
    assert "<client_message>" in user and "ACME" in user
    assert "Mustermann" not in user.split("<client_message>")[1], "no transcript is sent"


def test_correction_and_side_question(llm_service: Mandat, fake_llm: FakeLLMServer) -> None:
    rid = _start(llm_service)
    for line in ["Max", "Mustermann", "03.04.1980"]:
        say(llm_service, rid, line)
    fake_llm.script([{"parsed": {
        "answers": [], "corrections": [
            {"field_id": "birth_date", "text": "1980-04-04", "quote": "eigentlich der 4.4.", "confidence": 0.9}],
        "side_question": "Was kostet die Erstberatung?", "wants": "answer"}}])
    result = say(llm_service, rid, "Oh, mein Geburtstag ist eigentlich der 4.4.1980. Was kostet das eigentlich?")
    assert _answers(llm_service, rid)["birth_date"]["value"] == "1980-04-04"
    assert "weiter" in texts(result) or "Erstberatung" in texts(result)
    kinds = [a["kind"] for a in llm_service.request_summary(rid)["activity"]]
    assert "needs_person" in kinds or "faq_answered" in kinds


@pytest.mark.parametrize("failure", [
    {"status": 429}, {"status": 500}, {"content": "{not json"}, {"refusal": "I cannot help with that."},
    {"delay": 2.0, "parsed": {"answers": [], "side_question": None, "wants": "other"}},
    {"finish_reason": "length"},
])
def test_llm_failure_falls_back_and_loses_nothing(llm_service: Mandat, fake_llm: FakeLLMServer,
                                                   failure: dict) -> None:
    rid = _start(llm_service)
    say(llm_service, rid, "Max")
    say(llm_service, rid, "Mustermann")
    fake_llm.script([failure])
    result = say(llm_service, rid, "na ja, das ist kompliziert, im Frühjahr irgendwann")
    assert result.replies, "the client always gets an answer"
    assert "Frage 3" in texts(result), "the question is asked again"
    summary = llm_service.request_summary(rid)
    assert _answers(llm_service, rid)["last_name"]["value"] == "Mustermann"
    assert summary["llm"]["calls"] == 1
    assert summary["progress"]["answered"] == 2
    history = llm_service.history(rid)
    assert any("kompliziert" in h["text"] for h in history), "the client's message is kept"
    say(llm_service, rid, "3.4.1980")
    assert _answers(llm_service, rid)["birth_date"]["value"] == "1980-04-03"


def test_long_free_text_for_a_text_field_goes_to_the_llm(llm_service: Mandat, fake_llm: FakeLLMServer) -> None:
    rid = _start(llm_service)
    fake_llm.script([{"parsed": {
        "answers": [{"field_id": "first_name", "text": "Max", "quote": "Ich heiße Max", "confidence": 0.95},
                    {"field_id": "last_name", "text": "Muster", "quote": "Muster", "confidence": 0.95}],
        "side_question": None, "wants": "answer"}}])
    say(llm_service, rid, "Hallo, ich heiße Max Muster und wurde gekündigt")
    answers = _answers(llm_service, rid)
    assert answers["first_name"]["value"] == "Max" and answers["last_name"]["value"] == "Muster"
