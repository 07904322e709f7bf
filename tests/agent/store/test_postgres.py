"""The same store and checkpointer code on the local PostgreSQL (a missing server fails, never skips)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agent.config import load_settings
from agent.service import Mandat
from tests.agent.conversation.helpers import say
from tests.agent.scripts import VERKEHRSUNFALL_EN
from tests.conftest import DEMO_FIRM

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _service(pg_url: str, tmp_path: Path) -> Mandat:
    svc = Mandat(load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM, database_url=pg_url))
    svc.setup()
    return svc


def test_whole_conversation_on_postgres_with_postgres_checkpoints(pg_url: str, tmp_path: Path) -> None:
    svc = _service(pg_url, tmp_path)
    try:
        assert svc.settings.is_postgres
        rid = svc.create_request(client_name="Erika", client_email="erika@example.org", lang="en",
                                 questionnaires=["verkehrsunfall"]).id
        for line in VERKEHRSUNFALL_EN:
            result = say(svc, rid, line)
        assert result.status == "complete"
        thread = svc.request_summary(rid)
        assert all(a["confirmed"] for a in thread["answers"])
        from agent.store import models as m

        with svc.db.read() as s:
            thread_id = s.get(m.Request, rid).thread_id
        state = svc.graph.state(thread_id)
        assert state["turns"] == len(VERKEHRSUNFALL_EN) + 1, "one graph run per message plus the opening"
        assert not (tmp_path / "var" / "checkpoints.db").exists(), "checkpoints live in PostgreSQL"
    finally:
        svc.close()


def test_two_workers_serialise_one_conversation(pg_url: str, tmp_path: Path) -> None:
    """Two service instances (as two worker processes would) take messages of one request at once."""
    a = _service(pg_url, tmp_path / "a")
    b = _service(pg_url, tmp_path / "b")
    try:
        rid = a.create_request(client_name="Max", client_email=None, lang="de", questionnaires=["kuendigung"]).id
        say(a, rid, "Max")
        errors: list[BaseException] = []

        def send(svc: Mandat, text: str, key: str) -> None:
            try:
                say(svc, rid, text, external_id=key)
            except BaseException as exc:  # collected for the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(a, "Mustermann", "w-a")),
                   threading.Thread(target=send, args=(b, "Mustermann", "w-b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors
        summary = a.request_summary(rid)
        fields = [x["field"] for x in summary["answers"]]
        assert fields.count("last_name") == 1, "one current answer per field"
        # The second message was understood against the state the first one left: it answered question 3.
        assert summary["progress"]["answered"] in (2, 3)
        from sqlalchemy import func, select

        from agent.store import models as m

        with a.db.read() as s:
            processed = s.scalar(select(func.count(m.InboundRecord.id)).where(
                m.InboundRecord.request_id == rid, m.InboundRecord.status == "processed"))
            versions = s.get(m.Request, rid).version
        assert processed == 3 and versions == 4
    finally:
        a.close()
        b.close()
