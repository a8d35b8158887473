"""Chroma through langchain-chroma: an embedded persistent client, or a server (RAG_CHROMA_URL).

We always pass our own embedder: Chroma's default embedding function would
try to download a model. Vectors are cosine-space so similarity = 1 - distance.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from rag.embeddings import Embedder
from rag.errors import RagError
from rag.types import Chunk


def make_client(chroma_url: str | None, path: Path):
    """A Chroma client: HTTP to a server if a URL is given, else embedded at `path`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        url = urlparse(chroma_url)
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=settings,
            )
            client.heartbeat()
        except Exception as exc:  # chromadb raises several unrelated types here
            raise RagError(f"cannot reach the Chroma server at {chroma_url}: {exc}") from exc
        return client
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class VectorStore:
    """Dense half of the index; ids match the catalogue's chunk ids."""

    def __init__(self, client, collection: str, embedder: Embedder) -> None:
        from langchain_chroma import Chroma

        self._client = client
        self._name = collection
        self._embedder = embedder
        self._lc = Chroma(
            collection_name=collection,
            embedding_function=embedder,
            client=client,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )

    @property
    def _collection(self):
        return self._lc._collection

    def model_id(self) -> str | None:
        meta = self._collection.metadata or {}
        return meta.get("embed_model")

    def set_model_id(self, model_id: str) -> None:
        meta = dict(self._collection.metadata or {})
        meta["embed_model"] = model_id
        self._collection.modify(metadata=meta)

    def count(self) -> int:
        return self._collection.count()

    def add(
        self, chunks: list[Chunk], batch: int = 64, on_batch: Callable[[int], None] | None = None
    ) -> None:
        """Embed and upsert (idempotent: same id, same vector), reporting progress per batch."""
        for b in range(0, len(chunks), batch):
            part = chunks[b : b + batch]
            self._lc.add_texts(
                texts=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
                ids=[c.id for c in part],
            )
            if on_batch:
                on_batch(len(part))

    def delete(self, ids: set[str] | list[str]) -> None:
        ids = list(ids)
        for b in range(0, len(ids), 1000):
            self._collection.delete(ids=ids[b : b + 1000])

    def ids(self) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            got = self._collection.get(include=[], limit=5000, offset=offset)["ids"]
            out.update(got)
            if len(got) < 5000:
                return out
            offset += len(got)

    def search(
        self, vector: list[float], k: int, sources: list[str] | None = None
    ) -> list[tuple[str, float]]:
        """Top-k (chunk id, cosine similarity), best first.

        No count() guard first: Chroma 1.x answers an empty collection with no hits,
        and the extra call cost 7 ms per query at 100k chunks (benchmarks/RESULTS.md).
        """
        where = None
        if sources:
            where = {"source": sources[0]} if len(sources) == 1 else {"source": {"$in": sources}}
        found = self._lc.similarity_search_by_vector_with_relevance_scores(
            vector, k=k, filter=where
        )
        return [(doc.id, 1.0 - float(dist)) for doc, dist in found]

    def similarities(self, vector: list[float], ids: list[str]) -> dict[str, float]:
        """Cosine similarity of `vector` to the stored vectors of `ids` (unit vectors)."""
        import numpy as np

        got = self._collection.get(ids=ids, include=["embeddings"])
        q = np.asarray(vector, dtype=np.float32)
        return {
            cid: float(np.dot(np.asarray(emb, dtype=np.float32), q))
            for cid, emb in zip(got["ids"], got["embeddings"], strict=True)
        }

    def reset(self) -> None:
        """Drop and recreate the collection (used by --reindex)."""
        self._lc.reset_collection()
