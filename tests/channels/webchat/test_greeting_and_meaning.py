"""Issue 13 through the web chat's HTTP path: "Hallo" and "<script>" are no first name, "ca. 45" is understood."""

from __future__ import annotations

import httpx

from tests.agent.scripts import KUENDIGUNG_DE
from tests.channels.webchat.conftest import ChatServer


def _post(client: httpx.Client, url: str, text: str) -> dict:
    res = client.post(f"{url}/messages", json={"text": text})
    assert res.status_code == 200, res.text
    return res.json()


def _answers(chat: ChatServer, request_id: str) -> dict[str, object]:
    summary = chat.service.request_summary(request_id)
    assert summary is not None
    return {a["field"]: a["value"] for a in summary["answers"]}


def test_hallo_first_is_greeted_back_not_stored(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")
    with httpx.Client(timeout=30) as client:
        body = _post(client, url, "Hallo")
        reply = "\n".join(r["text"] for r in body["replies"])
        assert "Hallo!" in reply and "Vorname" in reply, reply
        assert "first_name" not in _answers(chat, request_id)
        body = _post(client, url, "Max")
        assert _answers(chat, request_id)["first_name"] == "Max"


def test_script_first_is_not_stored_and_stays_data(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")
    with httpx.Client(timeout=30) as client:
        body = _post(client, url, "<script>alert(1)</script>")
        reply = "\n".join(r["text"] for r in body["replies"])
        assert "Vorname" in reply and "<script>" not in reply
        assert "first_name" not in _answers(chat, request_id)
        hist = client.get(f"{url}/history").json()
        assert any(m["text"] == "<script>alert(1)</script>" for m in hist["messages"])


def test_ca_45_answers_the_company_size(chat: ChatServer) -> None:
    url, _, request_id = chat.new_request("de")
    size_at = 12  # the script's answer to "Wie viele Mitarbeiter …?" is its 13th line
    with httpx.Client(timeout=30) as client:
        for answer in KUENDIGUNG_DE[:size_at]:
            _post(client, url, answer)
        body = _post(client, url, "ca. 45")
        reply = "\n".join(r["text"] for r in body["replies"])
        assert _answers(chat, request_id)["company_size"] == "from_21_to_200"
        assert "Betriebsrat" in reply or "Frage 14" in reply, reply
