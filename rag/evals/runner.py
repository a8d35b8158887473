"""Run fact-file cases through a Rag, score each one, and aggregate the metrics.

The runner calls the same public methods the CLI does (`retrieve`, `ask`, and
`summarize` when the service has it), so an eval measures exactly what users get.
`check` and `load_thresholds` are re-exported here for the CLI.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from rag.errors import RagError
from rag.evals import metrics as m
from rag.evals.facts import Case, SummaryCase, load_fact_files
from rag.evals.results import CaseResult, EvalRun, SummaryCheck
from rag.evals.thresholds import check, evaluate_thresholds, load_thresholds
from rag.types import AnswerResult, Hit

__all__ = [
    "CaseResult",
    "EvalAborted",
    "EvalRun",
    "EvalTarget",
    "SummaryCheck",
    "aggregate",
    "check",
    "evaluate_thresholds",
    "load_thresholds",
    "resolve_source",
    "run_eval",
    "score_case",
    "score_summary",
]


class EvalTarget(Protocol):
    """The part of `rag.service.Rag` the runner uses (summarize is optional)."""

    def retrieve(
        self, question: str, *, k: int | None = None, sources: list[str] | None = None
    ) -> list[Hit]: ...

    def ask(self, question: str, *, history: Any = None, sources: Any = None) -> AnswerResult: ...


class EvalAborted(RagError):
    """Several cases in a row failed with an exception: the pipeline itself is down."""


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------- scoring one case


def score_case(
    case: Case,
    result: AnswerResult | None,
    retrieved_sources: Sequence[str],
    *,
    k: int,
    latency: float | None = None,
    retrieve_latency: float | None = None,
    error: str | None = None,
) -> CaseResult:
    """Score one case from what retrieve() and ask() returned (pure: no Rag needed)."""
    ranked = m.dedupe(retrieved_sources)
    out = CaseResult(
        id=case.id,
        question=case.question,
        answerable=case.answerable,
        file=case.file,
        facts_total=len(case.facts),
        expected_sources=list(case.sources),
        retrieved=ranked,
        latency=latency,
        retrieve_latency=retrieve_latency,
        error=error,
    )
    if case.sources:
        out.rank = m.first_rank(case.sources, ranked)
        out.hit = m.hit_at_k(case.sources, ranked, k)
        out.reciprocal_rank = m.reciprocal_rank(case.sources, ranked)

    if result is None:
        out.facts_missing = [list(f) for f in case.facts]
        if case.facts:
            out.fact_recall, out.exact_pass, out.citation_support = 0.0, False, 0.0
        out.why.append(f"error: {error}" if error else "no answer")
        return out

    text = result.answer or ""
    out.answer = text
    out.refused = m.is_refusal(result)
    out.supported_share = result.supported_share
    out.citations = [
        {"n": c.n, "source": c.source, "page": c.page, "support": round(c.support, 4)}
        for c in result.citations
    ]
    if out.latency is None and "total" in result.timings:
        out.latency = result.timings["total"]
    out.refusal_correct = out.refused != case.answerable

    if case.facts:
        missing = m.missing_facts(case.facts, text)
        out.facts_missing = [list(f) for f in missing]
        out.fact_recall = 1.0 - len(missing) / len(case.facts)
        out.exact_pass = not missing
        out.citation_support = m.citation_support(case.facts, [c.text for c in result.citations])
    if not out.refused:
        out.unresolved_markers = m.unresolved_markers(text, [c.n for c in result.citations])
        out.citations_valid = not out.unresolved_markers
    if case.sources:
        out.cited_expected_source = m.cited_expected_source(
            case.sources, [c.source for c in result.citations]
        )

    out.why = _failure_reasons(case, out)
    out.passed = not out.why
    return out


def _failure_reasons(case: Case, out: CaseResult) -> list[str]:
    why: list[str] = []
    if not case.answerable:
        if not out.refused:
            why.append("answered instead of refusing")
        elif out.citations:
            why.append(f"refused but cited {len(out.citations)} passage(s)")
        return why
    if out.refused:
        why.append("refused")
    if out.facts_missing:
        why.append("missing " + "; ".join(" | ".join(f) for f in out.facts_missing))
    if out.unresolved_markers:
        why.append(f"unresolved markers {out.unresolved_markers}")
    if case.sources and not out.refused and not out.cited_expected_source:
        if out.citations:
            why.append("no cited passage from " + ", ".join(case.sources))
        else:
            why.append("cites nothing")
    return why


# ---------------------------------------------------------------- running


def _run_case(rag: EvalTarget, case: Case, k: int) -> CaseResult:
    sources: list[str] = []
    retrieve_latency = None
    retrieve_error = None
    try:
        t0 = time.perf_counter()
        hits = rag.retrieve(case.question, k=k)
        retrieve_latency = time.perf_counter() - t0
        sources = [h.chunk.source for h in hits]
    except Exception as exc:  # recorded per case: one failure must not lose the run
        retrieve_error = _error_text(exc)

    try:
        t0 = time.perf_counter()
        result = rag.ask(case.question)
        wall = time.perf_counter() - t0
    except Exception as exc:
        return score_case(
            case, None, sources, k=k, retrieve_latency=retrieve_latency, error=_error_text(exc)
        )
    latency = result.timings.get("total", wall) if result.timings else wall
    scored = score_case(
        case, result, sources, k=k, latency=latency, retrieve_latency=retrieve_latency
    )
    if retrieve_error:
        scored.error = f"retrieve: {retrieve_error}"
        scored.why.append(f"retrieve failed: {retrieve_error}")
        scored.passed = False
    return scored


def score_summary(entry: SummaryCase, text: str, citation_numbers: Sequence[int]) -> SummaryCheck:
    """Coverage = share of the entry's facts found in the summary text."""
    missing = m.missing_facts(entry.facts, text)
    return SummaryCheck(
        id=entry.id,
        source=entry.source,
        file=entry.file,
        facts_total=len(entry.facts),
        facts_missing=[list(f) for f in missing],
        coverage=1.0 - len(missing) / len(entry.facts),
        citations_valid=m.citations_valid(text, citation_numbers),
        text=text,
    )


