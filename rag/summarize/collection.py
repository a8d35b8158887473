"""One summary across all documents, built from their (cached) summaries.

Each document's summary is one passage whose citation points to that document,
so the digest cites documents. Only supported sentences go in: the digest must
not launder what the per-document check flagged.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rag import tokens
from rag.errors import RagError
from rag.summarize.batch import reason
from rag.summarize.cache import FORMAT, SummaryCache, digest_of
from rag.summarize.document import (
    UNSUPPORTED_MARK,
    compose,
    plain_text,
    run_settings,
    summarize_one,
    templates,
)
from rag.summarize.output import write_digest
from rag.summarize.plan import make_budget
from rag.summarize.result import SummaryResult
from rag.types import Chunk, Hit

if TYPE_CHECKING:
    from rag.service import Rag

log = logging.getLogger(__name__)

GOAL_DIGEST = "summary_goal_digest.md"
DIGEST_SOURCE = "(all documents)"


def supported_text(result: SummaryResult) -> str:
    """The summary without unsupported sentences, citation markers or marks."""
    text = result.text
    for sentence in result.unsupported_sentences:
        text = text.replace(sentence + UNSUPPORTED_MARK, "", 1)
    return " ".join(plain_text(text).split())


def _passage(i: int, result: SummaryResult) -> Hit | None:
    text = supported_text(result)
    if not text:
        return None
    chunk = Chunk(
        id=f"summary:{result.key or result.source}",
        source=result.source,
        title=result.title,
        ordinal=i,
        start=0,
        end=0,
        text=text,
        tokens=tokens.count(text),
    )
    return Hit(chunk=chunk, relevance=1.0)


def digest(
    rag: Rag, *, out_dir: Path, style: str = "brief", max_words: int | None = None
) -> SummaryResult:
    """Summarise every indexed document (from cache where possible), then the collection.

    Writes `out_dir/digest.md`. Documents whose summary fails, or has no supported
    sentence, are left out and named with the reason in `plan["left_out"]`; if
    none is left, RagError.
    """
    t0 = time.perf_counter()
    s = rag.settings
    budget = make_budget(s, style, max_words)
    records = rag.sources()
    if not records:
        raise RagError("nothing is indexed yet (see `rag ingest`)")
    docs: list[SummaryResult] = []
    left_out: list[tuple[str, str]] = []
    for record in records:
        try:
            docs.append(summarize_one(rag, record.source, style=style, max_words=max_words))
        except Exception as exc:
            log.warning("digest: leaving out %s: %s", record.source, reason(exc))
            left_out.append((record.source, reason(exc)))
    hits: list[Hit] = []
    for doc in docs:
        hit = _passage(len(hits), doc)
        if hit is None:
            left_out.append((doc.source, "its summary has no supported sentence"))
        else:
            hits.append(hit)
    if not hits:
        why = "; ".join(f"{src}: {r}" for src, r in left_out) or "no supported sentences"
        raise RagError(f"no document summary to build a digest from ({why})")

    model = rag.llm.model
    prompt_hash = rag.prompts.digest(*templates(style, GOAL_DIGEST))
    settings = run_settings(s, style, max_words, budget)
    inputs = [(h.chunk.source, h.chunk.title, h.chunk.text) for h in hits]
    content = digest_of(inputs)
    key = digest_of(
        {
            "kind": "digest",
            "format": FORMAT,
            "inputs": content,
            "model": model,
            "prompt_hash": prompt_hash,
            "settings": settings,
        }
    )
    doc_calls = sum(d.calls for d in docs)
    doc_tokens = sum(d.tokens for d in docs)
    cache = SummaryCache(s.cache_dir)
    result = cache.load(key)
    if result is not None:
        result.cached, result.calls, result.tokens = True, doc_calls, doc_tokens
        result.timings = {"total": time.perf_counter() - t0}
    else:
        fields, _ = compose(
            rag, hits=hits, goal=GOAL_DIGEST, style=style, budget=budget, cache=cache
        )
        fields["calls"] += doc_calls
        fields["tokens"] += doc_tokens
        fields["timings"]["total"] = time.perf_counter() - t0
        result = SummaryResult(
            source=DIGEST_SOURCE,
            title=f"Digest of {len(hits)} document{'s' if len(hits) != 1 else ''}",
            model=model,
            prompt_hash=prompt_hash,
            source_sha256=content,
            settings=settings,
            key=key,
            **fields,
        )
        cache.save(key, result)
    result.plan["documents"] = len(hits)
    result.plan["left_out"] = [list(x) for x in left_out]
    out_dir.mkdir(parents=True, exist_ok=True)
    write_digest(out_dir, result)
    return result
