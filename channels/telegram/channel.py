"""The Telegram channel: a python-telegram-bot Application that turns updates into ``InboundMessage``s.

Long polling by default; with ``MANDAT_TELEGRAM_WEBHOOK_URL`` the bot registers a webhook (with a
secret token) and updates arrive through ``feed`` from the HTTP route. Updates of one chat are
handled strictly in arrival order, different chats concurrently. Replies do not go out here: the
core writes them to the outbox and ``OutboxSender`` delivers them.

Nothing is lost: the poller confirms a batch to Telegram (the next ``offset``, kept in a KeyValue row)
only after every update of it was handled, and the webhook answers 200 only after handling, so a
crash means a redelivery — which the core recognises by the external id ``tg:<update_id>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import Forbidden, InvalidToken, TelegramError
from telegram.ext import Application, BaseUpdateProcessor, ContextTypes, TypeHandler

from agent import health
from agent.config import Settings
from agent.messages import Attachment, InboundMessage
from agent.ports import LinkIssuer
from agent.service import Mandat
from agent.views import CHAT_LINK_PURPOSE, BoundRequest, RequestView
from channels.telegram.api import BotApi, OutboxSender, api_base, keyboard, parse_quick_reply
from channels.telegram.texts import COMMANDS, say

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "callback_query"]
# Telegram commands → the core's chat commands (the core understands these words in both languages).
COMMAND_TEXT = {"status": "status", "help": "hilfe", "hilfe": "hilfe", "stop": "stop", "stopp": "stop"}
RECEIVE_ATTEMPTS = 3
REFUSALS_PER_WINDOW = 5  # answers to a chat without a valid link (unknown token, unbound) …
REFUSAL_WINDOW_S = 600.0  # … per ten minutes; then silence, so the bot cannot be used to spam
BATCH_TIMEOUT_S = 300.0  # a batch that hangs this long is confirmed anyway, so one bad update cannot stall a bot


def webhook_secret(token: str) -> str:
    """The secret-token header value: derived from the bot token so every worker agrees without a setting."""
    return hmac.new(token.encode(), b"mandat-telegram-webhook", hashlib.sha256).hexdigest()


def _chat_key(update: object) -> str:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return str(update.effective_chat.id)
        if update.effective_user is not None:
            return f"u{update.effective_user.id}"
    return "-"


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, strictly in arrival order within one chat.

    PTB starts one task per update in arrival order; each task links itself behind the previous task
    of its chat before its first ``await``, so the chain order is the arrival order.
    """

    def __init__(self, max_concurrent_updates: int = 8) -> None:
        super().__init__(max_concurrent_updates)
        self._tails: dict[str, asyncio.Future[None]] = {}
        self._slots = asyncio.Semaphore(max_concurrent_updates)

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        previous = self._tails.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = mine
        try:
            if previous is not None:
                await asyncio.shield(previous)  # our cancellation must not cancel the chat's chain
            async with self._slots:
                await coroutine
        finally:
            if inspect.iscoroutine(coroutine) and inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()  # cancelled before it ran
            if not mine.done():
                mine.set_result(None)
            if self._tails.get(key) is mine:
                del self._tails[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _markup(kb: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    if not kb:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(**button) for button in row] for row in kb["inline_keyboard"]])


