"""Embedding backends behind LangChain's `Embeddings` interface, chosen by settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rag.settings import Settings


@runtime_checkable
class Embedder(Protocol):
    """What the store needs beyond LangChain's Embeddings: an identity to guard the index with."""

    model_id: str  # recorded in the index; a different id refuses to mix vectors
    dimensions: int

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def make_embedder(settings: Settings) -> Embedder:
    """The configured backend; imports its heavy dependencies only when chosen."""
    if settings.embed_backend == "openai":
        from rag.embeddings.openai_compat import OpenAIEmbedder

        return OpenAIEmbedder(
            base_url=settings.embed_base_url,
            api_key=settings.embed_api_key.get_secret_value() if settings.embed_api_key else None,
            model=settings.embed_model,
            dimensions=settings.embed_dimensions,
            batch_size=settings.embed_batch,
        )
    from rag.embeddings.local import MiniLMEmbedder

    return MiniLMEmbedder(threads=settings.embed_threads, batch_size=settings.embed_batch)
