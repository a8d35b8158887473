"""The summary pipeline on a real index with a deterministic extractive stand-in for the model.

The stand-in cites every sentence it copies correctly, so these tests can demand
exact citations after map-reduce (no repairs by the checker), which the tiny real
model (tests/summarize/test_summary_llm.py) cannot show. Everything else is real:
loading, chunking, the catalogue, prompts, budgets, the checker, the cache, files.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rag import tokens
from rag.errors import LLMError, RagError
from rag.service import Rag
from rag.settings import Settings
from rag.summarize import summarize_batch, summarize_one

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "000_fa9b40200313cc7b.txt"


@pytest.fixture
def make_rag(tmp_path: Path, embedder: Any) -> Iterator[Callable[..., Rag]]:
    """Factory: a Rag on the test's data directory with the session's embedder."""
    made: list[Rag] = []

    def make(**overrides: Any) -> Rag:
        values: dict[str, Any] = {
            "home": tmp_path / "home",
            "llm_model": "smollm2-135m",
            "llm_ctx": 2048,
            "llm_max_tokens": 96,
        }
        values.update(overrides)
        rag = Rag(Settings(**values))
        rag._embedder = embedder
        made.append(rag)
        return rag

    yield make
    for rag in made:
        rag.close()


def _use(rag: Rag, llm: Any) -> Any:
    rag._llm = llm
    return llm


def _chunk_texts(rag: Rag, source: str) -> list[str]:
    return [c.text for c in rag.index.catalog.iter_chunks(source)]


def test_a_short_document_is_one_call_exactly_cited_then_cached(
    make_rag: Callable[..., Rag], counting: Any, extractive: Any
) -> None:
    rag = make_rag()
    rag.ingest([SEED])
    source = rag.resolve_source(str(SEED))
    llm = _use(rag, counting(extractive()))

    first = summarize_one(rag, source)
    assert (first.calls, llm.calls, first.cached) == (1, 1, False)
    assert first.plan["mode"] == "single" and first.plan["repaired"] == 0
    assert first.citations and first.supported_share == 1.0 and not first.unsupported_sentences
    chunks = _chunk_texts(rag, source)
    assert all(c.text in chunks and c.source == source for c in first.citations)
    assert first.source_sha256 == rag.index.catalog.source(source).sha256
    assert first.model == "extractive-test" and first.settings["style"] == "brief"

    again = rag.summarize(str(SEED))  # through the service API
    assert (again.cached, again.calls, llm.calls) == (True, 0, 1)
    assert again.text == first.text and again.citations == first.citations


def test_the_cache_key_follows_content_style_model_and_prompts(
    make_rag: Callable[..., Rag], counting: Any, extractive: Any, tmp_path: Path
) -> None:
    doc = tmp_path / "docs" / "note.txt"
    doc.parent.mkdir()
    doc.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    rag = make_rag()
    rag.ingest([doc])
    source = rag.resolve_source(str(doc))
    llm = _use(rag, counting(extractive()))
    summarize_one(rag, source)
    assert summarize_one(rag, source).cached
    assert not summarize_one(rag, source, style="bullets").cached
    assert not summarize_one(rag, source, max_words=40).cached
    assert llm.calls == 3

    doc.write_text(doc.read_text(encoding="utf-8") + "\nA new closing line.\n", encoding="utf-8")
    rag.ingest([doc])
    assert not summarize_one(rag, source).cached

    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", prompts)
    (prompts / "summary_style_brief.md").write_text("Write {words} words at most.\n")
    edited = make_rag(prompts_dir=prompts)
    _use(edited, llm)
    assert not summarize_one(edited, source).cached
    assert summarize_one(edited, source).cached
    assert llm.calls == 5


def test_a_long_document_is_map_reduced_with_exact_global_citations(
    make_rag: Callable[..., Rag], counting: Any, extractive: Any, prose: Any, write_doc: Any,
    fits_window: Any,
) -> None:  # fmt: skip
    text = prose(6500)
    assert tokens.count(text) >= 6000
    rag = make_rag(llm_ctx=2048)
    rag.ingest([write_doc("long.txt", text)])
    source = rag.resolve_source("long.txt")
    llm = _use(rag, counting(extractive()))

    result = summarize_one(rag, source)
    assert result.plan["mode"] == "map-reduce" and result.plan["parts"] > 1
    assert result.calls == llm.calls == result.plan["parts"] + 1  # maps + one reduce
    assert all(fits_window(m, n, 2048) for m, n in llm.sent)
    assert result.plan["repaired"] == 0 and result.supported_share == 1.0
    chunks = _chunk_texts(rag, source)
    cited = [chunks.index(c.text) for c in result.citations]
    assert max(cited) > len(chunks) // 2  # later parts' numbers were mapped to global ones


def test_notes_that_do_not_fit_are_combined_level_by_level(
    make_rag: Callable[..., Rag], counting: Any, extractive: Any, prose: Any, write_doc: Any,
    fits_window: Any,
) -> None:  # fmt: skip
    rag = make_rag(llm_ctx=1024)
    rag.ingest([write_doc("long.txt", prose(4500))])
    llm = _use(rag, counting(extractive()))

    result = summarize_one(rag, rag.resolve_source("long.txt"))
    assert result.plan["levels"] >= 2
    assert result.calls > result.plan["parts"] + 1  # combine steps between map and reduce
    assert all(fits_window(m, n, 1024) for m, n in llm.sent)
    assert result.plan["repaired"] == 0 and result.supported_share == 1.0


def test_an_interrupted_long_document_resumes_without_redoing_finished_steps(
    make_rag: Callable[..., Rag], counting: Any, extractive: Any, prose: Any, write_doc: Any,
) -> None:  # fmt: skip
    rag = make_rag(llm_ctx=1024)
    rag.ingest([write_doc("long.txt", prose(3000))])
    source = rag.resolve_source("long.txt")

    broken = _use(rag, counting(extractive(), fail_on=4))
    with pytest.raises(LLMError, match="injected"):
        summarize_one(rag, source)
    done_before = [m for m, _ in broken.sent[:3]]

    resumed = _use(rag, counting(extractive()))
    result = summarize_one(rag, source)
    assert not any(m in done_before for m, _ in resumed.sent)

    shutil.rmtree(rag.settings.cache_dir / "summaries")
    fresh = _use(rag, counting(extractive()))
    again = summarize_one(rag, source)
    assert resumed.calls == fresh.calls - 3
    assert again.text == result.text


def test_a_failing_document_is_reported_and_the_batch_goes_on(
    make_rag: Callable[..., Rag], counting: Any, extractive: Any, prose: Any, write_doc: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    rag = make_rag()
    bad = write_doc("bad.txt", prose(300, seed=3, marker="Quillfeather"))
    rag.ingest([SEED, bad])
    keys = [rag.resolve_source(str(SEED)), rag.resolve_source(str(bad))]
    out = tmp_path / "out"
    events: list[tuple[str, str, int]] = []

    class Recorder:
        def start(self, total_docs: int) -> None:
            events.append(("start", "", total_docs))

        def doc_done(self, source: str, status: str, tokens: int) -> None:
            events.append((source, status, tokens))

    _use(rag, counting(extractive(), fail_if=lambda m: "Quillfeather" in m[-1]["content"]))
    report = summarize_batch(rag, None, out_dir=out, progress=Recorder())
    assert [s for s, _ in report.failed] == [keys[1]] and "injected" in report.failed[0][1]
    assert [r.source for r in report.done] == [keys[0]]
    assert events[0] == ("start", "", 2)
    assert {(s, st) for s, st, _ in events[1:]} == {(keys[0], "done"), (keys[1], "failed")}
    md = report.files[keys[0]]
    assert md.parent == out and md.read_text().startswith("# ")
    lines = [json.loads(x) for x in (out / "summaries.jsonl").read_text().splitlines()]
    assert [x["source"] for x in lines] == [keys[0]] and lines[0]["file"] == md.name

    _use(rag, counting(extractive()))
    second = summarize_batch(rag, keys, out_dir=out)
    assert not second.failed
    assert {r.source: r.cached for r in second.done} == {keys[0]: True, keys[1]: False}
    lines = [json.loads(x) for x in (out / "summaries.jsonl").read_text().splitlines()]
    assert sorted(x["source"] for x in lines) == sorted(keys)
    assert len({x["file"] for x in lines}) == 2


def test_documents_run_in_parallel_only_against_a_remote_server(
    make_rag: Callable[..., Rag], extractive: Any, prose: Any, write_doc: Any, tmp_path: Path
) -> None:
    paths = [write_doc(f"d{i}.txt", prose(200, seed=i)) for i in range(3)]
    remote = make_rag(llm_base_url="http://127.0.0.1:9/v1")
    remote.ingest(paths)
    llm = _use(remote, extractive(delay=0.5))
    report = summarize_batch(remote, None, out_dir=tmp_path / "a", concurrency=3)
    assert len(report.done) == 3 and llm.max_active >= 2

    local = make_rag(home=tmp_path / "home2")
    local.ingest(paths)
    llm = _use(local, extractive(delay=0.2))
    report = summarize_batch(local, None, out_dir=tmp_path / "b", concurrency=3)
    assert len(report.done) == 3 and llm.max_active == 1


def test_the_digest_cites_documents_and_is_cached(
    make_rag: Callable[..., Rag], counting: Any, extractive: Any, prose: Any, write_doc: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    rag = make_rag()
    other = write_doc("other.txt", prose(300, seed=5))
    rag.ingest([SEED, other])
    llm = _use(rag, counting(extractive()))
    out = tmp_path / "out"

    result = rag.digest(out_dir=out)
    assert result.calls == llm.calls == 3  # two documents, then the digest
    sources = {rag.resolve_source(str(SEED)), rag.resolve_source(str(other))}
    assert result.citations and {c.source for c in result.citations} <= sources
    assert result.supported_share == 1.0 and result.plan["repaired"] == 0
    md = (out / "digest.md").read_text()
    assert md.startswith("# Digest of 2 documents") and "## Sources" in md

    again = rag.digest(out_dir=out)
    assert (again.cached, again.calls, llm.calls) == (True, 0, 3)


def test_a_chunk_larger_than_the_window_is_an_error_not_a_truncation(
    make_rag: Callable[..., Rag], extractive: Any, prose: Any, write_doc: Any
) -> None:
    rag = make_rag(llm_ctx=1024, llm_max_tokens=400, chunk_tokens=900, chunk_overlap=0)
    rag.ingest([write_doc("big.txt", prose(2000))])
    _use(rag, extractive())
    with pytest.raises(RagError, match="RAG_LLM_CTX"):
        summarize_one(rag, rag.resolve_source("big.txt"))
