"""Typed records flowing between stages: load -> chunk -> embed -> store -> retrieve -> answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """A loaded file: normalised text plus where it came from.

    `pages` maps character offsets to page numbers: [(start_offset, page_no), ...]
    sorted by offset; empty for formats without pages.
    """

    source: str  # absolute posix path of the file; the key of everything indexed from it
    title: str
    text: str
    sha256: str  # of the file's bytes: unchanged bytes skip all work
    format: str  # txt | md | html | pdf | docx
    pages: tuple[tuple[int, int], ...] = ()
    warnings: tuple[str, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """Page number holding character `offset`, or None for unpaged formats."""
        page = None
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page


@dataclass(frozen=True)
class Chunk:
    """A token-bounded span of a document; text == document.text[start:end] always."""

    id: str
    source: str
    title: str
    ordinal: int
    start: int
    end: int
    text: str
    tokens: int
    page: int | None = None

    def metadata(self) -> dict[str, Any]:
        """Flat metadata for stores that take only scalars (Chroma)."""
        meta = {k: v for k, v in asdict(self).items() if k not in ("id", "text")}
        if meta["page"] is None:
            meta["page"] = -1
        return meta

    @classmethod
    def from_metadata(cls, id: str, text: str, meta: dict[str, Any]) -> Chunk:
        page = meta.get("page")
        return cls(
            id=id,
            text=text,
            source=str(meta["source"]),
            title=str(meta.get("title", "")),
            ordinal=int(meta["ordinal"]),
            start=int(meta["start"]),
            end=int(meta["end"]),
            tokens=int(meta["tokens"]),
            page=None if page in (None, -1) else int(page),
        )


@dataclass
class Hit:
    """A retrieved chunk with the scores later stages threshold on.

    dense: cosine similarity of question and chunk; lexical: share of the
    question's terms the chunk holds (names and numbers weigh more);
    relevance: their mean in [0, 1], the value the refusal threshold is
    calibrated on. rrf: the fused rank score that orders hits.
    """

    chunk: Chunk
    rrf: float = 0.0
    relevance: float = 0.0
    dense: float = 0.0
    lexical: float = 0.0
    dense_rank: int | None = None
    bm25_rank: int | None = None
    bm25: float = 0.0


@dataclass
class Citation:
    """One cited passage, numbered by first use in the answer."""

    n: int
    source: str
    title: str
    page: int | None
    start: int
    end: int
    text: str
    support: float  # best support score of the sentences citing it
    chunk_id: str = ""
    highlights: list[tuple[int, int]] = field(default_factory=list)  # spans within text

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "support": round(self.support, 4),
            "highlights": [list(h) for h in self.highlights],
        }


@dataclass
class AnswerResult:
    """What `rag ask --json` prints and the UI renders."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    unsupported_sentences: list[str] = field(default_factory=list)
    supported_share: float = 1.0
    left_out: int = 0  # retrieved passages dropped by the context budget
    standalone_question: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "unsupported_sentences": self.unsupported_sentences,
            "supported_share": round(self.supported_share, 4),
            "left_out": self.left_out,
            "standalone_question": self.standalone_question,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }
