"""Side questions in the conversation are answered from the FAQ, or passed to the lawyer."""

from __future__ import annotations

import pytest

from agent.knowledge import attach_knowledge
from agent.service import Mandat
from tests.agent.conversation.helpers import say, texts

pytestmark = pytest.mark.slow


def test_side_question_answered_from_faq_then_question_repeated(service: Mandat) -> None:
    attach_knowledge(service)
    assert service.knowledge_ready.wait(120)
    rid = service.create_request(client_name="Max", client_email=None, lang="de", questionnaires=["kuendigung"]).id
    say(service, rid, "Max")
    result = say(service, rid, "Wie viel Zeit habe ich, um gegen die Kündigung zu klagen?")
    reply = texts(result)
    assert "drei Wochen" in reply or "3 Wochen" in reply, reply
    assert "Frage 2" in reply, "the open question is asked again"
    result = say(service, rid, "Wie wird morgen das Wetter in Hamburg?")
    assert "weiter" in texts(result), "an off-topic question goes to the lawyer"
    kinds = [a["kind"] for a in service.request_summary(rid)["activity"]]
    assert "faq_answered" in kinds and "needs_person" in kinds
