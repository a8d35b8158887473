"""Contract tests every store backend passes: embedded Chroma and a started Chroma server."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from rag.chunking import ChunkSpec, chunk_document
from rag.errors import IndexMismatchError
from rag.store.catalog import SourceRecord
from rag.store.index import Index
from rag.types import Document

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_fa9b40200313cc7b.txt"


@pytest.fixture(params=["embedded", "server"])
def index(request, tmp_path: Path, embedder) -> Index:
    url = request.getfixturevalue("chroma_server") if request.param == "server" else None
    idx = Index(
        tmp_path / "index", embedder, collection=f"t{uuid.uuid4().hex[:12]}", chroma_url=url
    )
    idx.chroma_url = url  # for tests that open a second view of the same index
    yield idx
    idx.close()


def put(index: Index, source: str, text: str) -> list:
    d = Document(
        source=source, title=Path(source).stem, text=text, sha256=str(hash(text)), format="txt"
    )
    chunks = chunk_document(d, ChunkSpec(60, 10))
    rec = SourceRecord(
        source,
        d.sha256,
        d.title,
        "txt",
        "spec",
        len(chunks),
        sum(c.tokens for c in chunks),
        time.time(),
    )
    index.put_source(rec, chunks)
    return chunks


def agree(index: Index) -> None:
    assert index.vectors.ids() == index.catalog.chunk_ids()


def test_put_search_replace_and_remove(index: Index, embedder) -> None:
    seed = SEED.read_text(encoding="utf-8")
    chunks = put(index, "/docs/seed.txt", seed)
    put(index, "/docs/other.txt", "Bananas are yellow fruit rich in potassium.\n\nApples are red.")
    agree(index)
    assert index.check_model() is False

    q = "In which city was the memorandum signed by the defense ministers?"
    dense = index.dense(embedder.embed_query(q), 3)
    lexical = index.bm25(q, 3)
    texts = index.catalog.chunks([i for i, _ in dense])
    assert any("Istanbul" in texts[i].text for i, _ in dense)
    assert any("Istanbul" in index.catalog.chunks([i])[i].text for i, _ in lexical)
    assert 0 < dense[0][1] <= 1
    # source filter
    only = index.dense(embedder.embed_query(q), 3, sources=["/docs/other.txt"])
    assert {index.catalog.chunks([i])[i].source for i, _ in only} == {"/docs/other.txt"}
    assert index.bm25("potassium", 5, sources=["/docs/seed.txt"]) == []

    # changed content replaces old chunks, nothing duplicated
    put(index, "/docs/seed.txt", seed.replace("Istanbul", "Ankara"))
    agree(index)
    assert index.catalog.count_chunks() == len(chunks) + 1
    assert index.bm25("Istanbul", 5) == []

    assert index.remove_source("/docs/seed.txt") == len(chunks)
    agree(index)
    assert [r.source for r in index.catalog.sources()] == ["/docs/other.txt"]


def test_identical_content_at_two_paths_is_two_sources(index: Index) -> None:
    text = "The same words in two files."
    put(index, "/a/x.txt", text)
    put(index, "/b/x.txt", text)
    agree(index)
    assert index.catalog.count_chunks() == 2


def test_reconcile_repairs_orphans_and_missing(index: Index) -> None:
    para = "Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi. " * 4
    chunks = put(index, "/docs/a.txt", "\n\n".join([para] * 3))
    assert len(chunks) >= 2
    # a killed write: vectors hold an id the catalogue never committed, and lost one
    index.vectors.add([chunks[0].__class__(**{**chunks[0].__dict__, "id": "orphan"})])
    index.vectors.delete([chunks[1].id])
    assert index.reconcile() == (1, 1)
    agree(index)


def test_other_embedding_model_is_refused_then_reindexed(index: Index, embedder) -> None:
    put(index, "/docs/a.txt", "Alpha beta gamma.")

    class Renamed:
        model_id = "some-other-model"
        dimensions = 384
        embed_documents = staticmethod(embedder.embed_documents)
        embed_query = staticmethod(embedder.embed_query)

    other = Index(index.dir, Renamed(), collection=index.vectors._name, chroma_url=index.chroma_url)
    with pytest.raises(IndexMismatchError, match="--reindex"):
        other.check_model()
    assert other.check_model(reindex=True) is True
    assert other.catalog.get_meta("embed_model") == "some-other-model"
    assert other.vectors.ids() == other.catalog.chunk_ids()


def test_empty_index_searches_return_nothing(index: Index, embedder) -> None:
    assert index.dense(embedder.embed_query("anything at all"), 5) == []
    assert index.bm25("anything at all", 5) == []
    put(index, "/docs/a.txt", "Alpha beta gamma.")
    index.remove_source("/docs/a.txt")
    assert index.dense(embedder.embed_query("alpha"), 5) == []


def test_bm25_ranks_the_same_with_and_without_a_source_filter(index: Index) -> None:
    """The unfiltered query ranks inside FTS5 first; the filtered one joins first."""
    words = ["ferry", "bridge", "tunnel", "canal", "lock", "quay", "pier", "dock"]
    for i in range(12):
        # file i mentions "harbour" i+1 times among filler, so BM25 ranks by i
        text = " ".join(["harbour"] * (i + 1) + [words[(i + j) % 8] for j in range(40)])
        put(index, f"/docs/{i:02}.txt", text)
    all_sources = [f"/docs/{i:02}.txt" for i in range(12)]
    unfiltered = index.bm25("harbour", 5)
    filtered = index.bm25("harbour", 5, sources=all_sources)
    assert [i for i, _ in unfiltered] == [i for i, _ in filtered]
    assert [s for _, s in unfiltered] == pytest.approx([s for _, s in filtered])
    assert all(a[1] >= b[1] > 0 for a, b in zip(unfiltered, unfiltered[1:], strict=False))
    top = index.catalog.chunks([unfiltered[0][0]])[unfiltered[0][0]]
    assert top.source == "/docs/11.txt"
