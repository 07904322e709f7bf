"""The staff API against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from agent.app import CSP
from agent.messages import Attachment
from agent.store import models as m
from tests.agent.api.conftest import Live, small_pdf

HEADERS = {
    "referrer-policy": "no-referrer", "cache-control": "no-store", "x-robots-tag": "noindex",
    "x-content-type-options": "nosniff", "x-frame-options": "DENY", "content-security-policy": CSP,
}


def request_count(live: Live) -> int:
    with live.service.db.read() as s:
        return int(s.scalar(select(func.count(m.Request.id))) or 0)


def assert_secure(resp) -> None:  # noqa: ANN001
    for name, value in HEADERS.items():
        assert resp.headers.get(name) == value, (resp.request.url, name, resp.headers.get(name))


def test_create_request_answers_201_with_a_chat_link(live: Live) -> None:
    created = live.create()
    assert set(created) == {"id", "links", "expires_at"}
    assert created["links"]["chat"].startswith(live.base + "/c/")
    token = created["links"]["chat"].rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits, url-safe base64
    summary = live.client.get(f"/api/requests/{created['id']}").json()
    assert summary["status"] == "open"
    assert [i["kind"] for i in summary["items"]] == ["questionnaire", "upload"]
    assert summary["staff"] == "anna.beispiel@beispiel.example"


@pytest.mark.parametrize("body", [
    {},
    {"client": {"name": "", "lang": "de"}, "questionnaires": ["kuendigung"]},
    {"client": {"name": "A", "email": "not an address"}, "questionnaires": ["kuendigung"]},
    {"client": {"name": "A"}, "questionnaires": "kuendigung"},
    {"client": {"name": "A"}, "questionnaires": ["kuendigung"], "send": "maybe"},
    {"client": {"name": "A"}, "questionnaires": ["kuendigung"], "unknown": 1},
    {"client": {"name": "A"}, "uploads": [""]},
    {"client": {"name": "A"}, "questionnaires": ["kuendigung"], "case_data": {"case.subject": 3}},
])
def test_bad_bodies_answer_422_with_readable_errors(live: Live, body: dict) -> None:
    before = request_count(live)
    resp = live.client.post("/api/requests", json=body)
    assert resp.status_code == 422, resp.text
    assert isinstance(resp.json()["message"], str) and resp.json()["message"]
    assert isinstance(resp.json()["detail"], list)
    assert_secure(resp)
    assert request_count(live) == before


def test_case_data_is_kept_and_bad_keys_refused(live: Live) -> None:
    body = {"client": {"name": "Max"}, "questionnaires": ["kuendigung"],
            "case_data": {"case.subject": "Kündigung ACME", "fee.hourly_rate": "250,00"}}
    resp = live.client.post("/api/requests", json=body)
    assert resp.status_code == 201, resp.text
    with live.service.db.read() as s:
        assert s.get(m.Request, resp.json()["id"]).case_data == {
            "case": {"subject": "Kündigung ACME"}, "fee": {"hourly_rate": "250,00"}}
    before = request_count(live)
    bad = live.client.post("/api/requests", json={**body, "case_data": {"Case Subject": "x"}})
    assert bad.status_code == 400 and "case data key" in bad.json()["detail"]
    assert request_count(live) == before


def test_malformed_json_is_422(live: Live) -> None:
    resp = live.client.post("/api/requests", content=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 422
    assert "JSON" in resp.json()["message"]


@pytest.mark.parametrize(("overrides", "needle"), [
    ({"questionnaires": ["scheidung"]}, "scheidung"),
    ({"questionnaires": [], "uploads": [], "sign": []}, "at least one"),
    ({"staff": "someone@else.example"}, "someone@else.example"),
    ({"client": {"name": "A", "lang": "fr"}}, "language"),
])
def test_request_errors_answer_400_with_the_reason(live: Live, overrides: dict, needle: str) -> None:
    body = {"client": {"name": "A", "lang": "de"}, "questionnaires": ["kuendigung"], **overrides}
    before = request_count(live)
    resp = live.client.post("/api/requests", json=body)
    assert resp.status_code == 400, resp.text
    assert needle in resp.json()["detail"]
    assert request_count(live) == before


@pytest.mark.parametrize("auth", [None, "Bearer wrong", "Bearer s3cret-", "Basic czNjcmV0", "s3cret", "Bearer"])
def test_missing_or_wrong_staff_token_is_401_and_does_nothing(live: Live, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth is not None else {}
    before = request_count(live)
    body = {"client": {"name": "Eve"}, "questionnaires": ["kuendigung"]}
    resp = live.anon.post("/api/requests", json=body, headers=headers)
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == "Bearer"
    assert_secure(resp)
    for path in ("/api/activity", "/api/requests/x", "/api/files/x"):
        assert live.anon.get(path, headers=headers).status_code == 401
    assert live.anon.post("/api/requests/x/seen", headers=headers).status_code == 401
    assert request_count(live) == before


def test_answers_show_their_provenance(live: Live) -> None:
    rid = live.create()["id"]
    for text in ("Max", "Mustermann", "3. April 1980"):
        live.say(rid, text)
    summary = live.client.get(f"/api/requests/{rid}").json()
    answers = {a["field"]: a for a in summary["answers"]}
    assert answers["first_name"]["value"] == "Max"
    assert answers["birth_date"]["value"] == "1980-04-03"
    assert answers["birth_date"]["raw_text"] == "3. April 1980"
    assert answers["last_name"]["source"]["type"] == "message"
    assert answers["last_name"]["method"] == "parser"
    assert summary["progress"]["answered"] == 3
    assert any(a["kind"] == "message_received" for a in summary["activity"])
    assert live.client.get("/api/requests/does-not-exist").status_code == 404


def test_unseen_activity_rises_with_client_activity_and_clears_when_seen(live: Live) -> None:
    rid = live.create()["id"]

    def unseen(**params: object) -> dict:
        resp = live.client.get("/api/activity", params={"unseen": "true", **params})
        assert resp.status_code == 200, resp.text
        return resp.json()

    assert unseen(request_id=rid)["unseen_count"] == 0  # creating it was staff's own doing
    bell = unseen()["unseen_count"]
    live.say(rid, "Max")
    live.say(rid, "Mustermann")
    mine = unseen(request_id=rid)
    assert mine["unseen_count"] >= 2
    assert unseen()["unseen_count"] >= bell + 2
    assert all(i["request_id"] == rid and not i["seen"] and i["request_unseen"] for i in mine["items"])
    assert [r["id"] for r in mine["unseen_requests"]] == [rid]
    assert live.client.get(f"/api/requests/{rid}").json()["unseen"] is True

    resp = live.client.post(f"/api/requests/{rid}/seen")
    assert resp.status_code == 200
    assert resp.json()["marked_seen"] >= 2 and resp.json()["unseen"] is False
    after = unseen(request_id=rid)
    assert after["unseen_count"] == 0 and after["items"] == [] and after["unseen_requests"] == []
    assert live.client.get(f"/api/requests/{rid}").json()["unseen"] is False
    everything = live.client.get("/api/activity", params={"request_id": rid}).json()
    assert everything["items"] and all(i["seen"] for i in everything["items"])
    assert len(live.client.get("/api/activity", params={"limit": 1}).json()["items"]) == 1
    assert live.client.get("/api/activity", params={"limit": 0}).status_code == 422

    live.say(rid, "3. April 1980")
    assert unseen(request_id=rid)["unseen_count"] >= 1
    assert live.client.post("/api/requests/nope/seen").status_code == 404


def test_files_endpoint_downloads_an_uploaded_document(live: Live) -> None:
    rid = live.create()["id"]
    pdf = small_pdf()
    live.say(rid, "", attachments=(Attachment('../../Kündigung "final";.html', pdf, "text/html"),))
    documents = live.client.get(f"/api/requests/{rid}").json()["documents"]
    assert len(documents) == 1, documents
    resp = live.client.get(f"/api/files/{documents[0]['id']}")
    assert resp.status_code == 200
    assert resp.content == pdf
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.headers["x-content-type-options"] == "nosniff"
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="Kundigung final.html.pdf"' in disposition
    assert "filename*=UTF-8''K%C3%BCndigung%20final.html.pdf" in disposition
    assert "/" not in disposition.split("filename=")[1].split(";")[0]
    assert_secure(resp)
    assert live.client.get("/api/files/unknown-document").status_code == 404
    assert live.anon.get(f"/api/files/{documents[0]['id']}").status_code == 401


def test_security_headers_on_every_response(live: Live) -> None:
    responses = [
        live.client.get("/api/activity"), live.anon.get("/api/activity"), live.client.get("/api/nothing-here"),
        live.anon.get("/no-such-page"), live.anon.get("/openapi.json"), live.anon.head("/no-such-page"),
        live.client.post("/api/requests", json={}),
    ]
    for resp in responses:
        assert_secure(resp)


def test_openapi_is_served_and_the_docs_ui_is_off(live: Live) -> None:
    schema = live.anon.get("/openapi.json").json()
    for path in ("/api/requests", "/api/requests/{request_id}", "/api/activity", "/api/requests/{request_id}/seen",
                 "/api/files/{document_id}"):
        assert path in schema["paths"], path
    assert live.anon.get("/docs").status_code == 404


def test_the_outbox_web_chat_and_log_redaction_are_wired(live: Live) -> None:
    import logging

    from channels.webchat import RedactTokensFilter, WebchatHub

    assert live.service.outbox._thread is not None  # started by the app's lifespan
    assert isinstance(getattr(live.service.outbox.senders["webchat"], "__self__", None), WebchatHub)
    access = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, RedactTokensFilter) for f in access.filters)
    chat = live.create()["links"]["chat"]
    page = live.anon.get(chat)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert_secure(page)


def test_the_staff_api_is_off_without_a_token(live_off: Live) -> None:
    before = request_count(live_off)
    calls = [
        live_off.client.post("/api/requests", json={"client": {"name": "A"}, "questionnaires": ["kuendigung"]}),
        live_off.anon.get("/api/activity?unseen=true"), live_off.client.get("/api/requests/x"),
        live_off.client.post("/api/requests/x/seen"), live_off.client.get("/api/files/x"),
        live_off.client.get("/api/anything"),
    ]
    for resp in calls:
        assert resp.status_code == 503
        assert "MANDAT_STAFF_TOKEN" in resp.json()["detail"]
        assert_secure(resp)
    assert request_count(live_off) == before == 0
