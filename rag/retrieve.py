"""Hybrid retrieval: dense (Chroma) and BM25 (FTS5) ranks fused by reciprocal rank fusion.

RRF only orders. Relevance, which the refusal threshold is calibrated on, is
the mean of the dense cosine similarity and a lexical coverage score: MiniLM
alone gives low similarity to a right passage for some phrasings, and
coverage alone is noisy for one-word questions (see README, calibration).
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from rag.embeddings import Embedder
from rag.store.index import Index
from rag.support import support_score
from rag.types import Hit

RRF_K = 60
DUPLICATE_JACCARD = 0.8
_WORDS = re.compile(r"\w+")


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = _WORDS.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def _collapse(hits: list[Hit], limit: int) -> list[Hit]:
    """Drop passages that repeat a higher-ranked one (copies, overlapping chunks), up to `limit`."""
    kept: list[tuple[Hit, set]] = []
    for hit in hits:
        if len(kept) >= limit:
            break
        sh = _shingles(hit.chunk.text)
        if any(len(sh & s) / max(1, len(sh | s)) >= DUPLICATE_JACCARD for _, s in kept):
            continue
        kept.append((hit, sh))
    return [h for h, _ in kept]


def hybrid_search(
    index: Index,
    embedder: Embedder,
    question: str,
    *,
    k: int,
    fetch_k: int,
    sources: list[str] | None = None,
) -> list[Hit]:
    """Top-k fused hits, near-duplicates collapsed, each with its dense relevance."""
    fetch_k = max(fetch_k, k)
    vector = embedder.embed_query(question)
    dense = index.dense(vector, fetch_k, sources)
    lexical = index.bm25(question, fetch_k, sources)
    fused: dict[str, Hit] = {}
    chunks = index.catalog.chunks({i for i, _ in dense} | {i for i, _ in lexical})
    for rank, (cid, sim) in enumerate(dense, 1):
        if cid in chunks:  # ids the catalogue does not know are orphans of a killed write
            hit = fused.setdefault(cid, Hit(chunks[cid]))
            hit.dense_rank, hit.dense = rank, max(0.0, sim)
            hit.rrf += 1.0 / (RRF_K + rank)
    for rank, (cid, score) in enumerate(lexical, 1):
        if cid in chunks:
            hit = fused.setdefault(cid, Hit(chunks[cid]))
            hit.bm25_rank, hit.bm25 = rank, score
            hit.rrf += 1.0 / (RRF_K + rank)
    ranked = sorted(fused.values(), key=lambda h: (-h.rrf, h.chunk.source, h.chunk.ordinal))
    hits = _collapse(ranked, k)
    lexical_only = [h.chunk.id for h in hits if h.dense_rank is None]
    if lexical_only:  # their cosine was not in the dense top list: compute it
        for cid, sim in index.vectors.similarities(vector, lexical_only).items():
            next(h for h in hits if h.chunk.id == cid).dense = max(0.0, sim)
    for hit in hits:
        hit.lexical = support_score(question, hit.chunk.text)
        hit.relevance = (hit.dense + hit.lexical) / 2
    return hits


class HybridRetriever(BaseRetriever):
    """The same search as a LangChain retriever, for use in LangChain chains."""

    index: Any
    embedder: Any
    k: int = 6
    fetch_k: int = 24

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        hits = hybrid_search(self.index, self.embedder, query, k=self.k, fetch_k=self.fetch_k)
        return [
            LCDocument(
                id=h.chunk.id,
                page_content=h.chunk.text,
                metadata={**h.chunk.metadata(), "rrf": h.rrf, "relevance": h.relevance},
            )
            for h in hits
        ]
