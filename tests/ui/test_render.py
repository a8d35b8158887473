"""Rendering puts document text and model output on the page as text, never as markup."""

from __future__ import annotations

import re

from ui_fakes import EVIL, scripted_result

from rag.types import AnswerResult, Citation
from rag.ui.conversation import Turn, history, render_conversation
from rag.ui.render import (
    citation_card,
    highlight,
    markdown_safe,
    merge_spans,
    message,
    render_result,
)


def _no_live_markup(html: str) -> None:
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "onerror=" not in html.replace("onerror=&quot;", "")  # only inside escaped text


def test_citation_passage_with_script_renders_escaped() -> None:
    c = Citation(1, "/d/a.txt", EVIL, None, 0, 10, f"before {EVIL} after", 0.8, highlights=[])
    html = citation_card(c, turn=0)
    _no_live_markup(html)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert 'id="cite-0-1"' in html


def test_highlight_marks_spans_and_escapes_inside_and_out() -> None:
    text = "a <b>bold</b> claim & more"
    html = highlight(text, [(2, 13), (20, 26), (22, 24)])
    assert html == "a <mark>&lt;b&gt;bold&lt;/b&gt;</mark> claim <mark>&amp; more</mark>"


def test_merge_spans_clamps_drops_and_merges() -> None:
    assert merge_spans([(5, 3), (-4, 2), (1, 4), (8, 99), (9, 10)], 12) == [(0, 4), (8, 12)]


def test_answer_links_markers_marks_unsupported_and_escapes() -> None:
    html = render_result(scripted_result("q"), turn=2)
    _no_live_markup(html)
    assert 'href="#cite-2-1"' in html and 'data-target="cite-2-2"' in html
    unsupported = re.search(r'<span class="unsupported".*?⚠ unsupported</span></span>', html)
    assert unsupported and "Both ministers wrote &lt;script&gt;" in unsupported.group(0)
    assert html.count('<details class="cite-card"') == 2
    assert "<mark>Zakir Hasanov</mark>" in html


def test_unknown_marker_numbers_stay_plain_text() -> None:
    result = AnswerResult("q", "Claim [1][7] and [1, 2].", False, citations=[])
    result.citations = [Citation(1, "/a", "a", None, 0, 1, "x", 1.0)]
    html = render_result(result, 0)
    assert html.count('class="cite-ref"') == 2
    assert "[7]" in html and "[<a" in html


def test_strict_answers_list_dropped_sentences() -> None:
    result = AnswerResult(
        "q",
        "Kept [1].",
        False,
        [Citation(1, "/a", "a", None, 0, 1, "x", 1.0)],
        unsupported_sentences=["Dropped <i>claim</i>."],
    )
    html = render_result(result, 0)
    assert "left out as unsupported" in html and "Dropped &lt;i&gt;claim&lt;/i&gt;." in html


def test_refusal_has_its_own_style_and_no_sources() -> None:
    html = render_result(AnswerResult("q", "The documents do not contain it.", True), 0)
    assert 'class="answer refusal"' in html
    assert "cite-card" not in html and "Sources" not in html


def test_conversation_shows_draft_then_result_and_escapes_question() -> None:
    turns = [Turn("<b>q1</b>", result=scripted_result("q1")), Turn("q2", draft="so far <i>")]
    html = render_conversation(turns)
    assert "&lt;b&gt;q1&lt;/b&gt;" in html
    assert 'class="answer draft"' in html and "so far &lt;i&gt;" in html
    assert 'id="cite-0-1"' in html
    assert history(turns) == [("<b>q1</b>", scripted_result("q1").answer)]


def test_error_turn_shows_message() -> None:
    html = render_conversation([Turn("q", error="server <down>")])
    assert 'role="alert"' in html and "server &lt;down&gt;" in html


def test_markdown_safe_knows_a_few_constructs_and_escapes_the_rest() -> None:
    md = f"# Title\n\nSome **bold** text [1].\n- one\n- {EVIL}\n\n[link](javascript:alert(1))"
    html = markdown_safe(md)
    _no_live_markup(html)
    assert "<h3>Title</h3>" in html and "<strong>bold</strong>" in html
    assert html.count("<li>") == 2 and "<a" not in html


def test_message_escapes_items() -> None:
    html = message("2 failed:", "error", ["<x>.pdf: bad"])
    assert 'class="msg msg-error"' in html and "&lt;x&gt;.pdf: bad" in html
