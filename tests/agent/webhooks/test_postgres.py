"""On PostgreSQL with two workers' dispatchers racing: every event once, in order per request."""

from __future__ import annotations

import threading
from collections import defaultdict
from pathlib import Path

import pytest

from agent.config import load_settings
from agent.outbox import Dispatcher
from agent.service import Mandat
from agent.webhooks.registry import add_webhook
from agent.webhooks.sender import WebhookSender
from tests.agent.webhooks.receiver import Receiver
from tests.conftest import DEMO_FIRM

pytestmark = pytest.mark.postgres


def test_two_dispatchers_keep_order_and_send_once(pg_url: str, tmp_path: Path, receiver: Receiver) -> None:
    settings = load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM, database_url=pg_url,
                             webhook_allow_private=True)
    service = Mandat(settings)
    service.setup()
    try:
        receiver.secret = add_webhook(service.db, receiver.url, ["message.received"], allow_private=True).secret or ""
        requests = [service.create_request(client_name=f"C{n}", client_email=None,
                                           questionnaires=["kuendigung"]).id for n in range(4)]
        for n in range(10):
            for rid in requests:
                service.note_activity(rid, "message_received", f"m{n}", {"n": n})
        workers = [Dispatcher(service.db), Dispatcher(service.db)]
        for d in workers:
            d.register("webhook", WebhookSender(service.db, allow_private=True), lane=True)

        def drain(d: Dispatcher) -> None:
            while d.deliver_pending(limit=7).claimed:
                pass

        threads = [threading.Thread(target=drain, args=(d,)) for d in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        got = receiver.accepted()
        assert len(got) == 40 and len({e["id"] for e in got}) == 40, "each event exactly once here"
        order: dict[str, list[int]] = defaultdict(list)
        for event in got:
            order[event["request_id"]].append(event["data"]["n"])
        assert all(order[rid] == list(range(10)) for rid in requests)
        assert all(d.verified for d in receiver.deliveries)
    finally:
        service.close()
