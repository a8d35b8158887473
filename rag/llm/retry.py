"""Which LLM failures are worth retrying, how long to wait, and what to tell the user.

The openai client's own retries are switched off: these are bounded, logged and
turn into one LLMError that names the server and the cause.
"""

from __future__ import annotations

import json
import random
import socket
import ssl
from dataclasses import dataclass

import openai


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff (base, 2*base, 4*base, ... up to cap), each wait scaled by ±jitter."""

    retries: int = 2
    base: float = 0.5
    cap: float = 8.0
    jitter: float = 0.25

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (1-based); honours Retry-After up to cap."""
        wait = self.base * 2 ** (retry - 1) * random.uniform(1 - self.jitter, 1 + self.jitter)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(wait, self.cap)


@dataclass(frozen=True)
class RetryEvent:
    """Passed to `on_retry` before each wait, so a UI can say 'retrying in 1 s'."""

    attempt: int  # the attempt that failed, 1-based
    delay: float
    reason: str


@dataclass(frozen=True)
class Failure:
    retryable: bool
    message: str
    retry_after: float | None = None


class MalformedReply(Exception):
    """The server answered 200 but not with a chat completion we can read."""


def classify(exc: BaseException, url: str, timeout: float, *, in_stream: bool) -> Failure:
    """Map an exception from one attempt to a retry decision and a message naming `url`.

    `in_stream`: the response headers had arrived, so the body broke mid-way.
    """
    if in_stream:
        return _classify_stream(exc, url, timeout)
    if isinstance(exc, openai.APITimeoutError):
        return Failure(True, f"LLM server at {url} timed out after {timeout:g} s")
    if isinstance(exc, openai.APIConnectionError):
        return Failure(True, f"cannot reach LLM server at {url}: {connection_reason(exc)}")
    if isinstance(exc, openai.APIStatusError):
        return _classify_status(exc, url)
    if isinstance(exc, MalformedReply | json.JSONDecodeError | openai.APIResponseValidationError):
        return Failure(False, f"malformed response from {url}: {exc}")
    if isinstance(exc, openai.APIError):
        return Failure(False, f"LLM server at {url} reported an error: {exc.message}")
    return Failure(False, f"LLM call to {url} failed: {type(exc).__name__}: {exc}")


def _classify_stream(exc: BaseException, url: str, timeout: float) -> Failure:
    where = f"malformed or interrupted stream from {url}"
    if isinstance(exc, openai.APITimeoutError):
        return Failure(True, f"{where}: no data for {timeout:g} s")
    if isinstance(exc, openai.APIConnectionError):
        return Failure(True, f"{where}: {connection_reason(exc)}")
    if isinstance(exc, json.JSONDecodeError):
        return Failure(False, f"{where}: an event is not valid JSON ({exc})")
    if isinstance(exc, MalformedReply):
        return Failure(False, f"{where}: {exc}")
    if isinstance(exc, openai.APIError):
        return Failure(False, f"LLM server at {url} reported an error mid-stream: {exc.message}")
    return Failure(False, f"{where}: {type(exc).__name__}: {exc}")


def _classify_status(exc: openai.APIStatusError, url: str) -> Failure:
    code = exc.status_code
    text = f"LLM server at {url} returned HTTP {code}: {_server_message(exc)}"
    if code == 429:
        return Failure(True, text, _retry_after(exc))
    if code >= 500:
        return Failure(True, text)
    hint = {
        401: "; check llm_api_key",
        403: "; check llm_api_key",
        404: "; check llm_base_url (it usually ends in /v1) and llm_model",
    }.get(code, "")
    return Failure(False, text + hint)


def connection_reason(exc: BaseException) -> str:
    """The root cause of a connection error in a few words ('connection refused')."""
    seen: BaseException | None = exc
    deepest = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, ConnectionResetError):
            return "connection reset by the server"
        if isinstance(seen, socket.gaierror):
            return f"host name not found ({seen.strerror})"
        if isinstance(seen, ssl.SSLError):
            return f"TLS error ({seen})"
        deepest = seen
        seen = seen.__cause__ or seen.__context__
    text = str(deepest)
    if "Connection refused" in text:
        return "connection refused"
    return text or type(deepest).__name__


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return _short(inner["message"])
        if isinstance(body.get("message"), str):
            return _short(body["message"])
    try:
        return _short(exc.response.text) or exc.response.reason_phrase
    except Exception:  # the body may be unread or undecodable; the code alone still helps
        return exc.response.reason_phrase


def _retry_after(exc: openai.APIStatusError) -> float | None:
    try:
        return max(0.0, float(exc.response.headers.get("retry-after", "")))
    except ValueError:
        return None


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
