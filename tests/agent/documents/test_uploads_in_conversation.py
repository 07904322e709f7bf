"""An uploaded letter fills answers after the client confirms them; staff get the deadline; bad files are
explained and nothing is lost."""

from __future__ import annotations

import pytest

from agent.messages import Attachment
from agent.service import Mandat
from tests.agent.conversation.helpers import say, texts
from tests.tools.corpus import DISMISSAL, text_pdf

pytestmark = pytest.mark.slow


def _request(service: Mandat) -> str:
    return service.create_request(client_name="Thomas Becker", client_email="t.becker@example.org", lang="de",
                                  questionnaires=["kuendigung"], uploads=["Kündigungsschreiben"]).id


def test_dismissal_letter_becomes_a_confirmed_answer_and_a_deadline(service: Mandat) -> None:
    rid = _request(service)
    pdf = text_pdf(DISMISSAL.lines)
    letter = Attachment("kuendigung.pdf", pdf, "application/pdf")
    result = say(service, rid, "Hier ist die Kündigung", attachments=(letter,))
    reply = texts(result)
    assert "kuendigung.pdf" in reply and "14. März 2025" in reply, reply
    assert result.documents and result.documents[0]["type"] == "dismissal_letter"
    summary = service.request_summary(rid)
    assert "dismissal_received" not in {a["field"] for a in summary["answers"]}, "nothing counts before confirmation"
    deadlines = [a for a in summary["activity"] if a["kind"] == "deadline"]
    assert deadlines and deadlines[0]["important"] and "2025-04-04" in deadlines[0]["summary"]
    upload_item = next(i for i in summary["items"] if i["kind"] == "upload")
    assert upload_item["status"] == "complete", "the upload answers the upload item"

    result = say(service, rid, "ja")
    assert "Vorname" in texts(result), "then the agent asks what is still missing"
    answers = {a["field"]: a for a in service.request_summary(rid)["answers"]}
    received = answers["dismissal_received"]
    assert received["value"] == "2025-03-14" and received["method"] == "document" and received["confirmed"]
    assert received["source"]["type"] == "document" and received["source"]["page"] == 1
    doc = service.request_summary(rid)["documents"][0]
    assert any(f["name"] == "letter_date" for f in doc["facts"])

    again = say(service, rid, "", attachments=(Attachment("nochmal.pdf", pdf, "application/pdf"),))
    assert "bereits" in texts(again)
    assert len(service.request_summary(rid)["documents"]) == 1, "a duplicate is linked, not stored twice"


def test_bad_files_get_a_clear_message(service: Mandat) -> None:
    rid = _request(service)
    say(service, rid, "Max")
    result = say(service, rid, "", attachments=(
        Attachment("brief.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
        Attachment("leer.pdf", b"", "application/pdf"),
    ))
    reply = texts(result)
    assert "brief.pdf" in reply and "leer.pdf" in reply
    summary = service.request_summary(rid)
    assert summary["documents"] == []
    assert {a["field"]: a["value"] for a in summary["answers"]} == {"first_name": "Max"}
    assert sum(a["kind"] == "upload_rejected" for a in summary["activity"]) == 2


def test_oversized_upload_is_refused_and_not_stored(settings, tmp_path) -> None:  # noqa: ANN001
    from agent.config import load_settings

    small = load_settings(data_dir=tmp_path / "v2", firm_dir=settings.firm_dir, max_upload_mb=0.01)
    svc = Mandat(small)
    svc.setup()
    try:
        rid = _request(svc)
        big = Attachment("gross.pdf", text_pdf(DISMISSAL.lines) + b"%" * 20_000, None)
        result = say(svc, rid, "", attachments=(big,))
        assert "gross.pdf" in texts(result)
        assert svc.request_summary(rid)["documents"] == []
        assert not any((tmp_path / "v2" / "files").rglob("*")) or all(
            p.is_dir() for p in (tmp_path / "v2" / "files").rglob("*"))
    finally:
        svc.close()
