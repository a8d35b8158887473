"""Markdown report of an EvalRun: overall table, per-case table, summaries, notes."""

from __future__ import annotations

from typing import Any

from rag.evals.compare import Comparison, comparison_markdown
from rag.evals.results import CaseResult, EvalRun
from rag.evals.thresholds import MAX_METRICS, check, evaluate_thresholds

METRIC_LABELS = {
    "hit_at_k": "hit@k (expected source retrieved)",
    "mrr": "MRR of expected source",
    "fact_recall": "fact recall",
    "exact_pass": "all facts present",
    "citation_validity": "every [n] resolves",
    "citation_support": "facts in cited passages",
    "refusal_accuracy": "refuse iff unanswerable",
    "abstention_rate": "unanswerable refused",
    "false_refusal_rate": "answerable refused",
    "pass_rate": "cases passed",
    "summary_coverage": "summary fact coverage",
    "latency_p50": "ask latency p50 (s)",
    "latency_p95": "ask latency p95 (s)",
}


def cell(value: Any, limit: int = 160) -> str:
    """A table cell: pipes escaped, newlines flattened, long text shortened."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def _num(value: float | None, seconds: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if seconds else f"{value:.2f}"


def _yn(value: bool | None) -> str:
    return "–" if value is None else ("yes" if value else "no")


def _sources_cell(case: CaseResult, k: int) -> str:
    if not case.expected_sources:
        return "–"
    rank = f"rank {case.rank}" if case.rank else f"miss@{k}"
    cited = {True: ", cited", False: ", not cited", None: ""}[case.cited_expected_source]
    return rank + cited


def _overall(run: EvalRun, thresholds: dict[str, Any] | None) -> list[str]:
    verdicts = {r.name: r for r in evaluate_thresholds(run, thresholds)} if thresholds else {}
    lines = ["| metric | value | threshold | status |", "|---|---:|---|---|"]
    for name, value in run.metrics.items():
        seconds = name in MAX_METRICS
        label = METRIC_LABELS.get(name, name)
        limit = status = ""
        if name in verdicts:
            v = verdicts[name]
            limit = f"{'≤' if v.is_max else '≥'} {_num(v.limit, seconds)}"
            status = "FAIL" if v.message else "ok"
        lines.append(f"| {cell(label)} (`{name}`) | {_num(value, seconds)} | {limit} | {status} |")
    for name in verdicts.keys() - run.metrics.keys():
        lines.append(f"| `{cell(name)}` | – | | FAIL (unknown metric) |")
    return lines


def _per_case(run: EvalRun) -> list[str]:
    lines = [
        "| id | question | pass | facts missing | sources hit | refused | latency (s) | why |",
        "|---|---|---|---|---|---|---:|---|",
    ]
    for c in run.cases:
        missing = "; ".join(" / ".join(f) for f in c.facts_missing) or "–"
        expect = "" if c.answerable else " (should)"
        lines.append(
            "| "
            + " | ".join(
                [
                    cell(c.id, 40),
                    cell(c.question, 90),
                    "PASS" if c.passed else "FAIL",
                    cell(missing, 80),
                    _sources_cell(c, run.k),
                    _yn(c.refused) + expect,
                    _num(c.latency, seconds=True),
                    cell("; ".join(c.why) or "", 160),
                ]
            )
            + " |"
        )
    n = len(run.cases)
    passed = sum(c.passed for c in run.cases)
    answerable = [c for c in run.cases if c.answerable]
    total_facts = sum(c.facts_total for c in answerable)
    missing_facts = sum(len(c.facts_missing) for c in answerable)
    hits = [c for c in answerable if c.hit is not None]
    refused = sum(c.refused for c in run.cases)
    lines.append(
        f"| **all** | {n} cases ({len(answerable)} answerable) | **{passed}/{n}** "
        f"| {missing_facts}/{total_facts} facts missing "
        f"| {sum(bool(c.hit) for c in hits)}/{len(hits)} hit@{run.k} "
        f"| {refused} refused | p50 {_num(run.metrics.get('latency_p50'), True)} "
        f"| {run.counts.get('errors', 0)} errors |"
    )
    return lines


def _summaries(run: EvalRun) -> list[str]:
    lines = [
        "| source | coverage | facts missing | [n] valid | latency (s) | error |",
        "|---|---:|---|---|---:|---|",
    ]
    for s in run.summaries:
        missing = "; ".join(" / ".join(f) for f in s.facts_missing) or "–"
        lines.append(
            f"| {cell(s.source, 60)} | {_num(s.coverage)} | {cell(missing, 100)} "
            f"| {_yn(s.citations_valid)} | {_num(s.latency, True)} | {cell(s.error or '')} |"
        )
    return lines


def _failed_answers(run: EvalRun) -> list[str]:
    lines: list[str] = []
    for c in run.failed:
        answer = c.answer.strip() or (f"(no answer: {c.error})" if c.error else "(empty)")
        quoted = "\n".join(f"> {line}" for line in answer.splitlines())
        cited = ", ".join(f"[{x['n']}] {x['source']}" for x in c.citations) or "none"
        lines += [f"**{c.id}**: {c.question}", "", quoted, "", f"Cited: {cited}", ""]
    return lines


def render_report(
    run: EvalRun,
    thresholds: dict[str, Any] | None = None,
    comparison: Comparison | None = None,
) -> str:
    """The whole report; with `thresholds` the overall table shows limits and FAIL rows,
    with `comparison` a section on what changed since the baseline run."""
    failures = check(run, thresholds) if thresholds else []
    passed = run.counts.get("passed", sum(c.passed for c in run.cases))
    out = [
        "# rag eval report",
        "",
        f"- started: {run.started or '–'} ({run.seconds:.0f} s)",
        f"- fact files: {', '.join(f'`{f}`' for f in run.files) or '–'}",
        f"- cases: {len(run.cases)}, passed {passed}, retrieval depth k = {run.k}",
    ]
    if thresholds is not None:
        out.append(
            "- thresholds: " + ("all met" if not failures else "**FAILED**: " + "; ".join(failures))
        )
    out += ["", "## Overall", "", *_overall(run, thresholds)]
    if comparison is not None:
        out += ["", "## Compared with the baseline", "", *comparison_markdown(comparison)]
    out += ["", "## Cases", "", *_per_case(run)]
    if run.failed:
        out += ["", "## Failed answers", "", *_failed_answers(run)]
    if run.summaries:
        out += ["", "## Summaries", "", *_summaries(run)]
    if run.notes:
        out += ["", "## Notes", "", *(f"- {n}" for n in run.notes)]
    return "\n".join(out) + "\n"
