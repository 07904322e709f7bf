"""A fake Telegram Bot API on 127.0.0.1 (FastAPI + uvicorn in a thread) for the channel's tests and bench.

Bodies are read as forms (nested values are JSON strings), as python-telegram-bot sends them.
Tests queue updates (``text``, ``photo``, ``document``, ``callback``), add downloadable files and
read back what the bot sent (``sent``, ``messages_to``). ``getUpdates`` honours ``offset`` and
long-polls (bounded) like the real one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

BOT_USER = {"id": 123, "is_bot": True, "first_name": "Mandat", "username": "mandat_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeTelegram:
    def __init__(self, token: str = "123:abc") -> None:
        self.token = token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._files: dict[str, tuple[str, bytes]] = {}
        self.sent: list[dict[str, Any]] = []  # {"method": ..., **params} for every call that sends something
        self.calls: list[str] = []
        self.webhook: dict[str, Any] = {}
        self.commands: list[Any] = []
        self.last_offset = 0
        self._failures: list[tuple[str, int, str, int | None]] = []  # (method, status, description, retry_after)
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build()

    # ------------------------------------------------------------------ server
    def start(self) -> FakeTelegram:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-telegram", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("fake Telegram did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/bot{token}/{method}", methods=["GET", "POST"])
        async def bot_method(token: str, method: str, request: Request) -> Response:
            if token != self.token:
                return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
            params = await _params(request)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
            with self._lock:
                self.calls.append(method)
                failure = next((f for f in self._failures if f[0] == method), None)
                if failure is not None:
                    self._failures.remove(failure)
            if failure is not None:
                body: dict[str, Any] = {"ok": False, "error_code": failure[1], "description": failure[2]}
                if failure[3] is not None:
                    body["parameters"] = {"retry_after": failure[3]}
                return JSONResponse(body, failure[1])
            if method == "getUpdates":
                return JSONResponse({"ok": True, "result": await self._get_updates(params)})
            result = handler(params)
            if isinstance(result, Response):
                return result
            return JSONResponse({"ok": True, "result": result})

        # Control endpoints for a fake running in another process (the benchmark): queue updates, read counts.
        @app.post("/_fake/queue")
        async def fake_queue(request: Request) -> Response:
            updates = await request.json()
            return JSONResponse({"ok": True, "result": self.queue_many(list(updates))})

        @app.get("/_fake/state")
        async def fake_state() -> Response:
            with self._lock:
                by_chat: dict[str, int] = {}
                for sent in self.sent:
                    if sent["method"] == "sendMessage":
                        by_chat[str(sent["chat_id"])] = by_chat.get(str(sent["chat_id"]), 0) + 1
                return JSONResponse({"pending": len(self._pending), "sent": len(self.sent), "by_chat": by_chat})

        @app.get("/file/bot{token}/{path:path}")
        async def download(token: str, path: str) -> Response:
            if token != self.token:
                return Response(status_code=401)
            for file_path, content in self._files.values():
                if file_path == path:
                    return Response(content, media_type="application/octet-stream")
            return Response(status_code=404)

        return app

    # ------------------------------------------------------------------ Bot API methods
    def _m_getMe(self, _p: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    def _m_deleteWebhook(self, _p: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _m_setWebhook(self, p: dict[str, Any]) -> bool:
        self.webhook = dict(p)
        return True

    def _m_getWebhookInfo(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    def _m_setMyCommands(self, p: dict[str, Any]) -> bool:
        self.commands = list(p.get("commands") or [])
        return True

    def _m_getUpdates(self, _p: dict[str, Any]) -> list[Any]:  # served by _get_updates (long poll)
        return []

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        limit = min(int(p.get("limit") or 100), 100)
        deadline = time.monotonic() + min(float(p.get("timeout") or 0), 30.0)
        while True:
            with self._lock:
                self.last_offset = max(self.last_offset, offset)
                if offset:
                    self._pending = [u for u in self._pending if u["update_id"] >= offset]
                batch = self._pending[:limit]
            closing = self._server is not None and self._server.should_exit
            if batch or closing or time.monotonic() >= deadline:
                return batch
            await asyncio.sleep(0.01)

    def _m_getFile(self, p: dict[str, Any]) -> Response | dict[str, Any]:
        file_id = str(p.get("file_id"))
        if file_id not in self._files:
            return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}, 400)
        path, content = self._files[file_id]
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content), "file_path": path}

    def _record(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER}
        with self._lock:
            self.sent.append({"method": method, **p, "message_id": message["message_id"]})
        return message

    def _m_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._record("sendMessage", p)
        message["text"] = p.get("text", "")
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        return message

    def _m_sendDocument(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._record("sendDocument", {k: v for k, v in p.items() if k != "document"})
        message["document"] = {"file_id": "sent", "file_unique_id": "sent"}
        return message

    def _m_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        with self._lock:
            self.sent.append({"method": "answerCallbackQuery", **p})
        return True

    # ------------------------------------------------------------------ for tests
    def fail_next(self, method: str, status: int, description: str, retry_after: int | None = None) -> None:
        """The next call of ``method`` fails like Telegram would (e.g. 429 with retry_after, 400, 403)."""
        with self._lock:
            self._failures.append((method, status, description, retry_after))

    def add_file(self, content: bytes, filename: str = "file.bin") -> str:
        file_id = f"F{next(self._file_ids)}"
        folder = "photos" if filename.endswith(".jpg") else "documents"
        self._files[file_id] = (f"{folder}/{file_id}_{filename}", content)
        return file_id

    def queue(self, update: dict[str, Any]) -> int:
        with self._lock:
            update.setdefault("update_id", next(self._update_ids))
            self._pending.append(update)
        return int(update["update_id"])

    def queue_many(self, updates: list[dict[str, Any]]) -> list[int]:
        with self._lock:
            for update in updates:
                update.setdefault("update_id", next(self._update_ids))
            self._pending.extend(updates)
        return [int(u["update_id"]) for u in updates]

    def text(self, chat_id: int, text: str, *, update_id: int | None = None) -> dict[str, Any]:
        return self._update(update_id, {"message": {**self._msg(chat_id), "text": text}})

    def photo(self, chat_id: int, content: bytes, *, caption: str | None = None, declared_size: int | None = None,
              ) -> dict[str, Any]:
        file_id = self.add_file(content, "photo.jpg")
        small = self.add_file(content[: max(1, len(content) // 10)], "thumb.jpg")
        sizes = [
            {"file_id": small, "file_unique_id": f"u{small}", "width": 90, "height": 60, "file_size": 100},
            {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 1280, "height": 853,
             "file_size": declared_size if declared_size is not None else len(content)},
        ]
        msg: dict[str, Any] = {**self._msg(chat_id), "photo": sizes}
        if caption:
            msg["caption"] = caption
        return self._update(None, {"message": msg})

    def document(self, chat_id: int, content: bytes, filename: str, mime: str = "application/pdf", *,
                 caption: str | None = None, declared_size: int | None = None) -> dict[str, Any]:
        file_id = self.add_file(content, filename)
        doc = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": filename, "mime_type": mime,
               "file_size": declared_size if declared_size is not None else len(content)}
        msg: dict[str, Any] = {**self._msg(chat_id), "document": doc}
        if caption:
            msg["caption"] = caption
        return self._update(None, {"message": msg})

    def callback(self, chat_id: int, data: str, *, message_id: int = 1, update_id: int | None = None,
                 ) -> dict[str, Any]:
        query = {"id": f"cb{next(self._message_ids)}", "from": _user(chat_id), "chat_instance": "ci",
                 "data": data, "message": {"message_id": message_id, "date": int(time.time()),
                                           "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER,
                                           "text": "…"}}
        return self._update(update_id, {"callback_query": query})

    def press(self, chat_id: int, label: str, *, update_id: int | None = None) -> dict[str, Any]:
        """A callback update for the newest button with this label the bot sent to the chat."""
        for sent in reversed(self.messages_to(chat_id)):
            for row in (sent.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == label and "callback_data" in button:
                        return self.callback(chat_id, button["callback_data"], message_id=sent["message_id"],
                                             update_id=update_id)
        raise AssertionError(f"no button {label!r} was sent to chat {chat_id}")

    def _msg(self, chat_id: int) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "Client"}, "from": _user(chat_id)}

    def _update(self, update_id: int | None, body: dict[str, Any]) -> dict[str, Any]:
        return {"update_id": update_id if update_id is not None else next(self._update_ids), **body}

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [s for s in self.sent if s["method"] == "sendMessage" and int(s["chat_id"]) == chat_id]

    def texts_to(self, chat_id: int) -> list[str]:
        return [str(s.get("text", "")) for s in self.messages_to(chat_id)]

    def callback_answers(self) -> list[dict[str, Any]]:
        with self._lock:
            return [s for s in self.sent if s["method"] == "answerCallbackQuery"]

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def wait(self, predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()


def main() -> None:
    """Run the fake on its own (another process than the bot under test): ``--port`` and ``--token``."""
    import argparse

    parser = argparse.ArgumentParser(description="fake Telegram Bot API on 127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", default="123:abc")
    args = parser.parse_args()
    fake = FakeTelegram(args.token)
    fake.port, fake.url = args.port, f"http://127.0.0.1:{args.port}"
    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="off", access_log=False)


def _user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Client", "language_code": "de"}


async def _params(request: Request) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ctype = request.headers.get("content-type", "")
    if "application/json" in ctype:
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    if request.method == "GET":
        return dict(request.query_params)
    form = await request.form()
    for key, value in form.multi_items():
        if hasattr(value, "read"):
            out[key] = {"filename": getattr(value, "filename", ""), "size": len(await value.read())}
            continue
        text = str(value)
        if text[:1] in "[{":
            try:
                out[key] = json.loads(text)
                continue
            except ValueError:
                pass
        out[key] = text
    return out


if __name__ == "__main__":
    main()
