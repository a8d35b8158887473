"""The index: catalogue (records + BM25) and vectors, written in an order that survives a kill.

Write order for a window of sources: mark dirty -> upsert their vectors
(idempotent ids) -> swap each source's catalogue rows in its own transaction ->
delete stale vectors -> clear dirty.
A kill anywhere leaves the catalogue consistent with itself; the vectors may
hold extra or miss ids, which `reconcile()` repairs on the next write (the
dirty flag says when). Search drops any id the catalogue does not know.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from rag.embeddings import Embedder
from rag.errors import IndexMismatchError, LockedError
from rag.store.catalog import Catalog, SourceRecord
from rag.store.vector import VectorStore, make_client
from rag.types import Chunk

Progress = Callable[[int], None]


class Index:
    """One place that owns both halves and keeps them in agreement."""

    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder,
        collection: str = "rag",
        chroma_url: str | None = None,
        embed_batch: int = 256,
    ) -> None:
        self.dir = index_dir
        self.embedder = embedder
        self.catalog = Catalog(index_dir / "catalog.sqlite3")
        self.vectors = VectorStore(
            make_client(chroma_url, index_dir / "chroma"), collection, embedder
        )
        self.embed_batch = embed_batch
        self._lock = FileLock(str(index_dir / "write.lock"))

    def close(self) -> None:
        self.catalog.close()

    # guarding -------------------------------------------------------------
    @contextmanager
    def writing(self, wait: float = 600.0, on_wait: Callable[[], None] | None = None):
        """Hold the write lock: a second writer waits (told via on_wait), then fails clearly."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            if on_wait:
                on_wait()
            try:
                self._lock.acquire(timeout=wait)
            except Timeout:
                raise LockedError(
                    f"another rag process is writing to {self.dir} (waited {wait:.0f} s)"
                ) from None
        try:
            if self.catalog.get_meta("dirty"):
                self.reconcile()
            yield self
        finally:
            self._lock.release()

    def check_model(self, reindex: bool = False, on_progress: Progress | None = None) -> bool:
        """Refuse to mix vectors of two models; with reindex, re-embed all. True if it did."""
        stored = self.catalog.get_meta("embed_model") or self.vectors.model_id()
        mine = self.embedder.model_id
        if stored is None or (stored == mine and not reindex):
            if stored is None:
                self.catalog.set_meta("embed_model", mine)
                self.vectors.set_model_id(mine)
            return False
        if stored != mine and not reindex:
            raise IndexMismatchError(
                f"the index in {self.dir} was built with the embedding model '{stored}', "
                f"but '{mine}' is configured; run `rag ingest --reindex ...` to re-embed "
                f"everything with '{mine}', or set RAG_EMBED_MODEL back"
            )
        self.catalog.set_meta("dirty", "1")
        self.vectors.reset()
        self.vectors.set_model_id(mine)
        self.catalog.set_meta("embed_model", mine)
        self.vectors.add(list(self.catalog.iter_chunks()), self.embed_batch, on_progress)
        self.catalog.set_meta("dirty", None)
        return True

    # writes ---------------------------------------------------------------
    def put_source(
        self, record: SourceRecord, chunks: list[Chunk], on_progress: Progress | None = None
    ) -> None:
        self.put_sources([(record, chunks)], on_progress)

    def put_sources(
        self, items: list[tuple[SourceRecord, list[Chunk]]], on_progress: Progress | None = None
    ) -> None:
        """Write several sources with one embed+upsert pass (ingest's window)."""
        if self.catalog.get_meta("embed_model") is None:
            self.check_model()  # first write records which model made the vectors
        olds = [self.catalog.chunk_ids(record.source) for record, _ in items]
        # unchanged chunk texts keep their vectors
        new = [
            c
            for (_, chunks), old in zip(items, olds, strict=True)
            for c in chunks
            if c.id not in old
        ]
        self.catalog.set_meta("dirty", "1")
        self.vectors.add(new, self.embed_batch, on_progress)
        stale: set[str] = set()
        for (record, chunks), old in zip(items, olds, strict=True):
            self.catalog.replace_source(record, chunks)
            stale |= old - {c.id for c in chunks}
        if stale:
            self.vectors.delete(stale)
        self.catalog.set_meta("dirty", None)

    def remove_source(self, source: str) -> int:
        self.catalog.set_meta("dirty", "1")
        ids = self.catalog.remove_source(source)
        self.vectors.delete(ids)
        self.catalog.set_meta("dirty", None)
        return len(ids)

    def reconcile(self, on_progress: Progress | None = None) -> tuple[int, int]:
        """Make the vectors match the catalogue: drop orphans, embed what is missing."""
        have = self.vectors.ids()
        want = self.catalog.chunk_ids()
        orphans = have - want
        missing = want - have
        if orphans:
            self.vectors.delete(orphans)
        if missing:
            chunks = list(self.catalog.chunks(missing).values())
            self.vectors.add(chunks, self.embed_batch, on_progress)
        self.catalog.set_meta("dirty", None)
        self.catalog.set_meta("reconciled_at", str(time.time()))
        return len(orphans), len(missing)

    # reads ----------------------------------------------------------------
    def dense(
        self, vector: list[float], k: int, sources: list[str] | None = None
    ) -> list[tuple[str, float]]:
        return self.vectors.search(vector, k, sources)

    def bm25(self, question: str, k: int, sources: list[str] | None = None):
        return self.catalog.bm25(question, k, sources)
