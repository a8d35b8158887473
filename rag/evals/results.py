"""The records an eval run produces; plain dataclasses so a run round-trips through JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class CaseResult:
    """Everything measured for one case; `why` lists the reasons it failed."""

    id: str
    question: str
    answerable: bool
    file: str = ""
    answer: str = ""
    refused: bool = False
    passed: bool = False
    why: list[str] = field(default_factory=list)
    facts_total: int = 0
    facts_missing: list[list[str]] = field(default_factory=list)
    fact_recall: float | None = None  # None: no facts expected
    exact_pass: bool | None = None
    expected_sources: list[str] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)  # distinct sources, ranked
    rank: int | None = None  # of the first expected source in `retrieved`
    hit: bool | None = None  # None: no expected sources
    reciprocal_rank: float | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    citations_valid: bool | None = None  # None: refused or no answer
    unresolved_markers: list[int] = field(default_factory=list)
    citation_support: float | None = None
    cited_expected_source: bool | None = None
    refusal_correct: bool = False
    supported_share: float | None = None
    latency: float | None = None  # seconds for ask(): timings['total'] or wall clock
    retrieve_latency: float | None = None
    error: str | None = None


@dataclass
class SummaryCheck:
    """One `summaries:` entry scored against rag.summarize(source)."""

    id: str
    source: str  # as written in the fact file (usually an id, a substring of the path)
    file: str = ""
    path: str = ""  # what summarize() was called with
    facts_total: int = 0
    facts_missing: list[list[str]] = field(default_factory=list)
    coverage: float | None = None
    citations_valid: bool | None = None
    text: str = ""
    latency: float | None = None
    error: str | None = None


@dataclass
class EvalRun:
    """A whole run: per-case results, aggregate metrics, and notes on what was skipped."""

    k: int
    files: list[str]
    cases: list[CaseResult] = field(default_factory=list)
    summaries: list[SummaryCheck] = field(default_factory=list)
    metrics: dict[str, float | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.passed]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (floats rounded); `from_json` reads it back for reports."""
        return _rounded(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvalRun:
        data = dict(data)
        cases = [_build(CaseResult, c) for c in data.pop("cases", [])]
        summaries = [_build(SummaryCheck, s) for s in data.pop("summaries", [])]
        return _build(cls, {**data, "cases": cases, "summaries": summaries})


def _build(cls: Any, data: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value
