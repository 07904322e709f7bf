"""Batch mode through the service (channel "email"): English replies, read-back of what was understood,
confirmation by numbered summary with a correction by number, and ONE LLM call for a whole paragraph."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from agent.config import Settings
from agent.llm import LLMClient
from agent.service import Mandat
from tests.agent.conversation.helpers import say, texts
from tests.fakes.llm_server import FakeLLMServer, fake_llm_fixture  # noqa: F401

EN = {
    "What is your first name?": "Max", "And your last name?": "Mustermann",
    "What is your date of birth?": "3 April 1980",
    "What is your postal address? (street, number, postcode, town)": "Musterstraße 12, 10115 Berlin",
    "Which e-mail address may we write to?": "max@example.org",
    "What is your job there?": "Warehouse clerk", "Since when have you been working there?": "2015-02-01",
    "What is your gross monthly salary?": "EUR 3,500", "How many hours a week do you work under your contract?": "40",
    "Is there a works council at your workplace?": "yes", "On which day did you receive the dismissal?": "yesterday",
    "How did you receive the dismissal?": "by registered mail", "What kind of dismissal is it?": "I don't know",
    "Do any of the following apply to you? You can choose more than one.": "none of these",
    "Do you have legal expenses insurance that covers employment law?": "no",
    "What would you mainly like to achieve?": "a severance payment",
    "Roughly how many employees does your workplace have (not counting apprentices)?": "21 to 200",
}


def _start(service: Mandat, lang: str = "en") -> str:
    return service.create_request(client_name="Max", client_email="max@example.org", lang=lang,
                                  questionnaires=["kuendigung"]).id


def _answer_batch(text: str) -> str:
    lines = []
    for n, question in re.findall(r"^(\d{1,2})\. (.+?)(?: \(optional\))?$", text, re.MULTILINE):
        if question in EN:
            lines.append(f"{n}) {EN[question]}")
        elif "employer" in question.lower() and "address" not in question.lower():
            lines.append(f"{n}) ACME Ltd")
    return "\n".join(lines)


def test_english_batches_summary_correction_by_number_and_confirmation(service: Mandat) -> None:
    rid = _start(service)
    result = say(service, rid, "1. Max\n2) Mustermann\n3: 12 May 2030", channel="email", sender="max@example.org")
    reply = texts(result)
    assert "Thank you, noted: First name: Max; Last name: Mustermann." in reply
    assert "I still need these again:" in reply and "Date of birth" in reply
    assert "1. What is your date of birth?" in reply  # asked again, numbered afresh
    for _ in range(6):
        if "Please check your details:" in reply:
            break
        reply = texts(say(service, rid, _answer_batch(reply), channel="email", sender="max@example.org"))
    assert "Please check your details:" in reply
    number = re.search(r"^(\d+)\. Employer: ACME Ltd$", reply, re.MULTILINE).group(1)
    reply = texts(say(service, rid, f"{number} is wrong, it is ACME GmbH", channel="email", sender="max@example.org"))
    assert "Changed: Employer: ACME GmbH." in reply and "Please check your details:" in reply
    result = say(service, rid, "Yes, correct.\n\nBest regards\nMax", channel="email", sender="max@example.org")
    summary = service.request_summary(rid)
    assert summary["status"] == "complete" and all(a["confirmed"] for a in summary["answers"])
    values = {a["field"]: a["value"] for a in summary["answers"]}
    assert values["employer_name"] == "ACME GmbH" and values["birth_date"] == "1980-04-03"


def test_web_chat_still_asks_one_question_at_a_time(service: Mandat) -> None:
    rid = _start(service, "de")
    reply = texts(say(service, rid, "Max"))
    assert "Frage 2 von" in reply and "1. " not in reply


@pytest.fixture
def llm_service(settings: Settings, fake_llm: FakeLLMServer) -> Iterator[Mandat]:
    svc = Mandat(settings, llm=LLMClient(fake_llm.base_url, "test-key", "fake-model", timeout_s=0.5))
    svc.setup()
    yield svc
    svc.close()


def test_a_paragraph_reply_costs_one_llm_call_for_the_whole_batch(llm_service: Mandat,
                                                                   fake_llm: FakeLLMServer) -> None:
    rid = _start(llm_service, "de")
    fake_llm.script([{"parsed": {
        "answers": [
            {"field_id": "first_name", "text": "Max", "quote": "Ich heiße Max", "confidence": 0.95},
            {"field_id": "last_name", "text": "Mustermann", "quote": "Mustermann", "confidence": 0.95},
            {"field_id": "birth_date", "text": "1980-04-03", "quote": "am 3.4.1980 geboren", "confidence": 0.9},
            {"field_id": "email", "text": "kein-mail", "quote": "x", "confidence": 0.5},
        ],
        "corrections": [], "side_question": None, "wants": "answer"}}])
    text = "Ich heiße Max Mustermann, bin am 3.4.1980 geboren und arbeite seit Jahren in Berlin als Lagerist."
    result = say(llm_service, rid, text, channel="email", sender="max@example.org")
    assert len(fake_llm.requests) == 1, "one structured-output call for the whole batch, never one per field"
    answers = {a["field"]: a for a in llm_service.request_summary(rid)["answers"]}
    assert answers["birth_date"]["value"] == "1980-04-03" and answers["birth_date"]["method"] == "llm"
    assert answers["first_name"]["value"] == "Max" and "email" not in answers  # validated like typed input
    assert "E-Mail-Adresse" in texts(result)
