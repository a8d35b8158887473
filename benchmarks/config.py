"""What one benchmark run measures and at what size; `--quick` shrinks everything."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
QUICK_MODEL = "smollm2-135m"


@dataclass
class Config:
    """Sizes and repetitions; the defaults are the full run."""

    quick: bool = False
    out: Path = Path("benchmarks")
    work: Path | None = None  # temporary folder if None (deleted unless keep)
    keep: bool = False
    seed: str = "rag-bench"
    # corpus
    docs: int = 2000
    corpus_bytes: int = 5_000_000
    squad_paragraphs: int | None = None  # all 411
    squad_questions: int | None = None  # all answerable dev questions
    slices: int = 4  # ingest, ceiling and baseline interleave over this many file slices
    # retrieval
    levels: tuple[int, ...] = (1_000, 10_000, 100_000)
    queries: int = 120
    bm25s_levels: tuple[int, ...] = (10_000, 100_000)
    bm25s_rebuilds: int = 2
    # answers and start-up
    answer_model: str = DEFAULT_MODEL
    llm_threads: int | None = None  # None: the settings default
    answer_runs: int = 3
    cold_asks: int = 3
    help_runs: int = 5
    summarize: bool = True
    stages: tuple[str, ...] = ("startup", "ingest", "retrieval", "answer", "memory")

    @classmethod
    def quick_mode(cls, **overrides: Any) -> Config:
        """A tiny corpus, no 100k level, SmolLM2 for answers: under two minutes."""
        base: dict[str, Any] = {
            "quick": True,
            "docs": 12,
            "corpus_bytes": 30_000,
            "squad_paragraphs": 12,
            "squad_questions": 20,
            "slices": 2,
            "levels": (1_000, 3_000),
            "queries": 30,
            "bm25s_levels": (3_000,),
            "bm25s_rebuilds": 1,
            "answer_model": QUICK_MODEL,
            "llm_threads": 1,  # a smoke run must not stall when other work shares the cores
            "answer_runs": 1,
            "cold_asks": 1,
            "help_runs": 3,
            "summarize": False,
        }
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)

    def llm_overrides(self) -> dict[str, Any]:
        """Settings overrides for answering (model, and threads if pinned)."""
        out: dict[str, Any] = {"llm_model": self.answer_model}
        if self.llm_threads is not None:
            out["llm_threads"] = self.llm_threads
        return out

    def llm_env(self) -> dict[str, str]:
        """The same overrides as RAG_* variables for child processes."""
        return {f"RAG_{k.upper()}": str(v) for k, v in self.llm_overrides().items()}

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, Path):
                out[key] = str(value)
            elif isinstance(value, tuple):
                out[key] = list(value)
        return out
