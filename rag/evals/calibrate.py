"""Calibrate the refusal threshold (RAG_MIN_RELEVANCE) on data, without calling the LLM.

For every question (seed fact cases against the seed, SQuAD dev questions
against the SQuAD paragraphs, a few off-topic questions against each; one
index per corpus, since relevance depends on what else is indexed) we take the
best relevance among the retrieved passages. A good threshold refuses no
answerable question and as many others as possible; the rest are left to the
model, whose prompt also allows it to refuse.

    python -m rag.evals.calibrate [--squad ../shared/data/squad2] [--home DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rag.evals.facts import load_fact_files
from rag.evals.squad import load_contexts, load_questions, write_contexts
from rag.service import Rag
from rag.settings import load_settings

OFF_TOPIC = [
    "Who is the president of France?",
    "What is the capital of Japan?",
    "How do I bake sourdough bread?",
    "What will the weather be tomorrow?",
    "Explain quantum entanglement.",
    "Who won the 2018 FIFA World Cup?",
    "What is the boiling point of water?",
    "Recommend a good laptop.",
    "How tall is Mount Everest?",
    "What is 2 plus 2?",
]
CANDIDATES = (0.25, 0.28, 0.30, 0.32, 0.35, 0.40)


def best_relevance(rag: Rag, question: str) -> float:
    return max((h.relevance for h in rag.retrieve(question)), default=0.0)


def collect(rag: Rag, questions: list[tuple[str, bool, str]]) -> list[tuple[str, bool, float]]:
    """(group, answerable, best relevance) for every (group, answerable, question)."""
    return [(g, a, best_relevance(rag, q)) for g, a, q in questions]


def table(rows: list[tuple[str, bool, float]]) -> str:
    answerable = [r for r in rows if r[1]]
    other = [r for r in rows if not r[1]]
    off = [r for r in rows if r[0] == "off-topic"]
    other = [r for r in other if r[0] != "off-topic"]
    lines = [
        "| threshold | answerable refused | unanswerable refused | off-topic refused |",
        "|---|---|---|---|",
    ]
    for t in CANDIDATES:
        lines.append(
            f"| {t:.2f} | {sum(r[2] < t for r in answerable)}/{len(answerable)} "
            f"| {sum(r[2] < t for r in other)}/{len(other)} "
            f"| {sum(r[2] < t for r in off)}/{len(off)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rag.evals.calibrate")
    ap.add_argument("--facts", type=Path, nargs="*", default=[Path("evals/facts/seed.yaml")])
    ap.add_argument("--corpus", type=Path, default=Path("seeds"))
    ap.add_argument("--squad", type=Path, default=None)
    ap.add_argument("--home", type=Path, default=None)
    args = ap.parse_args(argv)
    settings = load_settings()
    home = args.home or settings.home / "evals" / "calibrate"
    off = [("off-topic", False, q) for q in OFF_TOPIC]
    corpora = [
        (
            args.corpus,
            [
                ("seed", c.answerable, c.question)
                for f in load_fact_files(args.facts)
                for c in f.cases
            ],
        )
    ]
    if args.squad is not None:
        docs = home / "squad-docs"
        write_contexts(load_contexts(args.squad), docs)
        questions = [
            ("squad", bool(q["answerable"]), q["question"]) for q in load_questions(args.squad)
        ]
        corpora.append((docs, questions))
    rows: list[tuple[str, bool, float]] = []
    for i, (corpus, questions) in enumerate(corpora):
        rag = Rag(settings.model_copy(update={"home": home / f"index-{i}"}))
        rag.ingest([corpus])
        rows += collect(rag, questions + off)
        rag.close()
    print(table(rows))


if __name__ == "__main__":
    main()
