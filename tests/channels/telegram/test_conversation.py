"""The conversation in Telegram: deep-link binding, buttons, uploads, commands, one state across channels."""

from __future__ import annotations

import pytest

from agent.messages import InboundMessage
from tests.agent.scripts import KUENDIGUNG_DE
from tests.channels.telegram.conftest import Bot, small_jpeg, small_pdf

pytestmark = pytest.mark.slow

CHAT = 4242


def last_buttons(bot: Bot, chat_id: int) -> list[str]:
    sent = bot.fake.messages_to(chat_id)
    if not sent:
        return []
    rows = (sent[-1].get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row if "callback_data" in b]


def answer(bot: Bot, chat_id: int, text: str) -> bool:
    """Press the button the scripted answer stands for, else type it; True when a button was pressed."""
    buttons = last_buttons(bot, chat_id)
    label = None
    if buttons:
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            label = buttons[int(text) - 1]
        elif text.lower() == "ja":
            label = next((b for b in buttons if b.lower().startswith("ja")), None)
        else:
            label = next((b for b in buttons if b.lower() == text.lower()), None)
    if label is not None:
        bot.send(bot.fake.press(chat_id, label))
        return True
    bot.send(bot.fake.text(chat_id, text))
    return False


def test_whole_questionnaire_with_buttons_a_photo_and_a_pdf(bot: Bot) -> None:
    request_id = bot.bind(CHAT)
    texts = bot.fake.texts_to(CHAT)
    assert texts[0].startswith("Willkommen") and texts[-1].startswith("Frage 1 von")
    pressed = sum(answer(bot, CHAT, text) for text in KUENDIGUNG_DE)
    assert pressed >= 5  # choices, yes/no, skip and the confirmation went through buttons
    assert all(a.get("text") is None for a in bot.fake.callback_answers())  # no press was refused

    summary = bot.service.request_summary(request_id)
    assert summary is not None and summary["status"] == "open"  # only the upload is missing
    fields = {a["field"]: a["value"] for a in summary["answers"]}
    assert fields["first_name"] == "Max" and summary["client"]["telegram_chat_id"] == str(CHAT)
    assert all(a["confirmed"] for a in summary["answers"])

    bot.send(bot.fake.photo(CHAT, small_jpeg(), caption="Hier ein Foto der ersten Seite"))
    bot.send(bot.fake.document(CHAT, small_pdf(), "kuendigung.pdf"))
    summary = bot.service.request_summary(request_id)
    assert summary is not None and summary["status"] == "complete", bot.fake.texts_to(CHAT)[-4:]
    names = sorted(d["filename"] for d in summary["documents"])
    assert len(names) == 2 and "kuendigung.pdf" in names and any(n.endswith(".jpg") for n in names)
    history = bot.service.history(request_id)
    assert "Hier ein Foto der ersten Seite" in [h["text"] for h in history if h["from"] == "client"]
    kinds = {a["kind"] for a in summary["activity"]}
    assert {"channel_bound", "message_received", "request_complete"} <= kinds

    # /status and /help map to the core's commands and answer in the chat
    before = len(bot.fake.texts_to(CHAT))
    bot.send(bot.fake.text(CHAT, "/status"))
    bot.send(bot.fake.text(CHAT, "/help"))
    after = bot.fake.texts_to(CHAT)[before:]
    assert len(after) >= 2
    inbound = [h["text"] for h in bot.service.history(request_id) if h["from"] == "client"]
    assert inbound[-2:] == ["status", "hilfe"]


