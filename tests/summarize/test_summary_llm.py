"""Summaries with the real embedded llama.cpp server and the small bundled model.

Calls are counted by a proxy around the real client (its output is never
replaced), so "not sent again" means the server really was not asked. The tiny
model writes poor summaries; these tests check the machinery around it: calls,
windows, citations or marks, files, cache and resume.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag import tokens
from rag.errors import LLMError
from rag.service import Rag
from rag.settings import Settings
from rag.summarize import summarize_batch, summarize_one
from rag.summarize.document import UNSUPPORTED_MARK

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "000_fa9b40200313cc7b.txt"
CTX = 2048
MARKER = "Quillfeather"


def _rag(home: Path, embedder: Any) -> Rag:
    with pytest.MonkeyPatch.context() as mp:  # module scope: no RAG_* from the shell
        for key in [k for k in os.environ if k.startswith("RAG_")]:
            mp.delenv(key)
        mp.setenv("RAG_CONFIG", str(home / "no-rag.toml"))
        settings = Settings(home=home, llm_model="smollm2-135m", llm_ctx=CTX, llm_max_tokens=96)
    rag = Rag(settings)
    rag._embedder = embedder
    return rag


@pytest.fixture(scope="module")
def short_rag(tmp_path_factory: pytest.TempPathFactory, embedder: Any, prose: Any) -> Iterator[Rag]:
    """The seed document and a short generated one, indexed once for this module."""
    home = tmp_path_factory.mktemp("sum-short")
    other = home / "docs" / "harbour.txt"
    other.parent.mkdir(parents=True)
    other.write_text(prose(250, seed=11, marker=MARKER), encoding="utf-8")
    rag = _rag(home / "home", embedder)
    rag.ingest([SEED, other])
    rag.real_llm = rag.llm  # type: ignore[attr-defined]
    yield rag
    rag.close()


@pytest.fixture(scope="module")
def long_rag(tmp_path_factory: pytest.TempPathFactory, embedder: Any, prose: Any) -> Iterator[Rag]:
    """One generated document of 6,000+ tokens: three times what a 2,048-token window holds."""
    home = tmp_path_factory.mktemp("sum-long")
    doc = home / "docs" / "annals.txt"
    doc.parent.mkdir(parents=True)
    text = prose(6200, seed=21)
    assert tokens.count(text) >= 6000
    doc.write_text(text, encoding="utf-8")
    rag = _rag(home / "home", embedder)
    rag.ingest([doc])
    rag.real_llm = rag.llm  # type: ignore[attr-defined]
    yield rag
    rag.close()


def _fresh(rag: Rag, counting: Any, **kwargs: Any) -> Any:
    """A new counting proxy around the real client, installed on `rag`."""
    proxy = counting(rag.real_llm, **kwargs)  # type: ignore[attr-defined]
    rag._llm = proxy
    return proxy


def _clear_cache(rag: Rag) -> None:
    shutil.rmtree(rag.settings.cache_dir / "summaries", ignore_errors=True)


def test_a_short_document_takes_one_call_is_written_and_then_comes_from_cache(
    short_rag: Rag, counting: Any, fits_window: Any, tmp_path: Path
) -> None:
    rag = short_rag
    _clear_cache(rag)
    source = rag.resolve_source(str(SEED))
    out = tmp_path / "out"
    llm = _fresh(rag, counting)

    report = summarize_batch(rag, [source], out_dir=out)
    assert not report.failed and llm.calls == 1
    [result] = report.done
    assert result.calls == 1 and not result.cached and result.model == "smollm2-135m"
    assert fits_window(*llm.sent[0], CTX)
    assert result.text.strip() and result.words > 0
    # every sentence is either cited or visibly marked
    assert result.citations or result.unsupported_sentences
    assert result.text.count(UNSUPPORTED_MARK) == len(result.unsupported_sentences)
    md = report.files[source].read_text(encoding="utf-8")
    assert md.startswith("# ") and "## Sources" in md and result.text in md
    [line] = [json.loads(x) for x in (out / "summaries.jsonl").read_text().splitlines()]
    assert line["source"] == source and line["file"] == report.files[source].name
    assert line["model"] == "smollm2-135m" and line["prompt_hash"] == result.prompt_hash
    assert line["source_sha256"] == rag.index.catalog.source(source).sha256
    assert line["settings"]["llm_ctx"] == CTX and "total" in line["timings"]

    again = summarize_batch(rag, [source], out_dir=out)
    assert llm.calls == 1  # the server was not asked again
    assert again.done[0].cached and again.done[0].calls == 0
    assert again.done[0].text == result.text
    assert rag.summarize(str(SEED)).cached and llm.calls == 1


def test_a_failing_document_is_named_the_batch_goes_on_and_the_digest_cites_documents(
    short_rag: Rag, counting: Any, tmp_path: Path
) -> None:
    rag = short_rag
    _clear_cache(rag)
    out = tmp_path / "out"
    seed, other = rag.resolve_source(str(SEED)), rag.resolve_source("harbour.txt")

    _fresh(rag, counting, fail_if=lambda m: MARKER in m[-1]["content"])
    report = summarize_batch(rag, None, out_dir=out)
    assert [s for s, _ in report.failed] == [other] and "injected" in report.failed[0][1]
    assert [r.source for r in report.done] == [seed]

    llm = _fresh(rag, counting)
    result = rag.digest(out_dir=out)
    assert llm.calls == 2  # the other document's summary, then the digest; the seed is cached
    assert result.calls == 2 and not result.cached
    assert {c.source for c in result.citations} <= {seed, other}
    assert result.citations or result.unsupported_sentences
    # a document whose summary has no supported sentence is left out, and said so
    left_out = [src for src, _ in result.plan["left_out"]]
    assert set(left_out) <= {seed, other} and result.plan["documents"] == 2 - len(left_out)
    md = (out / "digest.md").read_text(encoding="utf-8")
    assert md.startswith(f"# Digest of {2 - len(left_out)} document") and "## Sources" in md

    again = rag.digest(out_dir=out)
    assert again.cached and llm.calls == 2


def test_a_long_document_is_map_reduced_within_the_window_and_resumes_after_a_failure(
    long_rag: Rag, counting: Any, fits_window: Any
) -> None:
    rag = long_rag
    _clear_cache(rag)
    source = rag.resolve_source("annals.txt")

    broken = _fresh(rag, counting, fail_on=3)
    with pytest.raises(LLMError, match="injected"):
        summarize_one(rag, source)
    finished = [m for m, _ in broken.sent[:2]]  # two map steps completed before the failure

    llm = _fresh(rag, counting)
    result = summarize_one(rag, source)
    assert result.plan["mode"] == "map-reduce" and result.plan["parts"] >= 3
    map_calls = [m for m, _ in broken.sent + llm.sent if "(part " in m[-1]["content"]]
    assert len({json.dumps(m) for m in map_calls}) == result.plan["parts"] > 1
    assert not any(m in finished for m, _ in llm.sent)  # finished steps were not redone
    assert llm.calls == result.calls == result.plan["parts"] - 2 + 1  # the rest + reduce
    assert all(fits_window(m, n, CTX) for m, n in broken.sent + llm.sent)
    assert result.citations or result.unsupported_sentences
    chunk_ids = {c.id for c in rag.index.catalog.iter_chunks(source)}
    assert all(c.chunk_id in chunk_ids for c in result.citations)

    again = summarize_one(rag, source)
    assert again.cached and llm.calls == result.calls
