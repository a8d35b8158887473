"""Markdown report rendered from a hand-built EvalRun."""

from __future__ import annotations

from rag.evals.report import cell, render_report
from rag.evals.runner import CaseResult, EvalRun, SummaryCheck


def hand_built_run() -> EvalRun:
    good = CaseResult(
        id="sign-place",
        question="Where and when was the memorandum signed?",
        answerable=True,
        answer="In Istanbul on July 22, 2025 [1].",
        passed=True,
        facts_total=2,
        fact_recall=1.0,
        exact_pass=True,
        expected_sources=["000_fa9b"],
        retrieved=["/d/000_fa9b.txt"],
        rank=1,
        hit=True,
        reciprocal_rank=1.0,
        citations_valid=True,
        cited_expected_source=True,
        refusal_correct=True,
        latency=2.04,
    )
    bad = CaseResult(
        id="signatory",
        question="Who signed | for Azerbaijan?\nAnd Türkiye?",
        answerable=True,
        answer="Hasanov [1][2].",
        why=["missing Güler", "unresolved markers [2]"],
        facts_total=2,
        facts_missing=[["Güler", "Guler"]],
        fact_recall=0.5,
        exact_pass=False,
        expected_sources=["000_fa9b"],
        retrieved=["/d/other.txt"],
        rank=None,
        hit=False,
        reciprocal_rank=0.0,
        citations_valid=False,
        cited_expected_source=False,
        latency=4.5,
    )
    refusal = CaseResult(
        id="no-budget",
        question="How much was budgeted?",
        answerable=False,
        refused=True,
        passed=True,
        refusal_correct=True,
        latency=1.0,
    )
    return EvalRun(
        k=6,
        files=["evals/facts/seed.yaml"],
        cases=[good, bad, refusal],
        summaries=[
            SummaryCheck(
                id="summary:000_fa9b",
                source="000_fa9b",
                facts_total=2,
                facts_missing=[["Istanbul"]],
                coverage=0.5,
                citations_valid=True,
                latency=7.0,
            )
        ],
        metrics={
            "hit_at_k": 0.5,
            "mrr": 0.5,
            "fact_recall": 0.75,
            "summary_coverage": 0.5,
            "latency_p50": 2.04,
            "latency_p95": 4.25,
        },
        counts={"cases": 3, "passed": 2, "errors": 0},
        notes=["a note"],
        started="2025-12-25T10:00:00+00:00",
        seconds=12.0,
    )


def test_report_sections_and_rows() -> None:
    md = render_report(hand_built_run())
    assert md.startswith("# rag eval report\n")
    for heading in ("## Overall", "## Cases", "## Summaries", "## Notes"):
        assert heading in md
    assert "| fact recall (`fact_recall`) | 0.75 |  |  |" in md
    assert "| ask latency p95 (s) (`latency_p95`) | 4.2 |" in md
    lines = md.splitlines()
    row = next(line for line in lines if line.startswith("| signatory |"))
    assert "Who signed \\| for Azerbaijan? And Türkiye?" in row  # pipe escaped, newline folded
    assert "| FAIL |" in row and "Güler / Guler" in row and "miss@6, not cited" in row
    assert "missing Güler; unresolved markers [2]" in row
    assert next(line for line in lines if line.startswith("| sign-place |")).count("PASS") == 1
    refusal = next(line for line in lines if line.startswith("| no-budget |"))
    assert "yes (should)" in refusal
    assert "| **all** | 3 cases (2 answerable) | **2/3** | 1/4 facts missing | 1/2 hit@6 |" in md
    assert "| 000_fa9b | 0.50 | Istanbul | yes | 7.0 |  |" in md
    assert "- a note" in md
    assert "thresholds" not in md.split("## Overall")[0]


def test_report_with_thresholds_marks_failures() -> None:
    thresholds = {"thresholds": {"fact_recall": 0.8, "hit_at_k": 0.5}, "max": {"latency_p95": 5}}
    md = render_report(hand_built_run(), thresholds)
    assert "- thresholds: **FAILED**: fact_recall 0.75 < 0.80" in md
    assert "| fact recall (`fact_recall`) | 0.75 | ≥ 0.80 | FAIL |" in md
    assert "| hit@k (expected source retrieved) (`hit_at_k`) | 0.50 | ≥ 0.50 | ok |" in md
    assert "(`latency_p95`) | 4.2 | ≤ 5.0 | ok |" in md
    md_ok = render_report(hand_built_run(), {"fact_recall": 0.5})
    assert "- thresholds: all met" in md_ok


def test_unknown_threshold_metric_is_listed() -> None:
    md = render_report(hand_built_run(), {"thresholds": {"made_up": 1.0}})
    assert "| `made_up` | – | | FAIL (unknown metric) |" in md


def test_cell_escapes_and_truncates() -> None:
    assert cell("a|b\nc") == "a\\|b c"
    assert cell("x" * 300, 10) == "x" * 9 + "…"


def test_failed_answers_are_quoted() -> None:
    md = render_report(hand_built_run())
    section = md.split("## Failed answers")[1].split("## Summaries")[0]
    assert "**signatory**" in section and "> Hasanov [1][2]." in section
    assert "sign-place" not in section
