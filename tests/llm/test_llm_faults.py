"""Bounded retries and clear LLMErrors, against FakeOpenAIServer and a closed port (no model)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from rag.errors import LLMError
from rag.llm.client import LLMClient, make_llm
from rag.llm.retry import RetryEvent, RetryPolicy
from rag.settings import Settings

MESSAGES = [{"role": "user", "content": "Say hello."}]
FAST = {"backoff": 0.01, "backoff_cap": 0.05}


def _client(
    base_url: str, events: list[RetryEvent], *, retries: int = 2, timeout: float = 5.0
) -> LLMClient:
    settings = Settings(
        llm_base_url=base_url,
        llm_model="fake-model",
        llm_api_key="sk-test-key",
        llm_retries=retries,
        llm_timeout=timeout,
        llm_max_tokens=32,
    )
    return make_llm(settings, on_retry=events.append, **FAST)


def _collect(client: LLMClient, got: list[str]) -> None:
    for delta in client.stream(MESSAGES):
        got.append(delta)


def test_ok_reply_and_request_shape(fake_server: Callable[..., Any]) -> None:
    fake = fake_server("ok")
    events: list[RetryEvent] = []
    client = _client(fake.base_url, events)
    reply = client.complete(MESSAGES, max_tokens=8, temperature=0.3, stop=["\n\n"])
    assert reply == "Hello from the fake."
    body = fake.bodies[0]
    assert body["model"] == "fake-model"
    assert body["max_tokens"] == 8 and body["temperature"] == 0.3 and body["stop"] == ["\n\n"]
    assert fake.auth == ["Bearer sk-test-key"]
    assert "".join(client.stream(MESSAGES)) == "Hello from the fake."
    assert fake.bodies[1]["stream"] is True
    assert fake.bodies[1]["max_tokens"] == 32  # llm_max_tokens is the default
    assert events == []
    assert fake.base_url in client.describe() and "fake-model" in client.describe()


@pytest.mark.parametrize("streamed", [False, True])
def test_429_twice_then_success(fake_server: Callable[..., Any], streamed: bool) -> None:
    fake = fake_server("429", "429", "ok")
    events: list[RetryEvent] = []
    client = _client(fake.base_url, events)
    reply = "".join(client.stream(MESSAGES)) if streamed else client.complete(MESSAGES)
    assert reply == "Hello from the fake."
    assert fake.requests == 3
    assert [e.attempt for e in events] == [1, 2]
    assert all("HTTP 429" in e.reason for e in events)


def test_always_500_gives_up_after_retries(fake_server: Callable[..., Any]) -> None:
    fake = fake_server("500")
    events: list[RetryEvent] = []
    with pytest.raises(LLMError) as info:
        _client(fake.base_url, events).complete(MESSAGES)
    assert str(info.value) == (
        f"LLM server at {fake.base_url} returned HTTP 500: boom (after 3 attempts)"
    )
    assert fake.requests == 3 and len(events) == 2


def test_400_is_not_retried(fake_server: Callable[..., Any]) -> None:
    fake = fake_server("400")
    events: list[RetryEvent] = []
    with pytest.raises(LLMError, match="returned HTTP 400: bad request$"):
        _client(fake.base_url, events).complete(MESSAGES)
    assert fake.requests == 1 and events == []


def test_slow_server_times_out(fake_server: Callable[..., Any]) -> None:
    fake = fake_server("slow", slow_seconds=1.0)
    events: list[RetryEvent] = []
    started = time.monotonic()
    with pytest.raises(LLMError) as info:
        _client(fake.base_url, events, retries=1, timeout=0.2).complete(MESSAGES)
    assert str(info.value) == (
        f"LLM server at {fake.base_url} timed out after 0.2 s (after 2 attempts)"
    )
    assert fake.requests == 2
    assert time.monotonic() - started < 1.5  # bounded: 2 x 0.2 s plus a short backoff


def test_slow_then_fast_recovers(fake_server: Callable[..., Any]) -> None:
    fake = fake_server("slow", "ok", slow_seconds=1.0)
    events: list[RetryEvent] = []
    assert _client(fake.base_url, events, timeout=0.2).complete(MESSAGES)
    assert fake.requests == 2 and len(events) == 1


def test_malformed_stream_is_not_retried(fake_server: Callable[..., Any]) -> None:
    fake = fake_server("malformed")
    events: list[RetryEvent] = []
    with pytest.raises(LLMError, match="^malformed or interrupted stream from http://127.0.0.1"):
        list(_client(fake.base_url, events).stream(MESSAGES))
    assert fake.requests == 1 and events == []


def test_drop_mid_stream_after_text_is_not_retried(fake_server: Callable[..., Any]) -> None:
    fake = fake_server("drop", "ok")
    events: list[RetryEvent] = []
    got: list[str] = []
    with pytest.raises(LLMError) as info:
        _collect(_client(fake.base_url, events), got)
    assert got == ["Hel"]  # the caller already showed this; a retry would duplicate it
    assert str(info.value).startswith(f"malformed or interrupted stream from {fake.base_url}: ")
    assert fake.requests == 1 and events == []


def test_cut_before_any_text_is_retried(fake_server: Callable[..., Any]) -> None:
    fake = fake_server("cut", "ok")
    events: list[RetryEvent] = []
    assert "".join(_client(fake.base_url, events).stream(MESSAGES)) == "Hello from the fake."
    assert fake.requests == 2 and len(events) == 1


def test_cut_every_time_gives_up(fake_server: Callable[..., Any]) -> None:
    fake = fake_server("cut")
    events: list[RetryEvent] = []
    with pytest.raises(LLMError, match=r"interrupted stream .* \(after 3 attempts\)$"):
        list(_client(fake.base_url, events).stream(MESSAGES))
    assert fake.requests == 3


def test_stream_ending_without_finish_is_an_error(fake_server: Callable[..., Any]) -> None:
    fake = fake_server("truncated")
    events: list[RetryEvent] = []
    with pytest.raises(LLMError, match="stream ended before the server finished"):
        list(_client(fake.base_url, events).stream(MESSAGES))
    assert fake.requests == 1


def test_non_json_reply_is_malformed(fake_server: Callable[..., Any]) -> None:
    fake = fake_server("garbage")
    events: list[RetryEvent] = []
    with pytest.raises(LLMError, match=f"^malformed response from {fake.base_url}"):
        _client(fake.base_url, events).complete(MESSAGES)
    assert fake.requests == 1


@pytest.mark.parametrize("streamed", [False, True])
def test_closed_port_is_connection_refused(closed_port: int, streamed: bool) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1"
    events: list[RetryEvent] = []
    client = _client(url, events)
    with pytest.raises(LLMError) as info:
        list(client.stream(MESSAGES)) if streamed else client.complete(MESSAGES)
    assert str(info.value) == (
        f"cannot reach LLM server at {url}: connection refused (after 3 attempts)"
    )
    assert len(events) == 2


def test_no_retries_means_one_attempt(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1"
    events: list[RetryEvent] = []
    with pytest.raises(LLMError) as info:
        _client(url, events, retries=0).complete(MESSAGES)
    assert str(info.value) == f"cannot reach LLM server at {url}: connection refused"
    assert events == []


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(retries=5, base=0.5, cap=2.0, jitter=0.25)
    for retry, nominal in [(1, 0.5), (2, 1.0), (3, 2.0)]:
        waits = [policy.delay(retry) for _ in range(200)]
        assert all(min(nominal * 0.75, 2.0) <= w <= min(nominal * 1.25, 2.0) for w in waits)
        if nominal < 2.0:
            assert len(set(waits)) > 1  # jittered
    assert policy.delay(10) == 2.0
    assert policy.delay(1, retry_after=1.5) >= 1.5
    assert policy.delay(1, retry_after=60) == 2.0
