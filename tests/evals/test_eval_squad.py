"""SQuAD adapter: files written, ingest called, scoring and Markdown, with a FAKE Rag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rag.evals import squad
from rag.types import AnswerResult, Chunk, Hit

SHARED_SQUAD = Path(__file__).resolve().parents[3] / "shared" / "data" / "squad2"

CONTEXTS = [
    {"id": "ctx-000", "text": "The Eiffel Tower is in Paris. It was finished in 1889."},
    {"id": "ctx-001", "text": "Baran developed distributed adaptive message block switching."},
]
QUESTIONS = [
    {"id": "q1", "question": "When was the tower finished?", "context_id": "ctx-000",
     "answers": ["1889"], "answerable": True},
    {"id": "q2", "question": "What did Baran develop?", "context_id": "ctx-001",
     "answers": ["distributed adaptive message block switching"], "answerable": True},
    {"id": "q3", "question": "Who painted the tower?", "context_id": "ctx-000",
     "answers": [""], "answerable": False},
    {"id": "q4", "question": "Who funded Baran?", "context_id": "ctx-001",
     "answers": [""], "answerable": False},
]  # fmt: skip


def hit(source: str) -> Hit:
    return Hit(chunk=Chunk(id=source, source=source, title="", ordinal=0, start=0, end=1,
                           text="x", tokens=1))  # fmt: skip


class FakeSquadRag:
    """A FAKE Rag: records ingest, returns canned retrieval order and answers."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.ingested: list[tuple[list[Path], Any]] = []
        ctx0, ctx1 = str(work / "ctx-000.txt"), str(work / "ctx-001.txt")
        self.hits = {
            "When was the tower finished?": [hit(ctx0), hit(ctx0), hit(ctx1)],  # rank 1
            "What did Baran develop?": [hit(ctx0), hit(ctx1)],  # rank 2
            "Who painted the tower?": [hit(ctx1)],  # miss
            "Who funded Baran?": [hit(ctx1)],  # rank 1
        }
        self.answers = {
            "When was the tower finished?": ("It was finished in 1889 [1].", False, 2.0),
            "What did Baran develop?": ("Message switching [1].", False, 4.0),
            "Who painted the tower?": ("I couldn't find this in your documents.", True, 1.0),
            "Who funded Baran?": ("RAND funded him [1].", False, 3.0),
        }

    def ingest(self, paths: list[Path], **kwargs: Any) -> str:
        self.ingested.append((paths, kwargs))
        return "2 added"

    def retrieve(self, question: str, *, k: int | None = None, sources: Any = None) -> list[Hit]:
        return self.hits[question][: k or 6]

    def ask(self, question: str, **kwargs: Any) -> AnswerResult:
        text, refused, total = self.answers[question]
        return AnswerResult(question, text, refused, timings={"total": total})


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "squad2"
    d.mkdir()
    (d / "contexts.jsonl").write_text("\n".join(json.dumps(c) for c in CONTEXTS) + "\n")
    (d / "questions-dev.jsonl").write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n")
    return d


