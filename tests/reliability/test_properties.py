"""Property tests on hostile text: chunk offsets stay exact, the citation checker never raises.

tests/test_chunking.py and tests/test_citations.py hold the everyday properties;
these add the nasty alphabets (combining marks, \\r, NULs, bidi and zero-width
characters, astral symbols, 3,000-character words), arbitrary passages, and time
bounds on inputs built to make regexes backtrack.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag import tokens
from rag.chunking import ChunkSpec, chunk_document
from rag.citations import check_answer, parse_citations
from rag.types import Chunk, Document, Hit

NASTY = [
    "\r", "\r\n", "\n", "\n\n", "\x00", "\t", " ", "\u00a0", "\u2028", "\u2029", "\x0b", "\x0c",
    "\x1c", "\x85", "\u200b", "\u200d", "\u202e", "\ufeff", "e\u0301", "\u0301\u0301\u0301",
    "👍🏽", "👨‍👩‍👧", "漢字", "مرحبا", "Ωμέγα", "𝔘𝔫𝔦", ".", "!", "?", '"', "”", ")", "]",
    "Mr.", "e.g.", "...", "<|endoftext|>", "[1]",
]  # fmt: skip

pieces = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),  # no lone surrogates
    st.text(st.characters(categories=["Mn", "Me", "Cf", "Zs", "Cc"]), max_size=12),
    st.builds(lambda c, n: c * n, st.sampled_from("a-=x漢é👍 "), st.integers(200, 3000)),
    st.lists(st.sampled_from(["word", "longer", "sentence.", "Ends!", "so?"]), max_size=30).map(
        " ".join
    ),
)
nasty_text = st.lists(pieces, max_size=40).map("".join)


def doc(text: str) -> Document:
    return Document(source="/d/x.txt", title="x", text=text, sha256="0", format="txt")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nasty_text, st.integers(16, 200))
def test_chunks_map_back_exactly_and_cover_all_text(text: str, size: int) -> None:
    spec = ChunkSpec(size, size // 5)
    chunks = chunk_document(doc(text), spec)
    covered = bytearray(len(text))
    for i, c in enumerate(chunks):
        assert c.ordinal == i
        assert text[c.start : c.end] == c.text, "offsets do not map back to the text"
        assert c.text and c.text == c.text.strip()
        assert c.tokens == tokens.count(c.text)
        assert c.tokens <= spec.size, f"chunk of {c.tokens} tokens over {spec.size}"
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    starts = [c.start for c in chunks]
    assert starts == sorted(set(starts)), "chunks must start strictly later each time"
    assert len({c.id for c in chunks}) == len(chunks)
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not lost, f"{len(lost)} characters in no chunk, first at {lost[0]}"


@pytest.mark.parametrize(
    ("text", "size"),
    [("👍🏽" * 400, 50), ("👍🏽" * 3000, 180), ("é" * 1000 + " " + "𝔘𝔫𝔦𝔠𝔬𝔡𝔢" * 100, 40)],
    ids=["emoji-50", "emoji-180", "math-letters-40"],
)
def test_token_split_words_stay_within_the_bound(text: str, size: int) -> None:
    """A word longer than a chunk is cut at token offsets; characters that tiktoken spells
    with several byte tokens must not push a piece over the limit when it is re-counted."""
    chunks = chunk_document(doc(text), ChunkSpec(size, size // 5))
    assert max(c.tokens for c in chunks) <= size, [c.tokens for c in chunks][:8]


def hit(n: int, text: str) -> Hit:
    chunk = Chunk(id=f"c{n}", source=f"/d/{n}.txt", title=f"T{n}", ordinal=0, start=0,
                  end=len(text), text=text, tokens=1)  # fmt: skip
    return Hit(chunk, relevance=0.8)


MODEL_BITS = [
    "The treaty was signed in Istanbul", " [1]", "[2, 3]", "[0]", "[-1]", "[99999]",
    "[1-1000000]", "【2】", "[^1]", "[Passage 2]", "†", ". ", "\n", "\nSources:\n",
    "```", "[", "]", "Istanbul [1][2][3].", "[" + "9" * 40 + "]",
]  # fmt: skip
answers = st.one_of(
    nasty_text,
    st.lists(
        st.sampled_from(MODEL_BITS),
        max_size=30,
    ).map("".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers, st.lists(nasty_text, max_size=5), st.booleans())
def test_citation_checker_never_raises_on_any_output_and_passages(
    answer: str, passages: list[str], strict: bool
) -> None:
    hits = [hit(i, p) for i, p in enumerate(passages)]
    for a, b, numbers in parse_citations(answer):
        assert 0 <= a < b <= len(answer) and all(isinstance(n, int) for n in numbers)
    result = check_answer(answer, hits, strict=strict)
    assert [c.n for c in result.citations] == list(range(1, len(result.citations) + 1))
    assert {c.chunk_id for c in result.citations} <= {h.chunk.id for h in hits}
    assert 0.0 <= result.supported_share <= 1.0
    for _, _, numbers in parse_citations(result.text):
        assert all(1 <= n <= len(result.citations) for n in numbers), result.text


SIGNING = hit(1, "The memorandum was signed in Istanbul on July 22, 2025, by the two ministers.")
PATHOLOGICAL = {
    "open brackets": "[" * 20_000,
    "unclosed markers": "[1" * 10_000,
    "long range": "[" + "1-" * 10_000 + "2]",
    "digits": "[" + "9" * 20_000 + "]",
    "nested": "[[" * 5_000 + "1" + "]]" * 5_000,
    "sources headers": "Sources:\n" * 3_000,
    "refusal-like": "the documents do not " * 2_000 + "contain it.",
    "no punctuation": "word " * 20_000,
    "many sentences": "Istanbul was the place [1]. " * 2_000,
    "fullwidth": "【" * 10_000 + "1",
    "code fences": "```\n" * 5_000,
    "list items": "\n- [1]" * 5_000,
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_citation_checker_is_fast_on_pathological_output(text: str) -> None:
    """Model output built to make regexes backtrack: answered in well under a few seconds."""
    t0 = time.perf_counter()
    parse_citations(text)
    check_answer(text, [SIGNING], strict=True)
    seconds = time.perf_counter() - t0
    assert seconds < 3.0, f"{seconds:.1f} s on {len(text):,} characters"
