"""Webhook delivery against a real receiver on 127.0.0.1: signature, retries, an outage, order per
request, the retry window's end (staff told), and removal."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from agent.outbox import RetryPolicy
from agent.service import Mandat
from agent.store import models as m
from agent.webhooks.registry import add_webhook, deliveries, remove_webhook
from tests.agent.webhooks.conftest import FAST
from tests.agent.webhooks.receiver import Receiver, verify


def _subscribe(service: Mandat, receiver: Receiver, events: tuple[str, ...] = ("*",)) -> int:
    made = add_webhook(service.db, receiver.url, events, allow_private=True)
    assert made.secret and made.secret.startswith("whsec_")
    receiver.secret = made.secret
    return made.id


def _create(service: Mandat, name: str = "Max Muster") -> str:
    return service.create_request(client_name=name, client_email="max@example.org",
                                  questionnaires=["kuendigung"]).id


def _note(service: Mandat, request_id: str, n: int) -> None:
    """A client message as the channels record it (the event's source is the activity row)."""
    service.note_activity(request_id, "message_received", f"Nachricht {n}", {"channel": "email", "n": n})


def test_signed_event_with_an_id_reaches_the_receiver(hook_service: Mandat, receiver: Receiver) -> None:
    hook_id = _subscribe(hook_service, receiver)
    rid = _create(hook_service)
    report = hook_service.outbox.deliver_pending()
    assert report.sent >= 1
    (got,) = receiver.deliveries
    assert got.verified, "Mandat-Signature verifies with the secret shown at creation"
    assert not verify("whsec_wrong", got.headers["Mandat-Signature"], got.body)
    event = json.loads(got.body)
    assert event["type"] == "request.created" and event["request_id"] == rid and event["id"].startswith("evt_")
    assert event["data"]["client"] == {"name": "Max Muster", "email": "max@example.org", "lang": "de"}
    assert got.headers["Mandat-Event-Id"] == event["id"] and got.headers["Content-Type"] == "application/json"
    (row,) = deliveries(hook_service.db, hook_id)
    assert row["status"] == "sent" and row["attempts"] == 1 and row["event_id"] == event["id"]


def test_only_subscribed_events_are_sent(hook_service: Mandat, receiver: Receiver) -> None:
    _subscribe(hook_service, receiver, ("message.received",))
    rid = _create(hook_service)
    _note(hook_service, rid, 1)
    hook_service.outbox.deliver_pending()
    assert [e["type"] for e in receiver.accepted()] == ["message.received"]
    assert receiver.accepted()[0]["data"]["text"] == "Nachricht 1"


def test_a_500_then_a_200_is_retried_with_the_same_event(hook_service: Mandat, receiver: Receiver) -> None:
    answers = iter([500, 200])
    receiver.answer = lambda _event: next(answers)
    hook_id = _subscribe(hook_service, receiver)
    _create(hook_service)
    assert hook_service.outbox.deliver_pending().sent == 0
    (row,) = deliveries(hook_service.db, hook_id)
    assert row["status"] == "pending" and row["attempts"] == 1 and row["last_error"].startswith("HTTP 500")
    wait = (row["next_attempt_at"] - datetime.now(UTC)).total_seconds()
    assert 2.4 <= wait <= 5.1, "the first retry waits base/2..base (5 s, equal jitter)"
    assert hook_service.outbox.deliver_pending().sent == 0, "not before its time"
    with hook_service.db.write() as s:  # let the backoff pass
        s.execute(m.OutboxRow.__table__.update().values(not_before=None))
    assert hook_service.outbox.deliver_pending().sent == 1
    first, second = receiver.deliveries
    assert (first.status, second.status) == (500, 200)
    assert first.body == second.body and first.event["id"] == second.event["id"], "receivers dedupe by id"
    assert second.verified
    (row,) = deliveries(hook_service.db, hook_id)
    assert row["status"] == "sent" and row["attempts"] == 2 and row["last_error"] is None


def test_receiver_down_for_a_while_gets_everything_in_order(hook_service: Mandat, receiver: Receiver) -> None:
    hook_service.outbox.policies["webhook"] = FAST
    _subscribe(hook_service, receiver, ("message.received",))
    port = receiver.port
    receiver.stop()  # down: connections are refused
    requests = [_create(hook_service, f"Client {n}") for n in range(3)]
    hook_service.outbox.start(interval_s=0.05)
    for n in range(5):
        for rid in requests:
            _note(hook_service, rid, n)
    time.sleep(1.0)  # several failed rounds with backoff
    with hook_service.db.read() as s:
        attempts = s.scalars(select(m.OutboxRow.attempts).where(m.OutboxRow.channel == "webhook")).all()
    assert max(attempts) >= 2 and not receiver.deliveries
    receiver.port = port
    receiver.start()  # back on the same port
    got = receiver.wait_for(15)
    by_request: dict[str, list[int]] = defaultdict(list)
    for event in got:
        by_request[event["request_id"]].append(event["data"]["n"])
    assert {rid: by_request[rid] for rid in requests} == {rid: [0, 1, 2, 3, 4] for rid in requests}
    assert all(d.verified for d in receiver.deliveries)


def test_a_failing_event_holds_back_its_request_only(hook_service: Mandat, receiver: Receiver) -> None:
    blocked, free = _create(hook_service, "Blocked"), _create(hook_service, "Free")
    failures = {"left": 3}

    def answer(event: dict) -> int:
        if event["request_id"] == blocked and event["data"]["n"] == 0 and failures["left"] > 0:
            failures["left"] -= 1
            return 503
        return 200

    receiver.answer = answer
    _subscribe(hook_service, receiver, ("message.received",))
    for n in range(3):
        _note(hook_service, blocked, n)
        _note(hook_service, free, n)
    hook_service.outbox.deliver_pending()
    assert [e["data"]["n"] for e in receiver.accepted() if e["request_id"] == free] == [0, 1, 2]
    assert [e["request_id"] for e in receiver.accepted()].count(blocked) == 0, "1 and 2 wait for 0"
    for _ in range(3):
        with hook_service.db.write() as s:
            s.execute(m.OutboxRow.__table__.update().values(not_before=None))
        hook_service.outbox.deliver_pending()
    assert [e["data"]["n"] for e in receiver.accepted() if e["request_id"] == blocked] == [0, 1, 2]
    assert failures["left"] == 0


def test_after_the_retry_window_staff_get_delivery_failed(hook_service: Mandat, receiver: Receiver) -> None:
    hook_service.outbox.policies["webhook"] = RetryPolicy(window=timedelta(seconds=0))
    receiver.answer = lambda _event: 500
    hook_id = _subscribe(hook_service, receiver, ("message.received",))
    rid = _create(hook_service)
    _note(hook_service, rid, 1)
    _note(hook_service, rid, 2)
    hook_service.outbox.deliver_pending()
    rows = deliveries(hook_service.db, hook_id)
    assert [r["status"] for r in rows] == ["failed", "failed"], "a failed row does not block the next for ever"
    with hook_service.db.read() as s:
        failed = list(s.scalars(select(m.Activity).where(m.Activity.request_id == rid,
                                                         m.Activity.kind == "delivery_failed")))
        unseen = s.get(m.Request, rid).unseen
    assert len(failed) == 2 and all(a.important and a.actor == "system" for a in failed)
    assert "webhook event message.received" in failed[0].summary and "HTTP 500" in failed[0].summary
    assert unseen


def test_a_removed_webhook_gets_nothing_more(hook_service: Mandat, receiver: Receiver) -> None:
    hook_id = _subscribe(hook_service, receiver, ("message.received",))
    rid = _create(hook_service)
    _note(hook_service, rid, 1)
    assert remove_webhook(hook_service.db, hook_id)
    _note(hook_service, rid, 2)
    hook_service.outbox.deliver_pending()
    assert receiver.deliveries == []
    assert [r["status"] for r in deliveries(hook_service.db, hook_id)] == ["failed"], "cancelled, not sent"
    assert not remove_webhook(hook_service.db, hook_id)
