"""The runner's scoring and aggregation, driven by a FAKE Rag returning canned answers.

FakeRag is not the pipeline: it only checks that run_eval calls retrieve/ask/summarize,
scores each case and aggregates correctly. End-to-end runs use the real service.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rag.errors import ConfigError
from rag.evals.runner import (
    EvalAborted,
    EvalRun,
    aggregate,
    check,
    load_thresholds,
    resolve_source,
    run_eval,
)
from rag.types import AnswerResult, Chunk, Citation, Hit

DOC = "/docs/000_fa9b40200313cc7b.txt"
OTHER = "/docs/other.txt"
ARTICLE = "The MoU was signed in Istanbul on July 22, 2025, by Zakir Hasanov and Yaşar Güler."

FACTS = r"""
cases:
  - id: sign-place
    question: Where and when was the memorandum signed?
    facts: [[Istanbul], ["July 22, 2025", '/22\s+July/']]
    sources: ["000_fa9b40200313cc7b"]
  - id: signatory
    question: Who signed for Azerbaijan?
    facts: [[Hasanov], [Güler]]
    sources: ["000_fa9b40200313cc7b"]
  - id: no-budget
    question: How much was budgeted for the exercises?
    answerable: false
  - id: no-troops
    question: How many troops?
    answerable: false
summaries:
  - source: "000_fa9b40200313cc7b"
    facts: [[Istanbul], [Turkey, Türkiye]]
