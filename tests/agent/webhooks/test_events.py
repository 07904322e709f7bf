"""Every event type comes out of the real flows, in the order things happened, in the same transaction."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from agent.messages import Attachment
from agent.privacy import erase
from agent.privacy.erase import request_scope
from agent.service import Mandat
from agent.store import models as m
from agent.webhooks.registry import add_webhook
from tests.agent.conversation.helpers import say
from tests.agent.scripts import KUENDIGUNG_DE
from tests.tools.corpus import DISMISSAL, text_pdf


def _events(service: Mandat, request_id: str) -> list[dict]:
    with service.db.read() as s:
        rows = s.scalars(select(m.OutboxRow).where(m.OutboxRow.channel == "webhook",
                                                   m.OutboxRow.request_id == request_id).order_by(m.OutboxRow.id))
        return [json.loads(r.body["text"]) for r in rows]


def test_no_subscription_no_rows(service: Mandat) -> None:
    rid = service.create_request(client_name="Max", client_email=None, questionnaires=["kuendigung"]).id
    assert _events(service, rid) == []


@pytest.mark.slow
def test_a_whole_request_yields_every_event_in_order(service: Mandat) -> None:
    add_webhook(service.db, "http://127.0.0.1:9/hook", ["*"], allow_private=True)
    rid = service.create_request(client_name="Thomas Becker", client_email="t.becker@example.org",
                                 questionnaires=["kuendigung"], uploads=["Kündigungsschreiben"]).id
    letter = Attachment("kuendigung.pdf", text_pdf(DISMISSAL.lines), "application/pdf")
    say(service, rid, "Hier ist die Kündigung", attachments=(letter,))
    say(service, rid, "ja")
    for text in KUENDIGUNG_DE:
        say(service, rid, text)
    events = _events(service, rid)
    types = [e["type"] for e in events]
    assert types[:6] == ["request.created", "message.received", "document.uploaded", "document.extracted",
                         "deadline.detected", "message.received"], types
    assert types[-2:] == ["questionnaire.completed", "request.completed"], types
    assert set(types) >= {"request.created", "message.received", "document.uploaded", "document.extracted",
                          "deadline.detected", "questionnaire.completed", "request.completed"}
    extracted = events[3]["data"]
    assert extracted["type"] == "dismissal_letter" and extracted["document"]["filename"] == "kuendigung.pdf"
    assert any(f["name"] == "letter_date" for f in extracted["facts"])
    assert events[4]["data"]["due_date"] == "2025-04-04"
    done = next(e for e in events if e["type"] == "questionnaire.completed")["data"]
    assert done["questionnaire"] == "kuendigung" and done["answers"]["first_name"] == "Max"
    assert len({e["id"] for e in events}) == len(events)


def test_an_event_rolls_back_with_its_activity(service: Mandat) -> None:
    add_webhook(service.db, "http://127.0.0.1:9/hook", ["message.received"], allow_private=True)
    rid = service.create_request(client_name="Max", client_email=None, questionnaires=["kuendigung"]).id
    with pytest.raises(RuntimeError), service.db.write() as s:
        s.add(m.Activity(request_id=rid, kind="message_received", summary="lost"))
        s.flush()
        raise RuntimeError("the transaction fails after the flush")
    assert _events(service, rid) == []


def test_document_signed_carries_the_signed_file(service: Mandat) -> None:
    add_webhook(service.db, "http://127.0.0.1:9/hook", ["document.signed"], allow_private=True)
    rid = service.create_request(client_name="Max", client_email=None, sign=["vollmacht"]).id
    with service.db.write() as s:  # as agent/signing_flow.py records a signature
        doc = m.Document(request_id=rid, sha256="ab" * 32, filename="vollmacht-unterschrieben.pdf",
                         mime="application/pdf", size=1234, origin="signed", doc_type="signed_vollmacht")
        s.add(doc)
        s.flush()
        s.add(m.Activity(request_id=rid, kind="document_signed", summary="Vollmacht signed by Max", important=True,
                         data={"document_id": doc.id, "template": "vollmacht", "sha256": "ab" * 32}))
    (event,) = _events(service, rid)
    assert event["type"] == "document.signed" and event["data"]["template"] == "vollmacht"
    assert event["data"]["document"]["filename"] == "vollmacht-unterschrieben.pdf"
    assert event["data"]["document"]["origin"] == "signed"


def test_erasure_removes_the_deliveries(service: Mandat) -> None:
    """Event bodies carry the client's data: the privacy tools' cascade takes them with the request."""
    add_webhook(service.db, "http://127.0.0.1:9/hook", ["*"], allow_private=True)
    gone = service.create_request(client_name="Erika Geheim", client_email=None, questionnaires=["kuendigung"]).id
    kept = service.create_request(client_name="Max", client_email=None, questionnaires=["kuendigung"]).id
    with service.db.read() as s:
        scope = request_scope(s, [gone])
    assert erase(service, scope, reason="test", subject="erika@example.org").counts["outbox"] >= 1
    assert _events(service, gone) == [] and len(_events(service, kept)) == 1