def test_started_by_email_continued_in_telegram_finished_in_webchat(bot: Bot) -> None:
    request_id, token = bot.new_request()
    svc = bot.service
    for n, text in enumerate(KUENDIGUNG_DE[:4]):
        svc.receive(InboundMessage(channel="email", sender="max@example.org", request_id=request_id, text=text,
                                   external_id=f"mail-{n}"))
    bot.send_start(CHAT, request_id, token)
    # the open question comes along when the chat is bound (e-mail asked it in a batch, issue 12)
    assert "1. Unter welcher E-Mail-Adresse dürfen wir Ihnen schreiben?" in bot.fake.texts_to(CHAT)[-1]
    for text in KUENDIGUNG_DE[4:12]:
        answer(bot, CHAT, text)
    assert bot.fake.texts_to(CHAT)[-1].startswith("Frage 13 von")
    for n, text in enumerate(KUENDIGUNG_DE[12:]):
        svc.receive(InboundMessage(channel="webchat", sender="link:x", request_id=request_id, text=text,
                                   external_id=f"web-{n}"))
    summary = svc.request_summary(request_id)
    assert summary is not None
    assert summary["progress"]["answered"] >= 20
    channels = [h["channel"] for h in svc.history(request_id) if h["from"] == "client"]
    assert channels.count("email") == 4 and channels.count("telegram") == 8 and channels.count("webchat") > 10
    fields = {a["field"]: a for a in summary["answers"]}
    assert fields["first_name"]["value"] == "Max" and fields["first_name"]["confirmed"]
    assert all(a["confirmed"] for a in summary["answers"])
    # a stale button from the Telegram part is refused now that the conversation moved on
    before = bot.inbound_count()
    bot.fake.queue(bot.fake.press(CHAT, bot.fake.messages_to(CHAT)[-1]["reply_markup"]["inline_keyboard"][0][0]
                                  ["text"]))
    assert bot.fake.wait(lambda: len(bot.fake.callback_answers()) >= 1, 10)
    assert bot.fake.callback_answers()[-1].get("text") == "Diese Auswahl ist nicht mehr gültig."
    bot.settle()
    assert bot.inbound_count() == before


def test_unknown_token_and_unbound_chat_get_a_short_message_only(bot: Bot) -> None:
    bot.fake.queue(bot.fake.text(11, "/start not-a-token"))
    bot.fake.queue(bot.fake.text(12, "Hallo, ich bin Max"))
    assert bot.fake.wait(lambda: bot.fake.texts_to(11) and bot.fake.texts_to(12), 10)
    bot.settle()
    assert len(bot.fake.texts_to(11)) == 1 and "ungültig" in bot.fake.texts_to(11)[0]
    assert "invalid" in bot.fake.texts_to(11)[0]  # language unknown: German and English
    assert len(bot.fake.texts_to(12)) == 1 and "not linked" in bot.fake.texts_to(12)[0]
    assert bot.inbound_count() == 0
    # a token binds once: another chat cannot use it again
    request_id, token = bot.new_request()
    bot.send_start(13, request_id, token)
    bot.fake.queue(bot.fake.text(14, f"/start {token}"))
    assert bot.fake.wait(lambda: len(bot.fake.texts_to(14)) == 1, 10)
    assert "ungültig" in bot.fake.texts_to(14)[0]


def test_a_chat_with_several_requests_is_asked_which(bot: Bot) -> None:
    first = bot.bind(CHAT)
    second = bot.bind(CHAT)  # the newest binding is the current one
    bot.send(bot.fake.text(CHAT, "Max"))
    assert bot.service.request_summary(second)["progress"]["answered"] == 1  # type: ignore[index]
    bot.fake.queue(bot.fake.text(CHAT, "/switch"))
    assert bot.fake.wait(lambda: bot.fake.texts_to(CHAT)[-1].startswith("Dieser Chat ist mit mehreren Anfragen"), 10)
    choices = bot.fake.messages_to(CHAT)[-1]["reply_markup"]["inline_keyboard"]
    assert len(choices) == 2
    # a forged choice of a request not bound to the chat is refused
    bot.fake.queue(bot.fake.callback(CHAT, "r:0123456789abcdef"))
    assert bot.fake.wait(lambda: len(bot.fake.callback_answers()) == 1, 10)
    assert bot.fake.callback_answers()[0]["text"] == "Diese Auswahl ist nicht mehr gültig."
    bot.fake.queue(bot.fake.callback(CHAT, f"r:{first}"))
    assert bot.fake.wait(lambda: bot.fake.texts_to(CHAT)[-1].startswith("Frage 1 von"), 10)
    bot.send(bot.fake.text(CHAT, "Erika"))
    summary = bot.service.request_summary(first)
    assert summary is not None and summary["answers"][0]["value"] == "Erika"


def test_a_chat_that_keeps_guessing_gets_silence(bot: Bot) -> None:
    for n in range(8):
        bot.fake.queue(bot.fake.text(21, f"/start guess{n}"))
    last = bot.fake.queue(bot.fake.text(21, "hallo?"))
    # the poller confirms an offset only after the batch was handled
    assert bot.fake.wait(lambda: bot.fake.last_offset > last, 10)
    assert len(bot.fake.texts_to(21)) == 5 and bot.inbound_count() == 0