class TelegramChannel:
    def __init__(self, service: Mandat, settings: Settings | None = None, *, api: BotApi | None = None,
                 poll_timeout_s: float = 10.0, concurrency: int = 8) -> None:
        self.service = service
        self.settings = settings or service.settings
        if not self.settings.telegram_token:
            raise ValueError("MANDAT_TELEGRAM_TOKEN is not set")
        self.token = self.settings.telegram_token
        self.api = api or BotApi(self.token, self.settings.telegram_api_url)
        self.sender = OutboxSender(self.api, self._lang_of)
        self.poll_timeout_s = poll_timeout_s
        self.concurrency = concurrency
        self.application: Application | None = None  # type: ignore[type-arg]
        self.loop: asyncio.AbstractEventLoop | None = None
        self._username: str | None = None
        self._username_lock = threading.Lock()
        self._langs: dict[str, str] = {}
        self._thread: threading.Thread | None = None
        self._thread_stop: asyncio.Event | None = None
        self._inflight: dict[int, asyncio.Future[None]] = {}
        self._refusals: dict[str, list[float]] = {}
        self._poll_task: asyncio.Task[None] | None = None
        self._poll_stop = threading.Event()  # ends the election of the poller (see _poll_elected)

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.telegram_webhook_url)

    # ------------------------------------------------------------------ links
    def bot_username(self) -> str | None:
        with self._username_lock:
            if self._username is None:
                try:
                    # Called inside the request's write transaction: keep the wait short.
                    self._username = str(self.api.get_me(timeout_s=5.0).get("username") or "") or None
                except Exception as exc:  # no link this time; the request itself must still be created
                    log.warning("Telegram getMe failed, no Telegram link issued: %s", exc)
            return self._username

    def make_links(self, req: RequestView, issue: LinkIssuer) -> dict[str, str]:
        """A link maker (``Ports.link_makers``): the personal deep link ``t.me/<bot>?start=<token>``."""
        username = self.bot_username()
        if not username:
            return {}
        token = issue(CHAT_LINK_PURPOSE, self.settings.link_days)
        return {"telegram": f"https://t.me/{username}?start={token}"}

    def _lang_of(self, request_id: str) -> str | None:
        lang = self._langs.get(request_id)
        if lang is None:
            lang = self.service.lang_of(request_id)
            if lang:
                self._langs[request_id] = lang
        return lang

    # ------------------------------------------------------------------ lifecycle (on the caller's loop)
    async def start(self) -> None:
        builder = Application.builder().token(self.token)
        base = api_base(self.settings.telegram_api_url)
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        builder = builder.concurrent_updates(ChatOrderedProcessor(self.concurrency))
        builder = builder.connection_pool_size(max(8, self.concurrency * 2)).pool_timeout(30.0)
        builder = builder.get_updates_read_timeout(self.poll_timeout_s + 10.0)
        builder = builder.updater(None)  # our own poller: it confirms an offset only after handling
        application = builder.build()
        application.add_handler(TypeHandler(Update, self._on_update))
        await application.initialize()  # getMe: a wrong token fails here
        self.application = application
        self.loop = asyncio.get_running_loop()
        with self._username_lock:
            self._username = application.bot.username or self._username
        try:
            await application.start()
            if self.webhook_mode:
                await application.bot.set_webhook(str(self.settings.telegram_webhook_url),
                                                  secret_token=webhook_secret(self.token),
                                                  allowed_updates=ALLOWED_UPDATES)
            else:
                await application.bot.delete_webhook()
                self._poll_stop = threading.Event()
                self._poll_task = asyncio.create_task(self._poll_elected(self._poll_stop), name="telegram-poll")
        except BaseException:
            await self.stop()
            raise
        try:
            await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
        except Exception as exc:  # a missing command menu is cosmetic
            log.info("setMyCommands failed: %s", exc)
        log.info("Telegram channel started (%s) as @%s", "webhook" if self.webhook_mode else "long polling",
                 self._username)

    async def stop(self) -> None:
        self._poll_stop.set()
        poll, self._poll_task = self._poll_task, None
        health.stopped("telegram")
        if poll is not None:
            poll.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poll
        application, self.application = self.application, None
        if application is None:
            return
        if application.running:
            await application.stop()
        await application.shutdown()

    # ------------------------------------------------------------------ lifecycle (own thread and loop)
    def start_background(self, timeout_s: float = 30.0) -> None:
        """Run the bot on its own event loop in a thread (for sync lifecycles such as the app's)."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            async def main() -> None:
                self._thread_stop = asyncio.Event()
                try:
                    await self.start()
                except BaseException as exc:
                    failure.append(exc)
                    ready.set()
                    return
                ready.set()
                try:
                    await self._thread_stop.wait()
                finally:
                    await self.stop()

            asyncio.run(main())

        self._thread = threading.Thread(target=run, name="telegram", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise TimeoutError("the Telegram channel did not start in time")
        if failure:
            self._thread.join(timeout=5)
            self._thread = None
            raise RuntimeError(f"the Telegram channel could not start: {failure[0]}") from failure[0]

    def start_lenient(self) -> None:
        """``start_background`` for the server's lifespan: a Telegram outage must not keep the firm's server down."""
        try:
            self.start_background()
        except Exception as exc:
            log.error("the Telegram channel could not start: %s", exc)
            print(f"Telegram: could not start ({exc}); the other channels run", flush=True)

    def stop_background(self, timeout_s: float = 30.0) -> None:
        thread, loop, stop = self._thread, self.loop, self._thread_stop
        if thread is None or loop is None or stop is None:
            return
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=timeout_s)
        self._thread = None

    def close(self) -> None:
        self.api.close()

    # ------------------------------------------------------------------ webhook
    async def feed(self, data: dict[str, Any]) -> None:
        """Handle one webhook update (from any event loop); returns when it was handled."""
        application, loop = self.application, self.loop
        if application is None or loop is None:
            raise RuntimeError("the Telegram channel is not running")
        update = Update.de_json(data, application.bot)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            await self._dispatch([update])
        else:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._dispatch([update]), loop))

    # ------------------------------------------------------------------ polling
    @property
    def _offset_key(self) -> str:
        return f"telegram.offset.{self.token.split(':', 1)[0]}"

    def _load_offset(self) -> int:
        kept = self.service.channel_state.get(self._offset_key)
        return int(kept.get("offset", 0)) if kept else 0

    def _save_offset(self, offset: int) -> None:
        self.service.channel_state.put(self._offset_key, {"offset": offset})

    async def _poll_elected(self, stop: threading.Event) -> None:
        """Long-poll only in the worker holding the bot's lease: two pollers of one bot get 409s and
        could each handle an update. Lost the lease (another worker took over): stop, campaign again."""
        while not stop.is_set():
            hold = self.service.channel_state.exclusive(f"telegram:{self._offset_key}", stop)
            leave = await asyncio.to_thread(hold.__enter__)
            poll: asyncio.Task[None] | None = None
            try:
                if leave is None:
                    return
                poll = asyncio.create_task(self._poll(), name="telegram-getupdates")
                lost = asyncio.ensure_future(asyncio.to_thread(leave.wait))
                await asyncio.wait({poll, lost}, return_when=asyncio.FIRST_COMPLETED)
                if poll.done():  # the token was refused: polling ends for good
                    return
            finally:
                if poll is not None and not poll.done():
                    poll.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await poll
                await asyncio.to_thread(hold.__exit__, None, None, None)

    async def _poll(self) -> None:
        assert self.application is not None
        bot = self.application.bot
        offset = await asyncio.to_thread(self._load_offset)
        failures = 0
        health.beat("telegram", max_age_s=self.poll_timeout_s + 70)  # from now on /readyz expects beats
        while True:
            try:
                updates = await bot.get_updates(offset=offset, timeout=int(self.poll_timeout_s),
                                                allowed_updates=ALLOWED_UPDATES)
                failures = 0
                health.beat("telegram", max_age_s=self.poll_timeout_s + 70)  # /readyz: a long poll returned
            except (InvalidToken, Forbidden) as exc:
                log.error("Telegram refused the bot token, polling stops: %s", exc)
                return
            except TelegramError as exc:  # network trouble, 409 (another poller), 429: wait and retry
                failures += 1
                log.warning("Telegram getUpdates failed (%s), retrying", exc)
                await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))
                continue
            if not updates:
                continue
            await self._dispatch(list(updates))
            offset = updates[-1].update_id + 1
            await asyncio.to_thread(self._save_offset, offset)

    async def _dispatch(self, updates: list[Update]) -> None:
        """Queue updates for the handlers (ordered per chat) and wait until each was handled."""
        assert self.application is not None
        loop = asyncio.get_running_loop()
        waiting = []
        for update in updates:
            future = self._inflight.get(update.update_id)
            if future is None:
                future = self._inflight[update.update_id] = loop.create_future()
                await self.application.update_queue.put(update)
            waiting.append(future)
        _done, pending = await asyncio.wait(waiting, timeout=BATCH_TIMEOUT_S)
        if pending:
            log.error("%d Telegram update(s) still not handled after %.0f s", len(pending), BATCH_TIMEOUT_S)

    # ------------------------------------------------------------------ updates
    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            if update.callback_query is not None:
                await self._on_callback(update)
            elif update.message is not None:
                await self._on_message(update, update.message)
        except Exception:  # one bad update must not stop the others
            log.exception("Telegram update %s failed", update.update_id)
        finally:
            future = self._inflight.pop(update.update_id, None)
            if future is not None and not future.done():
                future.set_result(None)

    async def _core(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A service query or command, off the event loop (each is one database transaction)."""
        return await asyncio.to_thread(fn, *args)

    async def _send(self, chat_id: str, text: str, kb: dict[str, Any] | None = None) -> None:
        assert self.application is not None
        await self.application.bot.send_message(chat_id=chat_id, text=text, reply_markup=_markup(kb))

    async def _refuse(self, chat_id: str, text: str) -> None:
        """Explain once in a while to a chat we cannot serve; a chat that keeps trying gets silence."""
        now = time.monotonic()
        recent = [t for t in self._refusals.get(chat_id, []) if now - t < REFUSAL_WINDOW_S]
        if len(recent) >= REFUSALS_PER_WINDOW:
            self._refusals[chat_id] = recent
            log.info("Telegram chat %s keeps sending without a valid link; not answering", chat_id)
            return
        recent.append(now)
        self._refusals[chat_id] = recent
        if len(self._refusals) > 10_000:  # bounded memory: forget the oldest chats
            for key in list(self._refusals)[:5_000]:
                del self._refusals[key]
        await self._send(chat_id, text)

    async def _receive(self, msg: InboundMessage) -> None:
        for attempt in range(RECEIVE_ATTEMPTS):
            try:
                await asyncio.to_thread(self.service.receive, msg)
                return
            except Exception:
                if attempt == RECEIVE_ATTEMPTS - 1:
                    raise
                log.warning("processing %s failed, retrying", msg.external_id, exc_info=True)
                await asyncio.sleep(0.2 * (attempt + 1))

    async def _on_message(self, update: Update, message: Message) -> None:
        if message.chat.type != "private":
            return  # a group would show the client's matter to others: never answer there
        chat_id = str(message.chat.id)
        command, argument = _command(message.text)
        if command == "start":
            if not await self._core(self._start_seen, chat_id, update.update_id):
                await self._start(chat_id, argument)
                await self._core(self._start_done, chat_id, update.update_id)
            return
        request_id, bound = await self._core(self.service.current_chat_request, chat_id)
        lang = bound[-1].lang if bound else None
        if not bound:
            await self._refuse(chat_id, say("unbound"))
            return
        if command == "switch" or request_id is None:
            if len(bound) > 1:
                await self._ask_which(chat_id, bound, lang)
                return
            request_id = bound[0].id
        lang = next((b.lang for b in bound if b.id == request_id), lang)
        if command == "switch":
            await self._show_open(chat_id, request_id, lang)
            return
        text = COMMAND_TEXT.get(command, "") if command else (message.text or message.caption or "")
        if command and command not in COMMAND_TEXT:
            text = message.text or ""
        attachments: list[Attachment] = []
        upload = _upload_of(message)
        if upload is not None:
            file_id, filename, declared, size = upload
            limit = self.service.settings.max_upload_bytes
            if size is not None and size > limit:
                await self._send(chat_id, say("too_big", lang, mb=_mb(limit)))
                return
            try:
                assert self.application is not None
                tg_file = await self.application.bot.get_file(file_id)
                if tg_file.file_size is not None and tg_file.file_size > limit:
                    await self._send(chat_id, say("too_big", lang, mb=_mb(limit)))
                    return
                content = bytes(await tg_file.download_as_bytearray())
            except Exception:
                log.warning("downloading a Telegram file failed", exc_info=True)
                await self._send(chat_id, say("download_failed", lang))
                return
            if len(content) > limit:
                await self._send(chat_id, say("too_big", lang, mb=_mb(limit)))
                return
            attachments.append(Attachment(filename=filename, content=content, declared_type=declared))
        elif not text.strip():
            await self._send(chat_id, say("unsupported", lang))
            return
        await self._receive(InboundMessage(
            channel=CHANNEL, sender=chat_id, request_id=request_id, text=text, external_id=f"tg:{update.update_id}",
            attachments=tuple(attachments), meta={"telegram_message_id": message.message_id}))

    def _start_key(self, chat_id: str) -> str:
        return f"telegram.start.{self.token.split(':', 1)[0]}.{chat_id}"

    def _start_seen(self, chat_id: str, update_id: int) -> bool:
        """True for a /start update answered before: a crash before the offset was confirmed makes
        Telegram serve it again, and its answer (welcome, open question) goes out directly, not through
        the outbox that would know it (found by tests/faults). A client's own second /start is new."""
        seen = self.service.channel_state.get(self._start_key(chat_id))
        return bool(seen) and int(seen.get("update_id", -1)) >= update_id  # type: ignore[union-attr]

    def _start_done(self, chat_id: str, update_id: int) -> None:
        self.service.channel_state.put(self._start_key(chat_id), {"update_id": update_id})

    async def _start(self, chat_id: str, token: str) -> None:
        if token:
            result = await self._core(self.service.bind_chat, token, chat_id)
            if not result.ok:
                await self._refuse(chat_id, say("bad_token", await self._core(self.service.chat_lang, chat_id)))
                return
            await self._send(chat_id, say("bound", result.lang))
            await self._show_open(chat_id, result.request_id, result.lang)
            return
        request_id, bound = await self._core(self.service.current_chat_request, chat_id)
        if not bound:
            await self._refuse(chat_id, say("unbound"))
        elif request_id is None:
            await self._ask_which(chat_id, bound, bound[-1].lang)
        else:
            await self._show_open(chat_id, request_id, next(b.lang for b in bound if b.id == request_id))

    async def _ask_which(self, chat_id: str, bound: list[BoundRequest], lang: str | None) -> None:
        bound = await self._core(self.service.chat_requests, chat_id)
        rows = [[{"text": b.label, "callback_data": f"r:{b.id}"}] for b in bound[-10:]]
        await self._send(chat_id, say("choose", lang), {"inline_keyboard": rows})

    async def _show_open(self, chat_id: str, request_id: str | None, lang: str | None) -> None:
        """Show the conversation's newest messages (the open question) with live buttons."""
        if request_id is None:
            return
        for msg in await self._core(self.service.open_messages, request_id):
            link = msg.link
            if link and link.startswith("sign:"):  # a web-chat button: this chat gets a link of its own
                link = await asyncio.to_thread(self.service.fresh_sign_link, request_id,
                                               int(link.removeprefix("sign:")))
            await self._send(chat_id, msg.text, keyboard(msg.message_id, msg.quick_replies, link, msg.kind, lang))

    async def _on_callback(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None
        chat = query.message.chat if query.message is not None else None
        if chat is not None and chat.type != "private":
            await query.answer()
            return
        chat_id = str(chat.id) if chat is not None else str(query.from_user.id)
        data = query.data or ""
        lang = await self._core(self.service.chat_lang, chat_id)
        if data.startswith("r:"):
            chosen = await self._core(self.service.choose_chat_request, chat_id, data[2:])
            if chosen is None:
                await query.answer(say("stale", lang))
                return
            await query.answer()
            await self._send(chat_id, say("chosen", chosen.lang, label=chosen.label))
            await self._show_open(chat_id, chosen.id, chosen.lang)
            return
        parsed = parse_quick_reply(data)
        request_id, _bound = await self._core(self.service.current_chat_request, chat_id)
        label = None
        if parsed is not None and request_id is not None:
            label = await self._core(self.service.quick_reply_choice, request_id, parsed[1], parsed[0])
        if label is None:
            await query.answer(say("stale", lang))
            return
        await query.answer()
        await self._receive(InboundMessage(
            channel=CHANNEL, sender=chat_id, request_id=request_id, text=label,
            external_id=f"tg:{update.update_id}", meta={"telegram_callback": True}))


def _command(text: str | None) -> tuple[str | None, str]:
    if not text or not text.startswith("/"):
        return None, ""
    head, _, rest = text.strip().partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    if not name.isascii() or not name.replace("_", "").isalnum():
        return None, ""
    return name, rest.strip()


def _upload_of(message: Message) -> tuple[str, str, str | None, int | None] | None:
    if message.document is not None:
        doc = message.document
        return doc.file_id, doc.file_name or "document", doc.mime_type, doc.file_size
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return largest.file_id, f"photo_{largest.file_unique_id}.jpg", "image/jpeg", largest.file_size
    return None


def _mb(limit: int) -> str:
    return f"{limit / (1024 * 1024):g}"


def wait_until(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.02) -> bool:
    """Poll ``predicate`` until true or the time is up (bounded; for tools and tests)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()
