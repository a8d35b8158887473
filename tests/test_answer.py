"""Answers end to end: refusal, budgets, JSON schema, default model, remote server, follow-ups."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rag_testing import SEEDS, free_port, rag_cli

from rag import tokens
from rag.answer import build_messages
from rag.service import Rag
from rag.settings import Settings

JSON_KEYS = {"question", "answer", "refused", "citations", "unsupported_sentences", "timings"}
CITATION_KEYS = {"n", "source", "title", "page", "start", "end", "text", "support"}


def seeded(settings: Settings) -> Rag:
    rag = Rag(settings)
    rag.ingest([SEEDS])
    return rag


@pytest.fixture(scope="module")
def default_rag(tmp_path_factory: pytest.TempPathFactory):
    """The default pipeline (Qwen2.5-Coder 1.5B, embedded llama.cpp) over the seed."""
    rag = seeded(Settings(home=tmp_path_factory.mktemp("default") / "home"))
    yield rag
    rag.close()


def test_out_of_corpus_question_refused_without_llm(settings: Settings) -> None:
    rag = seeded(settings)
    result = rag.ask("Who is the president of France?")
    assert result.refused and result.citations == []
    assert rag._llm is None  # the threshold refused before any model was started
    assert result.answer == rag.prompts.render("refusal.txt")


def test_budget_drops_lowest_ranked_and_says_so(settings: Settings) -> None:
    small = settings.model_copy(update={"llm_ctx": 700, "llm_max_tokens": 200, "top_k": 7})
    rag = seeded(small)
    hits = rag.retrieve("What does the memorandum say about cooperation?")
    messages, kept, left_out = build_messages(rag, "What does it say?", hits)
    assert 0 < len(kept) < len(hits) and left_out == len(hits) - len(kept)
    assert [h.chunk.id for h in kept] == [h.chunk.id for h in hits[: len(kept)]]
    used = sum(tokens.count(m["content"]) for m in messages)
    assert used + small.llm_max_tokens <= small.llm_ctx


def test_json_schema_with_small_model(tmp_path: Path) -> None:
    env = {"RAG_LLM_MODEL": "smollm2-135m", "RAG_LLM_MAX_TOKENS": "64"}
    home = tmp_path / "home"
    rag_cli(["ingest", str(SEEDS)], home, env, check=True)
    out = rag_cli(
        ["ask", "--json", "Who signed the memorandum in Istanbul?"], home, env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data.keys() >= JSON_KEYS
    assert isinstance(data["refused"], bool) and isinstance(data["timings"]["total"], float)
    for i, c in enumerate(data["citations"], 1):
        assert c.keys() >= CITATION_KEYS and c["n"] == i
        seed_text = Path(c["source"]).read_text(encoding="utf-8")
        assert seed_text[c["start"] : c["end"]] == c["text"]
        assert f"[{i}]" in data["answer"]


@pytest.mark.slow
def test_default_model_answers_and_cites_the_right_passage(default_rag: Rag) -> None:
    result = default_rag.ask("Where and when was the memorandum signed?")
    assert not result.refused
    assert "Istanbul" in result.answer and "July 22, 2025" in result.answer
    assert result.citations and result.citations[0].n == 1
    assert any("Istanbul" in c.text and "July 22, 2025" in c.text for c in result.citations)
    assert result.supported_share > 0.5


@pytest.mark.slow
def test_follow_up_is_rewritten_with_history(default_rag: Rag) -> None:
    first = default_rag.ask("Who signed the memorandum?")
    assert "Hasanov" in first.answer
    follow = default_rag.ask(
        "And in which city did that happen?", history=[("Who signed the memorandum?", first.answer)]
    )
    assert follow.standalone_question and follow.standalone_question != follow.question
    assert "Istanbul" in follow.answer


@pytest.mark.slow
def test_separately_started_server_by_base_url_only(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "rag.llm.serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "RAG_HOME": str(tmp_path / "server-home")},
    )
    try:
        deadline = time.time() + 300
        for line in server.stdout:  # type: ignore[union-attr]
            if "listening on" in line or time.time() > deadline:
                break
        env = {"RAG_LLM_BASE_URL": f"http://127.0.0.1:{port}/v1"}
        home = tmp_path / "home"
        rag_cli(["ingest", str(SEEDS)], home, env, check=True)
        question = "Where and when was the memorandum signed?"
        out = rag_cli(["ask", "--json", question], home, env, timeout=600)
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        assert "Istanbul" in data["answer"] and "July 22, 2025" in data["answer"]
        assert data["citations"]
        refused = rag_cli(
            ["ask", "--json", "Who is the president of France?"], home, env, timeout=600
        )
        assert json.loads(refused.stdout)["refused"] is True
    finally:
        server.terminate()
        server.wait(30)
