"""The request list and the bell on PostgreSQL: the one-statement page (string_agg, correlated counts), the
search through the trigram index (any case, also umlauts), and the migration's index really being GIN."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from agent.config import load_settings
from agent.messages import InboundMessage
from agent.service import Mandat
from agent.staff import queries
from agent.staff.queries import ListFilter
from tests.conftest import DEMO_FIRM

pytestmark = pytest.mark.postgres
ANNA = "anna.beispiel@beispiel.example"


def _say(svc: Mandat, rid: str, text_: str, n: int, channel: str = "webchat") -> None:
    svc.receive(InboundMessage(channel=channel, sender=f"link:{rid}", text=text_, external_id=f"pg-list-{n}",
                               request_id=rid))


def test_list_page_and_bell_on_postgres(pg_url: str, tmp_path: Path) -> None:
    svc = Mandat(load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM, database_url=pg_url))
    svc.setup()
    try:
        with svc.db.read() as s:
            anna = s.execute(text("SELECT id FROM staff WHERE email = :e"), {"e": ANNA}).scalar_one()
            indexdef = s.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_client_name_search'"
                                      " AND schemaname = current_schema()")).scalar_one()
        assert "USING gin" in indexdef and "gin_trgm_ops" in indexdef
        ids = [svc.create_request(client_name=name, client_email=f"pg{n}@example.org", questionnaires=["kuendigung"],
                                  uploads=["Kündigungsschreiben"], staff_email=ANNA).id
               for n, name in enumerate(("Jürgen Müller", "Erika Schmidt", "100%_Rabatt GmbH"))]
        _say(svc, ids[0], "Hallo", 1)
        _say(svc, ids[0], "Noch eine Frage", 2, channel="email")
        page = queries.list_requests(svc.db, anna, ListFilter())
        assert [r.id for r in page.rows][:1] == [ids[0]]  # newest activity first
        row = page.rows[0]
        assert row.client == "Jürgen Müller" and row.unseen and row.staff_name == "Dr. Anna Beispiel"
        assert row.channels == ("email", "webchat")
        assert (row.questionnaires.total, row.uploads.total, row.signatures.total) == (1, 1, 0)
        assert [r.id for r in queries.list_requests(svc.db, anna, ListFilter(q="MÜLLER")).rows] == [ids[0]]
        assert [r.id for r in queries.list_requests(svc.db, anna, ListFilter(q=ids[1].upper())).rows] == [ids[1]]
        # LIKE wildcards typed into the search are literal characters.
        assert [r.id for r in queries.list_requests(svc.db, anna, ListFilter(q="0%_r")).rows] == [ids[2]]
        assert not queries.list_requests(svc.db, anna, ListFilter(q="1%t")).rows
        two = queries.list_requests(svc.db, anna, ListFilter(), page_size=2)
        rest = queries.list_requests(svc.db, anna, ListFilter(cursor=two.next_cursor), page_size=2)
        assert len(two.rows) == 2 and len(rest.rows) == 1 and rest.next_cursor is None
        assert {r.id for r in two.rows + rest.rows} == set(ids)
        bell = queries.bell(svc.db, anna)
        assert bell.count >= 1 and any(i.request_id == ids[0] and i.unseen for i in bell.items)
        assert queries.mark_seen(svc.db, anna, ids[0])
        assert not queries.list_requests(svc.db, anna, ListFilter(q="Müller")).rows[0].unseen
        assert queries.bell(svc.db, anna).count == bell.count - 1
    finally:
        svc.close()
