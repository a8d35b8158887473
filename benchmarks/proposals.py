"""The fixes proposed for missed targets, measured beside the current code in the same run.

The code they change belongs to rag/retrieve.py, rag/store/vector.py and
rag/ingest.py + rag/store/index.py; nothing here edits it. Retrieval is measured
by temporarily patching two functions around rag's own hybrid_search; ingest by
a replica of rag's ingest loop. Each produces exactly what the current code
produces (checked by the caller), only faster.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

WINDOW = 256  # new chunks per embedding call and upsert in the proposed ingest


def collapse_until(hits: list[Any], limit: int) -> list[Any]:
    """rag.retrieve._collapse, but stop once `limit` hits are kept (same result for [:limit])."""
    from rag.retrieve import DUPLICATE_JACCARD, _shingles

    kept: list[tuple[Any, set]] = []
    for hit in hits:
        sh = _shingles(hit.chunk.text)
        if any(len(sh & s) / max(1, len(sh | s)) >= DUPLICATE_JACCARD for _, s in kept):
            continue
        kept.append((hit, sh))
        if len(kept) >= limit:
            break
    return [h for h, _ in kept]


def search_without_count(
    self: Any, vector: list[float], k: int, sources: list[str] | None = None
) -> list[tuple[str, float]]:
    """VectorStore.search without its count() call (Chroma 1.x answers an empty collection)."""
    where = None
    if sources:
        where = {"source": sources[0]} if len(sources) == 1 else {"source": {"$in": sources}}
    found = self._lc.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
    return [(doc.id, 1.0 - float(dist)) for doc, dist in found]


def bm25_top_k_first(
    self: Any, question: str, k: int, sources: list[str] | None = None
) -> list[tuple[str, float]]:
    """Catalog.bm25 taking the top k from FTS5 before joining the chunks table.

    The current query joins every matching row (tens of thousands at 100k chunks) to
    `chunks` before sorting; ranking inside FTS5 first joins only k rows. Same order.
    With a source filter the join must come first, so that case is unchanged.
    """
    from rag.store.catalog import Catalog, fts_query

    if sources:
        return _ORIGINAL["bm25"](self, question, k, sources)
    query = fts_query(question)
    if query is None:
        return []
    sql = (
        "SELECT c.id, f.s FROM (SELECT rowid, bm25(chunks_fts) AS s FROM chunks_fts "
        "WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?) f JOIN chunks c ON c.rowid = f.rowid "
        "ORDER BY f.s"
    )
    assert isinstance(self, Catalog)
    return [(r[0], -r[1]) for r in self._db.execute(sql, (query, k))]


_ORIGINAL: dict[str, Any] = {}


def retrieval_fixes_in_rag() -> dict[str, bool]:
    """Which of the proposed retrieval fixes the rag code under test already has."""
    import rag.retrieve as retrieve
    from rag.store.catalog import Catalog
    from rag.store.vector import VectorStore

    return {
        "collapse_stops_at_k": "limit" in inspect.signature(retrieve._collapse).parameters,
        "search_without_count": "self.count()" not in inspect.getsource(VectorStore.search),
        "bm25_top_k_first": "FROM (SELECT" in inspect.getsource(Catalog.bm25),
    }


@contextmanager
def proposed_retrieval(k: int) -> Iterator[None]:
    """While active, rag's own hybrid_search runs with the proposed changes.

    `rag.retrieve._collapse` stops once k hits are kept (if rag does not already),
    `VectorStore.search` skips its count() call, and `Catalog.bm25` ranks inside FTS5
    before joining. Patching the live functions, not copying hybrid_search, keeps the
    comparison valid while that function evolves; the caller checks the hits match.
    """
    import rag.retrieve as retrieve
    from rag.store.catalog import Catalog
    from rag.store.vector import VectorStore

    collapse, search, bm25 = retrieve._collapse, VectorStore.search, Catalog.bm25
    _ORIGINAL["bm25"] = bm25
    if "limit" not in inspect.signature(collapse).parameters:
        retrieve._collapse = lambda hits, limit=k: collapse_until(hits, limit)
    VectorStore.search = search_without_count
    Catalog.bm25 = bm25_top_k_first
    try:
        yield
    finally:
        retrieve._collapse, VectorStore.search, Catalog.bm25 = collapse, search, bm25


def batch_shape(embedder: Any, calls: list[list[str]]) -> tuple[int, int]:
    """(Session.run calls, padded wordpieces) MiniLMEmbedder makes for these embed calls."""
    embedder.encode(["load"])  # the tokenizer is loaded with the session
    tok = embedder._tokenizer
    runs = padded = 0
    for texts in calls:
        lengths = sorted(len(e.ids) for e in tok.encode_batch(texts))
        for b in range(0, len(lengths), embedder.batch_size):
            part = lengths[b : b + embedder.batch_size]
            runs += 1
            padded += max(part) * len(part)
    return runs, padded


def batch_shapes(embedder: Any, groups: list[list[str]], add_batch: int, window: int) -> dict:
    """Session.run calls and padded wordpieces: per file (as now) vs cross-file windows."""
    per_file = [g[b : b + add_batch] for g in groups for b in range(0, len(g), add_batch)]
    windows: list[list[str]] = [[]]
    for g in groups:
        if len(windows[-1]) >= window:
            windows.append([])
        windows[-1].extend(g)
    pf_calls, pf_pad = batch_shape(embedder, per_file)
    w_calls, w_pad = batch_shape(embedder, windows)
    return {
        "files": len(groups),
        "chunks": sum(len(g) for g in groups),
        "window": window,
        "per_file_embed_calls": len(per_file),
        "window_embed_calls": len(windows),
        "per_file_session_runs": pf_calls,
        "window_session_runs": w_calls,
        "per_file_padded_wordpieces": pf_pad,
        "window_padded_wordpieces": w_pad,
    }


def ingest_windowed(rag: Any, files: list[Path], window: int = WINDOW) -> int:
    """The proposed ingest: embed and upsert a window of files at once; returns chunks added.

    Per file exactly what rag.ingest does today (load, hash, chunk, keep the vectors of
    unchanged chunk ids, one catalogue transaction per file), but the new chunks of
    several files go to the model in one `embed_documents` call and to Chroma in one
    upsert. Crash order per window: mark dirty -> upsert vectors -> swap each file's
    catalogue rows -> delete stale vectors -> clear dirty, so `Index.reconcile` repairs
    a kill exactly as now.
    """
    from rag.chunking import chunk_document
    from rag.ingest import file_sha256
    from rag.loaders import load_file
    from rag.store.catalog import SourceRecord

    index = rag.index
    spec = rag.chunk_spec
    max_bytes = int(rag.settings.max_file_mb * 2**20)
    collection = index.vectors._collection
    upsert_batch = int(index.vectors._client.get_max_batch_size())
    pending: list[tuple[Any, list[Any], set[str]]] = []
    added = 0

    def flush() -> None:
        new = [c for _, chunks, old in pending for c in chunks if c.id not in old]
        vectors = index.embedder.embed_documents([c.text for c in new])
        index.catalog.set_meta("dirty", "1")
        for b in range(0, len(new), upsert_batch):
            part = new[b : b + upsert_batch]
            collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[b : b + upsert_batch],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
            )
        stale: set[str] = set()
        for record, chunks, old in pending:
            index.catalog.replace_source(record, chunks)
            stale |= old - {c.id for c in chunks}
        if stale:
            index.vectors.delete(stale)
        index.catalog.set_meta("dirty", None)
        pending.clear()

    with index.writing():
        index.check_model()
        for path in files:
            source = path.resolve().as_posix()
            rec = index.catalog.source(source)
            if rec and rec.sha256 == file_sha256(path) and rec.chunker == spec.signature:
                continue
            doc = load_file(path, max_bytes=max_bytes)
            chunks = chunk_document(doc, spec)
            record = SourceRecord(
                source=source,
                sha256=doc.sha256,
                title=doc.title,
                format=doc.format,
                chunker=spec.signature,
                chunks=len(chunks),
                tokens=sum(c.tokens for c in chunks),
                ingested_at=time.time(),
            )
            pending.append((record, chunks, index.catalog.chunk_ids(source)))
            added += len(chunks)
            if sum(len(c) for _, c, _ in pending) >= window:
                flush()
        if pending:
            flush()
    return added
