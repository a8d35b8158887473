"""The one service API. The CLI, the UI and the eval runner are thin shells over `Rag`.

Heavy parts (embedder, index, LLM server) start lazily, so `rag sources` or
`rag config` never load a model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from rag.chunking import ChunkSpec
from rag.errors import QuestionError, RagError
from rag.prompts import Prompts
from rag.settings import Settings
from rag.types import AnswerResult, Hit


class Rag:
    """Everything a user can do with an index, given one settings object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prompts = Prompts(settings.prompts_dir)
        self._embedder = None
        self._index = None
        self._llm = None
        self._catalog = None
        self._init_lock = threading.Lock()
        self._llm_lock = threading.Lock()  # the embedded server answers one request at a time

    # lazy parts -----------------------------------------------------------
    @property
    def embedder(self):
        with self._init_lock:
            if self._embedder is None:
                from rag.embeddings import make_embedder

                self._embedder = make_embedder(self.settings)
            return self._embedder

    @property
    def index(self):
        embedder = self.embedder
        with self._init_lock:
            if self._index is None:
                from rag.store.index import Index

                self._index = Index(
                    self.settings.index_dir,
                    embedder,
                    collection=self.settings.collection,
                    chroma_url=self.settings.chroma_url,
                )
            return self._index

    @property
    def catalog(self):
        """Records and chunk texts only: listing sources needs no model and no Chroma."""
        with self._init_lock:
            if self._index is not None:
                return self._index.catalog
            if self._catalog is None:
                from rag.store.catalog import Catalog

                self._catalog = Catalog(self.settings.index_dir / "catalog.sqlite3")
            return self._catalog

    @property
    def llm(self):
        with self._init_lock:
            if self._llm is None:
                from rag.llm.client import make_llm

                self._llm = make_llm(self.settings)
            return self._llm

    @property
    def chunk_spec(self) -> ChunkSpec:
        try:
            return ChunkSpec(self.settings.chunk_tokens, self.settings.chunk_overlap)
        except ValueError as exc:
            raise RagError(f"RAG_CHUNK_OVERLAP: {exc}") from None

    def close(self) -> None:
        if self._llm is not None and hasattr(self._llm, "close"):
            self._llm.close()
        if self._index is not None:
            self._index.close()
        if self._catalog is not None:
            self._catalog.close()

    # documents ------------------------------------------------------------
    def ingest(
        self,
        paths: list[Path],
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        prune: bool = False,
        reindex: bool = False,
        progress=None,
        on_wait: Callable[[], None] | None = None,
    ):
        """Index files and folders incrementally; see rag.ingest for the guarantees."""
        from rag.ingest import ingest_paths

        index = self.index
        spec = self.chunk_spec
        with index.writing(on_wait=on_wait):
            reindexed = index.check_model(
                reindex, progress.chunks_embedded if progress is not None else None
            )
            report = ingest_paths(
                index,
                paths,
                include=list(include or self.settings.include),
                exclude=list(exclude if exclude is not None else self.settings.exclude),
                spec=spec,
                max_bytes=int(self.settings.max_file_mb * 2**20),
                prune=prune,
                progress=progress,
                window=self.settings.ingest_window,
            )
        report.reindexed = reindexed
        return report

    def sources(self):
        return self.catalog.sources()

    def resolve_source(self, source: str) -> str:
        """A path as typed (relative, absolute) or a unique part of one, to the stored key."""
        if not source.strip():  # "" is part of every path: it must not pick the only source
            raise RagError("the source name is empty; give an indexed path or a part of one")
        known = [r.source for r in self.sources()]
        exact = Path(source).expanduser().resolve().as_posix()
        if exact in known:
            return exact
        if source in known:
            return source
        matches = [s for s in known if source in s]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise RagError(f"no indexed source matches '{source}' (see `rag sources`)")
        raise RagError(f"'{source}' matches {len(matches)} sources; be more specific")

    def forget(self, source: str) -> tuple[str, int]:
        key = self.resolve_source(source)
        index = self.index
        with index.writing():
            return key, index.remove_source(key)

    # questions ------------------------------------------------------------
    def clean_question(self, question: str) -> str:
        """Reject what no pipeline can answer, with a message that says why."""
        text = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t")
        text = " ".join(text.split())
        if not text:
            raise QuestionError("the question is empty")
        if len(text) > self.settings.max_question_chars:
            raise QuestionError(
                f"the question is {len(text):,} characters; the limit is "
                f"{self.settings.max_question_chars:,} (RAG_MAX_QUESTION_CHARS)"
            )
        if not any(ch.isalnum() for ch in text):
            raise QuestionError("the question has no words in it")
        return text

    def retrieve(
        self, question: str, *, k: int | None = None, sources: list[str] | None = None
    ) -> list[Hit]:
        from rag.retrieve import hybrid_search

        return hybrid_search(
            self.index,
            self.embedder,
            self.clean_question(question),
            k=k or self.settings.top_k,
            fetch_k=self.settings.fetch_k,
            sources=[self.resolve_source(s) for s in sources] if sources else None,
        )

    def ask_stream(
        self,
        question: str,
        *,
        history: list[tuple[str, str]] | None = None,
        sources: list[str] | None = None,
        strict: bool | None = None,
    ) -> Iterator[str | AnswerResult]:
        """Text deltas as the model writes, then the checked AnswerResult last."""
        from rag.answer import answer_stream

        yield from answer_stream(
            self, question, history=history or [], sources=sources, strict=strict
        )

    def ask(self, question: str, **kwargs) -> AnswerResult:
        result = None
        for item in self.ask_stream(question, **kwargs):
            if isinstance(item, AnswerResult):
                result = item
        assert result is not None
        return result

    # summaries ------------------------------------------------------------
    def summarize(self, source: str, *, style: str = "brief", max_words: int | None = None):
        """A cited summary of one indexed source (cached by content, settings and prompt)."""
        from rag.summarize import summarize_one

        return summarize_one(self, self.resolve_source(source), style=style, max_words=max_words)

    def summarize_many(
        self,
        sources: list[str] | None,
        *,
        out_dir: Path,
        style: str = "brief",
        max_words: int | None = None,
        concurrency: int = 1,
        progress=None,
    ):
        """Summaries of many sources (all if None), written as Markdown plus summaries.jsonl."""
        from rag.summarize import summarize_batch

        keys = [self.resolve_source(s) for s in sources] if sources else None
        return summarize_batch(
            self,
            keys,
            out_dir=out_dir,
            style=style,
            max_words=max_words,
            concurrency=concurrency,
            progress=progress,
        )

    def digest(self, *, out_dir: Path, style: str = "brief", max_words: int | None = None):
        """One summary across all documents, built from their summaries."""
        from rag.summarize import digest

        return digest(self, out_dir=out_dir, style=style, max_words=max_words)
