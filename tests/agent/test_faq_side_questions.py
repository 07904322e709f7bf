"""Side questions in the conversation are answered from the FAQ, or passed to the lawyer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.knowledge import knowledge_ports
from agent.service import Mandat
from tests.agent.conversation.helpers import say, texts
from tests.fakes.llm_server import fake_llm_fixture  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.fixture
def service(settings) -> Iterator[Mandat]:  # noqa: ANN001
    svc = Mandat(settings, ports=knowledge_ports)
    svc.setup()
    yield svc
    svc.close()


def test_side_question_answered_from_faq_then_question_repeated(service: Mandat) -> None:
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


def test_with_an_llm_side_questions_are_answered_only_from_passages_of_this_request(
        settings, fake_llm) -> None:  # noqa: ANN001
    import re

    from agent.llm import LLMClient
    from agent.messages import Attachment
    from tests.tools.corpus import DISMISSAL, text_pdf

    def hook(body: dict) -> dict:
        name = body["response_format"]["json_schema"]["name"]
        user = body["messages"][-1]["content"]
        if name == "Interpretation":
            said = re.search(r"<client_message>\n?(.*?)\n?</client_message>", user, re.S).group(1)
            return {"parsed": {"answers": [], "side_question": said, "wants": "question"}}
        ids = [pid for pid, text in re.findall(r"\[(P\d+)\] ([^\n]*)", user) if "30.04.2025" in text]
        if not ids:
            return {"parsed": {"answerable": False, "answer": "", "sources": []}}
        return {"parsed": {"answerable": True, "answer": "Laut Kündigung endet es am 30.04.2025.", "sources": ids}}

    fake_llm.default = hook
    svc = Mandat(settings, llm=LLMClient(fake_llm.base_url, "k", "m", timeout_s=5), ports=knowledge_ports)
    svc.setup()
    try:
        assert svc.knowledge_ready.wait(120)
        a = svc.create_request(client_name="Thomas", client_email=None, questionnaires=["kuendigung"]).id
        b = svc.create_request(client_name="Erika", client_email=None, questionnaires=["kuendigung"]).id
        say(svc, a, "", attachments=(Attachment("kuendigung.pdf", text_pdf(DISMISSAL.lines), "application/pdf"),))
        svc.knowledge_jobs.join()
        question = "Bis wann läuft mein Arbeitsverhältnis laut dem Schreiben?"
        reply = texts(say(svc, a, question))
        assert "30.04.2025" in reply and "Ihr Dokument, S. 1" in reply, reply
        fake_llm.requests.clear()
        reply_b = texts(say(svc, b, question))
        assert "30.04.2025" not in reply_b, "request B never sees request A's document"
        assert "weiter" in reply_b, "unanswerable: passed to the lawyer"
        assert all("Muster Logistik" not in r["messages"][-1]["content"] for r in fake_llm.requests)
    finally:
        svc.close()
