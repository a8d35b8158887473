"""Known inputs and outputs for every scoring function in rag.evals.metrics."""

from __future__ import annotations

import pytest

from rag.evals import metrics as m
from rag.types import AnswerResult


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Türkiye", "turkiye"),
        ("  Yaşar   Güler\n", "yasar guler"),
        ("Erdoğan", "erdogan"),
        ("“one nation, two states”", '"one nation, two states"'),
        ("Caucasus Eagle–2025", "caucasus eagle-2025"),
        ("it’s", "it's"),
        ("ＩＳＴＡＮＢＵＬ", "istanbul"),  # fullwidth -> NFKC
        ("ıstanbul", "istanbul"),  # dotless i
        ("STRAßE", "strasse"),
        ("soft\u00adhyphen", "softhyphen"),
        ("a\u00a0b", "a b"),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert m.normalize_text(raw) == expected


def test_strip_citations() -> None:
    assert m.strip_citations("Signed in Istanbul [1], on July 22 [2][3].") == (
        "Signed in Istanbul, on July 22."
    )
    assert m.strip_citations("A [1, 2] b [3-4].") == "A b."


@pytest.mark.parametrize(
    ("alternative", "answer", "expected"),
    [
        ("Türkiye", "It was signed with Turkiye.", True),
        ("Turkiye", "It was signed with Türkiye.", True),
        ("Istanbul", "in ISTANBUL", True),
        ("Ankara", "in Istanbul", False),
        ("one nation, two states", "the phrase “One Nation,  Two States”", True),
        ("Caucasus Eagle-2025", "the Caucasus Eagle–2025 exercise", True),
        ("Zakir Hasanov and Yaşar Güler", "Zakir Hasanov [1] and Yasar Guler [2]", True),
        ("July 22, 2025", "on July 22 [1], 2025", True),
        (r"/July\s+22/", "on july   22", True),
        (r"/July\s+22/", "on 22 July", False),
        ("/Güler/", "by Yaşar Güler", True),  # raw text matches the accented pattern
        ("/guler/", "by Yaşar Güler", True),  # normalised text matches the plain one
        (r"/art(icle|\.)\s*95/", "under Art. 95 of the Constitution", True),
    ],
)
def test_match_alternative(alternative: str, answer: str, expected: bool) -> None:
    assert m.match_alternative(alternative, answer) is expected


def test_fact_recall_and_exact_pass() -> None:
    facts = [("Istanbul",), ("July 22, 2025", "22 July 2025"), ("Hasanov",)]
    answer = "It was signed in Istanbul on 22 July 2025 [1]."
    assert m.missing_facts(facts, answer) == [("Hasanov",)]
    assert m.fact_recall(facts, answer) == pytest.approx(2 / 3)
    assert m.exact_pass(facts, answer) is False
    assert m.exact_pass(facts[:2], answer) is True
    assert m.fact_recall([], "anything") == 1.0


def test_citation_support() -> None:
    facts = [("Istanbul",), ("July 22",)]
    passages = ["The MoU was signed in Istanbul.", "Something else."]
    assert m.citation_support(facts, passages) == 0.5
    assert m.citation_support(facts, []) == 0.0
    assert m.citation_support([], []) == 1.0


def test_ranking_metrics() -> None:
    ranked = ["/d/alpha.txt", "/d/000_fa9b.txt", "/d/gamma.txt"]
    assert m.first_rank(["000_fa9b"], ranked) == 2
    assert m.hit_at_k(["000_fa9b"], ranked, 1) is False
    assert m.hit_at_k(["000_fa9b"], ranked, 2) is True
    assert m.hit_at_k(["zzz"], ranked, 3) is False
    assert m.reciprocal_rank(["000_fa9b"], ranked) == 0.5
    assert m.reciprocal_rank(["zzz"], ranked) == 0.0
    assert m.reciprocal_rank(["gamma", "alpha"], ranked) == 1.0  # any expected id counts
    assert m.mrr([["alpha"], ["gamma"], ["zzz"]], [ranked] * 3) == pytest.approx((1 + 1 / 3) / 3)
    assert m.mrr([], []) == 0.0


def test_dedupe_keeps_first_seen_order() -> None:
    assert m.dedupe(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]


