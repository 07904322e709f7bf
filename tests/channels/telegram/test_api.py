"""The outbox sender against the fake Bot API: keyboards, long texts, flood control, refused buttons."""

from __future__ import annotations

import time

import pytest

from agent.messages import Attachment, OutboundMessage
from channels.telegram.api import BotApi, BotApiError, OutboxSender, parse_quick_reply, quick_reply_data
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow


def _message(**kw: object) -> OutboundMessage:
    base: dict[str, object] = {"message_id": "r1.5.0", "request_id": "r1", "channel": "telegram", "address": "9",
                               "text": "Frage 14 von 23: Gibt es einen Betriebsrat?"}
    base.update(kw)
    return OutboundMessage(**base)  # type: ignore[arg-type]


def test_sender_shows_quick_replies_links_long_texts_and_files(fake: FakeTelegram) -> None:
    api = BotApi(fake.token, fake.url)
    send = OutboxSender(api, lambda _rid: "en")
    try:
        send(_message(quick_replies=("Ja", "Nein")))
        keyboard = fake.messages_to(9)[-1]["reply_markup"]["inline_keyboard"]
        assert [row[0]["text"] for row in keyboard] == ["Ja", "Nein"]
        assert parse_quick_reply(keyboard[1][0]["callback_data"]) == (1, "r1.5.0")
        send(_message(message_id="r1.6.0", kind="sign_link", text="Please sign: https://x.example/s/abc",
                      link="https://x.example/s/abc"))
        assert fake.messages_to(9)[-1]["reply_markup"]["inline_keyboard"] == [
            [{"text": "Sign now", "url": "https://x.example/s/abc"}]]
        send(_message(message_id="r1.7.0", text="x" * 5000 + "\nEnde", quick_replies=("OK",)))
        long = fake.messages_to(9)[-2:]
        assert [len(m["text"]) <= 4096 for m in long] == [True, True] and "reply_markup" in long[1]
        send(_message(message_id="r1.8.0", text="Ihr Dokument", attachments=(
            Attachment("vollmacht.pdf", b"%PDF-1.4 x", "application/pdf"),)))
        assert fake.sent[-1]["method"] == "sendDocument" and fake.sent[-1]["chat_id"] == "9"
    finally:
        api.close()


def test_flood_control_waits_and_a_refused_button_falls_back_to_text(fake: FakeTelegram) -> None:
    api = BotApi(fake.token, fake.url)
    send = OutboxSender(api, lambda _rid: "de")
    try:
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        started = time.monotonic()
        send(_message())
        assert time.monotonic() - started >= 0.9 and len(fake.messages_to(9)) == 1
        fake.fail_next("sendMessage", 400, "Bad Request: inline keyboard button URL is invalid")
        send(_message(kind="sign_link", text="Bitte unterschreiben: http://127.0.0.1/s/a", link="http://127.0.0.1/s/a"))
        assert fake.messages_to(9)[-1]["text"].endswith("/s/a") and "reply_markup" not in fake.messages_to(9)[-1]
        fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        with pytest.raises(BotApiError):  # the outbox retries later and finally marks the row failed
            send(_message())
    finally:
        api.close()


def test_callback_data_stays_within_telegrams_64_bytes() -> None:
    assert quick_reply_data(3, "a" * 61) is None and quick_reply_data(3, "a" * 60) is not None
    data = quick_reply_data(12, "0123456789abcdef.123456.7")
    assert data is not None and len(data.encode()) <= 64
    assert parse_quick_reply("q:1:x") == (1, "x") and parse_quick_reply("q:-1:x") is None
    assert parse_quick_reply("r:abc") is None and parse_quick_reply("q:1234:x") is None
