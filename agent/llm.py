"""The accounted edge to an OpenAI-compatible LLM server.

Every call is reported once through ``on_call`` (purpose, tokens, latency, outcome) so that
LLM usage can be counted per request. Failures never raise: the caller gets ``None`` and falls
back to deterministic understanding, which is why the SDK's own retries are switched off.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import openai
import pydantic
from pydantic import BaseModel

log = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
DEFAULT_PROMPT_LANG = "de"
DEFAULT_BASE_URL = "https://api.openai.com/v1"

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class LLMCall:
    """One call, recorded for accounting."""

    purpose: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    ok: bool
    # timeout | rate_limited | server_error | malformed | refused | length | connection | http_<status>
    error: str | None


def _status_code(status: int) -> str:
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    return f"http_{status}"


def _usage_tokens(usage: Any) -> tuple[int, int]:
    """Tokens from a usage object or dict; 0 when the server sent none."""
    if usage is None:
        return 0, 0
    if isinstance(usage, dict):
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    else:
        prompt = getattr(usage, "prompt_tokens", None)
        completion = getattr(usage, "completion_tokens", None)
    return (prompt if isinstance(prompt, int) else 0, completion if isinstance(completion, int) else 0)


def _usage_from_raw(raw: Any) -> tuple[int, int]:
    """Best effort: read usage from a raw HTTP response whose body could not be parsed."""
    try:
        return _usage_tokens(json.loads(raw.http_response.text).get("usage"))
    except Exception:
        return 0, 0


class LLMClient:
    """Structured output and embeddings from any OpenAI-compatible server; never raises."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        *,
        timeout_s: float = 20.0,
        on_call: Callable[[LLMCall], None] | None = None,
        embed_model: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.embed_model = embed_model or model
        self.timeout_s = timeout_s
        self.on_call = on_call
        # max_retries=0: a slow or failing LLM must not hold a client's turn; we fall back instead.
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=0
        )

    def close(self) -> None:
        self._client.close()

    # -- accounting ---------------------------------------------------------------------------

    def _record(
        self, purpose: str, model: str, started: float, tokens: tuple[int, int], error: str | None
    ) -> None:
        call = LLMCall(
            purpose=purpose,
            model=model,
            prompt_tokens=tokens[0],
            completion_tokens=tokens[1],
            latency_ms=(time.perf_counter() - started) * 1000.0,
            ok=error is None,
            error=error,
        )
        if error is not None:
            log.warning("llm %s call failed: %s (%.0f ms)", purpose, error, call.latency_ms)
        if self.on_call is not None:
            try:
                self.on_call(call)
            except Exception:  # accounting must never break a turn
                log.exception("on_call hook failed")

    @staticmethod
    def _error_code(exc: BaseException) -> str:
        if isinstance(exc, openai.APITimeoutError):
            return "timeout"
        if isinstance(exc, openai.APIConnectionError):
            return "connection"
        if isinstance(exc, openai.APIStatusError):
            return _status_code(exc.status_code)
        if isinstance(exc, openai.LengthFinishReasonError):
            return "length"
        if isinstance(exc, openai.ContentFilterFinishReasonError):
            return "refused"
        if isinstance(exc, pydantic.ValidationError | ValueError | openai.APIResponseValidationError):
            # invalid JSON and JSON that does not fit the schema are both "malformed" for the caller
            return "malformed"
        return "error"

    # -- calls --------------------------------------------------------------------------------

    def parse(
        self,
        *,
        purpose: str,
        system: str,
        user: str,
        schema: type[T],
        max_completion_tokens: int | None = None,
    ) -> T | None:
        """One structured-output call; the validated ``schema`` instance or None on any failure."""
        started = time.perf_counter()
        tokens = (0, 0)
        extra: dict[str, Any] = {}
        if max_completion_tokens is not None:
            extra["max_completion_tokens"] = max_completion_tokens
        raw = None
        try:
            raw = self._client.chat.completions.with_raw_response.parse(
                model=self.model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                response_format=schema,
                **extra,
            )
            completion = raw.parse()
        except Exception as exc:  # noqa: BLE001 - the contract is: never raise
            completion_obj = getattr(exc, "completion", None)
            if completion_obj is not None:
                tokens = _usage_tokens(getattr(completion_obj, "usage", None))
            elif raw is not None:
                tokens = _usage_from_raw(raw)
            self._record(purpose, self.model, started, tokens, self._error_code(exc))
            return None

        tokens = _usage_tokens(completion.usage)
        if not completion.choices:
            self._record(purpose, self.model, started, tokens, "malformed")
            return None
        message = completion.choices[0].message
        if message.refusal:
            self._record(purpose, self.model, started, tokens, "refused")
            return None
        parsed = message.parsed
        if not isinstance(parsed, schema):
            self._record(purpose, self.model, started, tokens, "malformed")
            return None
        self._record(purpose, self.model, started, tokens, None)
        return parsed

    def embed(self, *, texts: list[str]) -> list[list[float]] | None:
        """Embeddings for ``texts`` in order, or None on any failure."""
        started = time.perf_counter()
        if not texts:
            return []
        try:
            response = self._client.embeddings.create(
                model=self.embed_model, input=texts, encoding_format="float"
            )
        except Exception as exc:  # noqa: BLE001
            self._record("embed", self.embed_model, started, (0, 0), self._error_code(exc))
            return None
        tokens = (_usage_tokens(response.usage)[0], 0)
        try:
            ordered = sorted(response.data, key=lambda d: d.index)
            vectors = [[float(x) for x in d.embedding] for d in ordered]
        except Exception:  # noqa: BLE001
            vectors = []
        if len(vectors) != len(texts) or any(not v for v in vectors):
            self._record("embed", self.embed_model, started, tokens, "malformed")
            return None
        self._record("embed", self.embed_model, started, tokens, None)
        return vectors


