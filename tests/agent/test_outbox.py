"""The outbox delivers each row once and keeps no personal link in clear once a message has left."""

from __future__ import annotations

from agent.outbox import scrub_tokens
from agent.service import Mandat
from agent.store import models as m


def test_scrub_tokens_everywhere_in_a_body() -> None:
    token = "I9mG0dsa1iCHQhvc8apRPzPCOvzKVFAEFf4fw0IeDfo"
    body = {"text": f"Bitte hier: https://x.example/s/{token} danke", "link": f"https://x.example/c/{token}",
            "meta": {"html": f'<a href="https://t.me/bot?start={token}">', "n": 3}, "list": [f"/s/{token}"]}
    scrubbed = scrub_tokens(body)
    assert token not in repr(scrubbed)
    assert scrubbed["text"] == "Bitte hier: https://x.example/s/[token] danke"
    assert scrubbed["meta"]["n"] == 3


def test_sent_rows_keep_no_link_token(service: Mandat) -> None:
    created = service.create_request(client_name="Max", client_email="max@example.org",
                                     questionnaires=["kuendigung"], channel="terminal")
    token = created.links["chat"].rsplit("/", 1)[1]
    with service.db.write() as s:  # a message carrying the personal link, as an invitation does
        s.add(m.OutboxRow(message_id=f"{created.id}.inv", request_id=created.id, channel="terminal",
                          address="max@example.org", kind="invitation",
                          body={"text": f"Ihr Link: {created.links['chat']}", "link": created.links["chat"]}))
    sent: list[str] = []
    service.outbox.register("terminal", lambda msg: sent.append(msg.text))
    report = service.outbox.deliver_pending()
    assert report.sent >= 2 and any(token in text for text in sent), "the client got the real link"
    second = service.outbox.deliver_pending()
    assert second.sent == 0, "each row is delivered once"
    with service.db.read() as s:
        bodies = [r.body for r in s.query(m.OutboxRow).filter(m.OutboxRow.request_id == created.id)]
    assert bodies and token not in repr(bodies)
