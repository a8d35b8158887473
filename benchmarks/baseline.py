"""The plain LangChain pipeline rag is compared with: split, embed, Chroma, similarity search.

RecursiveCharacterTextSplitter with the same chunk size and overlap (measured in
the same cl100k tokens), langchain_chroma.Chroma.from_documents with the SAME
embedding object, and `similarity_search` for retrieval: what a tutorial builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class Baseline:
    """A LangChain vector store filled file batch by file batch (Chroma.from_documents first)."""

    def __init__(self, persist_dir: Path, embedder: Any, chunk_tokens: int, overlap: int) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from rag import tokens

        self.embedder = embedder
        self.client = chromadb.PersistentClient(
            path=str(persist_dir), settings=ChromaSettings(anonymized_telemetry=False)
        )
        self.splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_tokens, chunk_overlap=overlap, length_function=tokens.count
        )
        self.store: Any = None
        self.chunks = 0
        self.max_batch = int(self.client.get_max_batch_size())

    def add_files(self, files: list[Path]) -> int:
        """Load, split, embed and store `files`; returns the number of chunks added."""
        from langchain_chroma import Chroma
        from langchain_core.documents import Document

        docs = [
            Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": str(p)})
            for p in files
        ]
        chunks = self.splitter.split_documents(docs)
        for b in range(0, len(chunks), self.max_batch):
            part = chunks[b : b + self.max_batch]
            if self.store is None:
                self.store = Chroma.from_documents(
                    part, embedding=self.embedder, client=self.client, collection_name="baseline"
                )
            else:
                self.store.add_documents(part)
        self.chunks += len(chunks)
        return len(chunks)

    def search_sources(self, question: str, k: int) -> list[str]:
        """Sources of the top-k chunks by plain similarity search."""
        return [d.metadata["source"] for d in self.store.similarity_search(question, k=k)]
