"""agent.bindings: the core side of a Telegram chat — binding once, the current request, live buttons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent import bindings, links
from agent.messages import InboundMessage
from agent.service import Mandat
from agent.store import models as m


def _request(service: Mandat, email: str = "max@example.org") -> tuple[str, str]:
    created = service.create_request(client_name="Max Mustermann", client_email=email,
                                     questionnaires=["kuendigung"])
    with service.db.write() as s:
        token = links.issue(s, created.id, "telegram", 14).token
    return created.id, token


def test_a_token_binds_one_chat_once(service: Mandat) -> None:
    request_id, token = _request(service)
    first = bindings.bind(service.db, token, "100")
    assert first.ok and first.status == "bound" and first.request_id == request_id and first.lang == "de"
    assert bindings.bind(service.db, token, "100").status == "again"  # the same chat may /start again
    assert bindings.bind(service.db, token, "200").status == "used"  # another chat may not
    assert bindings.bind(service.db, "x" * 43, "200").status == "unknown"
    assert bindings.current_request(service.db, "100")[0] == request_id
    assert bindings.current_request(service.db, "200") == (None, [])
    assert bindings.chat_lang(service.db, "100") == "de" and bindings.chat_lang(service.db, "200") is None
    with service.db.read() as s:
        assert s.get(m.Request, request_id).client.telegram_chat_id == "100"  # type: ignore[union-attr]


def test_expired_revoked_and_wrong_purpose_tokens_do_not_bind(service: Mandat) -> None:
    request_id, _token = _request(service)
    with service.db.write() as s:
        old = links.issue(s, request_id, "telegram", 1, now=datetime.now(UTC) - timedelta(days=2)).token
        chat = links.issue(s, request_id, "chat", 14).token
        revoked = links.issue(s, request_id, "telegram", 14).token
    service.revoke_links(request_id)
    assert bindings.bind(service.db, old, "1").status in ("expired", "revoked")
    assert bindings.bind(service.db, chat, "1").status == "unknown"  # a web-chat link is no Telegram link
    assert bindings.bind(service.db, revoked, "1").status == "revoked"
    assert bindings.requests_for_chat(service.db, "1") == []


def test_several_requests_and_the_remembered_choice(service: Mandat) -> None:
    first, t1 = _request(service, "a@example.org")
    second, t2 = _request(service, "b@example.org")
    bindings.bind(service.db, t1, "300")
    bindings.bind(service.db, t2, "300")
    current, bound = bindings.current_request(service.db, "300")
    assert current == second and [b.id for b in bound] == [first, second]
    assert bindings.choose(service.db, "300", first) is not None
    assert bindings.current_request(service.db, "300")[0] == first
    assert bindings.choose(service.db, "300", "0123456789abcdef") is None  # not this chat's request
    other, t3 = _request(service, "c@example.org")
    bindings.bind(service.db, t3, "301")
    assert bindings.choose(service.db, "300", other) is None
    labels = [b.label for b in bindings.requests_for_chat(service.db, "300")]
    assert all(label.startswith("kuendigung") for label in labels)


def test_a_button_counts_only_for_the_open_question(service: Mandat) -> None:
    request_id, _token = _request(service)
    answers = ["Max", "Mustermann", "3. April 1980", "Musterstraße 12, 10115 Berlin", "max@example.org"]
    for n, text in enumerate(answers):
        service.receive(InboundMessage(channel="telegram", sender="9", request_id=request_id, text=text,
                                       external_id=f"tg:{n}"))
    opened = bindings.open_messages(service.db, request_id)
    assert opened[-1].quick_replies == ("Überspringen",)
    live = opened[-1].message_id
    assert bindings.quick_reply_choice(service.db, request_id, live, 0) == "Überspringen"
    assert bindings.quick_reply_choice(service.db, request_id, live, 1) is None
    assert bindings.quick_reply_choice(service.db, request_id, live, -1) is None
    assert bindings.quick_reply_choice(service.db, "someone-else", live, 0) is None
    # "hilfe" asks the same question again: the older message still shows it, so its button stays valid
    service.receive(InboundMessage(channel="telegram", sender="9", request_id=request_id, text="hilfe",
                                   external_id="tg:help"))
    assert bindings.quick_reply_choice(service.db, request_id, live, 0) == "Überspringen"
    service.receive(InboundMessage(channel="telegram", sender="9", request_id=request_id, text="0170 1234567",
                                   external_id="tg:phone"))
    assert bindings.quick_reply_choice(service.db, request_id, live, 0) is None  # the question moved on
