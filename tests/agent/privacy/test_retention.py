"""The daily purge with a frozen clock: each kind of data goes after its retention period, not a day
earlier; a second run finds nothing; 0 keeps forever; the job sits on the installation's scheduler."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.app import build_service
from agent.messages import InboundMessage
from agent.privacy.retention import DAY_S, JOB_NAME, Retention, install_purge
from agent.service import Mandat
from agent.store import models as m
from agent.store.privacy_tables import ErasureTombstone
from agent.store.staff_tables import StaffSession
from tests.agent.privacy.conftest import EMAIL, Person, build_person, found_in_chroma, make_settings


class FrozenClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def days_later(self, days: float) -> None:
        self.now = datetime.now(UTC) + timedelta(days=days)


@pytest.fixture
def person_with(tmp_path: Path) -> Iterator[callable]:
    made: list[Mandat] = []

    def make(**settings: object) -> Person:
        service = build_service(make_settings(tmp_path / f"var{len(made)}", **settings))
        made.append(service)
        return build_person(service)

    yield make
    for service in made:
        service.close()


def _count(service: Mandat, model: object, *where: object) -> int:
    with service.db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _complete(service: Mandat, request_id: str) -> None:
    with service.db.write() as s:
        s.get(m.Request, request_id).status = "complete"


def test_closed_requests_go_after_their_period_and_only_then(person_with) -> None:  # noqa: ANN001
    person = person_with(retention_closed_days=30, retention_raw_days=0, retention_ocr_days=0,
                         retention_logs_days=0)
    service, clock = person.service, FrozenClock()
    _complete(service, person.request_id)
    purge = Retention(service, clock=clock)
    clock.days_later(29)
    assert purge.run().counts == {}, "a day early: nothing"
    clock.days_later(31)
    assert purge.run().counts == {"closed_requests": 1}
    assert service.request_summary(person.request_id) is None
    assert service.request_summary(person.other_request_id) is not None, "an open request stays, however old"
    assert _count(service, m.Client, m.Client.email == EMAIL) == 0, "the client had no other request"
    with service.db.read() as s:
        tomb = s.scalars(select(ErasureTombstone)).one()
        assert tomb.reason == "retention" and tomb.counts["request"] == 1
    assert purge.run().counts == {}, "idempotent"
    assert not service.desk.blobs.exists(person.signed_sha)


def test_raw_messages_ocr_text_and_logs(person_with) -> None:  # noqa: ANN001
    person = person_with(retention_closed_days=0, retention_raw_days=10, retention_ocr_days=20,
                         retention_logs_days=40)
    service, clock = person.service, FrozenClock()
    service.record_unrouted(InboundMessage(channel="email", sender="spam@example.net", text="Buy now",
                                           external_id="spam-1"), "quarantined", "unknown sender")
    with service.db.write() as s:
        s.add(m.LLMCallRecord(request_id=person.request_id, purpose="answer", model="x"))
        staff_id = s.scalars(select(m.Staff.id)).first()
        s.add(StaffSession(id="a" * 64, staff_id=staff_id, csrf="c", ip="203.0.113.9"))
    with service.db.read() as s:
        raw_sha = s.scalars(select(m.InboundRecord.raw_sha256).where(
            m.InboundRecord.raw_sha256.is_not(None), m.InboundRecord.request_id == person.request_id)).one()
    assert service.desk.blobs.exists(raw_sha)
    purge = Retention(service, clock=clock)

    clock.days_later(11)
    counts = purge.run().counts
    # the request's raw e-mail; the spam and the client's quarantined mail (with its raw source) entirely
    assert counts["raw_messages"] == 1 and counts["unrouted_messages"] == 2 and counts["files"] == 2, counts
    assert not service.desk.blobs.exists(raw_sha)
    assert _count(service, m.InboundRecord, m.InboundRecord.sender == "spam@example.net") == 0
    history = service.history(person.request_id)
    assert any("IBAN" in e["text"] for e in history if e["channel"] == "email"), "the conversation stays"
    assert found_in_chroma(service), "OCR text is not due yet"

    clock.days_later(21)
    assert purge.run().counts == {"ocr_texts": 1}
    doc = next(d for d in service.request_summary(person.request_id)["documents"] if d["origin"] == "upload")
    assert doc["facts"], "what was read out of the letter stays"
    with service.db.read() as s:
        assert s.get(m.Document, doc["id"]).analysis["text"] == []
    assert service.desk.blobs.exists(person.uploaded_sha), "the file itself is the client's document"

    clock.days_later(41)
    counts = purge.run().counts
    assert counts["llm_calls"] == 1 and counts["staff_sessions"] == 1 and counts["system_activity"] >= 1, counts
    assert _count(service, StaffSession) == 0 and _count(service, m.LLMCallRecord) == 0
    assert purge.run().counts == {}, "idempotent"
    assert service.request_summary(person.request_id) is not None, "closed_days=0 keeps requests"


def test_chunks_of_purged_ocr_text_leave_the_vector_store(person_with) -> None:  # noqa: ANN001
    person = person_with(retention_ocr_days=5)
    service = person.service
    with service.db.read() as s:
        doc_id = s.scalars(select(m.Document.id).where(m.Document.request_id == person.request_id,
                                                       m.Document.origin == "upload")).one()
    from tests.agent.privacy.conftest import HashEmbedder
    from tools.knowledge import KnowledgeBase

    KnowledgeBase(data_dir=service.settings.data_dir, embedder=HashEmbedder()).index_document(
        person.request_id, doc_id, [(1, "Erika Mustermann, Schreiben der Beispielwerke")])
    assert found_in_chroma(service, ("Beispielwerke",)), "indexed"
    clock = FrozenClock()
    clock.days_later(6)
    assert Retention(service, clock=clock).run().counts.get("ocr_texts") == 1
    remaining = found_in_chroma(service, ("Beispielwerke",))
    assert remaining == [], remaining
    assert found_in_chroma(service, ("Max Andere",)), "other documents keep their chunks"


def test_the_purge_is_a_daily_job_on_the_scheduler(person_with) -> None:  # noqa: ANN001
    person = person_with(retention_closed_days=1)
    service = person.service
    job = service.scheduler.jobs[JOB_NAME]
    assert job.every_s == DAY_S
    _complete(service, person.request_id)
    install_purge(service)  # (re-registering replaces, never doubles)
    assert list(service.scheduler.jobs).count(JOB_NAME) == 1
    assert JOB_NAME in service.scheduler.run_due(), "the leader runs it at its first tick"
    assert service.request_summary(person.request_id) is not None, "completed just now: kept"
    assert JOB_NAME not in service.scheduler.run_due(), "and then not again for a day"


@pytest.mark.postgres
def test_closed_requests_are_purged_on_postgres(tmp_path: Path, pg_url: str) -> None:
    service = build_service(make_settings(tmp_path / "var", database_url=pg_url, retention_closed_days=7))
    try:
        person = build_person(service)
        _complete(service, person.request_id)
        clock = FrozenClock()
        clock.days_later(6)
        assert Retention(service, clock=clock).run().counts == {}
        clock.days_later(8)
        assert Retention(service, clock=clock).run().counts == {"closed_requests": 1}
        assert service.request_summary(person.request_id) is None
        assert service.request_summary(person.other_request_id) is not None
    finally:
        service.close()
