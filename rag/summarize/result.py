"""The records a summary run returns, and their JSON form (the cache stores exactly this)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rag.types import Citation


@dataclass
class SummaryResult:
    """A checked summary of one document (or, for the digest, of the whole collection).

    `text` is Markdown with inline [n] markers numbered by first use; `citations[k]`
    is marker k+1. Unsupported sentences stay in the text, marked, and are listed.
    """

    source: str
    title: str
    text: str
    citations: list[Citation]
    unsupported_sentences: list[str]
    supported_share: float
    words: int
    model: str
    prompt_hash: str
    source_sha256: str
    settings: dict[str, Any]
    timings: dict[str, float]
    cached: bool = False
    calls: int = 0  # LLM calls made for this result in this run (0 when cached)
    tokens: int = 0  # cl100k tokens sent and received in this run
    plan: dict[str, Any] = field(default_factory=dict)  # mode, parts, levels
    key: str = ""  # cache key

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["supported_share"] = round(self.supported_share, 4)
        data["timings"] = {k: round(v, 4) for k, v in self.timings.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SummaryResult:
        data = dict(data)
        data["citations"] = [_citation(c) for c in data["citations"]]
        return cls(**data)


def _citation(data: dict[str, Any]) -> Citation:
    data = dict(data)
    data["highlights"] = [tuple(h) for h in data.get("highlights", [])]
    return Citation(**data)


@dataclass
class BatchReport:
    """What a batch did: summaries written, documents that failed (name, reason), totals."""

    out_dir: Path
    done: list[SummaryResult] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    files: dict[str, Path] = field(default_factory=dict)  # source -> Markdown file
    jsonl: Path | None = None
    seconds: float = 0.0

    @property
    def cached(self) -> int:
        return sum(1 for r in self.done if r.cached)

    @property
    def calls(self) -> int:
        return sum(r.calls for r in self.done)

    @property
    def tokens(self) -> int:
        return sum(r.tokens for r in self.done)

    def to_json(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "done": [
                {"source": r.source, "file": str(self.files.get(r.source, "")), "cached": r.cached}
                for r in self.done
            ],
            "failed": [{"source": s, "reason": why} for s, why in self.failed],
            "jsonl": str(self.jsonl) if self.jsonl else None,
            "calls": self.calls,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 3),
        }
