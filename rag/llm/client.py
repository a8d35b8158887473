"""One chat client for every model: the embedded llama.cpp server or any OpenAI-compatible URL.

Retries are ours, not the openai package's, so they are bounded by
`llm_retries`, logged, reported through `on_retry`, and end in one LLMError that
names the server and the cause.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, TypeVar

import openai

from rag.errors import LLMError
from rag.llm.retry import MalformedReply, RetryEvent, RetryPolicy, classify
from rag.llm.server import EmbeddedServer, shared_server
from rag.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
NO_KEY = "sk-no-key"  # llama.cpp ignores the key, the openai client insists on one


class LLMClient:
    """Chat completions (whole or streamed) against one endpoint, with bounded retries.

    Give either `base_url` (a remote OpenAI-compatible server) or `server`
    (the embedded one, checked and restarted once if it died before each call).
    """

    def __init__(
        self,
        *,
        model: str,
        context_window: int,
        base_url: str | None = None,
        server: EmbeddedServer | None = None,
        api_key: str = NO_KEY,
        timeout: float = 180.0,
        retry: RetryPolicy | None = None,
        temperature: float = 0.0,
        max_tokens: int = 400,
        on_retry: Callable[[RetryEvent], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if (base_url is None) == (server is None):
            raise ValueError("give exactly one of base_url and server")
        self.model = model
        self.context_window = context_window
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.on_retry = on_retry
        self._remote_url = base_url.rstrip("/") if base_url else None
        self._server = server
        self._api_key = api_key
        self._sleep = sleep
        self._lock = threading.Lock()
        self._client: openai.OpenAI | None = None
        self._client_url = ""

    @property
    def base_url(self) -> str:
        """The endpoint's `/v1` URL (starts the embedded server if needed)."""
        return self._remote_url or self._server.base_url  # type: ignore[union-attr]

    @property
    def embedded(self) -> bool:
        return self._server is not None

    def describe(self) -> str:
        """One line for logs and error reports; never starts a server."""
        if self._server is not None:
            where = self._server.describe()
        else:
            where = f"OpenAI-compatible server at {self._remote_url}, model {self.model}"
        return f"{where} (timeout {self.timeout:g} s, {self.retry.retries} retries)"

    def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> str:
        """The assistant's whole reply to `messages`."""
        request = self._request(messages, max_tokens, temperature, stop)

        def once(client: openai.OpenAI) -> str:
            reply = client.chat.completions.create(**request)
            try:
                return reply.choices[0].message.content or ""
            except (AttributeError, IndexError, TypeError):
                raise MalformedReply(f"no choices in the reply: {reply!r:.200}") from None

        return self._with_retries(once)

    def stream(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        """Yield the reply as text deltas; retried only while nothing has been yielded."""
        request = self._request(messages, max_tokens, temperature, stop)
        attempt = 0
        while True:
            attempt += 1
            url, client = self._endpoint()
            started = yielded = False
            try:
                chunks = client.chat.completions.create(**request, stream=True)
                started = True
                with chunks:
                    finished = False
                    for chunk in chunks:
                        text, done = _delta(chunk)
                        finished = finished or done
                        if text:
                            yielded = True
                            yield text
                if not finished:
                    raise MalformedReply("the stream ended before the server finished the reply")
                return
            except (openai.OpenAIError, MalformedReply, ValueError) as exc:
                self._fail_or_wait(exc, url, attempt, in_stream=started, may_retry=not yielded)

    def close(self) -> None:
        """Release HTTP connections (the shared embedded server keeps running)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _request(
        self,
        messages: list[dict[str, Any]],
        max_tokens: int | None,
        temperature: float | None,
        stop: list[str] | None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens if max_tokens is None else max_tokens,
            "temperature": self.temperature if temperature is None else temperature,
        }
        if stop:
            request["stop"] = stop
        return request

    def _endpoint(self) -> tuple[str, openai.OpenAI]:
        """The URL to call now and a client bound to it (rebuilt if a restart moved the port)."""
        url = self._server.ensure_alive() if self._server is not None else self._remote_url
        assert url is not None
        with self._lock:
            if self._client is None or self._client_url != url:
                if self._client is not None:
                    self._client.close()
                self._client = openai.OpenAI(
                    base_url=url, api_key=self._api_key, timeout=self.timeout, max_retries=0
                )
                self._client_url = url
            return url, self._client

    def _with_retries(self, once: Callable[[openai.OpenAI], T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            url, client = self._endpoint()
            try:
                return once(client)
            except (openai.OpenAIError, MalformedReply, ValueError) as exc:
                self._fail_or_wait(exc, url, attempt, in_stream=False, may_retry=True)

    def _fail_or_wait(
        self, exc: BaseException, url: str, attempt: int, *, in_stream: bool, may_retry: bool
    ) -> None:
        """Raise LLMError if this failure is final; otherwise log, report and back off."""
        failure = classify(exc, url, self.timeout, in_stream=in_stream)
        if not (failure.retryable and may_retry) or attempt > self.retry.retries:
            suffix = f" (after {attempt} attempts)" if attempt > 1 else ""
            raise LLMError(failure.message + suffix) from exc
        delay = self.retry.delay(attempt, failure.retry_after)
        log.warning(
            "LLM attempt %d/%d failed: %s; retrying in %.2f s",
            attempt,
            self.retry.retries + 1,
            failure.message,
            delay,
        )
        if self.on_retry is not None:
            self.on_retry(RetryEvent(attempt=attempt, delay=delay, reason=failure.message))
        self._sleep(delay)


def _delta(chunk: Any) -> tuple[str, bool]:
    """(text, finished) from one stream chunk; chunks without choices carry usage only."""
    try:
        if not chunk.choices:
            return "", False
        choice = chunk.choices[0]
        text = (choice.delta.content or "") if choice.delta is not None else ""
        return text, choice.finish_reason is not None
    except (AttributeError, IndexError, TypeError):
        raise MalformedReply(f"unexpected chunk {chunk!r:.200}") from None


def make_llm(
    settings: Settings,
    *,
    backoff: float = 0.5,
    backoff_cap: float = 8.0,
    on_retry: Callable[[RetryEvent], None] | None = None,
) -> LLMClient:
    """The client `settings` ask for: remote if `llm_base_url` is set, else the embedded server.

    The embedded server is shared per process and starts on the first call.
    `backoff`/`backoff_cap` shape the waits between the `llm_retries` retries.
    """
    common: dict[str, Any] = {
        "context_window": settings.llm_ctx,
        "timeout": settings.llm_timeout,
        "retry": RetryPolicy(retries=settings.llm_retries, base=backoff, cap=backoff_cap),
        "temperature": settings.llm_temperature,
        "max_tokens": settings.llm_max_tokens,
        "on_retry": on_retry,
    }
    if settings.llm_base_url is None:
        server = shared_server(settings)
        return LLMClient(model=server.model_name, server=server, **common)
    return LLMClient(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value(),
        **common,
    )
