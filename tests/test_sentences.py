"""Sentence splitting and marker lexing: known cases plus never-raise properties."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.sentences import MARKER_RE, code_regions, marker_spans, split_sentences

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_fa9b40200313cc7b.txt"


def texts(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("   \n\t ", []),
        ("Hello", ["Hello"]),
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        (
            "Dr. Smith met the U.S. President. He left.",
            ["Dr. Smith met the U.S. President.", "He left."],
        ),
        ("See No. 5 and Fig. 3 for details. Done.", ["See No. 5 and Fig. 3 for details.", "Done."]),
        ("It costs 3.5 million. It rose 2.75%.", ["It costs 3.5 million.", "It rose 2.75%."]),
        ("Signed e.g. in Istanbul. Next.", ["Signed e.g. in Istanbul.", "Next."]),
        ("It happened in the U.S. The end.", ["It happened in the U.S.", "The end."]),
        ("Recep T. Erdoğan spoke. Then left.", ["Recep T. Erdoğan spoke.", "Then left."]),
        (
            "It was signed on July 22, 2025. It was ratified later.",
            ["It was signed on July 22, 2025.", "It was ratified later."],
        ),
        ("Signed on Jul. 22 in Istanbul. Yes.", ["Signed on Jul. 22 in Istanbul.", "Yes."]),
        ('"Stop!" he said. She left.', ['"Stop!" he said.', "She left."]),
        ('He said "it is done." Then left.', ['He said "it is done."', "Then left."]),
        ("Apples, pears, etc. are fruit. Fine.", ["Apples, pears, etc. are fruit.", "Fine."]),
        ("Wait... what? Really.", ["Wait... what?", "Really."]),
        ("Steps: 1. Mix it. 2. Bake it.", ["Steps: 1. Mix it.", "2. Bake it."]),
        ("文本一。文本二！", ["文本一。", "文本二！"]),
        ("**Istanbul.** Then Baku.", ["**Istanbul.**", "Then Baku."]),
    ],
)
def test_split_known_cases(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Signed in 2025. [1] Ratified in 2025 [2].",
            ["Signed in 2025. [1]", "Ratified in 2025 [2]."],
        ),
        ("Signed in 2025.[1][2] Next.", ["Signed in 2025.[1][2]", "Next."]),
        ("Signed in 2025. 【1】 Next.", ["Signed in 2025. 【1】", "Next."]),
        ("Signed in 2025. [Passage 2] Next.", ["Signed in 2025. [Passage 2]", "Next."]),
        ("Signed in 2025.\n[1]", ["Signed in 2025.\n[1]"]),  # a markers-only line joins
        ("Signed [2†src. Next] here. Done.", ["Signed [2†src. Next] here.", "Done."]),
    ],
)
def test_citation_markers_stay_with_their_sentence(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_lists_headings_and_newlines_are_boundaries() -> None:
    text = (
        "## Summary\n"
        "Here is what the documents say:\n"
        "- It was signed in Istanbul\n"
        "* It was ratified in Baku [2]\n"
        "1. First point. Second sentence.\n"
        "2) second point\n"
        "- [ ] a task\n"
        "> quoted line\n"
        "No final stop here\n"
        "New line"
    )
    assert texts(text) == [
        "## Summary",
        "Here is what the documents say:",
        "It was signed in Istanbul",
        "It was ratified in Baku [2]",
        "First point.",
        "Second sentence.",
        "second point",
        "a task",
        "quoted line",
        "No final stop here",
        "New line",
    ]


def test_soft_wrapped_lines_are_joined() -> None:
    text = "The memorandum was signed in\nIstanbul by the two ministers\nand ratified later. Next."
    # "Istanbul" starts uppercase: a new line, not a wrap; "and ratified" continues it
    assert texts(text) == [
        "The memorandum was signed in",
        "Istanbul by the two ministers\nand ratified later.",
        "Next.",
    ]


def test_code_fence_is_one_span_and_not_split() -> None:
    text = "Code:\n```python\nx = a[1]. Y = 2\n\nz. W\n```\nAfter. Done."
    assert texts(text) == ["Code:", "```python\nx = a[1]. Y = 2\n\nz. W\n```", "After.", "Done."]


def test_unclosed_fence_runs_to_end() -> None:
    text = "Intro.\n```\nx. Y\n"
    assert texts(text) == ["Intro.", "```\nx. Y"]


def test_seed_document_sentences() -> None:
    text = SEED.read_text(encoding="utf-8")
    spans = split_sentences(text)
    got = [text[a:b] for a, b in spans]
    assert len(got) == 25  # 2+2+2+3+3+3+3+2+2+2+1 over the 11 paragraphs
    assert got[4].startswith('The MoU, titled "Memorandum of Understanding')
    assert got[4].endswith(
        "signed in Istanbul on July 22, 2025, by Azerbaijani Defense Minister "
        "Zakir Hasanov and his Turkish counterpart Yaşar Güler."
    )
    assert all(s[0].isupper() for s in got)
    assert all(s.rstrip('"').endswith(".") for s in got)  # one ends '...two states."'


def test_marker_regex_forms() -> None:
    text = "a [1] b [1, 2] c [3-4] d [Passage 2] e [2†src] f 【1】 g [a] h [] i [^3] j (Passage 5)"
    found = [text[a:b] for a, b in marker_spans(text)]
    assert found == [
        "[1]",
        "[1, 2]",
        "[3-4]",
        "[Passage 2]",
        "[2†src]",
        "【1】",
        "[^3]",
        "(Passage 5)",
    ]
    assert MARKER_RE.search("(1)") is None  # a list number, not a citation


def test_code_regions_hide_markers() -> None:
    text = "Use `arr[1]` here [2].\n```\nb[3]\n```\n"
    assert [text[a:b] for a, b in marker_spans(text)] == ["[2]"]
    assert [text[a:b] for a, b in code_regions(text)] == ["`arr[1]`", "```\nb[3]\n```"]


_ALPHABET = st.sampled_from(
    list("ab Z.!?;:,\"'()[]【】0123456789-–†#*`~>|\n\t ")
    + ["Dr.", "U.S.", "No.", " [1]", "[2, 3]", "```", "- ", "1. ", "。", "é", "Passage ", "\r"]
)


def _check_spans(text: str, spans: list[tuple[int, int]]) -> None:
    prev = 0
    for a, b in spans:
        assert prev <= a < b <= len(text)
        assert not text[a].isspace() and not text[b - 1].isspace()
        prev = b


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_split_never_raises_and_spans_are_ordered(text: str) -> None:
    _check_spans(text, split_sentences(text))


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_split_on_markdown_like_text(text: str) -> None:
    spans = split_sentences(text)
    _check_spans(text, spans)
    for a, b in marker_spans(text):  # a marker is never cut by a sentence boundary
        assert not any(a < e < b or a < s < b for s, e in spans)
