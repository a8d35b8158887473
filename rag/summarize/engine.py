"""The LLM calls of one summary: one call when the passages fit, else map-reduce.

Map: consecutive passages are grouped to fill the window; each group gets a
cited note whose local passage numbers are rewritten to the global ones.
Reduce: the notes (citations kept inline) are summarised in one call when they
fit, else combined group by group into shorter notes, level after level. Map
and combine replies are cached by their exact prompt, so a run killed halfway
through a long document redoes only the steps that had not finished.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag import tokens
from rag.errors import RagError
from rag.summarize.cache import SummaryCache
from rag.summarize.plan import (
    PROMPT_OVERHEAD,
    Budget,
    drop_cut_sentence,
    message_tokens,
    pack,
    renumber,
)
from rag.types import Hit

if TYPE_CHECKING:
    from rag.service import Rag

TOO_SMALL = "raise RAG_LLM_CTX, or lower RAG_LLM_MAX_TOKENS or RAG_CHUNK_TOKENS (then re-ingest)"


@dataclass(frozen=True)
class Note:
    """A partial summary covering passages first..last (1-based), with global citations."""

    first: int
    last: int
    text: str


class Engine:
    """Summarises a list of passages with `goal` + `style` prompts, counting what it spends."""

    def __init__(
        self, rag: Rag, budget: Budget, *, goal: str, style: str, cache: SummaryCache
    ) -> None:
        self.rag = rag
        self.budget = budget
        self.goal = rag.prompts.render(goal)
        self.style = rag.prompts.render(f"summary_style_{style}.md", words=budget.words)
        self.cache = cache
        self.calls = 0
        self.tokens = 0
        self.llm_seconds = 0.0
        self.plan: dict[str, object] = {"mode": "single", "parts": 1, "levels": 0}

    # LLM ------------------------------------------------------------------
    def _lock(self) -> contextlib.AbstractContextManager[object]:
        """The embedded server answers one request at a time; a remote one runs them in parallel."""
        if self.rag.settings.llm_base_url is None:
            return self.rag._llm_lock
        return contextlib.nullcontext()

    def call(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        sent = message_tokens(messages)
        if sent + max_tokens + PROMPT_OVERHEAD > self.budget.window:  # a bug, never an overflow
            raise RagError(
                f"summary prompt of {sent} tokens exceeds the {self.budget.window}-token window"
            )
        t0 = time.perf_counter()
        with self._lock():
            out = self.rag.llm.complete(messages, max_tokens=max_tokens)
        self.llm_seconds += time.perf_counter() - t0
        self.calls += 1
        out = (out or "").strip()
        self.tokens += sent + tokens.count(out)
        return drop_cut_sentence(out, max_tokens)

    def step(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        """`call`, answered from the step cache when this exact prompt was done before."""
        llm = self.rag.llm
        key = SummaryCache.step_key(
            llm.model, messages, max_tokens, self.rag.settings.llm_temperature
        )
        text = self.cache.load_step(key)
        if text is None:
            text = self.call(messages, max_tokens)
            self.cache.save_step(key, text)
        return text

    # prompts --------------------------------------------------------------
    def _passage(self, n: int, hit: Hit) -> str:
        """The same passage block as answers use (prompts/passage.md)."""
        page = f' page="{hit.chunk.page}"' if hit.chunk.page is not None else ""
        title = hit.chunk.title.replace('"', "'")
        text = hit.chunk.text.replace("</passage>", "</ passage>")
        return self.rag.prompts.render("passage.md", n=n, title=title, page=page, text=text)

    def _note(self, note: Note) -> str:
        span = f"{note.first}-{note.last}" if note.last > note.first else str(note.first)
        text = note.text.replace("</notes>", "</ notes>")
        return self.rag.prompts.render("summary_note.md", span=span, text=text)

    def _messages(self, system: str, user: str, **values: object) -> list[dict[str, str]]:
        p = self.rag.prompts
        return [
            {"role": "system", "content": p.render(system)},
            {"role": "user", "content": p.render(user, **values)},
        ]

    def _single(self, blocks: list[str]) -> list[dict[str, str]]:
        return self._messages(
            "summary_system.md",
            "summary_user.md",
            passages="\n\n".join(blocks),
            goal=self.goal,
            style=self.style,
        )

    def _map(self, blocks: list[str], part: int, parts: int) -> list[dict[str, str]]:
        return self._messages(
            "summary_system.md",
            "summary_map_user.md",
            passages="\n\n".join(blocks),
            part=part,
            parts=parts,
            words=self.budget.note_words,
        )

    def _reduce(self, blocks: list[str]) -> list[dict[str, str]]:
        return self._messages(
            "summary_reduce_system.md",
            "summary_reduce_user.md",
            notes="\n\n".join(blocks),
            goal=self.goal,
            style=self.style,
        )

    def _combine(self, blocks: list[str]) -> list[dict[str, str]]:
        return self._messages(
            "summary_reduce_system.md",
            "summary_combine_user.md",
            notes="\n\n".join(blocks),
            words=self.budget.note_words,
        )

    # planning -------------------------------------------------------------
    def _groups(
        self, blocks: list[str], frame: int, reply: int, what: str
    ) -> list[tuple[int, int]]:
        """Groups of blocks that fit one prompt whose fixed part costs `frame` tokens."""
        limit = self.budget.room(reply) - frame
        costs = [tokens.count(b) + 2 for b in blocks]  # +2: the blank line between blocks
        try:
            return pack(costs, limit)
        except ValueError:
            worst = max(costs)
            raise RagError(
                f"a {what} of {worst} tokens does not fit the {self.budget.window}-token window "
                f"({max(limit, 0)} tokens left for {what}s after the prompt and the "
                f"{reply}-token reply); {TOO_SMALL}"
            ) from None

    # run ------------------------------------------------------------------
    def run(self, hits: list[Hit]) -> str:
        """The summary text, citing passages as 1-based positions in `hits`."""
        final = self.budget.final_tokens
        messages = self._single([self._passage(i + 1, h) for i, h in enumerate(hits)])
        if message_tokens(messages) <= self.budget.room(final):
            return self.call(messages, final)
        notes = self._map_all(hits)
        return self._reduce_all(notes, len(hits))

    def _map_all(self, hits: list[Hit]) -> list[Note]:
        note_tokens = self.budget.note_tokens
        # sized with global numbers: never shorter than the local ones sent
        blocks = [self._passage(i + 1, h) for i, h in enumerate(hits)]
        frame = message_tokens(self._map([], 999, 999))
        groups = self._groups(blocks, frame, note_tokens, "passage")
        self.plan.update(mode="map-reduce", parts=len(groups))
        notes: list[Note] = []
        for part, (a, b) in enumerate(groups, start=1):
            local = [self._passage(j - a + 1, hits[j]) for j in range(a, b)]
            raw = self.step(self._map(local, part, len(groups)), note_tokens)
            mapping = {j - a + 1: j + 1 for j in range(a, b)}
            notes.append(Note(a + 1, b, renumber(raw, mapping)))
        return notes

    def _reduce_all(self, notes: list[Note], n_passages: int) -> str:
        valid = {n: n for n in range(1, n_passages + 1)}
        final = self.budget.final_tokens
        levels = 0
        while True:
            levels += 1
            self.plan["levels"] = levels
            notes = [n for n in notes if n.text.strip()]
            if not notes:
                return ""
            blocks = [self._note(n) for n in notes]
            messages = self._reduce(blocks)
            if message_tokens(messages) <= self.budget.room(final):
                return renumber(self.call(messages, final), valid)
            frame = message_tokens(self._combine([]))
            groups = self._groups(blocks, frame, self.budget.note_tokens, "note")
            if len(groups) >= len(notes):
                raise RagError(
                    f"the notes of this document do not shrink to fit the "
                    f"{self.budget.window}-token window; {TOO_SMALL}"
                )
            merged: list[Note] = []
            for a, b in groups:
                if b - a == 1:
                    merged.append(notes[a])
                    continue
                raw = self.step(self._combine(blocks[a:b]), self.budget.note_tokens)
                merged.append(Note(notes[a].first, notes[b - 1].last, renumber(raw, valid)))
            notes = merged
