"""Forged and replayed updates, bursts, oversized files and the webhook's secret."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from agent.service import Mandat
from agent.store import models as m
from channels.telegram import SECRET_HEADER, TelegramChannel, TelegramPlug, webhook_secret
from tests.channels.telegram.conftest import TOKEN, Bot, make_settings, small_pdf
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow

CHAT = 777
STALE = "Diese Auswahl ist nicht mehr gültig."


def test_forged_callbacks_are_refused_and_change_nothing(bot: Bot) -> None:
    request_id = bot.bind(CHAT)
    for text in ["Max", "Mustermann", "3. April 1980", "Musterstraße 12, 10115 Berlin", "max@example.org"]:
        bot.send(bot.fake.text(CHAT, text))
    assert [b["text"] for row in bot.fake.messages_to(CHAT)[-1]["reply_markup"]["inline_keyboard"] for b in row] \
        == ["Überspringen"]
    valid = bot.fake.messages_to(CHAT)[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    message_id = valid.split(":", 2)[2]
    sent_before, inbound_before = len(bot.fake.messages_to(CHAT)), bot.inbound_count()
    forged = [
        "q:5:" + message_id,            # an index the open question does not have
        "q:0:" + request_id + ".1.0",   # a message of the request that is not the open question
        "q:0:ffffffffffffffff.1.0",     # a message that never existed
        "q:x:" + message_id, "garbage", "",
    ]
    for data in forged:
        bot.fake.queue(bot.fake.callback(CHAT, data))
    bot.fake.queue(bot.fake.callback(999, valid))  # another (unbound) chat pressing our button
    assert bot.fake.wait(lambda: len(bot.fake.callback_answers()) == len(forged) + 1, 10)
    bot.settle()
    answers = [a.get("text") for a in bot.fake.callback_answers()]
    assert answers.count(STALE) == len(forged)  # in the client's language
    assert answers.count(f"{STALE}\n\nThis choice is no longer valid.") == 1  # unbound chat: both languages
    assert len(bot.fake.messages_to(CHAT)) == sent_before and bot.inbound_count() == inbound_before
    # the genuine button still works, exactly once
    bot.send(bot.fake.callback(CHAT, valid))
    assert bot.inbound_count() == inbound_before + 1
    assert bot.fake.callback_answers()[-1].get("text") is None
    bot.fake.queue(bot.fake.callback(CHAT, valid))  # pressed again: the question moved on
    assert bot.fake.wait(lambda: bot.fake.callback_answers()[-1].get("text") == STALE, 10)
    bot.settle()
    assert bot.inbound_count() == inbound_before + 1


def test_a_replayed_update_is_processed_once(bot: Bot) -> None:
    bot.bind(CHAT)
    update = bot.fake.text(CHAT, "Max")
    bot.send(dict(update))
    sent = len(bot.fake.messages_to(CHAT))
    with bot.service.db.read() as s:
        kept = s.get(m.KeyValue, "telegram.offset.123")
        assert kept is not None and kept.value["offset"] == update["update_id"] + 1  # confirmed after handling
    # A crash after handling but before the offset was kept: Telegram delivers the update again.
    bot.channel.stop_background()
    with bot.service.db.write() as s:
        s.delete(s.get(m.KeyValue, "telegram.offset.123"))
    again = TelegramChannel(bot.service, bot.settings, poll_timeout_s=1.0)
    again.start_background()
    try:
        bot.fake.queue(dict(update))
        assert bot.fake.wait(lambda: bot.fake.pending() == 0 and bot.fake.last_offset > update["update_id"], 10)
        time.sleep(0.3)
        bot.settle()
    finally:
        again.stop_background()
        again.close()
        bot.channel.start_background()
    assert bot.inbound_count() == 1
    assert len(bot.fake.messages_to(CHAT)) == sent
    # after a clean restart the bot asks for what follows the kept offset
    offsets_before = bot.fake.last_offset
    bot.send(bot.fake.text(CHAT, "Mustermann"))
    assert bot.fake.last_offset > offsets_before and bot.inbound_count() == 2


def test_a_burst_of_200_updates_is_processed_once_each_in_order_per_chat(bot: Bot) -> None:
    chats = [5001, 5002, 5003, 5004]
    requests = {chat: bot.bind(chat, email=f"client{chat}@example.org") for chat in chats}
    updates = [bot.fake.text(chat, f"Nachricht {n}") for n in range(50) for chat in chats]
    started = time.monotonic()
    ids = bot.fake.queue_many(updates)
    bot.settle(ids[-1], timeout_s=45)
    for update_id in ids:
        bot.settle(update_id, timeout_s=5)
    elapsed = time.monotonic() - started
    with bot.service.db.read() as s:
        rows = s.scalars(select(m.InboundRecord).where(m.InboundRecord.channel == "telegram")
                         .order_by(m.InboundRecord.id)).all()
        assert len(rows) == 200 and {r.status for r in rows} == {"processed"}
        assert sorted(r.external_id for r in rows) == sorted(f"tg:{i}" for i in ids)
        for chat in chats:
            mine = [r for r in rows if r.sender == str(chat)]
            assert [r.text for r in mine] == [f"Nachricht {n}" for n in range(50)]
            assert {r.request_id for r in mine} == {requests[chat]}
            answered = s.scalars(select(m.OutboxRow.inbound_id).where(m.OutboxRow.request_id == requests[chat],
                                                                      m.OutboxRow.status == "sent")).all()
            assert {r.id for r in mine} <= set(answered)  # every message got its reply
    assert elapsed < 45


def test_a_file_over_the_limit_is_refused_before_download(bot: Bot) -> None:
    bot.bind(CHAT)
    limit = bot.settings.max_upload_bytes
    bot.fake.queue(bot.fake.document(CHAT, small_pdf(), "riesig.pdf", declared_size=limit + 1))
    bot.fake.queue(bot.fake.photo(CHAT, b"\xff\xd8\xff" + b"0" * 100, declared_size=limit + 1))
    assert bot.fake.wait(lambda: sum("zu groß" in t for t in bot.fake.texts_to(CHAT)) == 2, 10)
    bot.settle()
    assert "getFile" not in bot.fake.calls and bot.inbound_count() == 0
    assert "20 MB" in bot.fake.texts_to(CHAT)[-1]


def test_webhook_mode_checks_the_secret(tmp_path: Path, fake: FakeTelegram) -> None:
    settings = make_settings(tmp_path, fake, telegram_webhook_url="https://bot.example.org/telegram/hook")
    plug = TelegramPlug(settings, announce=False)
    service = Mandat(settings, ports=plug)
    service.setup()
    app = FastAPI()
    plug.mount(app)
    channel = plug.channel
    assert channel is not None
    channel.start_background()
    try:
        assert fake.webhook["url"] == "https://bot.example.org/telegram/hook"
        assert fake.webhook["secret_token"] == webhook_secret(TOKEN) and "getUpdates" not in fake.calls
        update = fake.text(31, "Hallo")
        with TestClient(app) as client:
            assert client.post("/telegram/hook", json=update).status_code == 403
            assert client.post("/telegram/hook", json=update, headers={SECRET_HEADER: "wrong"}).status_code == 403
            assert fake.wait(lambda: True, 0.3) and fake.texts_to(31) == []
            ok = client.post("/telegram/hook", json=update, headers={SECRET_HEADER: webhook_secret(TOKEN)})
            assert ok.status_code == 200
        assert fake.wait(lambda: len(fake.texts_to(31)) == 1, 10)
        assert "not linked" in fake.texts_to(31)[0]
    finally:
        channel.stop_background()
        channel.close()
        service.close()


def test_a_replayed_start_is_not_answered_twice_but_a_new_one_is(bot) -> None:  # noqa: ANN001
    """Telegram serves an update again when the offset was not confirmed before a crash; the answer to
    /start goes out directly (not through the outbox), so the channel remembers which /start it answered."""
    import asyncio

    chat = 5151
    request_id, token = bot.new_request()
    first = bot.fake.text(chat, f"/start {token}", update_id=9000)
    bot.fake.queue(dict(first))
    assert bot.fake.wait(lambda: len(bot.fake.messages_to(chat)) >= 2, 10)  # welcome and the open question
    bot.settle()
    answered = len(bot.fake.messages_to(chat))
    asyncio.run(bot.channel.feed(dict(first)))  # the same update again, as after a crash
    bot.settle()
    assert len(bot.fake.messages_to(chat)) == answered
    bot.fake.queue(bot.fake.text(chat, f"/start {token}", update_id=9001))  # the client's own second /start
    assert bot.fake.wait(lambda: len(bot.fake.messages_to(chat)) > answered, 10)
