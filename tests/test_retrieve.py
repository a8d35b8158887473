"""Hybrid retrieval over a real index: fusion, duplicates, filters, relevance."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rag_testing import SEEDS

from rag.retrieve import HybridRetriever
from rag.service import Rag
from rag.settings import Settings

SEED = SEEDS / "000_fa9b40200313cc7b.txt"


@pytest.fixture
def rag(settings: Settings, tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / "seed.txt")
    shutil.copy(SEED, docs / "copy-of-seed.txt")  # same passages under another path
    (docs / "codes.txt").write_text(
        "Inventory code XQ-7741-B marks the spare rotor assemblies.\n\n"
        "Bananas ripen faster next to apples because apples release ethylene.",
        encoding="utf-8",
    )
    r = Rag(settings)
    r.ingest([docs])
    yield r
    r.close()


def test_fused_hits_carry_both_ranks_and_relevance(rag: Rag) -> None:
    hits = rag.retrieve("Where and when was the memorandum signed?")
    top = hits[0]
    assert "Istanbul" in top.chunk.text
    assert top.dense_rank is not None and top.bm25_rank is not None
    assert 0 < top.relevance <= 1 and top.relevance == pytest.approx((top.dense + top.lexical) / 2)
    assert [h.rrf for h in hits] == sorted((h.rrf for h in hits), reverse=True)


def test_exact_rare_term_found_by_bm25(rag: Rag) -> None:
    hits = rag.retrieve("XQ-7741-B", k=3)
    assert "XQ-7741-B" in hits[0].chunk.text and hits[0].bm25_rank == 1


def test_near_duplicates_collapsed(rag: Rag) -> None:
    hits = rag.retrieve("Where and when was the memorandum signed?", k=6)
    texts = [h.chunk.text for h in hits]
    assert len(texts) == len(set(texts))  # the copy's identical passages do not repeat


def test_source_filter(rag: Rag) -> None:
    hits = rag.retrieve("memorandum signed Istanbul", sources=["copy-of-seed"])
    assert hits and {Path(h.chunk.source).name for h in hits} == {"copy-of-seed.txt"}


def test_off_topic_question_has_low_relevance(rag: Rag) -> None:
    on = max(h.relevance for h in rag.retrieve("Who signed the memorandum?"))
    off = max(h.relevance for h in rag.retrieve("How do I bake sourdough bread?"))
    assert off < rag.settings.min_relevance <= on


def test_langchain_retriever_interface(rag: Rag) -> None:
    retriever = HybridRetriever(index=rag.index, embedder=rag.embedder, k=2)
    docs = retriever.invoke("Where was the memorandum signed?")
    assert len(docs) == 2 and "relevance" in docs[0].metadata and docs[0].id