def test_cited_expected_source() -> None:
    assert m.cited_expected_source(["000_FA9B"], ["/x/000_fa9b.txt"]) is True
    assert m.cited_expected_source(["000_fa9b"], ["/x/other.txt"]) is False
    assert m.cited_expected_source(["000_fa9b"], []) is False


def test_cited_numbers_and_validity() -> None:
    text = "A [1]. B [2, 3]. C [4][1]. D [5-7]."
    assert m.cited_numbers(text) == [1, 2, 3, 4, 1, 5, 6, 7]
    assert m.unresolved_markers(text, [1, 2, 3, 4, 5, 6]) == [7]
    assert m.citations_valid(text, range(1, 8)) is True
    assert m.citations_valid(text, [1, 2]) is False
    assert m.citations_valid("No markers at all.", []) is True


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I don't know.",
        "I couldn’t find this in your documents.",
        "The documents do not mention a budget for the exercises.",
        "The provided context doesn't specify how many troops.",
        "There is no information about the vote count.",
        "This cannot be answered from the sources.",
        "The number of deputies is not mentioned.",
        "Not enough information to answer.",
    ],
)
def test_refusal_text(text: str) -> None:
    assert m.looks_like_refusal(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "It was signed in Istanbul on July 22, 2025 [1].",
        "The memorandum is defensive and not directed against third parties [2].",
        # a cited answer ending in a caveat is still an answer
        "It was signed in Istanbul [1]. The exact hour is not mentioned.",
    ],
)
def test_answers_are_not_refusals(text: str) -> None:
    assert m.looks_like_refusal(text) is False


def test_is_refusal_uses_flag_then_text() -> None:
    assert m.is_refusal(AnswerResult(question="q", answer="Istanbul [1].", refused=True))
    assert not m.is_refusal(AnswerResult(question="q", answer="Istanbul [1].", refused=False))
    assert m.is_refusal(AnswerResult(question="q", answer="I don't know.", refused=False))
    assert m.is_refusal("The context does not say.")


def test_refusal_accuracy() -> None:
    refused = [True, False, False, True]
    answerable = [False, True, False, True]
    assert m.refusal_accuracy(refused, answerable) == 0.5
    assert m.refusal_accuracy([], []) == 0.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("an  apple, a pear", "apple pear"),
        ("Theory of the A-team", "theory of ateam"),
    ],
)
def test_squad_normalize(raw: str, expected: str) -> None:
    assert m.squad_normalize(raw) == expected


def test_exact_match_and_f1() -> None:
    assert m.exact_match("The Eiffel tower.", ["Eiffel Tower", "tower"]) == 1.0
    assert m.exact_match("Eiffel", ["Eiffel Tower"]) == 0.0
    # pred "eiffel" vs gold "eiffel tower": p=1, r=1/2 -> F1 2/3
    assert m.token_f1("Eiffel", ["Eiffel Tower"]) == pytest.approx(2 / 3)
    assert m.token_f1("Eiffel", ["Louvre", "Eiffel"]) == 1.0  # best gold wins
    assert m.token_f1("nothing shared", ["Eiffel Tower"]) == 0.0
    assert m.token_f1("", [""]) == 1.0
    assert m.token_f1("the", ["Eiffel"]) == 0.0
    # "eight presidents" vs "eight us presidents": common 2, p=1, r=2/3 -> 0.8
    assert m.token_f1("eight presidents", ["eight U.S. presidents"]) == pytest.approx(0.8)


def test_contains_answer() -> None:
    sentence = "Baran developed distributed adaptive message block switching at RAND."
    assert m.contains_answer(sentence, ["distributed adaptive message block switching"]) == 1.0
    assert m.contains_answer("Eighteen presidents.", ["eight"]) == 0.0  # word boundaries
    assert m.contains_answer("anything", [""]) == 0.0


def test_percentile_linear_interpolation() -> None:
    assert m.percentile([1, 2, 3, 4], 50) == 2.5
    assert m.percentile([4, 1, 3, 2], 0) == 1
    assert m.percentile([1, 2, 3, 4], 100) == 4
    assert m.percentile([10.0], 95) == 10.0
    assert m.percentile(range(1, 101), 95) == pytest.approx(95.05)
    assert m.percentile([], 50) is None
    with pytest.raises(ValueError):
        m.percentile([1.0], 101)


def test_mean() -> None:
    assert m.mean([True, False, True, True]) == 0.75
    assert m.mean([]) is None