def llm_from_settings(
    base_url: str | None,
    api_key: str | None,
    model: str | None,
    on_call: Callable[[LLMCall], None] | None = None,
    *,
    timeout_s: float = 20.0,
) -> LLMClient | None:
    """A client when an LLM is configured, else None (the agent then runs deterministically).

    Configured means a model plus an API key or a base URL: local servers (Ollama, llama.cpp,
    vLLM) often need no key, and OpenAI itself needs no base URL.
    """
    base_url = (base_url or "").strip()
    api_key = (api_key or "").strip()
    model = (model or "").strip()
    if not model or not (api_key or base_url):
        return None
    return LLMClient(base_url or DEFAULT_BASE_URL, api_key, model, timeout_s=timeout_s, on_call=on_call)


# -- prompts ----------------------------------------------------------------------------------

_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)
_SAFE_NAME = re.compile(r"^[a-z0-9_]+$")


@lru_cache(maxsize=64)
def load_prompt(name: str, lang: str = DEFAULT_PROMPT_LANG) -> str:
    """The prompt ``prompts/<name>.<lang>.md`` (falls back to German, then ``<name>.md``).

    HTML comments (version notes for maintainers) are stripped so they cost no tokens.
    """
    if not _SAFE_NAME.match(name):
        raise ValueError(f"bad prompt name: {name!r}")
    lang = (lang or DEFAULT_PROMPT_LANG).lower().split("-")[0].split("_")[0]
    if not _SAFE_NAME.match(lang):
        lang = DEFAULT_PROMPT_LANG
    candidates = [f"{name}.{lang}.md", f"{name}.{DEFAULT_PROMPT_LANG}.md", f"{name}.md"]
    for candidate in candidates:
        path = PROMPTS_DIR / candidate
        if path.is_file():
            return _COMMENT.sub("", path.read_text(encoding="utf-8")).strip()
    raise FileNotFoundError(f"no prompt {name!r} in {PROMPTS_DIR}")
