"""Comparing a run with a baseline: metric deltas, flipped cases, report section, CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rag_testing import rag_cli

from rag.errors import RagError
from rag.evals.compare import MetricDelta, compare, comparison_lines, comparison_markdown, load_run
from rag.evals.report import render_report
from rag.evals.results import CaseResult, EvalRun


def run(passes: dict[str, bool], **metrics: float | None) -> EvalRun:
    cases = [
        CaseResult(id=i, question=f"q {i}?", answerable=True, passed=p) for i, p in passes.items()
    ]
    return EvalRun(k=6, files=["f.yaml"], cases=cases, metrics=dict(metrics))


def test_flips_and_deltas() -> None:
    old = run({"a": True, "b": False, "c": True, "gone": True}, fact_recall=0.8, latency_p50=20.0,
              false_refusal_rate=0.1)  # fmt: skip
    flips = {"a": True, "b": True, "c": False, "extra": False}
    new = run(flips, fact_recall=0.75, latency_p50=10.0, pass_rate=0.5, false_refusal_rate=0.2)
    c = compare(old, new, "old.json")
    assert c.broken == ["c"] and c.fixed == ["b"]
    assert c.new_cases == ["extra"] and c.dropped_cases == ["gone"]
    by = {m.name: m for m in c.metrics}
    assert by["fact_recall"].delta == pytest.approx(-0.05) and by["fact_recall"].worse
    assert by["latency_p50"].delta == -10.0 and not by["latency_p50"].worse  # faster is better
    assert by["false_refusal_rate"].worse  # more false refusals is worse
    assert not MetricDelta("exact_pass", 0.8182, 0.81818).worse  # rounding, not a change
    assert not MetricDelta("latency_p50", 9.0, 9.5).worse  # within 10 %: load, not code
    assert MetricDelta("latency_p50", 9.0, 10.5).worse
    assert by["pass_rate"].old is None and by["pass_rate"].delta is None
    assert not by["pass_rate"].worse

    lines = comparison_lines(c)
    assert lines[0] == "compared with old.json:"
    assert any(line.strip().startswith("fact_recall") and line.endswith("worse") for line in lines)
    assert "  broken (1): c" in lines and "  fixed (1): b" in lines

    md = "\n".join(comparison_markdown(c))
    assert "| `fact_recall` | 0.800 | 0.750 | -0.050 (worse) |" in md
    assert "- Broken (passed in the baseline, fail now): `c`" in md


def test_report_section_only_with_a_baseline() -> None:
    old, new = run({"a": True}, pass_rate=1.0), run({"a": False}, pass_rate=0.0)
    assert "Compared with the baseline" not in render_report(new)
    report = render_report(new, None, compare(old, new, "base.json"))
    assert report.index("## Overall") < report.index("## Compared with the baseline")
    assert report.index("## Compared with the baseline") < report.index("## Cases")
    assert "`a`" in report.split("## Compared with the baseline")[1]


def test_load_run_round_trip_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "run.json"
    original = run({"a": True, "b": False}, fact_recall=0.5)
    good.write_text(json.dumps(original.to_json()))
    assert [c.id for c in load_run(good).cases] == ["a", "b"]
    assert load_run(good).metrics == {"fact_recall": 0.5}

    (tmp_path / "not.json").write_text("{oops")
    (tmp_path / "other.json").write_text(json.dumps({"questions": 3}))
    with pytest.raises(RagError, match="not JSON"):
        load_run(tmp_path / "not.json")
    with pytest.raises(RagError, match="no cases list"):
        load_run(tmp_path / "other.json")
    with pytest.raises(RagError, match="cannot read baseline"):
        load_run(tmp_path / "missing.json")


def test_cli_refuses_a_bad_baseline_before_running(tmp_path: Path) -> None:
    facts = tmp_path / "f.yaml"
    facts.write_text("cases:\n  - id: x\n    question: Who?\n    facts: [[a]]\n")
    (tmp_path / "bad.json").write_text("[]")
    out = rag_cli(["eval", str(facts), "--compare", str(tmp_path / "bad.json")], tmp_path / "home")
    assert out.returncode == 2, out.stderr
    assert "bad.json is not a `rag eval --json` result" in out.stderr
    assert not (tmp_path / "home" / "evals").exists()  # nothing indexed, no model started
