"""Citation parsing, checking, repair and renumbering on passages of the seed article."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.citations import CheckedAnswer, check_answer, parse_citations, strip_sources_block
from rag.types import Chunk, Hit

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_fa9b40200313cc7b.txt"
ARTICLE = SEED.read_text(encoding="utf-8")
SOURCE = "/docs/000_fa9b40200313cc7b.txt"
TITLE = "Azerbaijan ratifies military security memorandum with Türkiye"


def _paragraph(i: int) -> tuple[int, int]:
    start = 0
    for _ in range(i):
        start = ARTICLE.index("\n", start) + 1
    end = ARTICLE.find("\n", start)
    return start, len(ARTICLE) if end < 0 else end


def hit(i: int, *, page: int | None = None) -> Hit:
    """Paragraph i of the seed as a retrieved chunk (text == article[start:end])."""
    start, end = _paragraph(i)
    chunk = Chunk(
        id=f"seed-{i}",
        source=SOURCE,
        title=TITLE,
        ordinal=i,
        start=start,
        end=end,
        text=ARTICLE[start:end],
        tokens=120,
        page=page,
    )
    return Hit(chunk=chunk, relevance=0.6)


SIGNING, RATIFY, ART51, SHUSHA, REVIEW = hit(2), hit(0), hit(4), hit(5), hit(6)
ISTANBUL = "The memorandum was signed in Istanbul on July 22, 2025"
APPROVED = "Azerbaijan's parliament, the Milli Majlis, approved the law on December 25, 2025"
ISTANBUL_SENTENCE = ARTICLE[ARTICLE.index("The MoU, titled") : ARTICLE.index("Güler.") + 6]


# --- parse_citations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a [1].", [("[1]", [1])]),
        ("a [1, 2].", [("[1, 2]", [1, 2])]),
        ("a [1,2; 4]", [("[1,2; 4]", [1, 2, 4])]),
        ("a [1][2].", [("[1]", [1]), ("[2]", [2])]),
        ("a [1-3].", [("[1-3]", [1, 2, 3])]),
        ("a [1–3, 5].", [("[1–3, 5]", [1, 2, 3, 5])]),
        ("a [Passage 2].", [("[Passage 2]", [2])]),
        ("a [passages 1 and 3].", [("[passages 1 and 3]", [1, 3])]),
        ("a [Source: 4]", [("[Source: 4]", [4])]),
        ("a [2†].", [("[2†]", [2])]),
        ("a 【1†source】.", [("【1†source】", [1])]),
        ("a 【1】", [("【1】", [1])]),
        ("a ［3］", [("［3］", [3])]),
        ("a [^2]", [("[^2]", [2])]),
        ("a (Passage 2).", [("(Passage 2)", [2])]),
        ("a [2, 2, 1]", [("[2, 2, 1]", [2, 1])]),
    ],
)
def test_parse_citation_forms(text: str, expected: list[tuple[str, list[int]]]) -> None:
    assert [(text[a:b], ns) for a, b, ns in parse_citations(text)] == expected


def test_parse_garbage_is_ignored_or_safe() -> None:
    assert parse_citations("[a] [] [ ] [x1] (1) [1a] [p. 3]") == []
    text = "[999999999999] [1-999999] [" + "9" * 40 + "]"
    found = [(text[a:b], ns) for a, b, ns in parse_citations(text)]
    assert found == [
        ("[999999999999]", [999999999999]),
        ("[1-999999]", [1, 999999]),  # a huge range keeps its ends, never expands
        ("[" + "9" * 40 + "]", []),  # too long to be a passage number
    ]


def test_parse_skips_code() -> None:
    text = "Use `arr[1]` here [2].\n```\nx = y[3]\n```\nDone [4]."
    assert [ns for _, _, ns in parse_citations(text)] == [[2], [4]]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("[]【】()0123456789,-–† aPsgeo^:\n`"))) | st.text())
def test_parse_never_raises_spans_ordered(text: str) -> None:
    prev = 0
    for a, b, numbers in parse_citations(text):
        assert prev <= a < b <= len(text)
        assert text[a] in "[【［(" and text[b - 1] in "]】］)"
        assert all(isinstance(n, int) and n >= 0 for n in numbers)
        prev = b


# --- check_answer: repairs ----------------------------------------------------------------------


def test_wrong_number_is_repaired_and_renumbered() -> None:
    hits = [SIGNING, RATIFY, ART51]
    result = check_answer(f"{ISTANBUL} [3].", hits)
    assert result.text == f"{ISTANBUL} [1]."
    assert [c.chunk_id for c in result.citations] == ["seed-2"]
    assert result.citations[0].n == 1
    assert result.repaired == 1
    assert result.unsupported_sentences == []
    assert result.supported_share == 1.0


def test_wrong_number_repaired_to_a_later_passage() -> None:
    hits = [RATIFY, ART51, SIGNING]  # the model cites [1], but passage 3 says it
    result = check_answer(f"{ISTANBUL} [1].", hits)
    assert result.text == f"{ISTANBUL} [1]."
    assert result.citations[0].chunk_id == "seed-2"
    assert result.repaired == 1


def test_missing_citation_is_added() -> None:
    hits = [SIGNING, RATIFY]
    result = check_answer(f"{APPROVED}.", hits)
    assert result.text == f"{APPROVED} [1]."
    assert [c.chunk_id for c in result.citations] == ["seed-0"]
    assert result.repaired == 1


@pytest.mark.parametrize("marker", ["[9]", "[0]", "[999999999999]", "[3-4]"])
def test_out_of_range_is_replaced(marker: str) -> None:
    result = check_answer(f"{ISTANBUL} {marker}.", [RATIFY, SIGNING])
    assert result.text == f"{ISTANBUL} [1]."
    assert result.citations[0].chunk_id == "seed-2"
    assert result.repaired >= 1


def test_invented_fact_is_unsupported_and_dropped_with_strict() -> None:
    invented = "The memorandum was signed in Ankara on March 3, 2024 [1]."
    answer = f"{ISTANBUL} [1]. {invented} {APPROVED} [2]."
    hits = [SIGNING, RATIFY]

    loose = check_answer(answer, hits)
    assert (
        loose.text
        == f"{ISTANBUL} [1]. The memorandum was signed in Ankara on March 3, 2024. {APPROVED} [2]."
    )
    assert loose.unsupported_sentences == ["The memorandum was signed in Ankara on March 3, 2024."]
    assert loose.supported_share == pytest.approx(2 / 3)
    assert loose.repaired == 1  # the invalid [1] removed, nothing appended

    strict = check_answer(answer, hits, strict=True)
    assert strict.text == f"{ISTANBUL} [1]. {APPROVED} [2]."
    assert strict.unsupported_sentences == loose.unsupported_sentences
    assert strict.supported_share == pytest.approx(2 / 3)


def test_invented_name_is_unsupported() -> None:
    answer = "The memorandum was signed by Defense Minister Ali Karimov [1]."
    result = check_answer(answer, [SIGNING, RATIFY, ART51])
    assert result.citations == []
    assert result.text == "The memorandum was signed by Defense Minister Ali Karimov."
    assert result.supported_share == 0.0


def test_strict_drop_keeps_lists_tidy() -> None:
    answer = (
        "Key facts:\n"
        f"- {ISTANBUL} [1].\n"
        "- It was signed by Elon Musk on May 5, 2024 [2].\n"
        f"- {APPROVED} [2]."
    )
    result = check_answer(answer, [SIGNING, RATIFY], strict=True)
    assert result.text == f"Key facts:\n- {ISTANBUL} [1].\n- {APPROVED} [2]."


def test_cited_passages_that_do_not_support_are_dropped_when_another_does() -> None:
    result = check_answer(f"{ISTANBUL} [2][1].", [SIGNING, RATIFY])
    assert result.text == f"{ISTANBUL} [1]."
    assert [c.chunk_id for c in result.citations] == ["seed-2"]
    assert result.repaired == 1


def test_sentence_joining_two_passages_cites_both() -> None:
    answer = "The MoU was signed in Istanbul and approved by the Milli Majlis on December 25, 2025."
    result = check_answer(answer, [ART51, SIGNING, RATIFY])
    assert result.text == answer[:-1] + " [1][2]."
    assert {c.chunk_id for c in result.citations} == {"seed-2", "seed-0"}
    assert result.supported_share == 1.0


# --- check_answer: renumbering and the citation list ------------------------------------------


def test_renumbering_by_first_use() -> None:
    hits = [SIGNING, ART51, RATIFY]
    answer = f"{APPROVED} [3]. {ISTANBUL} [1]."
    result = check_answer(answer, hits)
    assert result.text == f"{APPROVED} [1]. {ISTANBUL} [2]."
    assert [(c.n, c.chunk_id) for c in result.citations] == [(1, "seed-0"), (2, "seed-2")]
    assert result.repaired == 0  # renumbering is normalisation, not repair


def test_same_passage_cited_twice_gives_one_entry() -> None:
    answer = (
        f"{ISTANBUL} [1]. The signing occurred amid the International Defense Industry Fair "
        "(IDEF 2025) [1]."
    )
    result = check_answer(answer, [SIGNING, RATIFY])
    assert [c.n for c in result.citations] == [1]
    assert result.text.count("[1]") == 2
    text = result.citations[0].text
    assert [text[a:b] for a, b in result.citations[0].highlights] == [
        ISTANBUL_SENTENCE,
        "The signing occurred amid the International Defense Industry Fair (IDEF 2025), "
        "underscoring the growing defense industry ties between the two nations.",
    ]


def test_duplicate_hits_collapse_to_one_citation() -> None:
    hits = [SIGNING, RATIFY, SIGNING]  # the same chunk retrieved twice
    result = check_answer(f"{ISTANBUL} [3]. {APPROVED} [2]. {ISTANBUL} again [1].", hits)
    assert [(c.n, c.chunk_id) for c in result.citations] == [(1, "seed-2"), (2, "seed-0")]
    assert result.text == f"{ISTANBUL} [1]. {APPROVED} [2]. {ISTANBUL} again [1]."
    assert result.repaired == 0


def test_citation_fields_come_from_the_chunk() -> None:
    signing = hit(2, page=3)
    result = check_answer(f"{ISTANBUL} [1].", [signing])
    (citation,) = result.citations
    chunk = signing.chunk
    assert (citation.source, citation.title, citation.page) == (SOURCE, TITLE, 3)
    assert (citation.start, citation.end, citation.text) == (chunk.start, chunk.end, chunk.text)
    assert ARTICLE[citation.start : citation.end] == citation.text
    assert citation.chunk_id == "seed-2"
    assert citation.support == 1.0
    assert citation.to_json()["highlights"] == [list(h) for h in citation.highlights]


def test_highlight_points_at_the_supporting_sentence() -> None:
    result = check_answer(f"{ISTANBUL} [2].", [RATIFY, SIGNING, ART51])
    (citation,) = result.citations
    (span,) = citation.highlights
    assert citation.text[span[0] : span[1]] == ISTANBUL_SENTENCE


def test_highlights_of_several_sentences_sorted() -> None:
    answer = (
        "It includes provisions for mutual assistance in the event of armed aggression [1]. "
        "The memorandum aims to safeguard the sovereignty of both states [1]."
    )
    result = check_answer(answer, [ART51])
    text = result.citations[0].text
    got = [text[a:b] for a, b in result.citations[0].highlights]
    assert got == [  # in passage order, although the answer used them the other way round
        "The memorandum explicitly aims to safeguard the security, sovereignty, independence, "
        "and territorial integrity of both states.",
        "It includes provisions for mutual assistance in the event of armed aggression against "
        "either party, exercised in line with Article 51 of the United Nations Charter on "
        "individual and collective self-defense.",
    ]


# --- check_answer: non-factual text, refusals, footers, formatting ------------------------------


def test_refusal_cites_nothing_and_keeps_text() -> None:
    answer = "The documents do not say when Türkiye will ratify it [2]."
    result = check_answer(answer, [SIGNING, RATIFY], refusal=True)
    assert result == CheckedAnswer(
        text=answer, citations=[], unsupported_sentences=[], supported_share=1.0, repaired=0
    )


def test_non_factual_sentences_are_not_counted() -> None:
    answer = (
        "Sure! Here is what the documents say:\n\n"
        f"{ISTANBUL} [1]. "
        "The documents do not contain information about the budget. "
        "I hope this helps!"
    )
    result = check_answer(answer, [SIGNING])
    assert result.supported_share == 1.0
    assert result.unsupported_sentences == []
    assert result.text == answer  # the cited sentence was already right


def test_supported_share_counts_only_factual_sentences() -> None:
    answer = (
        "Here is a summary:\n"
        f"- {ISTANBUL}.\n"
        f"- {APPROVED}.\n"
        "- Joint naval drills were held in the Caspian Sea in 2019.\n"
        "- The treaty was praised by Emmanuel Macron.\n"
        "Let me know if you need more details."
    )
    result = check_answer(answer, [SIGNING, RATIFY])
    assert result.supported_share == pytest.approx(0.5)
    assert result.unsupported_sentences == [
        "Joint naval drills were held in the Caspian Sea in 2019.",
        "The treaty was praised by Emmanuel Macron.",
    ]


def test_marker_on_non_factual_sentence_is_removed() -> None:
    result = check_answer(f"Here is what the documents say [1]:\n{ISTANBUL} [1].", [SIGNING])
    assert result.text == f"Here is what the documents say:\n{ISTANBUL} [1]."
    assert result.repaired == 1


@pytest.mark.parametrize(
    "footer",
    [
        "\n\nSources: [1] Azerbaijan ratifies military security memorandum with Türkiye",
        "\n\n**Sources:**\n- [1] 000_fa9b40200313cc7b.txt\n- [2] Passage 2",
        "\n\n### References\n1. Passage 1\n2. Passage 3",
        "\n\nCitations:\n[1] /docs/000_fa9b40200313cc7b.txt (page 1)",
        "\n[1] 000_fa9b40200313cc7b.txt\n[2] Passage 2",
        " Sources: [1], [2]",
        "\n\n(Sources: [1][2])",
    ],
)
def test_trailing_sources_block_is_removed(footer: str) -> None:
    result = check_answer(f"{ISTANBUL} [1].{footer}", [SIGNING, RATIFY])
    assert result.text == f"{ISTANBUL} [1]."
    assert [c.chunk_id for c in result.citations] == ["seed-2"]


def test_sources_word_inside_an_answer_is_kept() -> None:
    answer = "Sources close to the ministry said the MoU was signed in Istanbul [1]."
    assert strip_sources_block(answer, [SIGNING]) == answer
    answer = f"{ISTANBUL} [1].\n\nReferences to Article 51 appear in the text [2]."
    assert strip_sources_block(answer, [SIGNING]) == answer


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (f"{ISTANBUL}. [1]", f"{ISTANBUL} [1]."),
        (f"{ISTANBUL} [1].", f"{ISTANBUL} [1]."),
        (f"{ISTANBUL}.[1]", f"{ISTANBUL} [1]."),
        (f"{ISTANBUL}. [1].", f"{ISTANBUL} [1]."),
        (f"{ISTANBUL} [Passage 1].", f"{ISTANBUL} [1]."),
        (f"{ISTANBUL} 【1†source】.", f"{ISTANBUL} [1]."),
        (f"{ISTANBUL}", f"{ISTANBUL} [1]"),
        (f"{ISTANBUL}.\n[1]", f"{ISTANBUL} [1]."),
        ("The memorandum [1] was signed in Istanbul on July 22, 2025.", f"{ISTANBUL} [1]."),
        (f"{ISTANBUL} [1, 2].", f"{ISTANBUL} [1]."),
    ],
)
def test_markers_are_normalised(written: str, expected: str) -> None:
    assert check_answer(written, [SIGNING, ART51]).text == expected


def test_markdown_and_code_survive() -> None:
    answer = (
        "## Answer\n"
        f"1. **{ISTANBUL}** [1].\n"
        "```python\nrefs = passages[2]. Not a sentence\n```\n"
        f"2. {APPROVED} [3]."
    )
    result = check_answer(answer, [SIGNING, ART51, RATIFY])
    assert result.text == (
        "## Answer\n"
        f"1. **{ISTANBUL}** [1].\n"
        "```python\nrefs = passages[2]. Not a sentence\n```\n"
        f"2. {APPROVED} [2]."
    )


def test_no_hits_means_every_fact_is_unsupported() -> None:
    result = check_answer(f"{ISTANBUL} [1].", [])
    assert result.text == f"{ISTANBUL}."
    assert result.citations == []
    assert result.supported_share == 0.0


def test_threshold_is_respected() -> None:
    answer = "The memorandum was signed in Istanbul during a heatwave."
    assert check_answer(answer, [SIGNING], threshold=0.5).citations
    assert not check_answer(answer, [SIGNING], threshold=0.95).citations


def test_fast_enough_for_ten_passages() -> None:
    hits = [hit(i) for i in range(11)][:10]
    answer = " ".join(
        [
            f"{ISTANBUL} [3].",
            f"{APPROVED} [9].",
            "Experts call it defensive [2].",
            "It was signed by Elon Musk.",
        ]
        * 2
    )
    check_answer(answer, hits)  # warm the per-passage caches, as a second question would
    runs = []
    for i in range(20):
        t0 = time.perf_counter()
        check_answer(answer + f" Extra {i}.", hits)
        runs.append(time.perf_counter() - t0)
    assert sorted(runs)[len(runs) // 2] < 0.02  # median; typically ~1 ms


# --- properties -----------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        ISTANBUL + ".",
        APPROVED + ".",
        "It was signed by Elon Musk in 1999.",
        "Here is what the documents say:",
        "I hope this helps!",
        " [1]",
        " [2]",
        "[3]",
        " [9]",
        "[1, 2]",
        "【2】",
        "\n",
        "\n- ",
        "\n1. ",
        " ",
        "```\n",
        "\nSources:\n[1] a.txt",
        "[",
        "]",
    ]
)


def _check_result(result: CheckedAnswer, n_hits: int) -> None:
    assert [c.n for c in result.citations] == list(range(1, len(result.citations) + 1))
    assert len({c.chunk_id for c in result.citations}) == len(result.citations)
    assert len(result.citations) <= n_hits
    assert 0.0 <= result.supported_share <= 1.0
    assert result.repaired >= 0
    for c in result.citations:
        assert 0.0 <= c.support <= 1.0
        for a, b in c.highlights:
            assert 0 <= a < b <= len(c.text)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.booleans())
def test_check_answer_never_raises(text: str, strict: bool) -> None:
    result = check_answer(text, [SIGNING, RATIFY, ART51], strict=strict)
    _check_result(result, 3)
    assert check_answer(text, [], strict=strict).citations == []
    assert check_answer(text, [SIGNING], refusal=True).text == text


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join), st.booleans())
def test_markers_in_output_are_numbered_by_first_use(text: str, strict: bool) -> None:
    result = check_answer(text, [ART51, SIGNING, RATIFY], strict=strict)
    _check_result(result, 3)
    if "```" not in text:  # (removing "[1] " before a mid-line ``` can open a code fence)
        used = [n for _, _, ns in parse_citations(result.text) for n in ns]
        assert list(dict.fromkeys(used)) == [c.n for c in result.citations]
    if strict and "```" not in text:  # text in an (unclosed) code fence is left alone
        assert "Elon Musk" not in result.text
    if not strict:  # callers mark unsupported sentences by finding them, in order, in the text
        pos = 0
        for sentence in result.unsupported_sentences:
            pos = result.text.index(sentence, pos) + len(sentence)