def resolve_source(source: str, known_paths: Sequence[str]) -> str:
    """The one indexed path containing a fact file's source id, else the id unchanged.

    Fact files name sources by id ("000_fa9b..."), while summarize() takes the indexed
    path; the paths retrieval returned during the run are the ones we know exist.
    """
    matches = sorted({p for p in known_paths if source.casefold() in p.casefold()})
    return matches[0] if len(matches) == 1 else source


def _run_summaries(
    rag: Any, entries: list[SummaryCase], known_paths: Sequence[str], notes: list[str]
) -> list[SummaryCheck]:
    if not entries:
        return []
    summarize = getattr(rag, "summarize", None)
    if not callable(summarize):
        notes.append(f"{len(entries)} summary check(s) skipped: this Rag has no summarize()")
        return []
    checks: list[SummaryCheck] = []
    for entry in entries:
        path = resolve_source(entry.source, known_paths)
        t0 = time.perf_counter()
        try:
            result = summarize(path)
        except NotImplementedError:
            notes.append(f"{len(entries)} summary check(s) skipped: summarize() not implemented")
            return []
        except Exception as exc:
            missing = [list(f) for f in entry.facts]
            checks.append(
                SummaryCheck(
                    id=entry.id,
                    source=entry.source,
                    file=entry.file,
                    path=path,
                    facts_total=len(entry.facts),
                    facts_missing=missing,
                    coverage=0.0,
                    error=_error_text(exc),
                )
            )
            continue
        text = result if isinstance(result, str) else str(getattr(result, "text", "") or "")
        numbers = [c.n for c in getattr(result, "citations", []) or []]
        check = score_summary(entry, text, numbers)
        check.path = path
        timings = getattr(result, "timings", None) or {}
        check.latency = timings.get("total", time.perf_counter() - t0)
        checks.append(check)
    return checks


def aggregate(cases: Sequence[CaseResult], summaries: Sequence[SummaryCheck]) -> dict[str, Any]:
    """Overall metrics; a metric with no eligible case is None (unmeasured, not zero)."""
    answerable = [c for c in cases if c.answerable]
    with_facts = [c for c in answerable if c.facts_total]
    with_sources = [c for c in answerable if c.hit is not None]
    answered = [c for c in cases if c.citations_valid is not None]
    unanswerable = [c for c in cases if not c.answerable]
    return {
        "hit_at_k": m.mean(bool(c.hit) for c in with_sources),
        "mrr": m.mean(c.reciprocal_rank or 0.0 for c in with_sources),
        "fact_recall": m.mean(c.fact_recall or 0.0 for c in with_facts),
        "exact_pass": m.mean(bool(c.exact_pass) for c in with_facts),
        "citation_validity": m.mean(bool(c.citations_valid) for c in answered),
        "citation_support": m.mean(c.citation_support or 0.0 for c in with_facts),
        "refusal_accuracy": m.mean(c.refusal_correct for c in cases),
        "abstention_rate": m.mean(c.refused for c in unanswerable),
        "false_refusal_rate": m.mean(c.refused for c in answerable),
        "pass_rate": m.mean(c.passed for c in cases),
        "summary_coverage": m.mean(s.coverage or 0.0 for s in summaries),
        "latency_p50": m.percentile((c.latency for c in cases if c.latency is not None), 50),
        "latency_p95": m.percentile((c.latency for c in cases if c.latency is not None), 95),
    }


def run_eval(
    rag: EvalTarget,
    fact_files: list[Path],
    *,
    k: int,
    progress: Callable[[int, int, CaseResult], None] | None = None,
    max_consecutive_errors: int = 3,
) -> EvalRun:
    """Score every case of `fact_files` (files or directories of *.yaml) against `rag`.

    k is the retrieval depth for hit@k/MRR (the CLI passes settings.top_k). A case
    that raises is recorded as failed; `max_consecutive_errors` in a row abort with
    EvalAborted, since then the LLM or index is down and the rest would fail too.
    """
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    files = load_fact_files(fact_files)
    cases = [c for f in files for c in f.cases]
    ids = [c.id for c in cases]
    run = EvalRun(k=k, files=[str(f.path) for f in files], started=started)
    if len(set(ids)) != len(ids):
        run.notes.append("some case ids repeat across files; the `file` field tells them apart")

    streak = 0
    for i, case in enumerate(cases, 1):
        result = _run_case(rag, case, k)
        run.cases.append(result)
        streak = streak + 1 if result.error and result.answer == "" else 0
        if progress is not None:
            progress(i, len(cases), result)
        if max_consecutive_errors and streak >= max_consecutive_errors:
            raise EvalAborted(
                f"eval aborted after {streak} failing cases in a row; last: {result.error}"
            )

    entries = [s for f in files for s in f.summaries]
    known = [p for c in run.cases for p in (*c.retrieved, *(x["source"] for x in c.citations))]
    run.summaries = _run_summaries(rag, entries, known, run.notes)
    run.metrics = aggregate(run.cases, run.summaries)
    run.counts = {
        "cases": len(run.cases),
        "answerable": sum(c.answerable for c in run.cases),
        "unanswerable": sum(not c.answerable for c in run.cases),
        "passed": sum(c.passed for c in run.cases),
        "errors": sum(c.error is not None for c in run.cases),
        "summaries": len(run.summaries),
    }
    run.seconds = time.perf_counter() - t0
    return run
