"""The request detail: answers with provenance, document facts and deadlines, files under a session,
one timeline, and what staff do there (reply, take over / hand back, links, signing)."""

from __future__ import annotations

from agent.messages import Attachment, InboundMessage
from agent.store import models as m
from tests.agent.staff.conftest import Staffed, csrf_of
from tests.tools import corpus


def dismissal_pdf() -> bytes:
    return corpus.text_pdf(corpus.DISMISSAL.lines)


def test_answers_with_source_and_document_facts_and_deadline(staff: Staffed) -> None:
    rid = staff.create("Thomas Becker")
    staff.say(rid, "Thomas")
    staff.say(rid, "", attachments=(Attachment("kuendigung.pdf", dismissal_pdf(), "application/pdf"),))
    anna = staff.login()
    page = anna.get(f"/staff/requests/{rid}")
    assert page.status_code == 200
    text = page.text
    answer = text[text.index('data-field="first_name"'):]
    answer = answer[:answer.index("</tr>")]
    assert "Vorname" in answer and '<td class="value">Thomas</td>' in answer and "parser" in answer
    assert "Nachricht msg:" in answer and ">ja<" not in answer  # not confirmed yet
    assert "kuendigung.pdf" in text and "dismissal_letter" in text
    assert "<mark>fällig am 2025-04-04</mark>" in text  # the KSchG deadline, highlighted with its basis
    assert "3250.00" in text or "3.250,00" in text
    doc_id = text.split(f"/staff/requests/{rid}/files/")[1].split('"')[0]
    download = anna.get(f"/staff/requests/{rid}/files/{doc_id}")
    assert download.status_code == 200 and download.content == dismissal_pdf()
    assert download.headers["content-disposition"].startswith("attachment;")
    assert anna.get(f"/staff/requests/{staff.create()}/files/{doc_id}").status_code == 404  # not this request's
    with staff.browser() as anon:
        assert anon.get(f"/staff/requests/{rid}/files/{doc_id}").status_code == 303
    anna.close()


def test_client_controlled_text_is_rendered_as_text(staff: Staffed) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    rid = staff.create(f"Eve {evil}")
    staff.say(rid, f"Eva{evil}")
    staff.say(rid, "", attachments=(Attachment(f"{evil}.pdf", dismissal_pdf(), "application/pdf"),))
    staff.service.receive(InboundMessage(channel="email", sender="eve@example.org", request_id=rid,
                                         text="per Mail", external_id="xss-mail-1", meta={"subject": f"Re: {evil}"}))
    anna = staff.login()
    for url in ("/staff", f"/staff/requests/{rid}"):
        body = anna.get(url, params={"q": rid} if url == "/staff" else None).text
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(" in body
    detail = anna.get(f"/staff/requests/{rid}").text
    assert detail.count("&lt;script&gt;") >= 3  # name, answer/raw words, file name, subject
    assert "Re: &lt;script&gt;" in detail
    anna.close()


def test_reply_as_staff_goes_to_the_clients_channel_with_the_name(staff: Staffed) -> None:
    rid = staff.create("Rudi Reply")
    staff.say(rid, "Rudi")
    anna = staff.login()
    page = anna.get(f"/staff/requests/{rid}")
    resp = anna.post(f"/staff/requests/{rid}/reply", data={"csrf": csrf_of(page.text), "text": "Wir rufen Sie an."})
    assert resp.status_code == 200 and "Ihre Antwort ist unterwegs." in resp.text
    with staff.service.db.read() as s:
        row = s.query(m.OutboxRow).filter_by(request_id=rid, kind="staff_reply").one()
        assert row.channel == "webchat" and row.address.startswith("link:")
        assert row.body["text"] == "Dr. Anna Beispiel (Kanzlei Beispiel):\nWir rufen Sie an."
        assert s.query(m.Activity).filter_by(request_id=rid, kind="staff_reply", actor="staff").count() == 1
    assert "Dr. Anna Beispiel (Kanzlei)" in resp.text  # in the timeline, as from the named staff member
    empty = anna.post(f"/staff/requests/{rid}/reply", data={"csrf": csrf_of(page.text), "text": "  "})
    assert empty.status_code == 400
    anna.close()


def test_take_over_pauses_the_agent_and_hand_back_resumes_it(staff: Staffed) -> None:
    rid = staff.create("Paula Pause")
    anna = staff.login()
    csrf = csrf_of(anna.get(f"/staff/requests/{rid}").text)
    taken = anna.post(f"/staff/requests/{rid}/takeover", data={"csrf": csrf})
    assert "Übernommen von Dr. Anna Beispiel" in taken.text
    result = staff.service.receive(InboundMessage(channel="webchat", sender="link:x", request_id=rid, text="Paula",
                                                  external_id="pause-1"))
    assert result.replies == () and result.status == "held"
    page = anna.get(f"/staff/requests/{rid}").text
    assert "Paula" in page and "nicht beantwortet (übernommen)" in page
    assert f'data-id="{rid}" data-unseen="false"' in anna.get("/staff", params={"q": rid}).text  # opened: seen
    anna.post(f"/staff/requests/{rid}/handback", data={"csrf": csrf})
    again = staff.service.receive(InboundMessage(channel="webchat", sender="link:x", request_id=rid, text="Paula",
                                                 external_id="pause-2"))
    assert again.replies and again.status != "held"
    anna.close()


def test_links_and_signing_actions(staff: Staffed) -> None:
    rid = staff.create("Lina Link", sign=["vollmacht"])
    anna = staff.login()
    csrf = csrf_of(anna.get(f"/staff/requests/{rid}").text)
    reissued = anna.post(f"/staff/requests/{rid}/reissue", data={"csrf": csrf})
    assert "Neuer Chat-Link" in reissued.text and f"{staff.base}/c/" in reissued.text
    signed = anna.post(f"/staff/requests/{rid}/sign", data={"csrf": csrf})
    assert "1 Unterschriftslink(s) versandt." in signed.text
    revoked = anna.post(f"/staff/requests/{rid}/revoke", data={"csrf": csrf})
    assert "Link(s) gesperrt." in revoked.text
    assert anna.post("/staff/requests/nope/takeover", data={"csrf": csrf}).status_code == 404
    assert anna.get("/staff/requests/nope").status_code == 404
    anna.close()


def test_actions_need_csrf_and_origin(staff: Staffed) -> None:
    rid = staff.create("Cora Csrf")
    anna = staff.login()
    csrf = csrf_of(anna.get(f"/staff/requests/{rid}").text)
    for action in ("reply", "takeover", "handback", "reissue", "revoke", "sign"):
        assert anna.post(f"/staff/requests/{rid}/{action}", data={"text": "x"}).status_code == 403
        assert anna.post(f"/staff/requests/{rid}/{action}", data={"csrf": "forged", "text": "x"}).status_code == 403
        assert anna.post(f"/staff/requests/{rid}/{action}", data={"csrf": csrf, "text": "x"},
                         headers={"Origin": "https://evil.example"}).status_code == 403
        no_origin = anna.build_request("POST", f"/staff/requests/{rid}/{action}", data={"csrf": csrf, "text": "x"})
        del no_origin.headers["Origin"]
        assert anna.send(no_origin).status_code == 403
    with staff.service.db.read() as s:
        assert s.query(m.OutboxRow).filter_by(request_id=rid, kind="staff_reply").count() == 0
    anna.close()
