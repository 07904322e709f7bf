"""The signing page over real HTTP: links in the first turn, GET harmless, every refusal clean."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from agent.cli import main as cli_main
from agent.store import models as m
from tests.portal_fallback.conftest import Live, signature_png
from tools.signing import prefill, verify_pdf


def test_first_turn_sends_the_link_and_get_changes_nothing(live: Live) -> None:
    request_id, url = live.create("vollmacht")
    assert url.startswith(f"{live.base}/s/")
    with live.service.db.read() as s:
        row = s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == request_id,
                                                  m.OutboxRow.kind == "sign_link")).one()
        assert row.body["link"].startswith("sign:") and "Vollmacht" in row.body["text"]
        assert "/s/" not in json.dumps(row.body), "the chat history keeps no signing link"
        link = s.scalars(select(m.Link).where(m.Link.request_id == request_id, m.Link.purpose == "sign")).one()
        token = url.rsplit("/", 1)[1]
        assert token not in json.dumps(link.data) and link.data["shown_sha256"]
        kinds = [a.kind for a in s.scalars(select(m.Activity).where(m.Activity.request_id == request_id))]
        assert "sign_data_missing" in kinds  # no address yet: staff are told what was blank
    before = live.counts()
    with live.service.db.read() as s:
        link_data = dict(s.scalars(select(m.Link).where(m.Link.request_id == request_id,
                                                        m.Link.purpose == "sign")).one().data)
    page = live.open(url)
    resp = live.http.get(url)
    for name, value in {"referrer-policy": "no-referrer", "cache-control": "no-store",
                        "x-robots-tag": "noindex"}.items():
        assert value in resp.headers[name]
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    assert "<script>" not in resp.text and " style=" not in resp.text  # nothing inline: the CSP holds
    assert "Erika Mustermann" in page.html and "Kanzlei Beispiel" in page.html
    assert 'data-field="ort"' in page.html and 'data-field="mandant_name"' not in page.html
    png = live.http.get(f"{url}/pages/1.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    pdf = live.http.get(f"{url}/document.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert live.http.get(f"{url}/pages/9.png").status_code == 404
    assert live.counts() == before
    with live.service.db.read() as s:
        assert s.scalars(select(m.Link).where(m.Link.request_id == request_id,
                                              m.Link.purpose == "sign")).one().data == link_data


def test_bad_input_is_refused_cleanly_then_one_signature_counts(live: Live) -> None:
    request_id, url = live.create("vollmacht")
    page = live.open(url)
    before = live.counts()

    def refused(resp, status: int, code: str) -> None:
        assert resp.status_code == status, resp.text
        body = resp.json()
        assert body["error"] == code and body["message"], body

    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (20 * 1024 * 1024)
    refused(live.post(page, png=big), 413, "too_large")
    refused(live.post(page, png=b"%PDF-1.7 definitely not a picture" * 20), 400, "not_png")
    refused(live.post(page, png=signature_png(ink=False)), 400, "empty")
    refused(live.post(page, png=signature_png((20, 20))), 400, "bad_dimensions")
    refused(live.post(page, values={"ort": "Berlin", "mandant_name": "Mallory"}), 400, "forbidden_field")
    refused(live.post(page, values={"ort": "Berlin", "kanzlei_name": "Evil LLP"}), 400, "forbidden_field")
    refused(live.post(page, values={}), 400, "missing_value")
    refused(live.post(page, consent=False), 400, "consent_required")
    refused(live.post(page, sha="0" * 64), 409, "document_changed")
    refused(live.post(page, csrf="1700000000.deadbeef"), 403, "csrf")
    refused(live.post(page, headers={"Origin": "https://evil.example"}), 403, "cross_origin")
    refused(live.post(page, headers={"Origin": "null"}), 403, "cross_origin")
    junk = live.http.post(f"{url}/sign", content=b"{not json", headers={"Content-Type": "application/json",
                                                                        "Origin": live.base})
    refused(junk, 400, "bad_request")
    broken = live.http.post(f"{url}/sign", content=b"--x\r\nnonsense", headers={
        "Content-Type": "multipart/form-data; boundary=x", "Origin": live.base})
    refused(broken, 400, "bad_request")
    many = live.http.post(f"{url}/sign", data={f"f{n}": "x" for n in range(150)}, files={
        "signature": ("s.png", signature_png(), "image/png")}, headers={"Origin": live.base})
    refused(many, 400, "bad_request")
    assert live.counts() == before, "a refused submit stored something"

    ok = live.post(page, typed_name="Erika Mustermann")
    assert ok.status_code == 200, ok.text
    assert ok.json()["ok"] is True and "Vollmacht" in ok.json()["message"]
    replay = live.post(page, typed_name="Erika Mustermann")
    refused(replay, 409, "already_signed")
    again = live.http.get(url)
    assert again.status_code == 409 and "bereits unterschrieben" in again.text

    doc, pdf = live.signed_document(request_id)
    assert doc.doc_type == "signed_vollmacht" and doc.mime == "application/pdf"
    report = verify_pdf(pdf, trust=[live.flow.key.cert])
    assert report.ok and report.coverage == "ENTIRE_FILE" and report.docmdp_ok, report.errors

    summary = live.service.request_summary(request_id)
    assert summary is not None and summary["status"] == "complete"
    item = next(i for i in summary["items"] if i["kind"] == "sign")
    assert item["status"] == "complete" and item["data"]["signed_document_id"] == doc.id
    signed = [a for a in summary["activity"] if a["kind"] == "document_signed"]
    assert len(signed) == 1 and signed[0]["important"] and "original" in signed[0]["data"]["note"]
    with live.service.db.read() as s:
        rows = list(s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == request_id)
                              .order_by(m.OutboxRow.id)))
        confirmation = next(r for r in rows if r.kind == "confirmation")
        assert confirmation.body["attachments"] == [{"sha256": doc.sha256, "filename": doc.filename,
                                                     "mime": "application/pdf"}]
        assert confirmation.channel == "webchat" and confirmation.address.startswith("link:")
        staff = next(r for r in rows if r.kind == "notification")
        assert staff.address == "anna.beispiel@beispiel.example" and staff.body["attachments"]
        req = s.get(m.Request, request_id)
        assert req is not None and req.state["phase"] == "done"
        attached = live.service.desk.outbox_attachments(confirmation)
        assert attached[0].content == pdf


def test_expired_unknown_and_revoked_links_show_the_same_plain_page(live: Live) -> None:
    request_id, url = live.create("datenschutz")
    with live.service.db.write() as s:
        link = s.scalars(select(m.Link).where(m.Link.request_id == request_id, m.Link.purpose == "sign")).one()
        link.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    expired = live.http.get(url)
    unknown = live.http.get(f"{live.base}/s/{'A' * 43}")
    assert expired.status_code == 410 and unknown.status_code == 404
    assert expired.text == unknown.text and "Link nicht gültig" in expired.text
    assert "no-store" in expired.headers["cache-control"]
    page_like = live.http.post(f"{url}/sign", headers={"Origin": live.base}, files={"signature": ("s.png", b"x")})
    assert page_like.status_code == 410 and page_like.json()["error"] == "link_invalid"
    live.service.revoke_links(request_id)
    assert live.http.get(url).text == unknown.text


def test_document_changed_after_the_link_was_sent_is_refused(live: Live) -> None:
    request_id, url = live.create("datenschutz")
    page = live.open(url)
    # The firm's data changed and the stored version is now another document: the page the client
    # still has open shows the old one, so its hash no longer matches.
    template = live.flow.templates["datenschutz"]
    other = prefill(template, {"firm": {"name": "Andere Kanzlei", "address": "Weg 1"},
                               "client": {"full_name": "Erika Mustermann"}})
    sha, _ = live.service.desk.blobs.put(other)
    with live.service.db.write() as s:
        link = s.scalars(select(m.Link).where(m.Link.request_id == request_id, m.Link.purpose == "sign")).one()
        link.data = {**link.data, "shown_sha256": sha}
    before = live.counts()
    resp = live.post(page)
    assert resp.status_code == 409 and resp.json()["error"] == "document_changed"
    assert "neu" in resp.json()["message"]
    assert live.counts() == before


def test_failed_lookups_are_rate_limited_per_ip(make_live) -> None:
    small = make_live(failed_lookups_per_minute=3)
    for _ in range(3):
        assert small.http.get(f"{small.base}/s/{'B' * 43}").status_code == 404
    blocked = small.http.get(f"{small.base}/s/{'C' * 43}")
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    _, url = small.create("datenschutz")
    assert small.http.get(url).status_code == 429  # even a good link waits: no oracle for guessing


def test_one_time_code_through_the_other_channel(make_live) -> None:
    otp = make_live(signing_otp=True)
    request_id, url = otp.create("datenschutz")
    page = otp.open(url)
    assert 'autocomplete="one-time-code"' in page.html
    no_code = otp.post(page)
    assert no_code.status_code == 400 and no_code.json()["error"] == "otp_needed"
    sent = otp.http.post(f"{url}/code", headers={"Origin": otp.base, "X-Page-Token": page.csrf})
    assert sent.status_code == 200 and sent.json()["channel"] == "email"
    with otp.service.db.read() as s:
        row = s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == request_id,
                                                  m.OutboxRow.kind == "otp")).one()
        assert row.channel == "email" and row.address == "erika@example.org"
        code = next(w for w in row.body["text"].split() if w.isdigit() and len(w) == 6)
        link = s.scalars(select(m.Link).where(m.Link.request_id == request_id, m.Link.purpose == "sign")).one()
        assert code not in json.dumps(link.data)  # stored hashed only
    wrong = "000000" if code != "000000" else "111111"

    def post_code(value: str):
        import json as _json

        return otp.http.post(f"{url}/sign", headers={"Origin": otp.base}, data={
            "csrf": page.csrf, "document_sha256": page.sha, "consent": "1", "code": value,
            "values": _json.dumps({"ort": "Köln"})}, files={"signature": ("s.png", signature_png(), "image/png")})

    first = post_code(wrong)
    assert first.status_code == 400 and first.json()["error"] == "otp_wrong" and "4" in first.json()["message"]
    ok = post_code(code)
    assert ok.status_code == 200, ok.text
    doc, pdf = otp.signed_document(request_id)
    assert verify_pdf(pdf, trust=[otp.flow.key.cert]).ok


def test_five_wrong_codes_lock_the_code(make_live) -> None:
    otp = make_live(signing_otp=True)
    _, url = otp.create("datenschutz")
    page = otp.open(url)
    assert otp.http.post(f"{url}/code", headers={"Origin": otp.base, "X-Page-Token": page.csrf}).status_code == 200
    errors = []
    for _ in range(6):
        resp = otp.http.post(f"{url}/sign", headers={"Origin": otp.base}, data={
            "csrf": page.csrf, "document_sha256": page.sha, "consent": "1", "code": "99999x",
            "values": json.dumps({"ort": "Köln"})}, files={"signature": ("s.png", signature_png(), "image/png")})
        errors.append(resp.json()["error"])
    assert errors[:4] == ["otp_wrong"] * 4 and errors[4:] == ["otp_locked", "otp_locked"]


def test_sign_send_fills_from_confirmed_answers_and_case_data(live: Live, monkeypatch, capsys) -> None:
    created = live.service.create_request(client_name="Max M.", client_email="max@example.org", lang="en",
                                          questionnaires=["kuendigung"], sign=["vollmacht"])
    q = live.service.questionnaire("kuendigung")
    by_key = {f.case_data: f.id for f in q.fields if f.case_data}
    with live.service.db.write() as s:
        req = s.get(m.Request, created.id)
        assert req is not None
        qitem = next(i for i in req.items if i.kind == "questionnaire")
        for key, value in (("client.first_name", "Max"), ("client.last_name", "Mustermann"),
                           ("client.address", "Hauptstraße 5, 10115 Berlin")):
            s.add(m.Answer(request_id=req.id, item_id=qitem.id, field_id=by_key[key], value=value,
                           source_type="message", source_id="t", method="parser", confirmed=True))
        req.case_data = {"case": {"subject": "Kündigungsschutz ./. Beispiel GmbH"}}
    monkeypatch.setenv("MANDAT_DATA_DIR", str(live.service.settings.data_dir))
    monkeypatch.setenv("MANDAT_FIRM_DIR", str(live.service.settings.firm_dir))
    monkeypatch.setenv("MANDAT_PUBLIC_URL", live.base)
    assert cli_main(["sign", "send", created.id]) == 0
    sent = json.loads(capsys.readouterr().out)["sent"]
    assert len(sent) == 1 and sent[0]["template"] == "vollmacht"
    assert sent[0]["url"] is None and sent[0]["channel"] == "webchat"  # a button in the chat, no stored link
    page = live.open(live.sign_url_in_outbox(created.id))
    for shown in ("Max Mustermann", "Hauptstraße 5, 10115 Berlin", "Kündigungsschutz ./. Beispiel GmbH"):
        assert shown in page.html
    assert 'lang="en"' in page.html and "Power of attorney" in page.html
    with live.service.db.read() as s:
        row = s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == created.id,
                                                  m.OutboxRow.kind == "sign_link")
                        .order_by(m.OutboxRow.id.desc())).first()
        assert row is not None and row.body["link"] == f"sign:{sent[0]['item_id']}"
    # Signing a link sent early does not interrupt the questionnaire in progress.
    assert live.post(page).status_code == 200
    with live.service.db.read() as s:
        req = s.get(m.Request, created.id)
        assert req is not None and req.status == "open" and req.state.get("phase") != "done"
    assert cli_main(["sign", "send", "nope"]) == 1


def test_verify_command_and_pdfsig(live: Live, tmp_path, capsys) -> None:
    request_id, url = live.create("datenschutz")
    assert live.post(live.open(url), values={"ort": "Köln", "einwilligung_unverschluesselt": True}).status_code == 200
    _, pdf = live.signed_document(request_id)
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(pdf)
    cert = tmp_path / "firm.pem"
    from cryptography.hazmat.primitives import serialization

    cert.write_bytes(live.flow.key.cert.public_bytes(serialization.Encoding.PEM))
    assert cli_main(["verify", str(signed), "--cert", str(cert)]) == 0
    assert "GÜLTIG / VALID" in capsys.readouterr().out
    out = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True, timeout=60)
    assert "Signature is Valid" in out.stdout, out.stdout + out.stderr
    flipped = bytearray(pdf)
    flipped[len(pdf) // 3] ^= 0x01
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(bytes(flipped))
    assert cli_main(["verify", str(broken), "--cert", str(cert)]) == 1


@pytest.mark.parametrize("kind", ["json"])
def test_json_submit_with_data_url(live: Live, kind: str) -> None:
    import base64

    request_id, url = live.create("datenschutz", lang="en")
    page = live.open(url)
    body = {"csrf": page.csrf, "document_sha256": page.sha, "consent": True, "values": {"ort": "Leeds"},
            "signature": "data:image/png;base64," + base64.b64encode(signature_png()).decode()}
    resp = live.http.post(f"{url}", json=body, headers={"Origin": live.base})
    assert resp.status_code == 200 and "signed" in resp.json()["message"]


def test_after_an_email_turn_the_link_goes_out_by_email_and_so_does_the_confirmation(live: Live) -> None:
    from agent.messages import InboundMessage

    created = live.service.create_request(client_name="Erika Mustermann", client_email="erika.mail@example.org",
                                          lang="de", uploads=["Personalausweis"],
                                          sign=["datenschutz", "vollmacht"])
    assert not any(k.startswith("sign_") for k in created.links)  # the upload comes first
    result = live.service.receive(InboundMessage(channel="email", sender="erika.mail@example.org",
                                                 text="überspringen", external_id="<skip-1@example.org>",
                                                 request_id=created.id))
    sign_reply = next(r for r in result.replies if r.kind == "sign_link")
    assert sign_reply.channel == "email" and sign_reply.link and sign_reply.link.startswith(f"{live.base}/s/")
    assert "{sign_link" not in sign_reply.text and "Datenschutzhinweise" in sign_reply.text
    assert live.post(live.open(sign_reply.link)).status_code == 200
    with live.service.db.read() as s:
        rows = list(s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == created.id,
                                                        m.OutboxRow.message_id.like(f"{created.id}.signed.%"))
                              .order_by(m.OutboxRow.id)))
    client_rows = [r for r in rows if r.kind != "notification"]
    assert {(r.channel, r.address) for r in client_rows} == {("email", "erika.mail@example.org")}
    assert client_rows[0].kind == "confirmation" and client_rows[0].body["attachments"]
    # The conversation moved on to the next document: its link is in the same e-mail batch.
    next_link = next(r for r in client_rows if r.kind == "sign_link")
    assert "Vollmacht" in next_link.body["text"] and next_link.body["link"].startswith(f"{live.base}/s/")
    assert live.post(live.open(next_link.body["link"])).status_code == 200
    summary = live.service.request_summary(created.id)
    assert summary is not None and summary["status"] == "complete"
    assert [i["status"] for i in summary["items"]] == ["skipped", "complete", "complete"]


def test_staff_api_lists_the_signed_document_and_serves_it(live: Live) -> None:
    from tests.portal_fallback.conftest import STAFF_TOKEN

    staff = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    made = live.http.post("/api/requests", headers=staff, json={
        "client": {"name": "Erika Mustermann", "email": "erika.api@example.org", "lang": "de"},
        "questionnaires": [], "uploads": [], "sign": ["datenschutz"], "send": False})
    assert made.status_code == 201, made.text
    body = made.json()
    request_id = body["id"]
    url = live.sign_url_in_outbox(request_id)
    listed = live.http.get(f"/api/requests/{request_id}", headers=staff).json()
    item = next(i for i in listed["items"] if i["kind"] == "sign")
    assert item["status"] == "open" and "signed_document_id" not in item["data"]
    assert live.post(live.open(url)).status_code == 200
    listed = live.http.get(f"/api/requests/{request_id}", headers=staff).json()
    item = next(i for i in listed["items"] if i["kind"] == "sign")
    assert item["status"] == "complete"
    doc_id = item["data"]["signed_document_id"]
    assert any(d["id"] == doc_id and d["origin"] == "signed" for d in listed["documents"])
    served = live.http.get(f"/api/files/{doc_id}", headers=staff)
    assert served.status_code == 200 and served.content.startswith(b"%PDF")
    assert verify_pdf(served.content, trust=[live.flow.key.cert]).ok


def test_the_code_prefers_the_channel_the_link_did_not_use() -> None:
    from types import SimpleNamespace

    from agent.signing_flow import SigningFlow

    both = SimpleNamespace(email="a@example.org", telegram_chat_id="42")
    assert SigningFlow._otp_channel(both, "email") == "telegram"
    assert SigningFlow._otp_channel(both, "telegram") == "email"
    assert SigningFlow._otp_channel(both, "webchat") == "email"
    assert SigningFlow._otp_channel(SimpleNamespace(email="a@example.org", telegram_chat_id=None), "email") == "email"
    assert SigningFlow._otp_channel(SimpleNamespace(email=None, telegram_chat_id=None), "webchat") is None


def test_wire_makes_the_firm_key_once_and_prints_its_fingerprint(service) -> None:
    import io

    from fastapi import FastAPI

    import portal_fallback
    from agent.app import build_service, wiring_of
    from agent.signing_flow import SigningFlow

    first, second = io.StringIO(), io.StringIO()
    flow = portal_fallback.wire(SigningFlow(service), FastAPI(), out=first)
    assert flow.key.fingerprint_sha256 in first.getvalue()
    assert (service.settings.data_dir / "firm-signing.p12").is_file()
    again = portal_fallback.wire(SigningFlow(service), FastAPI(), out=second)
    assert second.getvalue() == "" and again.key.fingerprint_sha256 == flow.key.fingerprint_sha256
    wired = build_service(service.settings)  # the composition root gives a service signing's hooks
    try:
        assert wired.ports.sign_link is not None and wired.ports.sign_title is not None
        assert wiring_of(wired).signing is not None
    finally:
        wired.close()


def test_the_chat_button_makes_a_fresh_link_only_when_pressed(live: Live) -> None:
    created = live.service.create_request(client_name="Erika Mustermann", client_email=None, lang="de",
                                          sign=["datenschutz"])
    chat = created.links["chat"].removeprefix(live.base)
    history = live.http.get(f"{chat}/history").json()["messages"]
    button = next(msg for msg in history if (msg.get("link") or "").startswith("sign:"))
    with live.service.db.read() as s:
        assert s.scalar(select(func.count(m.Link.id)).where(m.Link.request_id == created.id,
                                                             m.Link.purpose == "sign")) == 0
    item_id = button["link"].removeprefix("sign:")
    first = live.http.post(f"{chat}/sign/{item_id}")
    assert first.status_code == 200 and first.json()["url"].startswith(f"{live.base}/s/")
    second = live.http.post(f"{chat}/sign/{item_id}").json()["url"]
    assert live.http.get(first.json()["url"]).status_code == 410, "pressing again revokes the older link"
    assert live.post(live.open(second)).status_code == 200
    assert live.http.post(f"{chat}/sign/{item_id}").status_code == 404, "a signed document cannot be signed again"
    other = live.service.create_request(client_name="Max", client_email=None, lang="de", sign=["vollmacht"])
    with live.service.db.read() as s:
        foreign = s.scalars(select(m.RequestItem.id).where(m.RequestItem.request_id == other.id)).one()
    assert live.http.post(f"{chat}/sign/{foreign}").status_code == 404


@pytest.mark.parametrize("spelling", ["EN", "en-GB"])
def test_the_page_reads_any_spelling_of_english_as_english(live: Live, spelling: str) -> None:
    """A request whose language another system wrote as "EN" or "en-GB" gets the English page and
    English refusals, not the German default."""
    request_id, url = live.create("datenschutz", lang="en")
    with live.service.db.write() as s:
        s.get(m.Request, request_id).lang = spelling
    page = live.open(url)
    assert '<html lang="en"' in page.html and "Sign now" in page.html
    assert "Jetzt verbindlich unterschreiben" not in page.html
    refused = live.post(page, consent=False)
    assert refused.status_code == 400
    assert refused.json()["message"] == "Please confirm your consent to sign."
