"""The web chat's HTTP contract against a real uvicorn server (httpx on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import socket
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from agent import links
from agent.store import models as m
from tests.agent.scripts import KUENDIGUNG_DE
from tests.channels.webchat.conftest import FAILED_LOOKUPS, RATE_LIMIT, ChatServer

BURST_LIMIT = 25


def small_pdf(text: str = "Kündigung zum 31.12.2026") -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buf.getvalue()


def post(client: httpx.Client, url: str, text: str, **extra: object) -> httpx.Response:
    return client.post(f"{url}/messages", json={"text": text, **extra})


def test_page_is_branded_and_safe(chat: ChatServer) -> None:
    url, token, _ = chat.new_request("de")
    with httpx.Client() as client:
        page = client.get(url)
        assert page.status_code == 200
        html = page.text
        assert chat.service.firm.name in html and chat.service.firm.description_in("de") in html
        assert '<html lang="de">' in html and "Ihre Anfrage" in html and "Dateien hochladen" in html
        assert '<meta name="referrer" content="no-referrer">' in html
        assert 'aria-live="polite"' in html and 'accept=".pdf,.jpg,.jpeg,.png' in html
        assert token not in html and "<script>" not in html and " style=" not in html and "onclick" not in html
        for header, value in {"referrer-policy": "no-referrer", "cache-control": "no-store",
                              "x-robots-tag": "noindex, nofollow"}.items():
            assert page.headers[header] == value
        total = len(page.content)
        for asset in ("chat.css", "brand.css", "chat.js"):
            res = client.get(f"{chat.base}/static/webchat/{asset}")
            assert res.status_code == 200
            total += len(res.content)
        assert total <= 60_000, total
        brand = client.get(f"{chat.base}/static/webchat/brand.css").text
        assert chat.service.firm.colour in brand
        logo = client.get(f"{chat.base}/static/webchat/logo")
        assert logo.status_code == 200 and logo.headers["content-type"].startswith("image/")
        en_url, _, _ = chat.new_request("en", name="Jane Doe")
        en = client.get(en_url).text
        assert '<html lang="en">' in en and "Your request" in en and "Upload files" in en


def test_api_flow_completes_the_request(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")
    with httpx.Client(timeout=30) as client:
        hist = client.get(f"{url}/history").json()
        assert hist["status"] == "open" and hist["progress"]["answered"] == 0
        assert hist["messages"][-1]["text"].startswith("Frage 1 von")
        body: dict = {}
        for answer in KUENDIGUNG_DE:
            res = post(client, url, answer)
            assert res.status_code == 200, res.text
            body = res.json()
            assert set(body) >= {"replies", "progress", "status"}
            assert all({"text", "quick_replies", "id"} <= set(r) for r in body["replies"])
        assert body["status"] == "open"  # the upload is still missing
        assert "Kündigungsschreiben" in body["replies"][-1]["text"]
        res = client.post(f"{url}/uploads", files={"file": ("kuendigung.pdf", small_pdf(), "application/pdf")})
        assert res.status_code == 200, res.text
        up = res.json()
        assert up["status"] == "complete", up
        assert up["documents"][0]["filename"] == "kuendigung.pdf" and not up["documents"][0].get("error")
        hist = client.get(f"{url}/history").json()
        assert hist["status"] == "complete"
        assert 0 < hist["progress"]["answered"] <= hist["progress"]["total"]
        client_texts = [msg["text"] for msg in hist["messages"] if msg["from"] == "client"]
        assert client_texts[: len(KUENDIGUNG_DE)] == KUENDIGUNG_DE
    summary = chat.service.request_summary(request_id)
    assert summary is not None and summary["status"] == "complete" and len(summary["documents"]) == 1
    assert any(a["field"] == "vorname" or a["value"] == "Max" for a in summary["answers"])


def test_a_retried_message_is_processed_once(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")
    with httpx.Client() as client:
        first = post(client, url, "Max", id="a1b2c3d4-0000-4000-8000-000000000001").json()
        again = post(client, url, "Max", id="a1b2c3d4-0000-4000-8000-000000000001").json()
        assert [r["id"] for r in again["replies"]] == [r["id"] for r in first["replies"]]
        assert again["status"] == "open" and again["progress"] == first["progress"]
        hist = client.get(f"{url}/history").json()
    assert [msg["text"] for msg in hist["messages"] if msg["from"] == "client"] == ["Max"]


def _state(chat: ChatServer, request_id: str) -> dict:
    summary = chat.service.request_summary(request_id)
    assert summary is not None
    with chat.service.db.read() as s:
        link_rows = [(x.id, x.used_at, x.revoked_at) for x in s.scalars(select(m.Link)
                     .where(m.Link.request_id == request_id))]
    return {"summary": summary, "links": link_rows}


def test_scanner_head_and_get_change_nothing(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")
    before = _state(chat, request_id)
    with httpx.Client() as client:
        for _ in range(3):
            assert client.head(url).status_code == 200
            assert client.get(url).status_code == 200
            assert client.get(f"{url}/history").status_code == 200
            assert client.get(f"{url}/messages").status_code == 405
    assert _state(chat, request_id) == before


def test_unknown_expired_and_revoked_links_get_the_same_plain_page(chat: ChatServer) -> None:
    url_expired, token_expired, rid_expired = chat.new_request("de", name="Erika Expired")
    url_revoked, _, rid_revoked = chat.new_request("de", name="Rudi Revoked")
    with chat.service.db.write() as s:
        check = links.resolve(s, token_expired, "chat")
        assert check.link is not None
        check.link.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    assert chat.service.revoke_links(rid_revoked) == 1
    unknown = f"{chat.base}/c/{secrets.token_urlsafe(32)}"
    with httpx.Client() as client:
        pages = {name: client.get(u) for name, u in
                 (("unknown", unknown), ("expired", url_expired), ("revoked", url_revoked))}
        assert pages["unknown"].status_code == 404
        assert pages["expired"].status_code == 410 and pages["revoked"].status_code == 410
        bodies = {p.text for p in pages.values()}
        assert len(bodies) == 1
        body = bodies.pop()
        assert "nicht (mehr) gültig" in body and "not valid" in body
        for leak in ("Erika", "Rudi", chat.service.firm.name, "Kündigung"):
            assert leak not in body
        for name, u in (("unknown", unknown), ("expired", url_expired), ("revoked", url_revoked)):
            res = post(client, u, "Max")
            assert res.status_code in (404, 410) and res.json()["error"] == "link_invalid", name
            assert client.get(f"{u}/history").status_code in (404, 410)
            assert client.get(f"{u}/events").status_code in (404, 410)
        # constant-ish time: the same lookup work for every kind of bad token
        timings: dict[str, float] = {}
        for name, u in (("unknown", unknown), ("expired", url_expired), ("revoked", url_revoked)):
            chat.reset_limits()
            start = time.perf_counter()
            for _ in range(10):
                client.get(u)
            timings[name] = (time.perf_counter() - start) / 10
        assert max(timings.values()) < 5 * min(timings.values()) + 0.005, timings
    assert [msg for msg in chat.service.history(rid_revoked) if msg["from"] == "client"] == []
    assert [msg for msg in chat.service.history(rid_expired) if msg["from"] == "client"] == []


def test_ten_thousand_random_tokens_are_rate_limited(chat: ChatServer) -> None:
    url, _, _ = chat.new_request("de")
    counts: dict[int, int] = {}
    first_429 = None
    start = time.monotonic()
    with httpx.Client(timeout=10) as client:
        for n in range(10_000):
            res = client.get(f"{chat.base}/c/{secrets.token_urlsafe(32)}")
            counts[res.status_code] = counts.get(res.status_code, 0) + 1
            if res.status_code == 429 and first_429 is None:
                first_429 = n
                assert int(res.headers["retry-after"]) >= 1
            assert time.monotonic() - start < 60, "bounded in time"
        assert first_429 == FAILED_LOOKUPS
        assert counts == {404: FAILED_LOOKUPS, 429: 10_000 - FAILED_LOOKUPS}
        # while blocked even a valid link answers 429 from that IP, and the JSON endpoints too
        assert client.get(url).status_code == 429
        assert post(client, url, "Max").status_code == 429
    assert len(chat.router.lookup_limiter) <= 1


def test_a_burst_of_500_messages_is_limited_and_nothing_accepted_is_lost(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")

    async def burst() -> list[tuple[int, dict, str]]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            async def one(n: int) -> tuple[int, dict, str]:
                text = f"Nachricht {n}"
                res = await client.post(f"{url}/messages", json={"text": text, "id": f"burst-{n}"})
                return res.status_code, res.json(), text

            return await asyncio.gather(*(one(n) for n in range(500)))

    limiter = chat.router.message_limiter
    limiter.limit = BURST_LIMIT  # the turns themselves take time; the threshold is what is tested
    try:
        results = asyncio.run(burst())
    finally:
        limiter.limit = RATE_LIMIT
        chat.reset_limits()
    accepted = {text for code, _, text in results if code == 200}
    limited = [body for code, body, _ in results if code == 429]
    assert len(accepted) == BURST_LIMIT and len(limited) == 500 - BURST_LIMIT
    assert {code for code, _, _ in results} == {200, 429}
    assert "warten Sie einen Moment" in limited[0]["message"]
    stored = [msg["text"] for msg in chat.service.history(request_id) if msg["from"] == "client"]
    assert sorted(stored) == sorted(accepted)


def test_bad_message_bodies_get_a_clear_400(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")
    headers = {"content-type": "application/json"}
    with httpx.Client() as client:
        cases = {
            "invalid utf-8": (b'{"text": "\xff\xfe"}', "UTF-8"),
            "not json": (b"text=hallo", "JSON"),
            "a list": (b'["hallo"]', "JSON"),
            "missing text": (b'{"id": "x"}', "Nachricht ein"),
            "blank text": (b'{"text": "   "}', "Nachricht ein"),
            "text not a string": (b'{"text": 5}', "Nachricht ein"),
            "bad id": (json.dumps({"text": "Max", "id": "../../etc"}).encode(), "kennung"),
            "too long": (json.dumps({"text": "x" * 6000}).encode(), "zu lang"),
        }
        for name, (raw, words) in cases.items():
            res = client.post(f"{url}/messages", content=raw, headers=headers)
            assert res.status_code == 400, name
            assert words in res.json()["message"], (name, res.json())
        huge = client.post(f"{url}/messages", content=b'{"text": "' + b"x" * 100_000 + b'"}', headers=headers)
        assert huge.status_code == 413
    assert [msg for msg in chat.service.history(request_id) if msg["from"] == "client"] == []


def _stored_files(chat: ChatServer) -> set[str]:
    root = chat.service.settings.files_dir
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_bad_uploads(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")
    en_url, _, _ = chat.new_request("en", name="Jane Doe")
    cap = chat.service.settings.max_upload_bytes
    with httpx.Client(timeout=30) as client:
        before = _stored_files(chat)
        big = b"%PDF-1.4\n" + b"0" * (cap + 10)
        res = client.post(f"{url}/uploads", files={"file": ("gross.pdf", big, "application/pdf")})
        assert res.status_code == 413 and "zu groß" in res.json()["message"] and "gross.pdf" in res.json()["message"]
        res = client.post(f"{en_url}/uploads", files={"file": ("big.pdf", big, "application/pdf")})
        assert res.status_code == 413 and "too large" in res.json()["message"]
        # a whole body far beyond every cap is refused before it is read
        path = url.removeprefix(chat.base)
        with socket.create_connection(("127.0.0.1", int(chat.base.rsplit(":", 1)[1])), timeout=5) as raw:
            raw.sendall(f"POST {path}/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                        f"boundary=abc\r\nContent-Length: {cap * 100}\r\n\r\n--abc\r\n".encode())
            assert raw.recv(4096).startswith(b"HTTP/1.1 413")
        assert _stored_files(chat) == before

        res = client.post(f"{url}/uploads", files={"file": ("leer.pdf", b"", "application/pdf")})
        assert res.status_code == 400 and "leer" in res.json()["message"]
        res = client.post(f"{url}/uploads", data={"text": "ohne Datei"})
        assert res.status_code == 400
        res = client.post(f"{url}/uploads", content=b"hallo", headers={"content-type": "text/plain"})
        assert res.status_code == 400
        assert [msg for msg in chat.service.history(request_id) if msg["from"] == "client"] == []

        html = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
        res = client.post(f"{url}/uploads", files={"file": ("rechnung.pdf", html, "application/pdf")})
        assert res.status_code == 200, res.text
        body = res.json()
        doc = body["documents"][0]
        assert doc["filename"] == "rechnung.pdf" and doc["error"] and doc["message"]
        assert any(doc["message"] in r["text"] or "PDF" in r["text"] for r in body["replies"]), body
    summary = chat.service.request_summary(request_id)
    assert summary is not None and summary["documents"] == []


def test_several_files_in_one_upload(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")
    files = [("file", ("a.pdf", small_pdf("eins"), "application/pdf")),
             ("file", ("b.pdf", small_pdf("zwei"), "application/pdf"))]
    with httpx.Client(timeout=30) as client:
        res = client.post(f"{url}/uploads", files=files)
    assert res.status_code == 200, res.text
    assert [d["filename"] for d in res.json()["documents"]] == ["a.pdf", "b.pdf"]
    summary = chat.service.request_summary(request_id)
    assert summary is not None and len(summary["documents"]) == 2


def test_script_text_stays_text_in_the_api(chat: ChatServer) -> None:
    url, _, _ = chat.new_request("de")
    evil = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    with httpx.Client() as client:
        assert post(client, url, evil).status_code == 200
        hist = client.get(f"{url}/history")
        assert hist.headers["content-type"].startswith("application/json")
        assert evil in [msg["text"] for msg in hist.json()["messages"]]


def test_events_stream_the_agents_messages(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")
    with httpx.Client(timeout=10) as client, client.stream("GET", f"{url}/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        deadline = time.monotonic() + 10
        while chat.hub.subscribers(request_id) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        reply = httpx.post(f"{url}/messages", json={"text": "Max"}).json()
        wanted = {r["id"] for r in reply["replies"]}
        got: dict[str, dict] = {}
        keepalive = False
        lines = stream.iter_lines()
        while (wanted - set(got) or not keepalive) and time.monotonic() < deadline:
            line = next(lines)
            if line.startswith(": keep-alive"):
                keepalive = True
            if line.startswith("data: "):
                event = json.loads(line[6:])
                got[event["id"]] = event
        assert wanted <= set(got), (wanted, got)
        assert keepalive
        first = got[sorted(wanted)[0]]
        assert first["from"] == "agent" and first["text"].startswith("Frage 2")
    deadline = time.monotonic() + 5
    while chat.hub.subscribers(request_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chat.hub.subscribers(request_id) == 0, "the stream ends when the client disconnects"


def test_tokens_never_reach_the_logs(chat: ChatServer) -> None:
    url, token, _ = chat.new_request("de")
    with httpx.Client() as client:
        client.get(url)
        client.get(f"{url}/history")
        post(client, url, "Max")
        client.get(f"{chat.base}/c/{secrets.token_urlsafe(32)}")
    time.sleep(0.1)
    text = "\n".join(chat.logs.lines)
    assert "/c/[redacted]" in text
    for used in chat.tokens:
        assert used not in text
    assert token not in text


@pytest.mark.parametrize("line", [
    '127.0.0.1:5 - "GET /c/{t}/history?x=1 HTTP/1.1" 200',
    "GET /c/{t} failed",
])
def test_redaction_filter(line: str) -> None:
    import logging

    from channels.webchat import redact_tokens_filter

    token = secrets.token_urlsafe(32)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", f"/c/{token}/history", "1.1", 200), None)
    assert redact_tokens_filter().filter(record)
    assert token not in record.getMessage() and "/c/[redacted]/history" in record.getMessage()
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, line.format(t=token), None, None)
    redact_tokens_filter().filter(plain)
    assert token not in plain.getMessage()


def test_revoking_a_link_ends_its_open_event_stream(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")
    with httpx.Client(timeout=10) as client, client.stream("GET", f"{url}/events") as stream:
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")
        chat.service.revoke_links(request_id)
        deadline = time.monotonic() + 5
        seen = []
        for line in lines:
            seen.append(line)
            if line == "event: gone" or time.monotonic() > deadline:
                break
        assert "event: gone" in seen


def test_redaction_filter_renders_objects_in_arguments() -> None:
    """httpx logs the URL it requested as an ``httpx.URL`` argument: the token in it is redacted too."""
    import logging

    from channels.webchat import redact_tokens_filter

    token = secrets.token_urlsafe(32)
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, 'HTTP Request: %s %s "%s %d %s"',
                               ("GET", httpx.URL(f"http://127.0.0.1:1/c/{token}"), "HTTP/1.1", 200, "OK"), None)
    assert redact_tokens_filter().filter(record)
    assert token not in record.getMessage() and "/c/[redacted]" in record.getMessage()
    assert record.getMessage().endswith('"HTTP/1.1 200 OK"')
