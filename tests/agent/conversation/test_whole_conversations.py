"""Whole conversations through the entry point a channel uses, offline, in German and English."""

from __future__ import annotations

import pytest

from agent.service import Mandat
from tests.agent.conversation.helpers import say, texts
from tests.agent.scripts import SCRIPTS


@pytest.mark.parametrize(("questionnaire", "lang"), sorted(SCRIPTS))
def test_scripted_client_completes_questionnaire(service: Mandat, questionnaire: str, lang: str) -> None:
    created = service.create_request(client_name="Max Mustermann", client_email="max@example.org", lang=lang,
                                     questionnaires=[questionnaire])
    assert created.opening, "the request opens with a greeting and the first question"
    result = None
    for line in SCRIPTS[(questionnaire, lang)]:
        result = say(service, created.id, line)
        assert result.replies, f"no reply to {line!r}"
    assert result is not None and result.status == "complete"
    summary = service.request_summary(created.id)
    assert summary is not None and summary["status"] == "complete"
    answers = {a["field"]: a for a in summary["answers"]}
    assert all(a["confirmed"] for a in answers.values())
    assert answers["first_name"]["value"] in ("Max", "Erika")
    assert all(a["source"]["type"] == "message" and a["source"]["id"].startswith("msg:") for a in answers.values())
    assert all(a["method"] == "parser" for a in answers.values())
    assert summary["llm"]["calls"] == 0
    kinds = [a["kind"] for a in summary["activity"]]
    assert "questionnaire_completed" in kinds and "request_complete" in kinds


def test_values_are_normalised_with_provenance(service: Mandat) -> None:
    created = service.create_request(client_name="Max", client_email=None, lang="de", questionnaires=["kuendigung"])
    for line in SCRIPTS[("kuendigung", "de")][:12]:
        say(service, created.id, line)
    summary = service.request_summary(created.id)
    assert summary is not None
    answers = {a["field"]: a for a in summary["answers"]}
    assert answers["birth_date"]["value"] == "1980-04-03"
    assert answers["birth_date"]["raw_text"] == "3. April 1980"
    assert answers["phone"]["value"] == "+491701234567"
    assert answers["gross_salary"]["value"] == {"amount": "3500.00", "currency": "EUR"}
    assert answers["address"]["value"]["postal_code"] == "10115"
    assert not any(a["confirmed"] for a in answers.values()), "nothing counts as confirmed before the read-back"
    assert summary["progress"]["answered"] == 12


def test_readback_correction_by_name_and_value(service: Mandat) -> None:
    created = service.create_request(client_name="Erika", client_email=None, lang="en",
                                     questionnaires=["verkehrsunfall"])
    script = SCRIPTS[("verkehrsunfall", "en")]
    for line in script[:-1]:
        result = say(service, created.id, line)
    assert result.status == "confirming"
    assert "Is everything correct?" in texts(result)
    result = say(service, created.id, "Email address: erika.neu@example.org")
    assert "erika.neu@example.org" in texts(result)
    assert result.status == "confirming", "after a correction the answers are read back again"
    result = say(service, created.id, "last name")
    assert result.status == "confirming"
    result = say(service, created.id, "Musterfrau-Schmidt")
    assert "Musterfrau-Schmidt" in texts(result)
    result = say(service, created.id, "yes")
    assert result.status == "complete"
    summary = service.request_summary(created.id)
    answers = {a["field"]: a["value"] for a in summary["answers"]}
    assert answers["email"] == "erika.neu@example.org"
    assert answers["last_name"] == "Musterfrau-Schmidt"


def test_condition_flip_asks_new_fields(service: Mandat) -> None:
    """Correcting 'no insurance' to 'yes' at the read-back makes insurer and policy number required."""
    created = service.create_request(client_name="Max", client_email=None, lang="en", questionnaires=["kuendigung"])
    for line in SCRIPTS[("kuendigung", "en")][:-1]:
        result = say(service, created.id, line)
    assert result.status == "confirming"
    result = say(service, created.id, "Legal expenses insurance: yes")
    assert result.status == "open"
    assert "insur" in texts(result).lower()
    say(service, created.id, "ARAG")
    result = say(service, created.id, "RS-998877")
    assert result.status == "confirming"
    assert say(service, created.id, "yes").status == "complete"
