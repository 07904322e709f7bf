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


def test_backoff_is_exponential_with_jitter_up_to_the_cap() -> None:
    import random

    from agent.outbox import POLICIES

    policy = POLICIES["email"]
    rng = random.Random(7)
    for attempt in range(1, 15):
        ceiling = min(policy.cap_s, policy.base_s * 2 ** (attempt - 1))
        delays = {policy.delay_s(attempt, rng) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1, "jitter: receivers coming back are not hit at the same second"
    assert POLICIES["webhook"].window.total_seconds() == 24 * 3600
    assert POLICIES["email"].window.total_seconds() == 48 * 3600


def test_a_failing_message_waits_within_its_window_and_then_staff_are_told(service: Mandat) -> None:
    from datetime import UTC, datetime, timedelta

    created = service.create_request(client_name="Max", client_email=None, questionnaires=["kuendigung"],
                                     channel="terminal")
    with service.db.write() as s:
        for n in range(2):
            s.add(m.OutboxRow(message_id=f"{created.id}.mail{n}", request_id=created.id, channel="email",
                              address="max@example.org", kind="reply", body={"text": f"m{n}"}))
        s.add(m.OutboxRow(message_id=f"{created.id}.staff", request_id=created.id, channel="email",
                          address="anna@beispiel.example", kind="notification", body={"text": "news"}))
    tried: list[str] = []

    def down(msg) -> None:  # noqa: ANN001 - the relay is down
        tried.append(msg.message_id)
        raise ConnectionError("relay down")

    service.outbox.register("email", down)
    for _ in range(12):  # many attempts, all inside the 48 h window: still pending
        service.outbox.deliver_pending()
        with service.db.write() as s:
            s.execute(m.OutboxRow.__table__.update().values(not_before=None))
    assert f"{created.id}.mail1" not in tried, "the second reply never overtakes the first"
    with service.db.read() as s:
        rows = {r.message_id: r for r in s.query(m.OutboxRow).filter(m.OutboxRow.channel == "email")}
    assert rows[f"{created.id}.mail0"].status == "pending" and rows[f"{created.id}.mail0"].attempts == 12
    with service.db.write() as s:  # two days later
        s.execute(m.OutboxRow.__table__.update().where(m.OutboxRow.channel == "email")
                  .values(created_at=datetime.now(UTC) - timedelta(hours=49)))
    service.outbox.deliver_pending()
    service.outbox.deliver_pending()
    with service.db.read() as s:
        statuses = {r.message_id: r.status for r in s.query(m.OutboxRow).filter(m.OutboxRow.channel == "email")}
        failed = s.query(m.Activity).filter(m.Activity.kind == "delivery_failed").all()
    assert set(statuses.values()) == {"failed"}
    assert len(failed) == 3 and all(a.important and a.request_id == created.id for a in failed)
    staff_note = next(a for a in failed if a.data["kind"] == "notification")
    assert staff_note.notified_at is not None, "a failed staff mail does not ask for another staff mail"
    assert all(a.notified_at is None for a in failed if a is not staff_note)


def test_settle_first_rows_are_marked_sent_in_one_round_and_handed_over_in_order(service: Mandat) -> None:
    """The web chat's rows: its readers go by the table, so they are sent before the sender is told; a
    sender that fails neither stops the later rows nor puts a row back (nothing is told twice)."""
    created = service.create_request(client_name="Max", client_email="max@example.org",
                                     questionnaires=["kuendigung"], channel="terminal")
    with service.db.write() as s:
        for n in range(5):
            s.add(m.OutboxRow(message_id=f"{created.id}.chat.{n}", request_id=created.id, channel="chatlike",
                              address="link:x", kind="reply", body={"text": f"reply {n}"}))
    told: list[str] = []

    def sender(msg) -> None:  # noqa: ANN001
        told.append(msg.text)
        if msg.text == "reply 1":
            raise RuntimeError("the hub went away")

    service.outbox.register("chatlike", sender, settle_first=True)
    report = service.outbox.deliver_pending(channel="chatlike")
    assert told == [f"reply {n}" for n in range(5)]
    assert report.sent == 5
    with service.db.read() as s:
        rows = s.query(m.OutboxRow).filter(m.OutboxRow.channel == "chatlike").all()
    assert {r.status for r in rows} == {"sent"} and all(r.sent_at is not None for r in rows)
    assert service.outbox.deliver_pending(channel="chatlike").sent == 0
    assert told == [f"reply {n}" for n in range(5)], "a settled row was handed over again"
