"""Property tests for the routes a client (or anyone on the internet) can reach: the chat's messages and
uploads, the signing page's submit and code. Whatever arrives: no 500, only JSON or the plain pages, and
no answer that carries a token or another request's data."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from agent.app import build_service, create_app
from agent.config import load_settings
from agent.store import models as m
from tests.conftest import DEMO_FIRM
from tests.fuzz.conftest import examples

BASE = "http://127.0.0.1:8000"
_data = Path(tempfile.mkdtemp(prefix="mandat-fuzz-routes-"))
SERVICE = build_service(load_settings(data_dir=_data / "var", firm_dir=DEMO_FIRM, public_url=BASE,
                                      rate_limit_per_minute=1_000_000, failed_lookups_per_minute=1_000_000))
APP = create_app(SERVICE)
CLIENT = TestClient(APP, base_url=BASE, headers={"Origin": BASE})


def _request(name: str, email: str) -> tuple[str, str, str]:
    """A chat request (questionnaire and upload) and a signing-only one for the same client: (chat token,
    sign token, chat request id)."""
    created = SERVICE.create_request(client_name=name, client_email=email, questionnaires=["kuendigung"],
                                     uploads=["Kündigungsschreiben"])
    signing = SERVICE.create_request(client_name=name, client_email=email, sign=["vollmacht"])
    with SERVICE.db.read() as s:
        body = s.scalars(select(m.OutboxRow.body).where(m.OutboxRow.request_id == signing.id,
                                                        m.OutboxRow.kind == "sign_link")).first()
    link = str((body or {}).get("link", ""))
    if link.startswith("sign:"):
        link = SERVICE.fresh_sign_link(signing.id, int(link.removeprefix("sign:"))) or ""
    return created.links["chat"].rsplit("/", 1)[1], link.rsplit("/", 1)[-1], created.id


MINE_CHAT, MINE_SIGN, MINE_ID = _request("Mira Eigen", "mira.eigen@example.org")
OTHER_CHAT, OTHER_SIGN, OTHER_ID = _request("Otto Fremd", "otto.fremd@example.org")
SECRETS = [OTHER_CHAT, OTHER_SIGN, "Otto", "Fremd", "otto.fremd", OTHER_ID, MINE_SIGN]


def _clean(resp_text: str, *, allow_own_sign: bool = False) -> None:
    leaks = [s for s in SECRETS if s and s in resp_text and not (allow_own_sign and s == MINE_SIGN)]
    assert not leaks, f"the answer carries {leaks}"
    assert MINE_CHAT not in resp_text, "the link token is never echoed back"


def _ok(resp, *allowed: int) -> None:  # noqa: ANN001
    assert resp.status_code < 500, (resp.status_code, resp.text[:400])
    if allowed:
        assert resp.status_code in allowed, (resp.status_code, resp.text[:400])
    ctype = resp.headers.get("content-type", "")
    assert ctype.startswith(("application/json", "text/html")), ctype
    if ctype.startswith("application/json"):
        json.loads(resp.text)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                                                     max_size=4), max_leaves=12)
texts = st.text(min_size=0, max_size=300) | st.sampled_from(
    ["Max", "03.04.1980", "ja", "nein", "DE89 3704 0044 0532 0130 00", "/start x", "\u202e\u0000",
     "{{ 7*7 }}", "<script>alert(1)</script>", "' OR 1=1 --", "Musterstraße 1, 10115 Berlin"])


@settings(max_examples=examples(60), deadline=None)
@given(body=st.one_of(
    st.fixed_dictionaries({"text": texts}, optional={"id": st.text(max_size=120) | st.integers() | st.none()}),
    json_values, st.binary(max_size=200).map(lambda b: {"__raw__": b})))
def test_chat_messages(body: object) -> None:
    if isinstance(body, dict) and "__raw__" in body:
        resp = CLIENT.post(f"/c/{MINE_CHAT}/messages", content=body["__raw__"],
                           headers={"Content-Type": "application/json"})
    else:
        resp = CLIENT.post(f"/c/{MINE_CHAT}/messages", json=body)
    _ok(resp, 200, 201, 202, 400, 409, 413, 415, 422)
    _clean(resp.text)
    history = CLIENT.get(f"/c/{MINE_CHAT}/history")
    _ok(history, 200)
    _clean(history.text, allow_own_sign=True)


@settings(max_examples=examples(40), deadline=None)
@given(token=st.text(min_size=0, max_size=80).filter(lambda t: "/" not in t and "?" not in t and "#" not in t),
       text=texts)
def test_chat_with_a_made_up_token(token: str, text: str) -> None:
    quoted = quote(token, safe="")
    for resp in (CLIENT.post(f"/c/{quoted}/messages", json={"text": text}), CLIENT.get(f"/c/{quoted}/history")):
        _ok(resp)
        assert resp.status_code in (404, 405, 410, 400, 422) or token in (MINE_CHAT, OTHER_CHAT), resp.status_code
        _clean(resp.text)


files = st.lists(st.tuples(
    st.text(max_size=60),
    st.binary(max_size=3000) | st.sampled_from([b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n", b"\x89PNG\r\n\x1a\n",
                                                b"\xff\xd8\xff\xe0" + b"\0" * 20, b"PK\x03\x04" + b"\0" * 30]),
    st.sampled_from(["application/pdf", "image/png", "image/jpeg", "text/html", "", "application/x-msdownload"])),
    min_size=0, max_size=3)


@settings(max_examples=examples(40), deadline=None)
@given(parts=files, extra=st.dictionaries(st.sampled_from(["item", "text", "id", "slot"]), st.text(max_size=30),
                                          max_size=3))
def test_chat_uploads(parts: list[tuple[str, bytes, str]], extra: dict[str, str]) -> None:
    upload = [("file", (name or "x", content, ctype or "application/octet-stream")) for name, content, ctype in parts]
    resp = CLIENT.post(f"/c/{MINE_CHAT}/uploads", files=upload or None, data=extra or None)
    _ok(resp, 200, 201, 202, 400, 409, 413, 415, 422)
    _clean(resp.text)


@settings(max_examples=examples(30), deadline=None)
@given(raw=st.binary(max_size=500), ctype=st.sampled_from(["multipart/form-data; boundary=x", "multipart/form-data",
                                                          "application/json", "text/plain", ""]))
def test_chat_uploads_raw_bodies(raw: bytes, ctype: str) -> None:
    resp = CLIENT.post(f"/c/{MINE_CHAT}/uploads", content=raw, headers={"Content-Type": ctype} if ctype else {})
    _ok(resp, 400, 413, 415, 422)
    _clean(resp.text)


def _signature_png() -> bytes:
    from tests.portal_fallback.conftest import signature_png

    return signature_png()


def _page_fields() -> dict[str, str]:
    """The signing page's CSRF value and document hash (while the link is unused)."""
    page = CLIENT.get(f"/s/{MINE_SIGN}")
    _ok(page, 200, 404, 410)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    sha = re.search(r'name="document_sha256" value="([0-9a-f]{64})"', page.text)
    return {"csrf": csrf.group(1), "document_sha256": sha.group(1)} if csrf and sha else {}


@settings(max_examples=examples(40), deadline=None)
@given(form=st.dictionaries(st.sampled_from(["csrf", "document_sha256", "consent", "values", "typed_name", "code"]),
                            st.text(max_size=80) | json_values.map(json.dumps), max_size=6),
       with_csrf=st.booleans(), png=st.none() | st.binary(max_size=400) | st.sampled_from([_signature_png()]),
       path=st.sampled_from(["/sign", "", "/code"]))
def test_sign_submit(form: dict[str, str], with_csrf: bool, png: bytes | None, path: str) -> None:
    assert MINE_SIGN, "the seed request has a signing link"
    if with_csrf:
        form = {**form, **_page_fields()}
    upload = {"signature": ("signature.png", png, "image/png")} if png is not None else None
    resp = CLIENT.post(f"/s/{MINE_SIGN}{path}", data=form, files=upload)
    _ok(resp, 200, 400, 403, 404, 409, 410, 413, 415, 422, 429)
    _clean(resp.text, allow_own_sign=True)
    assert "Otto" not in resp.text
