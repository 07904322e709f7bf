"""Adding a questionnaire or an upload item to an open request from the detail page: the conversation
asks for it after the items before it, duplicates and complete requests are refused with a message."""

from __future__ import annotations

from agent.messages import Attachment
from agent.store import models as m
from tests.agent.staff.conftest import ANNA, Staffed, csrf_of
from tests.agent.staff.test_detail import dismissal_pdf


def test_add_questionnaire_grows_progress_and_a_duplicate_is_refused(staff: Staffed) -> None:
    rid = staff.create("Ida Item")
    before = staff.service.chat_progress(rid).total
    anna = staff.login()
    page = anna.get(f"/staff/requests/{rid}")
    assert 'id="add-item-form"' in page.text and 'value="verkehrsunfall"' in page.text
    form = {"csrf": csrf_of(page.text), "kind": "questionnaire", "questionnaire": "verkehrsunfall"}
    added = anna.post(f"/staff/requests/{rid}/items", data=form)
    assert added.status_code == 200
    assert "wurde hinzugefügt" in added.text and "questionnaire: verkehrsunfall – open" in added.text
    assert staff.service.chat_progress(rid).total > before
    again = anna.post(f"/staff/requests/{rid}/items", data=form)
    assert again.status_code == 400 and "Diesen Bestandteil hat die Anfrage schon." in again.text
    with staff.service.db.read() as s:
        items = s.query(m.RequestItem).filter_by(request_id=rid, ref="verkehrsunfall").all()
        notes = s.query(m.Activity).filter_by(request_id=rid, kind="item_added").all()
    assert len(items) == 1 and len(notes) == 1 and notes[0].actor == "staff"
    assert "Dr. Anna Beispiel" in notes[0].summary
    timeline = anna.get(f"/staff/requests/{rid}").text.split('id="timeline"')[1]
    assert "Dr. Anna Beispiel added questionnaire verkehrsunfall" in timeline
    anna.close()


def test_without_csrf_or_unknown_questionnaire_nothing_is_added(staff: Staffed) -> None:
    rid = staff.create("Carl Csrf")
    anna = staff.login()
    token = csrf_of(anna.get(f"/staff/requests/{rid}").text)
    refused = anna.post(f"/staff/requests/{rid}/items", data={"kind": "upload", "label": "Vollmacht"})
    assert refused.status_code == 403
    unknown = anna.post(f"/staff/requests/{rid}/items",
                        data={"csrf": token, "kind": "questionnaire", "questionnaire": "nope"})
    assert unknown.status_code == 400 and "Diesen Fragebogen kennt die Kanzlei nicht." in unknown.text
    with staff.service.db.read() as s:
        assert s.query(m.RequestItem).filter_by(request_id=rid).count() == 2  # as created
    with staff.browser() as anon:
        assert anon.post(f"/staff/requests/{rid}/items", data={"kind": "upload", "label": "x"}).status_code == 303
    anna.close()


def test_the_client_is_asked_for_the_added_upload_after_the_first(staff: Staffed) -> None:
    made = staff.service.create_request(client_name="Uwe Upload", client_email="uwe@example.org", lang="de",
                                        uploads=["Kündigungsschreiben"], staff_email=ANNA)
    rid = made.id
    anna = staff.login()
    token = csrf_of(anna.get(f"/staff/requests/{rid}").text)
    added = anna.post(f"/staff/requests/{rid}/items", data={"csrf": token, "kind": "upload",
                                                            "label": "Arbeitsvertrag <b>"})
    assert added.status_code == 200 and "Arbeitsvertrag &lt;b&gt;" in added.text
    staff.say(rid, "", attachments=(Attachment("kuendigung.pdf", dismissal_pdf(), "application/pdf"),))
    with staff.service.db.read() as s:
        replies = [r.body.get("text", "") for r in s.query(m.OutboxRow).filter_by(request_id=rid)
                   .order_by(m.OutboxRow.id).all()]
        status = {i.ref: i.status for i in s.query(m.RequestItem).filter_by(request_id=rid).all()}
    assert status == {"Kündigungsschreiben": "complete", "Arbeitsvertrag <b>": "open"}
    assert "Arbeitsvertrag <b>" in replies[-1], replies[-1]
    anna.close()


def test_a_complete_request_is_refused_in_english(staff: Staffed) -> None:
    made = staff.service.create_request(client_name="Clara Closed", client_email="clara@example.org", lang="de",
                                        uploads=["Ausweis"], staff_email=ANNA)
    staff.say(made.id, "", attachments=(Attachment("ausweis.pdf", dismissal_pdf(), "application/pdf"),))
    assert staff.service.chat_progress(made.id).status == "complete"
    jonas = staff.login("jonas.muster@beispiel.example")
    page = jonas.get(f"/staff/requests/{made.id}")
    assert 'id="add-item-form"' not in page.text
    refused = jonas.post(f"/staff/requests/{made.id}/items",
                         data={"csrf": csrf_of(page.text), "kind": "upload", "label": "Vollmacht"})
    assert refused.status_code == 400 and "The request is complete; please create a new request." in refused.text
    jonas.close()