def test_run_squad_with_fake_rag(data_dir: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    rag = FakeSquadRag(work)
    result = squad.run_squad(rag, data_dir, work, None)

    assert (work / "ctx-000.txt").read_text() == CONTEXTS[0]["text"] + "\n"
    assert rag.ingested == [([work], {"include": ["ctx-*.txt"]})]
    assert result["questions"] == 4 and result["answerable"] == 2 and result["unanswerable"] == 2
    assert result["recall_at_1"] == 0.5  # q1, q4
    assert result["recall_at_5"] == 0.75
    assert result["mrr"] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    assert result["em"] == 0.0  # sentences never equal the span
    # q1: 5 tokens vs "1889": p=1/5, r=1 -> 1/3; q2: 2 tokens vs 5: p=1, r=2/5 -> 4/7
    assert result["f1"] == pytest.approx((1 / 3 + 4 / 7) / 2)
    assert result["contains"] == 0.5
    assert result["abstention_accuracy"] == 0.5
    assert result["false_refusal_rate"] == 0.0
    assert result["latency_p50"] == 2.5
    assert result["attribution"].count("CC BY-SA 4.0") == 1
    assert result["rows"][0]["answer"] == "It was finished in 1889."  # markers stripped
    json.dumps(result)  # the CLI prints it as JSON


class CountingRag(FakeSquadRag):
    """The FAKE Rag above, counting LLM calls; `stop_after` simulates a killed run."""

    def __init__(self, work: Path, stop_after: int | None = None) -> None:
        super().__init__(work)
        self.asked = 0
        self.stop_after = stop_after

    def ask(self, question: str, **kwargs: Any) -> AnswerResult:
        if self.stop_after is not None and self.asked >= self.stop_after:
            raise KeyboardInterrupt
        self.asked += 1
        return super().ask(question, **kwargs)


def test_checkpoint_resumes_a_killed_run(data_dir: Path, tmp_path: Path) -> None:
    work, ckpt = tmp_path / "work", tmp_path / "rows.jsonl"
    with pytest.raises(KeyboardInterrupt):
        squad.run_squad(CountingRag(work, stop_after=3), data_dir, work, None,
                        checkpoint=ckpt, fingerprint="m1")  # fmt: skip
    assert len(ckpt.read_text().splitlines()) == 3

    resumed = CountingRag(work)
    result = squad.run_squad(resumed, data_dir, work, None, checkpoint=ckpt, fingerprint="m1")
    assert resumed.asked == 1  # only the question the killed run never answered
    fresh = squad.run_squad(FakeSquadRag(work), data_dir, work, None)
    assert {k: v for k, v in result.items() if k != "ingest_seconds"} == {
        k: v for k, v in fresh.items() if k != "ingest_seconds"
    }

    other = CountingRag(work)
    squad.run_squad(other, data_dir, work, None, checkpoint=ckpt, fingerprint="m2")
    assert other.asked == 4  # another model or prompt: nothing reused
    assert len(ckpt.read_text().splitlines()) == 4


def test_limit_takes_the_first_questions(data_dir: Path, tmp_path: Path) -> None:
    result = squad.run_squad(FakeSquadRag(tmp_path), data_dir, tmp_path, 2)
    assert result["questions"] == 2 and result["unanswerable"] == 0
    assert result["abstention_accuracy"] is None


def test_write_contexts_leaves_unchanged_files(tmp_path: Path) -> None:
    (path,) = squad.write_contexts(CONTEXTS[:1], tmp_path)
    before = path.stat().st_mtime_ns
    squad.write_contexts(CONTEXTS[:1], tmp_path)
    assert path.stat().st_mtime_ns == before


def test_markdown_fragment_and_results_file(data_dir: Path, tmp_path: Path) -> None:
    result = squad.run_squad(FakeSquadRag(tmp_path), data_dir, tmp_path, None)
    md = squad.squad_markdown(result)
    assert md.startswith("## SQuAD 2.0 (dev sample)")
    assert "| retrieval recall@1 | 50.0% |" in md
    assert "| retrieval MRR@10 | 0.625 |" in md
    assert "| latency p50 / p95 | 2.5 s / 3.9 s |" in md
    assert "CC BY-SA 4.0" in md and "Rajpurkar" in md
    assert squad.ANSWER_NOTE in md  # EM is explained wherever it is shown
    retrieval_only = squad.run_squad(FakeSquadRag(tmp_path), data_dir, tmp_path, None, ask=False)
    assert squad.ANSWER_NOTE not in squad.squad_markdown(retrieval_only)

    results = tmp_path / "RESULTS.md"
    results.write_text("# Eval results\n\nSeed facts: ...\n")
    squad.update_results_md(results, md)
    squad.update_results_md(results, md.replace("50.0%", "60.0%"))
    text = results.read_text()
    assert text.startswith("# Eval results\n\nSeed facts: ...\n")
    assert text.count(squad.MARK_START) == 1 and "60.0%" in text and "50.0%" not in text


def test_score_rows_empty() -> None:
    result = squad.score_rows([])
    assert result["questions"] == 0 and result["em"] is None and result["latency_p95"] is None


@pytest.mark.skipif(not SHARED_SQUAD.is_dir(), reason="shared SQuAD sample not present")
def test_shared_data_loads(tmp_path: Path) -> None:
    contexts = squad.load_contexts(SHARED_SQUAD)
    questions = squad.load_questions(SHARED_SQUAD)
    assert len(contexts) == 411 and len(questions) == 250
    ids = {c["id"] for c in contexts}
    assert all(q["context_id"] in ids for q in questions)
    paths = squad.write_contexts(contexts, tmp_path)
    assert paths[0].name == "ctx-000.txt" and len(paths) == 411


def test_fingerprint_follows_settings_and_prompt_files(tmp_path: Path) -> None:
    import shutil

    from rag.settings import Settings

    prompts = tmp_path / "prompts"
    shutil.copytree(Settings().prompts_dir, prompts)
    base = Settings(home=tmp_path / "home", prompts_dir=prompts)
    first = squad.run_fingerprint(base)
    assert first == squad.run_fingerprint(base)
    assert squad.settings_line(base) in first
    assert squad.run_fingerprint(base.model_copy(update={"top_k": 3})) != first
    (prompts / "answer_system.md").write_text("Answer briefly.\n", encoding="utf-8")
    assert squad.run_fingerprint(base) != first
