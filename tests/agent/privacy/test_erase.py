"""`mandat client erase`: after it, no table, file, checkpoint or chroma chunk names the client — on SQLite
and on PostgreSQL — while another client's request stays whole and a tombstone without personal data
remains."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from agent.privacy import ErasureContext, erase_client, register_eraser, registered_erasers, rows_of_requests
from agent.privacy.registry import _ERASERS
from agent.store import models as m
from agent.store.graph_tables import GraphState
from agent.store.privacy_tables import ErasureTombstone
from tests.agent.privacy.conftest import (
    EMAIL,
    IBAN_SPACED,
    NAME,
    Person,
    found_in_chroma,
    found_in_database,
    found_in_files,
)


def _everywhere(person: Person) -> dict[str, list[str]]:
    service = person.service
    found = {"database": found_in_database(service.settings.db_url), "files": found_in_files(service),
             "chroma": found_in_chroma(service)}
    return found


def _checkpoint_rows(person: Person, thread_id: str) -> int:
    """The conversation graph's state of the thread (its checkpoint, kept in the domain database)."""
    with person.service.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(GraphState).where(GraphState.thread_id == thread_id)))


def _check_erasure(person: Person) -> None:
    service = person.service
    before = _everywhere(person)
    # The search must be able to fail: before the erasure it finds the client in every store.
    assert before["database"] and before["files"] and before["chroma"], before
    assert found_in_database(service.settings.db_url, ("987654321",)), "the chat id is there"
    assert any(IBAN_SPACED in h for h in before["files"]), "the uploaded letter names the IBAN"
    assert _checkpoint_rows(person, person.thread_id) > 0
    assert service.desk.blobs.exists(person.signed_sha) and service.desk.blobs.exists(person.uploaded_sha)

    report = erase_client(service, EMAIL.upper())  # addresses are matched case-insensitively

    after = _everywhere(person)
    assert after == {k: [] for k in after}, after
    assert _checkpoint_rows(person, person.thread_id) == 0
    assert not service.desk.blobs.exists(person.signed_sha) and not service.desk.blobs.exists(person.uploaded_sha)
    assert report.requests == 1 and report.counts["answer"] >= 2 and report.counts["files"] >= 3
    assert report.counts["inbound_message"] == 5 and report.counts["document"] == 2
    assert report.counts["kv"] == 1, "the Telegram binding"
    assert found_in_database(service.settings.db_url, ("987654321",)) == []
    # the other client is untouched
    other = service.request_summary(person.other_request_id)
    assert other is not None and other["client"]["name"] == "Max Andere"
    assert [a["value"] for a in other["answers"]] == ["Max"]
    assert any("Max Andere" in h for h in found_in_chroma(service, ("Max Andere",)))
    with service.db.read() as s:
        tomb = s.get(ErasureTombstone, report.tombstone_id)
        assert tomb is not None and tomb.reason == "client_erase" and len(tomb.subject_hash) == 64
        assert tomb.counts["request"] == 1 and tomb.counts["files"] == report.counts["files"]
        assert NAME not in json.dumps(tomb.counts) and EMAIL not in tomb.subject_hash
    again = erase_client(service, EMAIL)  # idempotent: nothing left, a second tombstone says so
    assert again.requests == 0


def test_erase_leaves_nothing_on_sqlite(person: Person) -> None:
    _check_erasure(person)
    # secure_delete and the WAL checkpoint: not even the database file's free pages keep the text
    db_file = person.service.settings.data_dir / "mandat.db"
    raw = b"".join(p.read_bytes() for p in db_file.parent.glob("mandat.db*"))
    assert EMAIL.encode() not in raw and b"Mustermann" not in raw


@pytest.mark.postgres
def test_erase_leaves_nothing_on_postgres(pg_person: Person) -> None:
    _check_erasure(pg_person)


def test_a_registered_eraser_runs_in_the_transaction_before_the_cascade(person: Person) -> None:
    seen: list[tuple[frozenset[str], int]] = []

    def count_answers(ctx: ErasureContext) -> None:
        n = ctx.session.scalar(select(func.count()).select_from(m.Answer)
                               .where(m.Answer.request_id.in_(ctx.scope.request_ids)))
        seen.append((ctx.scope.request_ids, n or 0))

    by_request = rows_of_requests(m.LLMCallRecord)
    try:
        register_eraser(count_answers)
        register_eraser(count_answers)  # once only
        register_eraser(by_request)
        assert registered_erasers().count(count_answers) == 1
        erase_client(person.service, EMAIL)
    finally:
        _ERASERS.remove(count_answers)
        _ERASERS.remove(by_request)
    assert seen == [(frozenset({person.request_id}), seen[0][1])] and seen[0][1] >= 2


def test_a_file_another_client_also_sent_is_kept(person: Person) -> None:
    from agent.messages import Attachment
    from tests.agent.privacy.conftest import letter_pdf, say

    service = person.service
    say(service, person.other_request_id, "", attachments=(Attachment("kopie.pdf", letter_pdf(), "application/pdf"),))
    assert len(service.request_summary(person.other_request_id)["documents"]) == 1
    erase_client(service, EMAIL)
    assert service.desk.blobs.exists(person.uploaded_sha), "still named by the other request's document"
    assert not service.desk.blobs.exists(person.signed_sha)


def test_cli_erase_asks_on_a_terminal_and_wants_yes_when_piped(person: Person) -> None:
    import io

    from agent.privacy.cli import confirmed
    from tests.agent.privacy.test_export import _mandat

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert confirmed(EMAIL, yes=False, stdin=Tty(EMAIL.upper() + "\n"), stderr=io.StringIO()) is True
    assert confirmed(EMAIL, yes=False, stdin=Tty("no\n"), stderr=io.StringIO()) is False
    assert confirmed(EMAIL, yes=False, stdin=io.StringIO(EMAIL + "\n"), stderr=io.StringIO()) is None
    data = person.service.settings.data_dir
    person.service.close()  # the command runs as its own process, as an operator would run it
    refused = _mandat(["client", "erase", EMAIL], data)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert found_in_database(person.service.settings.db_url), "nothing was erased without --yes"
    done = _mandat(["client", "erase", EMAIL, "--yes"], data)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["erased"] and report["counts"]["request"] == 1 and report["tombstone"]
    assert found_in_database(person.service.settings.db_url) == []
