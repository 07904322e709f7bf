"""The cross-worker relay: streams held by one worker get the replies turns in another worker wrote,
once each and in row order, on SQLite (outbox poll) and PostgreSQL (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import load_settings
from agent.messages import InboundMessage
from agent.service import Mandat
from channels.webchat.hub import WebchatHub
from channels.webchat.relay import PgRelay, Relay, relay_for

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(params=["sqlite", "postgres"])
def two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Mandat, Mandat]]:
    """Two services on one database, as two worker processes would have."""
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    extra = {"database_url": url} if url else {}
    made = []
    for _ in range(2):
        svc = Mandat(load_settings(data_dir=tmp_path / "var", firm_dir=REPO / "examples" / "demo-firm", **extra))
        svc.setup()
        made.append(svc)
    yield made[0], made[1]
    for svc in made:
        svc.close()


def _turn(service: Mandat, request_id: str, n: int, text: str) -> list[str]:
    result = service.receive(InboundMessage(channel="webchat", sender="link:x", request_id=request_id, text=text,
                                            external_id=f"relay-{n}"))
    return [r.message_id for r in result.replies]


async def _scenario(a: Mandat, b: Mandat) -> None:
    hub_a, hub_b = WebchatHub(), WebchatHub()
    relay_a, relay_b = relay_for(a, hub_a), relay_for(b, hub_b)
    assert isinstance(relay_a, PgRelay) == (not a.db.is_sqlite) and isinstance(relay_a, Relay)
    a.outbox.register("webchat", relay_a.publish)
    b.outbox.register("webchat", relay_b.publish)
    rid = a.create_request(client_name="Alex", client_email=None, lang="de", questionnaires=["kuendigung"]).id
    before = _turn(b, rid, 0, "Max")  # written before the stream opened: the page has it from /history
    relay_a.start()
    relay_b.start()
    try:
        sub = hub_a.subscribe(rid)  # the stream is held by worker A …
        await asyncio.sleep(0.6)
        expected: list[str] = []
        for n, text in enumerate(["Mustermann", "3. April 1980", "Musterstraße 12, 10115 Berlin"], start=1):
            expected += await asyncio.to_thread(_turn, b, rid, n, text)  # … the turns run in worker B
            await asyncio.to_thread(b.outbox.deliver_pending)  # B's dispatcher delivers (wakes A)
        got: list[str] = []
        deadline = time.monotonic() + 5
        while len(got) < len(expected) and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                got.append((await asyncio.wait_for(sub.queue.get(), 0.5))["id"])
        await asyncio.sleep(0.6)  # a few more ticks: nothing may come twice
        while not sub.queue.empty():
            got.append(sub.queue.get_nowait()["id"])
        assert got == expected
        assert not set(before) & set(got)
        assert hub_b.subscribers(rid) == 0
    finally:
        relay_a.stop()
        relay_b.stop()


def test_a_stream_in_one_worker_gets_the_other_workers_replies_in_order(two_workers: tuple[Mandat, Mandat]) -> None:
    asyncio.run(_scenario(*two_workers))
