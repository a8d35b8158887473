"""The hand-written seed fact file loads and is big and varied enough to mean something."""

from __future__ import annotations

from pathlib import Path

from rag.evals.facts import load_fact_file
from rag.evals.metrics import match_fact

REPO = Path(__file__).resolve().parents[2]
SEED_FACTS = REPO / "evals" / "facts" / "seed.yaml"
SEED_ARTICLE = REPO / "seeds" / "000_fa9b40200313cc7b.txt"
SEED_ID = "000_fa9b40200313cc7b"


def test_seed_file_shape() -> None:
    ff = load_fact_file(SEED_FACTS)
    ids = [c.id for c in ff.cases]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)
    unanswerable = [c for c in ff.cases if not c.answerable]
    assert len(unanswerable) >= 6
    assert all(not c.facts and not c.sources for c in unanswerable)
    for case in ff.cases:
        if case.answerable:
            assert case.facts, case.id
            assert case.sources == (SEED_ID,), case.id
    (summary,) = ff.summaries
    assert summary.source == SEED_ID
    assert 4 <= len(summary.facts) <= 6


def test_every_expected_fact_is_in_the_article() -> None:
    """A fact the article itself does not contain could never be answered correctly."""
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    ff = load_fact_file(SEED_FACTS)
    for entry in [*ff.cases, *ff.summaries]:
        for fact in entry.facts:
            assert match_fact(fact, text), (entry.id, fact)


def test_every_paragraph_is_covered() -> None:
    """Each paragraph holds at least one fact some answerable case expects."""
    paragraphs = [p for p in SEED_ARTICLE.read_text(encoding="utf-8").splitlines() if p.strip()]
    cases = [c for c in load_fact_file(SEED_FACTS).cases if c.answerable]
    generic = {"Azerbaijan", "Türkiye", "Turkey", "Turkish"}
    for no, paragraph in enumerate(paragraphs, 1):
        covered = [
            c.id
            for c in cases
            if any(
                match_fact(f, paragraph) and not set(f) & generic and not f[0].startswith("/\\bno")
                for f in c.facts
            )
        ]
        assert covered, f"paragraph {no} has no case"
