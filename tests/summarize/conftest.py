"""Helpers for the summary tests: generated prose, a counting LLM proxy, an extractive stand-in.

They are handed out as fixtures (classes and functions), so no test module has
to import a helper module that could collide with another folder's.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rag import tokens
from rag.errors import LLMError
from rag.sentences import split_sentences

PEOPLE = [
    "Mayor Helena Brandt", "engineer Tomas Okafor", "Dr. Priya Raman", "Captain Ines Duarte",
    "Professor Lukas Weber", "minister Amara Ndiaye", "architect Sofia Lindqvist",
    "trader Kenji Morita", "judge Rafael Ortega", "farmer Elif Yilmaz",
]  # fmt: skip
PLACES = [
    "Port Valen", "the Kessler valley", "Northbridge", "the island of Marrow", "Lake Odessa",
    "the city of Tarrin", "Fenwick harbour", "the Calder plateau", "Ashby", "the Sorrel coast",
]  # fmt: skip
ACTS = [
    "opened", "inspected", "funded", "rebuilt", "surveyed", "closed", "expanded",
    "repaired", "designed", "approved",
]  # fmt: skip
THINGS = [
    "a grain depot", "the northern bridge", "a water treatment plant", "the old lighthouse",
    "a school for sailors", "the railway spur", "a flood barrier", "the copper mine",
    "a seed bank", "the observatory",
]  # fmt: skip
WHY = [
    "after the spring floods", "to cut travel times", "because exports had doubled",
    "following a public vote", "despite strong opposition", "as part of a ten-year plan",
    "to protect the wetlands", "after a fire in the district",
]  # fmt: skip


def make_prose(n_tokens: int, seed: int = 7, marker: str | None = None) -> str:
    """Varied, fact-dense paragraphs of at least `n_tokens` cl100k tokens, reproducibly.

    Every sentence names a person, a place, a year and a number, like a report would;
    `marker` (a made-up word) is put in the first sentence so a test can spot the text.
    """
    rng = random.Random(seed)
    paragraphs: list[str] = []
    first = True
    while tokens.count("\n\n".join(paragraphs)) < n_tokens:
        sentences = []
        for _ in range(rng.randint(4, 6)):
            s = (
                f"In {rng.randint(1950, 2024)}, {rng.choice(PEOPLE)} {rng.choice(ACTS)} "
                f"{rng.choice(THINGS)} in {rng.choice(PLACES)} {rng.choice(WHY)}, at a cost "
                f"of {rng.randint(2, 900)} million crowns."
            )
            if first and marker:
                s = s[:-1] + f" under the {marker} programme."
                first = False
            sentences.append(s)
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs) + "\n"


class CountingLLM:
    """Wraps a real LLM client: counts and records calls, and can fail on cue.

    `fail_on`: raise LLMError on that call number (1-based); `fail_if`: raise when
    it returns True for the messages. Everything else goes to the wrapped client.
    """

    def __init__(
        self,
        inner: Any,
        *,
        fail_on: int | None = None,
        fail_if: Callable[[list[dict[str, str]]], bool] | None = None,
    ) -> None:
        self.inner = inner
        self.fail_on = fail_on
        self.fail_if = fail_if
        self.calls = 0
        self.sent: list[tuple[list[dict[str, str]], int | None]] = []
        self._lock = threading.Lock()

    def _count(self, messages: list[dict[str, str]], max_tokens: int | None) -> None:
        with self._lock:
            self.calls += 1
            self.sent.append((messages, max_tokens))
            n = self.calls
        if (self.fail_on is not None and n == self.fail_on) or (
            self.fail_if is not None and self.fail_if(messages)
        ):
            raise LLMError(f"injected failure on call {n}")

    def complete(self, messages: list[dict[str, str]], **kwargs: Any) -> str:
        self._count(messages, kwargs.get("max_tokens"))
        return self.inner.complete(messages, **kwargs)

    def stream(self, messages: list[dict[str, str]], **kwargs: Any) -> Iterator[str]:
        self._count(messages, kwargs.get("max_tokens"))
        yield from self.inner.stream(messages, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


_PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)
_NOTES = re.compile(r'<notes passages="[^"]*">\n(.*?)\n</notes>', re.S)


def _first_sentence(text: str) -> str:
    spans = split_sentences(text)
    return text[spans[0][0] : spans[0][1]] if spans else ""


class ExtractiveLLM:
    """A deterministic stand-in model: it copies first sentences, citing them exactly.

    For passages it writes each passage's first sentence followed by "[n]"; for notes
    it copies each note's first sentence with its markers; when not all fit in
    `max_tokens` it takes them evenly from the whole input. Every citation it writes
    is right: a wrong number in the final summary can only come from the summariser.
    """

    model = "extractive-test"
    context_window = 0

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def describe(self) -> str:
        return "extractive test model"

    def complete(
        self, messages: list[dict[str, str]], *, max_tokens: int | None = None, **_: Any
    ) -> str:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            return self._reply(messages[-1]["content"], max_tokens or 400)
        finally:
            with self._lock:
                self.active -= 1

    def _reply(self, prompt: str, max_tokens: int) -> str:
        pieces: list[str] = []
        for n, text in _PASSAGE.findall(prompt):
            first = _first_sentence(text)
            if first:
                pieces.append(f"{first.rstrip('.')} [{n}].")
        for text in _NOTES.findall(prompt):
            first = _first_sentence(text)
            if first:
                pieces.append(first)
        for k in range(len(pieces), 0, -1):  # as many as fit, spread over the whole input
            picked = [pieces[round(i * (len(pieces) - 1) / max(k - 1, 1))] for i in range(k)]
            reply = " ".join(dict.fromkeys(picked))
            if tokens.count(reply) <= max_tokens * 0.8:
                return reply
        return ""


@pytest.fixture(scope="session")
def prose() -> Callable[..., str]:
    return make_prose


@pytest.fixture(scope="session")
def counting() -> type[CountingLLM]:
    return CountingLLM


@pytest.fixture(scope="session")
def extractive() -> type[ExtractiveLLM]:
    return ExtractiveLLM


def window_ok(messages: list[dict[str, str]], max_tokens: int | None, ctx: int) -> bool:
    """The prompt (cl100k) + the reply + the chat template fit the window."""
    sent = sum(tokens.count(m["content"]) for m in messages)
    return sent + (max_tokens or 0) + 64 <= ctx


@pytest.fixture(scope="session")
def fits_window() -> Callable[[list[dict[str, str]], int | None, int], bool]:
    return window_ok


@pytest.fixture
def write_doc(tmp_path: Path) -> Callable[[str, str], Path]:
    """Factory: write `text` to docs/<name> under the test's tmp_path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write
