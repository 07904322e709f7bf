"""One request, two workers at once: every message answered once, no turn lost or applied twice.

Two services on one database stand for two worker processes (each has its own in-process lock per
request, so only the database serialises them): SELECT … FOR UPDATE and the version check on
PostgreSQL, BEGIN IMMEDIATE and the version check on SQLite. A turn that lost the race is thought
again on the new state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import load_settings
from agent.messages import InboundMessage
from agent.service import Mandat
from agent.store import models as m

REPO = Path(__file__).resolve().parents[3]
PER_WORKER = 6


@pytest.fixture(params=["sqlite", "postgres"])
def two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Mandat, Mandat]]:
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


def test_concurrent_turns_of_one_request_in_two_workers(two_workers: tuple[Mandat, Mandat]) -> None:
    a, b = two_workers
    rid = a.create_request(client_name="Alex", client_email=None, lang="de", questionnaires=["kuendigung"]).id
    with a.db.read() as s:
        start_version = s.get(m.Request, rid).version
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def client(service: Mandat, name: str) -> None:
        start.wait()
        try:
            for n in range(PER_WORKER):
                service.receive(InboundMessage(channel="api", sender=name, request_id=rid, text="überspringen",
                                               external_id=f"{name}-{n}"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(svc, name)) for svc, name in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with a.db.read() as s:
        inbound = list(s.query(m.InboundRecord).filter(m.InboundRecord.request_id == rid))
        assert len(inbound) == 2 * PER_WORKER
        assert {i.status for i in inbound} == {"processed"}
        version = s.get(m.Request, rid).version
        replies = s.query(m.OutboxRow).filter(m.OutboxRow.request_id == rid, m.OutboxRow.inbound_id.isnot(None))
        answered = {r.inbound_id for r in replies}
    assert version == start_version + 2 * PER_WORKER  # each turn applied exactly once
    assert answered == {i.id for i in inbound}  # every message got its reply
