"""LLMClient against the scripted fake server: results, accounting, and never raising."""

from __future__ import annotations

import socket

import pytest
from pydantic import BaseModel

from agent.llm import LLMCall, LLMClient, llm_from_settings, load_prompt
from tests.fakes.llm_server import FakeLLMServer, fake_llm_fixture  # noqa: F401


class Person(BaseModel):
    name: str
    age: int


def make(server: FakeLLMServer, calls: list[LLMCall], timeout_s: float = 5.0) -> LLMClient:
    return LLMClient(server.base_url, "test-key", "test-model", timeout_s=timeout_s, on_call=calls.append)


def ask(client: LLMClient) -> Person | None:
    return client.parse(purpose="extract", system="sys", user="Max, 44", schema=Person)


def test_success_returns_model_and_accounts_tokens(fake_llm: FakeLLMServer) -> None:
    calls: list[LLMCall] = []
    usage = {"prompt_tokens": 11, "completion_tokens": 7}
    fake_llm.script([{"parsed": {"name": "Max", "age": 44}, "usage": usage}])
    result = ask(make(fake_llm, calls))
    assert result == Person(name="Max", age=44)
    assert len(calls) == 1
    call = calls[0]
    assert (call.purpose, call.model, call.ok, call.error) == ("extract", "test-model", True, None)
    assert (call.prompt_tokens, call.completion_tokens) == (11, 7)
    assert call.latency_ms > 0
    body = fake_llm.requests[0]
    assert body["model"] == "test-model"
    assert body["response_format"]["type"] == "json_schema"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_missing_usage_counts_zero(fake_llm: FakeLLMServer) -> None:
    calls: list[LLMCall] = []
    fake_llm.script([{"parsed": {"name": "Max", "age": 44}, "usage": None}])
    assert ask(make(fake_llm, calls)) is not None
    assert (calls[0].prompt_tokens, calls[0].completion_tokens, calls[0].ok) == (0, 0, True)


@pytest.mark.parametrize(
    ("response", "code"),
    [
        ({"status": 429}, "rate_limited"),
        ({"status": 500}, "server_error"),
        ({"status": 503}, "server_error"),
        ({"status": 400}, "http_400"),
        ({"content": "not json"}, "malformed"),
        ({"parsed": {"name": "Max", "age": "old"}}, "malformed"),  # schema mismatch
        ({"parsed": {"unrelated": True}}, "malformed"),
        ({"refusal": "I can't help with that."}, "refused"),
        ({"parsed": {"name": "Max", "age": 44}, "finish_reason": "length"}, "length"),
        ({"parsed": {"name": "Max", "age": 44}, "finish_reason": "content_filter"}, "refused"),
    ],
)
def test_failures_return_none_with_one_call_and_code(
    fake_llm: FakeLLMServer, response: dict, code: str
) -> None:
    calls: list[LLMCall] = []
    fake_llm.script([response])
    assert ask(make(fake_llm, calls)) is None
    assert [(c.ok, c.error) for c in calls] == [(False, code)]
    assert len(fake_llm.requests) == 1  # no SDK retries: we fall back instead of waiting


def test_tokens_are_counted_even_when_the_answer_is_unusable(fake_llm: FakeLLMServer) -> None:
    calls: list[LLMCall] = []
    usage = {"prompt_tokens": 20, "completion_tokens": 5}
    fake_llm.script(
        [
            {"content": "not json", "usage": usage},
            {"parsed": {"name": "x", "age": 1}, "finish_reason": "length", "usage": usage},
            {"refusal": "no", "usage": usage},
        ]
    )
    client = make(fake_llm, calls)
    assert [ask(client) for _ in range(3)] == [None, None, None]
    assert [(c.error, c.prompt_tokens, c.completion_tokens) for c in calls] == [
        ("malformed", 20, 5),
        ("length", 20, 5),
        ("refused", 20, 5),
    ]


def test_timeout(fake_llm: FakeLLMServer) -> None:
    calls: list[LLMCall] = []
    fake_llm.script([{"delay": 2.0, "parsed": {"name": "Max", "age": 44}}])
    assert ask(make(fake_llm, calls, timeout_s=0.5)) is None
    assert [(c.ok, c.error) for c in calls] == [(False, "timeout")]
    assert 400 <= calls[0].latency_ms < 1800


def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    calls: list[LLMCall] = []
    client = LLMClient(f"http://127.0.0.1:{port}/v1", "k", "m", timeout_s=2, on_call=calls.append)
    assert client.parse(purpose="faq", system="s", user="u", schema=Person) is None
    assert [(c.ok, c.error) for c in calls] == [(False, "connection")]


def test_failing_accounting_hook_does_not_break_the_call(fake_llm: FakeLLMServer) -> None:
    def broken(call: LLMCall) -> None:
        raise RuntimeError("db down")

    fake_llm.script([{"parsed": {"name": "Max", "age": 44}}])
    client = LLMClient(fake_llm.base_url, "k", "m", on_call=broken)
    assert ask(client) == Person(name="Max", age=44)


def test_embed(fake_llm: FakeLLMServer) -> None:
    calls: list[LLMCall] = []
    fake_llm.script([{"embedding": 4}, {"status": 500}])
    client = make(fake_llm, calls)
    vectors = client.embed(texts=["Kündigung", "Frist"])
    assert vectors is not None and len(vectors) == 2 and all(len(v) == 4 for v in vectors)
    assert vectors[0] != vectors[1]
    assert fake_llm.paths[0] == "/v1/embeddings" and fake_llm.requests[0]["input"] == ["Kündigung", "Frist"]
    assert client.embed(texts=["x"]) is None
    outcomes = [(c.purpose, c.ok, c.error) for c in calls]
    assert outcomes == [("embed", True, None), ("embed", False, "server_error")]
    assert calls[0].prompt_tokens > 0


def test_empty_script_answers_500_and_is_counted(fake_llm: FakeLLMServer) -> None:
    calls: list[LLMCall] = []
    assert ask(make(fake_llm, calls)) is None
    assert calls[0].error == "server_error"
    assert fake_llm.unscripted == 1


def test_default_hook_answers_when_script_is_empty(fake_llm: FakeLLMServer) -> None:
    fake_llm.default = lambda body: {"parsed": {"name": body["messages"][1]["content"], "age": 1}}
    client = make(fake_llm, [])
    assert ask(client) == Person(name="Max, 44", age=1)
    fake_llm.script([{"parsed": {"name": "scripted", "age": 2}}])
    assert ask(client) == Person(name="scripted", age=2)  # the script goes first


def test_llm_from_settings() -> None:
    assert llm_from_settings(None, None, None) is None
    assert llm_from_settings("http://127.0.0.1:1/v1", "key", None) is None
    assert llm_from_settings(None, None, "m") is None
    assert llm_from_settings("", "  ", "m") is None
    local = llm_from_settings("http://127.0.0.1:1/v1", None, "llama")  # local servers need no key
    assert local is not None and local.model == "llama"
    hosted = llm_from_settings(None, "sk-x", "gpt")
    assert hosted is not None and hosted.base_url.startswith("https://")


def test_load_prompt_languages_and_fallback() -> None:
    de, en = load_prompt("interpret", "de"), load_prompt("interpret", "en")
    assert de != en and "<client_message>" in de and "<client_message>" in en
    assert load_prompt("interpret", "fr") == de
    assert load_prompt("interpret", "en-GB") == en
    assert "<!--" not in de  # maintainer notes cost no tokens
    with pytest.raises(ValueError):
        load_prompt("../secrets", "de")
