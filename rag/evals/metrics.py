"""Pure scoring functions: fact matching, retrieval ranks, citations, refusals, SQuAD, latency.

No I/O and no model: every function here is deterministic so the suite itself can be
unit-tested with known inputs and outputs.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from rag.evals.facts import Fact, is_regex

# ---------------------------------------------------------------- normalisation

_PUNCT_MAP = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′‵`´", "'"),
        **dict.fromkeys("“”„‟″‶«»", '"'),
        **dict.fromkeys("‐‑‒–—―−⁃﹘﹣－", "-"),
        # letters NFKD does not decompose but readers treat as their base letter
        "ı": "i",
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
    }
)
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_WS = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Fold the spellings a correct answer may legitimately vary in.

    NFKC, casefold, accents stripped (Türkiye -> turkiye), typographic quotes and
    dashes unified, invisible characters dropped, whitespace collapsed. Applied to
    both the answer and the expected fact so either side may use either spelling.
    """
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(_PUNCT_MAP)
    return _WS.sub(" ", text).strip()


_MARKER = re.compile(r"\[(\d+(?:\s*[,;–-]\s*\d+)*)\]")


def strip_citations(text: str) -> str:
    """Remove inline markers ([1], [1, 2], [1][3]) so they cannot split a phrase."""
    text = _MARKER.sub("", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


# ---------------------------------------------------------------- fact matching


def match_alternative(alternative: str, text: str) -> bool:
    """True if one accepted spelling occurs in `text`.

    Plain strings: substring of the normalised text (citation markers removed).
    `/regex/`: case-insensitive search on the normalised text and on the raw text,
    so a pattern may be written with or without accents.
    """
    clean = strip_citations(text)
    if is_regex(alternative):
        pattern = re.compile(alternative[1:-1], re.IGNORECASE)
        return bool(pattern.search(normalize_text(clean)) or pattern.search(text))
    needle = normalize_text(alternative)
    return bool(needle) and needle in normalize_text(clean)


def match_fact(fact: Fact | Sequence[str], text: str) -> bool:
    """An item is satisfied when any one of its alternatives matches."""
    return any(match_alternative(alt, text) for alt in fact)


def missing_facts(facts: Iterable[Fact], text: str) -> list[Fact]:
    """The items `text` fails to contain, in file order."""
    return [tuple(f) for f in facts if not match_fact(f, text)]


def fact_recall(facts: Sequence[Fact], text: str) -> float:
    """Share of items found; 1.0 when nothing is expected."""
    if not facts:
        return 1.0
    return 1.0 - len(missing_facts(facts, text)) / len(facts)


def exact_pass(facts: Sequence[Fact], text: str) -> bool:
    """Every item found."""
    return not missing_facts(facts, text)


def citation_support(facts: Sequence[Fact], passages: Iterable[str]) -> float:
    """Share of expected facts found in at least one cited passage's text.

    Measures whether the evidence shown to the user backs the expected answer;
    1.0 when nothing is expected, 0.0 when something is but nothing was cited.
    """
    if not facts:
        return 1.0
    texts = list(passages)
    found = sum(1 for f in facts if any(match_fact(f, t) for t in texts))
    return found / len(facts)


# ---------------------------------------------------------------- retrieval


def _source_matches(expected: Iterable[str], path: str) -> bool:
    folded = path.casefold()
    return any(e.casefold() in folded for e in expected)


def dedupe(paths: Iterable[str]) -> list[str]:
    """Distinct sources in first-seen order: several chunks of one file count once."""
    return list(dict.fromkeys(paths))


def first_rank(expected: Sequence[str], ranked: Sequence[str]) -> int | None:
    """1-based rank of the first path containing any expected id, or None."""
    for rank, path in enumerate(ranked, 1):
        if _source_matches(expected, path):
            return rank
    return None


def hit_at_k(expected: Sequence[str], ranked: Sequence[str], k: int) -> bool:
    """An expected source is among the first k paths."""
    rank = first_rank(expected, ranked)
    return rank is not None and rank <= k


def reciprocal_rank(expected: Sequence[str], ranked: Sequence[str]) -> float:
    """1/rank of the first expected source; 0.0 if it was not retrieved."""
    rank = first_rank(expected, ranked)
    return 0.0 if rank is None else 1.0 / rank


def mrr(
    expected_per_query: Sequence[Sequence[str]], ranked_per_query: Sequence[Sequence[str]]
) -> float:
    """Mean reciprocal rank over queries (0.0 for no queries)."""
    if not expected_per_query:
        return 0.0
    pairs = zip(expected_per_query, ranked_per_query, strict=True)
    return sum(reciprocal_rank(e, r) for e, r in pairs) / len(expected_per_query)


def cited_expected_source(expected: Sequence[str], cited_sources: Iterable[str]) -> bool:
    """At least one cited passage comes from an expected source."""
    return any(_source_matches(expected, s) for s in cited_sources)


# ---------------------------------------------------------------- citations


def cited_numbers(text: str) -> list[int]:
    """Every marker number in order of appearance; [2-4] expands to 2, 3, 4."""
    numbers: list[int] = []
    for group in _MARKER.findall(text):
        for part in re.split(r"\s*[,;]\s*", group):
            bounds = re.split(r"\s*[–-]\s*", part)
            if len(bounds) == 2 and int(bounds[0]) <= int(bounds[1]) <= int(bounds[0]) + 20:
                numbers.extend(range(int(bounds[0]), int(bounds[1]) + 1))
            else:
                numbers.extend(int(b) for b in bounds)
    return numbers


def unresolved_markers(text: str, citation_numbers: Iterable[int]) -> list[int]:
    """Marker numbers in the answer with no citation entry behind them."""
    known = set(citation_numbers)
    return sorted({n for n in cited_numbers(text) if n not in known})


def citations_valid(text: str, citation_numbers: Iterable[int]) -> bool:
    """Every [n] in the answer resolves to a citation entry (vacuously true without markers)."""
    return not unresolved_markers(text, citation_numbers)


# ---------------------------------------------------------------- refusals

_REFUSAL_PATTERNS = [
    r"\b(?:i|we)\s+(?:do not|don't|cannot|can't|could not|couldn't|am unable to|was unable to)\s+"
    r"(?:know|find|answer|determine|say|tell|locate|provide)",
    r"\bunable to (?:find|answer|determine|locate|provide)",
    r"\bcannot be (?:answered|determined|found)",
    r"\b(?:not|insufficient|no) (?:enough |relevant |specific |sufficient )?"
    r"(?:information|details|data|evidence|mention|answer)\b",
    r"\b(?:documents?|context|sources?|passages?|texts?|article|excerpts?|material|records?)\b"
    r"[^.?!]{0,60}?\b(?:does|do|did)(?: not|n't) (?:say|mention|specify|state|provide|contain|"
    r"include|indicate|give|discuss|cover|address|answer)",
    r"\b(?:is|are|was|were)(?: not|n't) (?:mentioned|specified|stated|provided|given|disclosed|"
    r"reported|found|available|covered)\b",
    r"\bnot (?:in|covered by|found in) (?:the |your |these |my )?(?:provided |given )?"
    r"(?:documents?|context|sources?|passages?|texts?)",
]
_REFUSAL = re.compile("|".join(f"(?:{p})" for p in _REFUSAL_PATTERNS), re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def looks_like_refusal(text: str) -> bool:
    """Text heuristics for "I can't answer that from the documents".

    A refusal phrase counts if it is in the first sentence, or anywhere in an answer
    that cites nothing: a cited answer ending in a caveat ("...the date is not
    specified") is still an answer.
    """
    text = normalize_text(text)
    if not text:
        return True
    first = _SENTENCE_END.split(text, maxsplit=1)[0]
    if _REFUSAL.search(first):
        return True
    return not cited_numbers(text) and bool(_REFUSAL.search(text))


def is_refusal(result: Any) -> bool:
    """Refused if the pipeline said so (`.refused`) or the answer text reads as a refusal."""
    if getattr(result, "refused", False):
        return True
    text = result if isinstance(result, str) else getattr(result, "answer", "")
    return looks_like_refusal(text or "")


def refusal_accuracy(refused: Sequence[bool], answerable: Sequence[bool]) -> float:
    """Share of cases whose refuse/answer decision was right (refuse iff unanswerable)."""
    if not refused:
        return 0.0
    pairs = zip(refused, answerable, strict=True)
    return sum(1 for r, a in pairs if r != a) / len(refused)


# ---------------------------------------------------------------- SQuAD

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def squad_normalize(text: str) -> str:
    """The official SQuAD normalisation: lowercase, drop punctuation, articles, extra spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _max_over(golds: Sequence[str], score: Any) -> float:
    golds = [g for g in golds if g is not None] or [""]
    return max(score(g) for g in golds)


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 if the normalised prediction equals any normalised gold answer."""
    pred = squad_normalize(prediction)
    return _max_over(golds, lambda g: float(squad_normalize(g) == pred))


def _f1(prediction: str, gold: str) -> float:
    pred_toks = squad_normalize(prediction).split()
    gold_toks = squad_normalize(gold).split()
    if not pred_toks or not gold_toks:
        return float(pred_toks == gold_toks)
    common = Counter(pred_toks) & Counter(gold_toks)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred_toks)
    recall = same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token-overlap F1, best over the gold answers."""
    return _max_over(golds, lambda g: _f1(prediction, g))


def contains_answer(prediction: str, golds: Sequence[str]) -> float:
    """1.0 if any normalised gold answer occurs, on word boundaries, in the normalised prediction.

    Our answers are sentences, so EM is near zero by construction; this is the fair
    "did it get the answer" measure.
    """
    pred = f" {squad_normalize(prediction)} "
    for gold in golds:
        g = squad_normalize(gold or "")
        if g and f" {g} " in pred:
            return 1.0
    return 0.0


# ---------------------------------------------------------------- latency


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation between closest ranks.

    Same as numpy's default ("linear", Hyndman-Fan type 7): p50 of [1, 2, 3, 4] is 2.5.
    None for no values, so a missing measurement is never mistaken for zero.
    """
    data = sorted(v for v in values if v is not None and not math.isnan(v))
    if not data:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    pos = (len(data) - 1) * q / 100
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def mean(values: Iterable[float | bool]) -> float | None:
    """Arithmetic mean; None for no values (an unmeasured metric, not a zero)."""
    data = [float(v) for v in values]
    return sum(data) / len(data) if data else None
