"""The scheduler's leader answers messages a dead worker stored but never answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.cluster.recovery import recover_stale
from agent.service import Mandat
from agent.store.models import InboundRecord, OutboxRow


def _stored(service: Mandat, request_id: str, external_id: str, age: timedelta) -> int:
    with service.db.write() as s:
        row = InboundRecord(channel="api", external_id=external_id, request_id=request_id, sender="client",
                            text="Max", received_at=datetime.now(UTC) - age)
        s.add(row)
        s.flush()
        return row.id


def test_stale_messages_are_answered_once_and_fresh_ones_left_alone(service: Mandat) -> None:
    rid = service.create_request(client_name="Alex", client_email=None, lang="de", questionnaires=["kuendigung"]).id
    stale = _stored(service, rid, "dead-worker-1", timedelta(minutes=10))
    fresh = _stored(service, rid, "in-flight-1", timedelta(seconds=5))

    assert recover_stale(service) == 1
    with service.db.read() as s:
        assert s.get(InboundRecord, stale).status == "processed"
        assert s.get(InboundRecord, fresh).status == "received"  # maybe still being processed elsewhere
        replies = s.query(OutboxRow).filter(OutboxRow.inbound_id == stale).count()
    assert replies >= 1
    assert recover_stale(service) == 0  # nothing left: the stale one is not answered twice
    with service.db.read() as s:
        assert s.query(OutboxRow).filter(OutboxRow.inbound_id == stale).count() == replies
