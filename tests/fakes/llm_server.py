"""A scripted fake OpenAI-compatible server (chat completions + embeddings) on 127.0.0.1.

Use in tests through the ``fake_llm`` fixture (import it into a conftest)::

    from tests.fakes.llm_server import fake_llm  # noqa: F401

    def test_x(fake_llm):
        fake_llm.script([{"parsed": {"answers": []}}, {"status": 429}])
        client = LLMClient(fake_llm.base_url, "k", "m")
        ...
        assert "<client_message>" in fake_llm.requests[0]["messages"][1]["content"]

Each scripted response answers exactly one request, in order. Keys of a response dict:

- ``{"parsed": {...}}``        the dict as JSON content of a chat.completion (with usage)
- ``{"content": "text"}``      raw content (e.g. not JSON)
- ``{"refusal": "I can't"}``   message.refusal set, content null
- ``{"status": 429}``          an error status (optional ``"error": "message"``)
- ``{"delay": 2.0, ...}``      sleep first (for client timeouts); alone it then answers ``{}``
- ``{"finish_reason": "length"}``  truncated content with that finish reason (combinable)
- ``{"embedding": 8}``         for /v1/embeddings: one deterministic vector of that size per input
- ``{"usage": {...}}`` overrides token counts; ``{"usage": None}`` leaves usage out

With an empty script the ``default`` hook (``callable(request_json) -> response dict``) answers;
without one the server answers 500 with a clear error and counts it in ``unscripted``.

The server is started once per test process (about 0.1 s) and reset around every test.
Outside pytest (benchmarks): ``with FakeLLMServer() as fake: ...``.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

Response = dict[str, Any]
DefaultHook = Callable[[dict[str, Any]], Response]


def _rough_tokens(text: str) -> int:
    """Deterministic stand-in for a tokenizer: about four characters per token."""
    return max(1, (len(text) + 3) // 4) if text else 0


def _messages_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "\n".join(parts)


def _vector(text: str, dim: int) -> list[float]:
    """A deterministic unit-ish vector per text, so equal texts embed equally."""
    out: list[float] = []
    counter = 0
    while len(out) < dim:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        out.extend((b - 127.5) / 127.5 for b in digest)
        counter += 1
    vec = out[:dim]
    norm = sum(x * x for x in vec) ** 0.5 or 1.0
    return [x / norm for x in vec]


class FakeLLMServer:
    """The server plus its script; thread-safe between the test thread and the server loop."""

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self._lock = threading.Lock()
        self._queue: deque[Response] = deque()
        self._generation = 0
        self.requests: list[dict[str, Any]] = []  # every request body, in order
        self.paths: list[str] = []  # the path of each request, parallel to ``requests``
        self.unscripted = 0  # requests that found neither a script nor a default hook
        self.default: DefaultHook | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.app = self._build_app()

    # -- public API ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, responses: list[Response]) -> None:
        """Queue responses; each answers one request, in order."""
        with self._lock:
            self._queue.extend(copy.deepcopy(r) for r in responses)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        """Forget script, requests and default hook; cut short any delayed answer still sleeping."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.paths.clear()
            self.unscripted = 0
            self.default = None
            self._generation += 1

    def start(self) -> FakeLLMServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="fake-llm", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake LLM server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.reset()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- server side --------------------------------------------------------------------------

    def _next(self, path: str, body: dict[str, Any]) -> tuple[Response | None, int]:
        with self._lock:
            self.requests.append(body)
            self.paths.append(path)
            generation = self._generation
            if self._queue:
                return self._queue.popleft(), generation
            hook = self.default
        if hook is not None:
            return hook(body), generation
        with self._lock:
            self.unscripted += 1
        return None, generation

    async def _sleep(self, seconds: float, generation: int) -> bool:
        """Sleep in small steps; False when a reset happened meanwhile (answer is moot)."""
        deadline = time.monotonic() + min(float(seconds), 60.0)
        while time.monotonic() < deadline:
            if self._generation != generation:
                return False
            await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        return True

    @staticmethod
    def _error(status: int, message: str) -> JSONResponse:
        kind = "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "invalid_request"
        return JSONResponse(
            status_code=status, content={"error": {"message": message, "type": kind, "code": None}}
        )

    def _unscripted_error(self, path: str) -> JSONResponse:
        return self._error(
            500, f"fake_llm: no scripted response left for {path} (script more, or set .default)"
        )

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/models")
        async def models() -> dict[str, Any]:
            model = {"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}
            return {"object": "list", "data": [model]}

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> JSONResponse:
            body = await request.json()
            spec, generation = self._next("/v1/chat/completions", body)
            if spec is None:
                return self._unscripted_error("/v1/chat/completions")
            if "delay" in spec and not await self._sleep(spec["delay"], generation):
                return self._error(503, "fake_llm: reset while delaying")
            if "status" in spec:
                return self._error(int(spec["status"]), str(spec.get("error", f"scripted {spec['status']}")))
            return JSONResponse(self._completion(body, spec))

        @app.post("/v1/embeddings")
        async def embeddings(request: Request) -> JSONResponse:
            body = await request.json()
            spec, generation = self._next("/v1/embeddings", body)
            if spec is None:
                return self._unscripted_error("/v1/embeddings")
            if "delay" in spec and not await self._sleep(spec["delay"], generation):
                return self._error(503, "fake_llm: reset while delaying")
            if "status" in spec:
                return self._error(int(spec["status"]), str(spec.get("error", f"scripted {spec['status']}")))
            return JSONResponse(self._embeddings(body, spec))

        return app

    def _completion(self, body: dict[str, Any], spec: Response) -> dict[str, Any]:
        refusal = spec.get("refusal")
        content: str | None
        if refusal is not None:
            content = None
        elif "content" in spec:
            content = spec["content"]
        elif "parsed" in spec:
            content = json.dumps(spec["parsed"], ensure_ascii=False)
        else:
            content = "{}"
        finish_reason = spec.get("finish_reason", "stop")
        if finish_reason == "length" and content:
            content = content[: max(1, len(content) // 2)]  # what a cut-off answer looks like
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if refusal is not None:
            message["refusal"] = refusal
        if spec.get("tool_calls"):  # a tool-calling reply: arguments travel as a JSON string
            message["content"] = spec.get("content")
            message["tool_calls"] = [
                {"id": f"call_{n}", "type": "function",
                 "function": {"name": call["name"], "arguments": json.dumps(call["arguments"], ensure_ascii=False)}}
                for n, call in enumerate(spec["tool_calls"])
            ]
            finish_reason = "tool_calls"
            content = json.dumps(message["tool_calls"], ensure_ascii=False)
        result: dict[str, Any] = {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": [{"index": 0, "finish_reason": finish_reason, "logprobs": None, "message": message}],
        }
        usage = spec.get("usage", "auto")
        if usage == "auto":
            # The schema and tool definitions are sent with every call, so they count as prompt tokens too.
            extras = json.dumps([body.get("response_format"), body.get("tools")]) if (
                body.get("response_format") or body.get("tools")) else ""
            prompt = _rough_tokens(_messages_text(body) + extras)
            completion = _rough_tokens(content or refusal or "")
            total = prompt + completion
            usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}
        if usage is not None:
            result["usage"] = usage
        return result

    def _embeddings(self, body: dict[str, Any], spec: Response) -> dict[str, Any]:
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else [str(t) for t in inputs or []]
        dim = int(spec.get("embedding", 8))
        data = []
        for i, text in enumerate(texts):
            vec = _vector(text, dim)
            embedding: Any = vec
            if body.get("encoding_format") == "base64":
                embedding = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode()
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        tokens = sum(_rough_tokens(t) for t in texts)
        return {
            "object": "list",
            "model": body.get("model", self.model),
            "data": data,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


_shared: FakeLLMServer | None = None
_shared_lock = threading.Lock()


def shared_fake_llm() -> FakeLLMServer:
    """The process-wide fake, started on first use (a daemon thread; it dies with the process)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = FakeLLMServer().start()
        return _shared


@pytest.fixture(name="fake_llm")
def fake_llm_fixture() -> Iterator[FakeLLMServer]:
    """A clean, scripted fake OpenAI-compatible server; ``fake_llm.base_url`` ends in /v1."""
    server = shared_fake_llm()
    server.reset()
    try:
        yield server
    finally:
        server.reset()


# The fixture is called ``fake_llm`` whichever of these names is imported: a conftest imports
# ``fake_llm``; a test module imports ``fake_llm_fixture`` so its ``fake_llm`` arguments do not
# shadow the import (ruff F811).
fake_llm = fake_llm_fixture
