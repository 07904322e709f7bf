"""`mandat serve --demo`: the demo request is created once, later starts reissue its link."""

from __future__ import annotations

import io
from pathlib import Path

from agent import links
from agent.app import DEMO_KEY, build_service, describe_staff_api, ensure_demo_request
from agent.config import load_settings
from agent.store import models as m

REPO = Path(__file__).resolve().parents[3]


def test_first_start_creates_the_demo_request_later_starts_reissue_its_link(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, firm_dir=REPO / "examples" / "demo-firm", staff_token="s3cret",
                             public_url="http://127.0.0.1:8123")
    service = build_service(settings)
    try:
        out = io.StringIO()
        first = ensure_demo_request(service, out=out)
        assert first.created and first.url.startswith("http://127.0.0.1:8123/c/")
        assert first.url in out.getvalue()
        summary = service.request_summary(first.request_id)
        assert summary is not None
        assert summary["client"]["name"] == "Alex Beispiel" and summary["lang"] == "de"
        assert summary["staff"] == str(service.firm.staff[0].email)
        assert [(i["kind"], i["ref"]) for i in summary["items"]] == [("questionnaire", "kuendigung"),
                                                                      ("upload", "Kündigungsschreiben")]

        out = io.StringIO()
        second = ensure_demo_request(service, out=out)
        assert not second.created and second.request_id == first.request_id and second.url != first.url
        assert second.url in out.getvalue() and first.url not in out.getvalue()
        with service.db.read() as s:
            assert s.get(m.KeyValue, DEMO_KEY).value == {"request_id": first.request_id}
            assert s.query(m.Request).count() == 1
            old = links.resolve(s, first.url.rsplit("/", 1)[1], "chat")
            new = links.resolve(s, second.url.rsplit("/", 1)[1], "chat")
        assert old.problem == "revoked" and new.problem is None
    finally:
        service.close()


def test_a_missing_demo_request_is_created_again(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, firm_dir=REPO / "examples" / "demo-firm")
    service = build_service(settings)
    try:
        with service.db.write() as s:
            s.add(m.KeyValue(key=DEMO_KEY, value={"request_id": "gone"}))
        assert ensure_demo_request(service, out=io.StringIO()).created
    finally:
        service.close()


def test_the_banner_says_whether_the_staff_api_is_on(tmp_path: Path) -> None:
    on, off = io.StringIO(), io.StringIO()
    describe_staff_api(load_settings(data_dir=tmp_path, staff_token="tok-secret", public_url="http://h:1"), out=on)
    describe_staff_api(load_settings(data_dir=tmp_path, staff_token=None, public_url="http://h:1"), out=off)
    assert "ON at http://h:1/api" in on.getvalue() and "tok-secret" not in on.getvalue()
    assert "OFF" in off.getvalue() and "MANDAT_STAFF_TOKEN" in off.getvalue()
