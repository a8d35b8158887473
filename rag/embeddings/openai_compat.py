"""Embeddings from any OpenAI-compatible `/v1/embeddings` endpoint via the `openai` package."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from rag.errors import ConfigError, LLMError


class OpenAIEmbedder(Embeddings):
    """Batched calls; the model id records URL-independent identity (model + dimensions)."""

    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        model: str,
        dimensions: int | None = None,
        batch_size: int = 64,
        timeout: float = 60.0,
    ) -> None:
        if not model:
            raise ConfigError("RAG_EMBED_MODEL: required for the openai embedding backend")
        import openai

        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "sk-no-key", timeout=timeout, max_retries=2
        )
        self.base_url = base_url or "https://api.openai.com/v1"
        self.model = model
        self.batch_size = batch_size
        self._dims = dimensions
        self.model_id = f"openai:{model}" + (f":{dimensions}" if dimensions else "")

    @property
    def dimensions(self) -> int:
        if self._dims is None:
            self._dims = len(self.embed_query("dimension probe"))
        return self._dims

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import openai

        vectors: list[list[float]] = []
        kwargs = {"dimensions": self._dims} if self._dims else {}
        for b in range(0, len(texts), self.batch_size):
            try:
                resp = self._client.embeddings.create(
                    model=self.model, input=texts[b : b + self.batch_size], **kwargs
                )
            except openai.OpenAIError as exc:
                raise LLMError(f"embedding server at {self.base_url} failed: {exc}") from exc
            vectors.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
