"""The summary building blocks that need no model: budgets, packing, renumbering, files, cache."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from rag import tokens
from rag.errors import RagError
from rag.settings import Settings
from rag.summarize import SummaryBar, SummaryResult
from rag.summarize.cache import SummaryCache, write_atomic
from rag.summarize.document import UNSUPPORTED_MARK, mark_unsupported, plain_text
from rag.summarize.output import SummaryIndex, render_markdown, safe_name
from rag.summarize.plan import (
    PROMPT_OVERHEAD,
    drop_cut_sentence,
    make_budget,
    pack,
    renumber,
    tokens_for,
)
from rag.types import Citation


def _result(source: str = "/d/report.txt", **kw: object) -> SummaryResult:
    base: dict[str, object] = {
        "source": source,
        "title": "Report",
        "text": "The bridge opened in 1990 [1]. Nobody knows why. *(unsupported)*",
        "citations": [
            Citation(
                n=1,
                source=source,
                title="Report",
                page=3,
                start=10,
                end=60,
                text="The bridge opened in 1990 after " + "long " * 60 + "works.",
                support=0.9,
                chunk_id="abc",
                highlights=[(0, 10)],
            )
        ],  # fmt: skip
        "unsupported_sentences": ["Nobody knows why."],
        "supported_share": 0.5,
        "words": 9,
        "model": "m",
        "prompt_hash": "p",
        "source_sha256": "s",
        "settings": {"style": "brief"},
        "timings": {"total": 1.0},
    }
    base.update(kw)
    return SummaryResult(**base)  # type: ignore[arg-type]


# --- budgets and packing ------------------------------------------------------------------------


def test_budget_never_asks_for_more_words_than_max_tokens_can_hold(tmp_path: Path) -> None:
    s = Settings(home=tmp_path, llm_max_tokens=96, llm_ctx=2048)
    b = make_budget(s, "detailed", None)
    assert b.final_tokens <= 96 and tokens_for(b.words) <= 96 + 2
    roomy = make_budget(Settings(home=tmp_path, llm_max_tokens=2000), "brief", 50)
    assert roomy.words == 50 and roomy.final_tokens == tokens_for(50)
    assert b.room(96) + 96 + PROMPT_OVERHEAD < 2048


@pytest.mark.parametrize(
    ("style", "words", "message"),
    [("poem", None, "unknown summary style"), ("brief", 3, "at least")],
)
def test_bad_style_or_length_is_a_clear_error(
    tmp_path: Path, style: str, words: int | None, message: str
) -> None:
    with pytest.raises(RagError, match=message):
        make_budget(Settings(home=tmp_path), style, words)


def test_pack_keeps_order_respects_the_limit_and_balances() -> None:
    costs = [30, 40, 35, 50, 20, 45, 40, 30, 10]
    groups = pack(costs, 100)
    assert groups[0][0] == 0 and groups[-1][1] == len(costs)
    assert all(a[1] == b[0] for a, b in zip(groups, groups[1:], strict=False))
    assert all(sum(costs[a:b]) <= 100 for a, b in groups)
    sizes = [sum(costs[a:b]) for a, b in groups]
    assert min(sizes) >= 40  # no sliver at the end
    assert pack([], 10) == []
    with pytest.raises(ValueError):
        pack([5, 11], 10)


# --- citation markers ---------------------------------------------------------------------------


def test_renumber_maps_local_to_global_and_drops_unknown_numbers() -> None:
    text = "A rose [1]. B fell [2, 3]. C grew [9]. D [Passage 3]."
    out = renumber(text, {1: 11, 2: 12, 3: 13})
    assert out == "A rose [11]. B fell [12][13]. C grew . D [13]."


def test_a_cut_last_sentence_is_dropped_only_when_the_reply_hit_its_limit() -> None:
    full = "The depot opened in 1990 [1]. The bridge was closed after the"
    n = tokens.count(full)
    assert drop_cut_sentence(full, n) == "The depot opened in 1990 [1]."
    assert drop_cut_sentence(full, n * 3) == full
    assert drop_cut_sentence("Only one cut sentence", 3) == "Only one cut sentence"
    bullets = "- One [1].\n- Two [2].\n- Three and"
    assert drop_cut_sentence(bullets, tokens.count(bullets)) == "- One [1].\n- Two [2]."


def test_unsupported_sentences_are_marked_in_place_and_stripped_for_plain_text() -> None:
    text = "Alpha is big [1]. Beta is small. Alpha is big again."
    marked = mark_unsupported(text, ["Beta is small.", "Alpha is big again."])
    assert marked == (
        f"Alpha is big [1]. Beta is small.{UNSUPPORTED_MARK} Alpha is big again.{UNSUPPORTED_MARK}"
    )
    assert plain_text(marked) == "Alpha is big. Beta is small. Alpha is big again."


# --- files --------------------------------------------------------------------------------------


def test_safe_names_are_stable_portable_and_unique() -> None:
    a = safe_name("/home/x/Reports 2024/Q1 report.pdf")
    assert a == safe_name("/home/x/Reports 2024/Q1 report.pdf")
    assert a.startswith("Q1-report.pdf-") and a.endswith(".md")
    assert a != safe_name("/home/y/Q1 report.pdf")
    assert "/" not in safe_name("/a/../../etc/passwd") and safe_name("/") != "digest.md"


def test_markdown_has_title_summary_and_sources_with_page_and_span() -> None:
    md = render_markdown(_result())
    assert md.startswith("# Report\n")
    assert "The bridge opened in 1990 [1]." in md
    assert "## Sources" in md and "1. p. 3, chars 10–60: “The bridge opened" in md
    assert "…”" in md  # long passage text is shortened


def test_summaries_jsonl_keeps_other_documents_and_replaces_ours(tmp_path: Path) -> None:
    index = SummaryIndex(tmp_path)
    index.put(_result("/d/a.txt"), tmp_path / "a.md")
    index.put(_result("/d/b.txt"), tmp_path / "b.md")
    again = SummaryIndex(tmp_path)
    again.put(_result("/d/a.txt", words=42), tmp_path / "a.md")
    lines = [json.loads(x) for x in (tmp_path / "summaries.jsonl").read_text().splitlines()]
    assert [x["source"] for x in lines] == ["/d/a.txt", "/d/b.txt"]
    assert lines[0]["words"] == 42 and lines[0]["file"] == "a.md"
    for key in ("source_sha256", "model", "prompt_hash", "settings", "timings", "supported_share"):
        assert key in lines[1]


# --- cache --------------------------------------------------------------------------------------


def test_cache_round_trip_and_unreadable_files_count_as_missing(tmp_path: Path) -> None:
    cache = SummaryCache(tmp_path)
    result = _result()
    cache.save("k1", result)
    loaded = cache.load("k1")
    assert loaded == result
    assert loaded.citations[0].highlights == [(0, 10)]
    (tmp_path / "summaries" / "k2.json").write_text('{"format": 1, "result": {"sour')
    assert cache.load("k2") is None and cache.load("missing") is None
    cache.save_step("s1", "note [3].")
    assert cache.load_step("s1") == "note [3]."
    leftovers = [p for p in (tmp_path / "summaries").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_atomic_write_leaves_the_old_file_when_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.json"
    write_atomic(target, "old")

    def killed(fd: int) -> None:
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-write

    monkeypatch.setattr("rag.summarize.cache.os.fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new" * 1000)
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_step_keys_depend_on_everything_the_model_sees() -> None:
    m = [{"role": "user", "content": "x"}]
    base = SummaryCache.step_key("a", m, 96, 0.0)
    assert base == SummaryCache.step_key("a", [dict(m[0])], 96, 0.0)
    assert base != SummaryCache.step_key("b", m, 96, 0.0)
    assert base != SummaryCache.step_key("a", m, 97, 0.0)
    assert base != SummaryCache.step_key("a", [{"role": "user", "content": "y"}], 96, 0.0)


# --- progress -----------------------------------------------------------------------------------


def test_summary_bar_counts_documents_tokens_and_failures() -> None:
    out = io.StringIO()
    with SummaryBar(Console(file=out, width=160, force_terminal=False)) as bar:
        bar.start(3)
        bar.doc_done("/d/a.txt", "done", 1200)
        bar.doc_done("/d/b.txt", "cached", 0)
        bar.doc_done("/d/c.txt", "failed", 0)
    assert bar.tokens == 1200 and bar.failed == 1
    assert "3/3" in out.getvalue()
