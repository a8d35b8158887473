"""One document's summary: cache lookup, its chunks as passages, the engine, the citation check."""

from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING, Any

from rag.errors import RagError
from rag.sentences import marker_spans
from rag.summarize.cache import FORMAT, SummaryCache, digest_of
from rag.summarize.engine import Engine
from rag.summarize.plan import Budget, make_budget
from rag.summarize.result import SummaryResult
from rag.types import Chunk, Hit

if TYPE_CHECKING:
    from rag.service import Rag
    from rag.settings import Settings

UNSUPPORTED_MARK = " *(unsupported)*"
GOAL_DOCUMENT = "summary_goal_document.md"
_CATALOG_LOCK = threading.Lock()  # one SQLite connection is shared by the batch's threads
_WORD = re.compile(r"\w+")


def templates(style: str, goal: str) -> tuple[str, ...]:
    """Every prompt file a summary of `style` may use: their hash is part of the cache key."""
    return (
        "passage.md",
        "summary_system.md",
        "summary_user.md",
        goal,
        f"summary_style_{style}.md",
        "summary_map_user.md",
        "summary_reduce_system.md",
        "summary_reduce_user.md",
        "summary_combine_user.md",
        "summary_note.md",
    )


def run_settings(
    settings: Settings, style: str, max_words: int | None, budget: Budget
) -> dict[str, Any]:
    """The settings a summary depends on (recorded with it and part of its cache key)."""
    return {
        "style": style,
        "max_words": max_words,
        "words": budget.words,
        "llm_ctx": settings.llm_ctx,
        "llm_max_tokens": settings.llm_max_tokens,
        "llm_temperature": settings.llm_temperature,
        "support_threshold": settings.support_threshold,
    }


def mark_unsupported(text: str, sentences: list[str]) -> str:
    """Append UNSUPPORTED_MARK to each unsupported sentence, found in order in `text`."""
    out: list[str] = []
    pos = 0
    for sentence in sentences:
        at = text.find(sentence, pos) if sentence else -1
        if at < 0:
            continue
        end = at + len(sentence)
        out.append(text[pos:end] + UNSUPPORTED_MARK)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def plain_text(text: str) -> str:
    """`text` without citation markers and unsupported marks (for word counts and the digest)."""
    out: list[str] = []
    pos = 0
    for a, b in marker_spans(text):
        out.append(text[pos:a].rstrip(" \t"))
        pos = b
    out.append(text[pos:])
    return "".join(out).replace(UNSUPPORTED_MARK, "").strip()


def compose(
    rag: Rag,
    *,
    hits: list[Hit],
    goal: str,
    style: str,
    budget: Budget,
    cache: SummaryCache,
) -> tuple[dict[str, Any], Engine]:
    """Run the engine over `hits` and check its citations; the result's changing fields."""
    from rag.citations import check_answer

    engine = Engine(rag, budget, goal=goal, style=style, cache=cache)
    t0 = time.perf_counter()
    raw = engine.run(hits)
    t1 = time.perf_counter()
    if not raw.strip():
        raise RagError(f"the model ({rag.llm.model}) returned an empty summary")
    checked = check_answer(raw, hits, threshold=rag.settings.support_threshold, strict=False)
    text = mark_unsupported(checked.text, checked.unsupported_sentences)
    fields = {
        "text": text,
        "citations": checked.citations,
        "unsupported_sentences": checked.unsupported_sentences,
        "supported_share": checked.supported_share,
        "words": len(_WORD.findall(plain_text(text))),
        "timings": {
            "generate": engine.llm_seconds,
            "summarize": t1 - t0,
            "check": time.perf_counter() - t1,
        },
        "calls": engine.calls,
        "tokens": engine.tokens,
        "plan": {**engine.plan, "repaired": checked.repaired},
    }
    return fields, engine


def summarize_one(
    rag: Rag, source: str, *, style: str = "brief", max_words: int | None = None
) -> SummaryResult:
    """A cited summary of one indexed source (its stored key), from cache when nothing changed.

    The cache key covers the file's bytes, the chunker, the model, the prompt files,
    the style and length and the window, so any change that could change the summary
    makes a new one, and nothing else does.
    """
    t0 = time.perf_counter()
    s = rag.settings
    budget = make_budget(s, style, max_words)
    catalog = rag.catalog
    with _CATALOG_LOCK:
        record = catalog.source(source)
    if record is None:
        raise RagError(f"{source} is not indexed (see `rag sources`)")
    model = rag.llm.model
    prompt_hash = rag.prompts.digest(*templates(style, GOAL_DOCUMENT))
    settings = run_settings(s, style, max_words, budget)
    key = digest_of(
        {
            "kind": "document",
            "format": FORMAT,
            "source": source,
            "sha256": record.sha256,
            "chunker": record.chunker,
            "model": model,
            "prompt_hash": prompt_hash,
            "settings": settings,
        }
    )
    cache = SummaryCache(s.cache_dir)
    found = cache.load(key)
    if found is not None:
        found.cached, found.calls, found.tokens = True, 0, 0
        found.timings = {"total": time.perf_counter() - t0}
        return found

    with _CATALOG_LOCK:
        chunks: list[Chunk] = list(catalog.iter_chunks(source))
    if not chunks:
        raise RagError(f"{source} has no indexed text to summarise")
    hits = [Hit(chunk=c, relevance=1.0) for c in chunks]
    fields, _ = compose(rag, hits=hits, goal=GOAL_DOCUMENT, style=style, budget=budget, cache=cache)
    fields["timings"]["total"] = time.perf_counter() - t0
    result = SummaryResult(
        source=source,
        title=record.title,
        model=model,
        prompt_hash=prompt_hash,
        source_sha256=record.sha256,
        settings=settings,
        key=key,
        **fields,
    )
    cache.save(key, result)
    return result
