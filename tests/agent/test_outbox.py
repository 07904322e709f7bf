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


def test_two_dispatchers_deliver_each_row_once(service: Mandat, settings) -> None:  # noqa: ANN001
    """Two workers' dispatchers race for the same rows: the claim lets exactly one of them send."""
    import threading

    from agent.outbox import Dispatcher

    created = service.create_request(client_name="Max", client_email=None, questionnaires=["kuendigung"],
                                     channel="terminal")
    for n in range(30):
        with service.db.write() as s:
            s.add(m.OutboxRow(message_id=f"{created.id}.x{n}", request_id=created.id, channel="terminal",
                              address="t", body={"text": f"m{n}"}))
    sent: list[str] = []
    lock = threading.Lock()

    def sender(msg) -> None:  # noqa: ANN001
        with lock:
            sent.append(msg.message_id)

    first, second = Dispatcher(service.db), Dispatcher(service.db)
    for d in (first, second):
        d.register("terminal", sender)
    threads = [threading.Thread(target=d.deliver_pending) for d in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(sent) == len(set(sent)) == 30 + len(created.opening)


def test_a_row_left_sending_by_a_crash_is_retried_after_its_lease(service: Mandat) -> None:
    from datetime import UTC, datetime, timedelta

    created = service.create_request(client_name="Max", client_email=None, questionnaires=["kuendigung"],
                                     channel="terminal")
    with service.db.write() as s:
        s.execute(m.OutboxRow.__table__.update().where(m.OutboxRow.request_id == created.id)
                  .values(status="sending", attempts=1, not_before=datetime.now(UTC) + timedelta(seconds=30)))
    sent: list[str] = []
    service.outbox.register("terminal", lambda msg: sent.append(msg.message_id))
    assert service.outbox.deliver_pending().sent == 0, "another dispatcher may still be sending it"
    with service.db.write() as s:
        s.execute(m.OutboxRow.__table__.update().where(m.OutboxRow.request_id == created.id)
                  .values(not_before=datetime.now(UTC) - timedelta(seconds=1)))
    assert service.outbox.deliver_pending().sent == len(created.opening)