"""


def hit(source: str, rank: int) -> Hit:
    chunk = Chunk(
        id=f"{source}#{rank}",
        source=source,
        title="t",
        ordinal=rank,
        start=0,
        end=len(ARTICLE),
        text=ARTICLE,
        tokens=20,
    )
    return Hit(chunk=chunk, rrf=1 / (60 + rank), relevance=0.8)


def cite(n: int, source: str = DOC, text: str = ARTICLE) -> Citation:
    return Citation(n=n, source=source, title="t", page=None, start=0, end=10, text=text, support=1)


class FakeSummary:
    def __init__(self, text: str) -> None:
        self.text = text
        self.citations = [cite(1)]
        self.source = DOC


class FakeRag:
    """A FAKE Rag: canned hits and answers per question, and a call log."""

    def __init__(self, answers: dict[str, AnswerResult], hits: dict[str, list[Hit]]) -> None:
        self.answers = answers
        self.hits = hits
        self.calls: list[tuple[str, Any]] = []

    def retrieve(self, question: str, *, k: int | None = None, sources: Any = None) -> list[Hit]:
        self.calls.append(("retrieve", k))
        return self.hits.get(question, [])[: k or 6]

    def ask(self, question: str, *, history: Any = None, sources: Any = None) -> AnswerResult:
        self.calls.append(("ask", question))
        answer = self.answers[question]
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeRagWithSummaries(FakeRag):
    def summarize(self, source: str, *, style: str = "brief", max_words: Any = None) -> Any:
        self.calls.append(("summarize", source))
        return FakeSummary("Azerbaijan ratified a memorandum with Türkiye signed in Ankara [1].")


def answer(
    question: str, text: str, citations: list[Citation], *, refused: bool = False, total: float = 1
) -> AnswerResult:
    timings = {"retrieve": 0.1, "total": total}
    return AnswerResult(question, text, refused, citations=citations, timings=timings)


Q1 = "Where and when was the memorandum signed?"
Q2 = "Who signed for Azerbaijan?"
Q3 = "How much was budgeted for the exercises?"
Q4 = "How many troops?"


def canned() -> tuple[dict[str, AnswerResult], dict[str, list[Hit]]]:
    answers = {
        # perfect: facts, valid markers, cited from the expected source
        Q1: answer(Q1, "It was signed in Istanbul [1] on 22 July 2025 [1].", [cite(1)], total=2.0),
        # one fact missing, a marker [2] with no citation entry, cited the wrong file
        Q2: answer(Q2, "Zakir Hasanov signed it [1][2].", [cite(1, OTHER, "no facts")], total=4.0),
        # correct refusal
        Q3: answer(Q3, "I couldn't find this in your documents.", [], refused=True, total=1.0),
        # answered although unanswerable (and refused=False)
        Q4: answer(Q4, "About 5,000 troops [1].", [cite(1)], total=3.0),
    }
    hits = {
        Q1: [hit(DOC, 1), hit(DOC, 2), hit(OTHER, 3)],
        Q2: [hit(OTHER, 1), hit(OTHER, 2), hit(DOC, 3)],  # expected file ranks 2nd distinct
        Q3: [hit(OTHER, 1)],
        Q4: [hit(DOC, 1)],
    }
    return answers, hits


@pytest.fixture
def facts_file(tmp_path: Path) -> Path:
    path = tmp_path / "facts.yaml"
    path.write_text(FACTS, encoding="utf-8")
    return path


def test_cases_scored_and_aggregated(facts_file: Path) -> None:
    rag = FakeRag(*canned())
    run = run_eval(rag, [facts_file], k=6)

    assert ("retrieve", 6) in rag.calls
    by_id = {c.id: c for c in run.cases}
    one, two, budget, troops = (
        by_id[i] for i in ["sign-place", "signatory", "no-budget", "no-troops"]
    )

    assert one.passed and one.why == [] and one.rank == 1 and one.cited_expected_source
    assert one.fact_recall == 1.0 and one.citation_support == 1.0 and one.latency == 2.0

    assert not two.passed
    assert two.facts_missing == [["Güler"]]
    assert two.fact_recall == 0.5 and two.exact_pass is False
    assert two.rank == 2 and two.hit is True and two.reciprocal_rank == 0.5
    assert two.unresolved_markers == [2] and two.citations_valid is False
    assert two.citation_support == 0.0 and two.cited_expected_source is False
    assert any("missing Güler" in w for w in two.why)
    assert any("no cited passage" in w for w in two.why)

    assert budget.passed and budget.refused and budget.refusal_correct
    assert not troops.passed and troops.why == ["answered instead of refusing"]

    mx = run.metrics
    assert mx["hit_at_k"] == 1.0
    assert mx["mrr"] == pytest.approx(0.75)
    assert mx["fact_recall"] == pytest.approx(0.75)
    assert mx["exact_pass"] == 0.5
    assert mx["citation_validity"] == pytest.approx(2 / 3)  # Q1, Q2, Q4 answered; Q2 invalid
    assert mx["citation_support"] == 0.5
    assert mx["refusal_accuracy"] == 0.75
    assert mx["abstention_rate"] == 0.5
    assert mx["false_refusal_rate"] == 0.0
    assert mx["pass_rate"] == 0.5
    assert mx["latency_p50"] == 2.5
    assert mx["latency_p95"] == pytest.approx(3.85)
    assert mx["summary_coverage"] is None
    assert run.counts == dict(
        cases=4, answerable=2, unanswerable=2, passed=2, errors=0, summaries=0
    )
    assert any("summary" in n and "no summarize()" in n for n in run.notes)


def test_summaries_scored_when_rag_has_summarize(facts_file: Path) -> None:
    rag = FakeRagWithSummaries(*canned())
    run = run_eval(rag, [facts_file], k=6)
    assert ("summarize", DOC) in rag.calls  # the id resolved to the one indexed path
    (summary,) = run.summaries
    assert summary.source == "000_fa9b40200313cc7b" and summary.path == DOC
    assert summary.coverage == 0.5 and summary.facts_missing == [["Istanbul"]]
    assert summary.citations_valid is True
    assert run.metrics["summary_coverage"] == 0.5
    assert not run.notes


def test_resolve_source() -> None:
    paths = [DOC, OTHER, DOC]
    assert resolve_source("000_FA9B", paths) == DOC
    assert resolve_source(".txt", paths) == ".txt"  # ambiguous: left for summarize to judge
    assert resolve_source("nowhere", paths) == "nowhere"


def test_a_raising_case_is_recorded_not_fatal(facts_file: Path) -> None:
    answers, hits = canned()
    answers[Q2] = TimeoutError("LLM took too long")  # type: ignore[assignment]
    run = run_eval(FakeRag(answers, hits), [facts_file], k=6)
    two = next(c for c in run.cases if c.id == "signatory")
    assert not two.passed and two.error == "TimeoutError: LLM took too long"
    assert two.why == ["error: TimeoutError: LLM took too long"]
    assert two.fact_recall == 0.0 and two.latency is None
    assert run.counts["errors"] == 1
    assert run.metrics["refusal_accuracy"] == 0.5  # an errored case never counts as right


def test_consecutive_errors_abort(facts_file: Path) -> None:
    answers, hits = canned()
    for q in answers:
        answers[q] = ConnectionError("server down")  # type: ignore[assignment]
    with pytest.raises(EvalAborted, match="server down"):
        run_eval(FakeRag(answers, hits), [facts_file], k=6)


def test_progress_callback(facts_file: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    run_eval(
        FakeRag(*canned()), [facts_file], k=6, progress=lambda i, n, c: seen.append((i, n, c.id))
    )
    assert seen == [
        (1, 4, "sign-place"),
        (2, 4, "signatory"),
        (3, 4, "no-budget"),
        (4, 4, "no-troops"),
    ]


def test_json_round_trip(facts_file: Path) -> None:
    run = run_eval(FakeRag(*canned()), [facts_file], k=6)
    data = json.loads(json.dumps(run.to_json()))
    assert data["metrics"]["mrr"] == 0.75
    assert data["cases"][1]["facts_missing"] == [["Güler"]]
    again = EvalRun.from_json(data)
    assert again.metrics == data["metrics"]
    assert [c.id for c in again.cases] == [c.id for c in run.cases]
    assert again.cases[1].why == run.cases[1].why


def test_check_thresholds(facts_file: Path, tmp_path: Path) -> None:
    run = run_eval(FakeRag(*canned()), [facts_file], k=6)
    toml = tmp_path / "thresholds.toml"
    toml.write_text(
        "[thresholds]\nfact_recall = 0.80\nhit_at_k = 0.9\nsummary_coverage = 0.5\n"
        "[max]\nlatency_p95 = 3.0\nlatency_p50 = 10\n",
        encoding="utf-8",
    )
    failures = check(run, load_thresholds(toml))
    assert failures == [
        "fact_recall 0.75 < 0.80",
        "summary_coverage not measured (threshold 0.5)",
        "latency_p95 3.85 > 3.00",
    ]
    assert check(run, {"fact_recall": 0.7, "latency_p95": 5}) == []  # flat form
    assert check(run, {"thresholds": {"fact_recal": 0.5}}) == ["fact_recal: unknown metric"]
    assert check(run, {"fact_recall": 0.7501}) == ["fact_recall 0.7500 < 0.7501"]
    # flat form: a false-refusal limit is a ceiling, not a floor (the run has 0.0)
    assert check(run, {"false_refusal_rate": 0.1}) == []
    assert check(run, {"false_refusal_rate": -0.5}) == ["false_refusal_rate 0.00 > -0.50"]


def test_bad_thresholds(tmp_path: Path) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text("[thresholds]\nfact_recall = 'high'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="fact_recall must be a number"):
        load_thresholds(bad)
    bad.write_text("[thresholds\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read thresholds"):
        load_thresholds(bad)


def test_repo_thresholds_file_parses() -> None:
    path = Path(__file__).resolve().parents[2] / "evals" / "thresholds.toml"
    data = load_thresholds(path)
    assert set(data["thresholds"]) | set(data["max"]) <= set(aggregate([], []))
