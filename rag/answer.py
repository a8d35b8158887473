"""Question -> (rewrite) -> retrieve -> budgeted prompt -> streamed LLM answer -> checked citations.

The prompt puts what is stable first (system rules, then passages, then the
question) so llama.cpp can reuse its KV cache across questions on one corpus.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rag import tokens
from rag.types import AnswerResult, Hit

if TYPE_CHECKING:
    from rag.service import Rag

PROMPT_OVERHEAD = 64  # chat-template tokens around the messages
_FENCE_TAG = re.compile(r"<(\s*/?\s*)(passage)", re.IGNORECASE)


def _passage(rag: Rag, n: int, hit: Hit) -> str:
    page = f' page="{hit.chunk.page}"' if hit.chunk.page is not None else ""
    title = hit.chunk.title.replace('"', "'")
    # passages are fenced as data; a document cannot open or close a fence of its own
    text = _FENCE_TAG.sub(r"<\1 \2", hit.chunk.text)
    return rag.prompts.render("passage.md", n=n, title=title, page=page, text=text)


def build_messages(
    rag: Rag, question: str, hits: list[Hit]
) -> tuple[list[dict[str, str]], list[Hit], int]:
    """Messages within the model's window, the hits actually sent, and how many were left out.

    Hits arrive best first; when they do not all fit, the lowest-ranked go.
    """
    s = rag.settings
    system = rag.prompts.render("answer_system.md")
    frame = rag.prompts.render("answer_user.md", passages="", question=question)
    budget = s.llm_ctx - s.llm_max_tokens - PROMPT_OVERHEAD
    budget -= tokens.count(system) + tokens.count(frame)
    kept: list[Hit] = []
    blocks: list[str] = []
    for hit in hits:
        block = _passage(rag, len(kept) + 1, hit)
        cost = tokens.count(block) + 2
        if cost > budget:
            break
        budget -= cost
        kept.append(hit)
        blocks.append(block)
    user = rag.prompts.render("answer_user.md", passages="\n\n".join(blocks), question=question)
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return messages, kept, len(hits) - len(kept)


def rewrite_question(rag: Rag, question: str, history: list[tuple[str, str]]) -> str:
    """Turn a follow-up ('and when was it signed?') into a standalone question."""
    if not history:
        return question
    turns = "\n".join(f"User: {q}\nAssistant: {a}" for q, a in history[-3:])
    messages = [
        {"role": "system", "content": rag.prompts.render("rewrite_system.md")},
        {
            "role": "user",
            "content": rag.prompts.render("rewrite_user.md", history=turns, question=question),
        },
    ]
    with rag._llm_lock:
        out = rag.llm.complete(messages, max_tokens=64, temperature=0.0)
    line = out.strip().splitlines()[0].strip().strip('"') if out.strip() else ""
    return line if len(line) > 3 else question


def _refusal(question: str, standalone: str | None, text: str, timings: dict) -> AnswerResult:
    return AnswerResult(
        question=question,
        answer=text,
        refused=True,
        citations=[],
        unsupported_sentences=[],
        supported_share=1.0,
        standalone_question=standalone,
        timings=timings,
    )


def is_refusal_text(text: str, refusal: str) -> bool:
    """The model used the refusal sentence, alone or nearly alone."""
    t = " ".join(text.lower().split())
    key = refusal.lower().rstrip(".")
    return key in t and len(t) < len(key) * 2 + 40


def answer_stream(
    rag: Rag,
    question: str,
    *,
    history: list[tuple[str, str]],
    sources: list[str] | None,
    strict: bool | None,
) -> Iterator[str | AnswerResult]:
    from rag.citations import check_answer

    s = rag.settings
    strict = s.strict if strict is None else strict
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    question = rag.clean_question(question)
    refusal = rag.prompts.render("refusal.txt")

    standalone = None
    if history:
        standalone = rewrite_question(rag, question, history)
        timings["rewrite"] = time.perf_counter() - t0
    query = standalone or question

    t1 = time.perf_counter()
    hits = rag.retrieve(query, sources=sources)
    timings["retrieve"] = time.perf_counter() - t1
    best = max((h.relevance for h in hits), default=0.0)
    if not hits or best < s.min_relevance:
        timings["total"] = time.perf_counter() - t0
        yield refusal
        yield _refusal(question, standalone, refusal, timings)
        return

    messages, kept, left_out = build_messages(rag, query, hits)
    t2 = time.perf_counter()
    parts: list[str] = []
    with rag._llm_lock:
        for delta in rag.llm.stream(messages, max_tokens=s.llm_max_tokens):
            if not parts:
                timings["first_token"] = time.perf_counter() - t0
            parts.append(delta)
            yield delta
    timings["generate"] = time.perf_counter() - t2
    raw = "".join(parts).strip()

    if not raw or is_refusal_text(raw, refusal):
        timings["total"] = time.perf_counter() - t0
        yield _refusal(question, standalone, refusal, timings)
        return

    checked = check_answer(raw, kept, threshold=s.support_threshold, strict=strict)
    text = checked.text
    if left_out:
        text += "\n\n" + rag.prompts.render("left_out.txt", count=left_out)
    timings["total"] = time.perf_counter() - t0
    yield AnswerResult(
        question=question,
        answer=text,
        refused=False,
        citations=checked.citations,
        unsupported_sentences=checked.unsupported_sentences,
        supported_share=checked.supported_share,
        left_out=left_out,
        standalone_question=standalone,
        timings=timings,
    )
