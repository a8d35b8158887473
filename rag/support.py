"""Deterministic lexical support of an answer sentence by a passage.

A small model copies wording from its passages, so word overlap is a strong and
explainable signal; what it gets wrong is numbers and names, so those weigh more
and a number or name the passage lacks is treated as a likely invention.

Formula (terms are unique per sentence):

    term        lowercased, accent-folded, lightly stemmed word (month abbreviations
                and a few renamed places, "Turkey" = "Türkiye", mapped to one
                spelling), or a normalised number ("1,500" = 1500, "22nd" = 22,
                "two".."twelve" = 2..12);
                stopwords, meta words ("documents", "passage", ...), citation
                markers and list enumerators like "(1)" are dropped
    weight w    3 for a number, 2 for a capitalised name (not sentence-initial) or
                acronym, 1 for any other word
    found       the term occurs in the passage (words also match a passage word that
                extends or shortens it by <= 2 letters with a common 5-letter prefix,
                so "Azerbaijani" matches "Azerbaijan"; an acronym also matches the
                initials of capitalised words, so "UN" matches "United Nations")
    coverage    sum(w of found terms) / sum(w of all terms)
    score       coverage * 0.5 ** (numbers and names not found)

A sentence with a missing number or name has coverage < 1, so one such miss keeps
it below 0.5: an invented date or place never passes the default threshold. The
score is 0.0 for a sentence with no content terms.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.sentences import MARKER_RE, split_sentences

NUMBER_WEIGHT = 3.0
NAME_WEIGHT = 2.0
WORD_WEIGHT = 1.0
MISS_FACTOR = 0.5

_FOLD = str.maketrans(
    {
        "ı": "i",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ß": "ss",
        "þ": "th",
        "ð": "d",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
    }
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _words(
    """a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could did didn do does doesn doing don down
    during each either etc few for from further had hadn has hasn have haven having he her here
    hers herself him himself his how however i if in into is isn it its itself just let me more
    most mustn my myself neither no nor not now of off on once one only or other ought our ours
    ourselves out over own same shall shan she should shouldn so some such than that the their
    theirs them themselves then there these they this those though through thus to too under
    until up upon us very via was wasn we were weren what when where whether which while who whom
    whose why will with within without won would wouldn yes yet you your yours yourself
    yourselves may might must"""
)

# Words about the conversation rather than the world: a sentence made only of these (plus
# stopwords) is not a factual claim, and they never count for or against support.
_META_WORDS = _words("""according additional additionally answer answers ask asked assist base based
    below certainly clarify clarification context course detail details document documents
    excerpt excerpts feel following free further glad hello help helps hey hi hope happy
    information know let mention mentioned mentions need note noted overall passage passages
    provide provided question questions say says source sources sure summarize summary text
    thank thanks welcome ok okay good great absolutely indeed alright""")

_NUMBER_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
}
_MONTHS = {
    "jan": "january",
    "feb": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}
# One spelling for places known by two names (after folding and casefolding), so an
# answer saying "Turkey" is supported by a passage saying "Türkiye". Single words only;
# both the sentence and the passage are mapped, so a cooking text's "turkey" still only
# matches "turkey"/"turkiye". Renamed countries and cities with both names in use.
_PLACE_VARIANTS = {
    "turkey": "turkiye",
    "burma": "myanmar",
    "swaziland": "eswatini",
    "holland": "netherlands",
    "czechia": "czech",
    "kiev": "kyiv",
    "bombay": "mumbai",
    "calcutta": "kolkata",
    "madras": "chennai",
    "peking": "beijing",
    "rangoon": "yangon",
    "canton": "guangzhou",
    "saigon": "hochiminh",
}
_ALIASES = {**_MONTHS, **_PLACE_VARIANTS}
_SUFFIXES = (
    ("ications", "y"),
    ("ication", "y"),
    ("ations", "ate"),
    ("ation", "ate"),
    ("iness", "y"),
    ("ness", ""),
    ("ments", ""),
    ("ment", ""),
    ("ities", ""),
    ("ity", ""),
    ("ingly", ""),
    ("edly", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ing", ""),
    ("ed", ""),
    ("ly", ""),
    ("al", ""),
)
_TOKEN_RE = re.compile(r"[0-9]+(?:[.,][0-9]+)*(?:st|nd|rd|th)?(?![0-9])|[^\W\d_]+(?:'[^\W\d_]+)*")
_ENUM_RE = re.compile(r"\(\s*\d{1,2}\s*\)|(?<!\S)\d{1,2}\)|^\s*\d{1,2}\.(?=\s)")
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DECIMAL_RE = re.compile(r"\d+[.,]\d+")


def fold(text: str) -> str:
    """Accent-fold without lowercasing (case marks names): "Türkiye" -> "Turkiye"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """Light suffix stripping so "ratified", "ratifying", "ratification" meet at "ratify"."""
    if len(word) <= 3:
        return word
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if len(base) >= (4 if suffix == "al" else 3):
                word = base + repl
                break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
            word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] in "bdgkmnprt":
        word = word[:-1]
    return word


_META = frozenset(stem(w) for w in _META_WORDS)


def _numbers(token: str) -> list[str]:
    """Numbers in a numeric token: "1,500" -> 1500, "3.50" -> 3.5, "22.07.2025" -> 22, 7, 2025."""
    token = token.rstrip("stndrh")
    if _THOUSANDS_RE.fullmatch(token):
        token = token.replace(",", "")
    if _DECIMAL_RE.fullmatch(token):
        whole, frac = re.split(r"[.,]", token)
        whole, frac = whole.lstrip("0") or "0", frac.rstrip("0")
        return [f"{whole}.{frac}" if frac else whole]
    return [part.lstrip("0") or "0" for part in re.split(r"[.,]", token) if part]


def _word(token: str) -> str:
    """Casefolded word without possessive or contraction tail ("Azerbaijan's" -> azerbaijan)."""
    word = token.casefold()
    if "'" in word:
        head, _, tail = word.partition("'")
        word = head if tail in ("s", "t", "re", "ve", "ll", "d", "m") else word.replace("'", "")
    return word


@dataclass(frozen=True)
class Terms:
    """Weighted content terms of one sentence; `critical` are the numbers and names."""

    weights: dict[str, float]
    critical: frozenset[str]
    acronyms: dict[str, str] = field(default_factory=dict)  # term -> acronym as written ("un")

    @property
    def total(self) -> float:
        return sum(self.weights.values())


@dataclass(frozen=True)
class PassageTerms:
    """Every stemmed word and number of a passage, plus a 5-letter prefix index."""

    terms: frozenset[str]
    by_prefix: dict[str, tuple[str, ...]]
    acronyms: frozenset[str] = frozenset()  # initials of capitalised runs: "un", "unc", "mou"

    def has(self, term: str) -> bool:
        if term in self.terms:
            return True
        if len(term) < 5 or term[0].isdigit():
            return False
        return any(
            abs(len(other) - len(term)) <= 2 and (other.startswith(term) or term.startswith(other))
            for other in self.by_prefix.get(term[:5], ())
        )


@functools.lru_cache(maxsize=1024)
def sentence_terms(sentence: str) -> Terms:
    """Content terms of an answer sentence, with weights (see the module docstring)."""
    text = fold(_ENUM_RE.sub(" ", MARKER_RE.sub(" ", sentence)))
    weights: dict[str, float] = {}
    critical: set[str] = set()
    acronyms: dict[str, str] = {}
    first = True
    for m in _TOKEN_RE.finditer(text):
        token = m.group()
        if token[0].isdigit():
            for number in _numbers(token):
                weights[number] = NUMBER_WEIGHT
                critical.add(number)
            first = False
            continue
        word = _word(token)
        is_first, first = first, False
        if word in _NUMBER_WORDS:
            weights[_NUMBER_WORDS[word]] = NUMBER_WEIGHT
            critical.add(_NUMBER_WORDS[word])
            continue
        if len(word) < 2 or word in STOPWORDS:
            continue
        term = stem(_ALIASES.get(word, word))
        if term in _META:
            continue
        acronym = len(token) > 1 and token[0].isupper() and any(c.isupper() for c in token[1:])
        name = token[0].isupper() and (not is_first or acronym)
        if acronym and len(word) <= 6:
            acronyms[term] = word
        weight = NAME_WEIGHT if name else WORD_WEIGHT
        if weight > weights.get(term, 0.0):
            weights[term] = weight
        if name:
            critical.add(term)
    return Terms(weights=weights, critical=frozenset(critical), acronyms=acronyms)


@functools.lru_cache(maxsize=512)
def passage_terms(passage: str) -> PassageTerms:
    """All terms of a passage (no stopword filtering needed: only lookups are done)."""
    terms: set[str] = set()
    folded = fold(passage)
    for m in _TOKEN_RE.finditer(folded):
        token = m.group()
        if token[0].isdigit():
            terms.update(_numbers(token))
            continue
        word = _word(token)
        if word in _NUMBER_WORDS:
            terms.add(_NUMBER_WORDS[word])
        terms.add(stem(_ALIASES.get(word, word)))
    index: dict[str, list[str]] = {}
    for term in terms:
        if len(term) >= 5 and not term[0].isdigit():
            index.setdefault(term[:5], []).append(term)
    return PassageTerms(
        terms=frozenset(terms),
        by_prefix={k: tuple(v) for k, v in index.items()},
        acronyms=_initialisms(folded),
    )


_CONNECTORS = frozenset(("of", "and", "the", "for", "on", "de", "in"))


def _initialisms(folded: str) -> frozenset[str]:
    """Initials of runs of capitalised words, so "UN" is found in "United Nations Charter".

    Both forms are kept: without connectors ("un", "unc") and with them ("mou" from
    "Memorandum of Understanding"); 2 to 6 letters, starting and ending on a capital.
    """
    out: set[str] = set()
    run: list[str] = []
    prev_end = -1

    def flush() -> None:
        while run and run[-1].islower():
            run.pop()
        for i, first in enumerate(run):
            if not first[0].isupper():
                continue
            for j in range(i + 1, min(len(run), i + 8)):
                if not run[j][0].isupper():
                    continue
                words = run[i : j + 1]
                for initials in (
                    "".join(w[0] for w in words if w[0].isupper()),
                    "".join(w[0] for w in words),
                ):
                    if 2 <= len(initials) <= 6:
                        out.add(initials.casefold())
        run.clear()

    for m in _TOKEN_RE.finditer(folded):
        token = m.group()
        adjacent = folded[prev_end : m.start()].isspace() if prev_end >= 0 else False
        prev_end = m.end()
        capital = token[0].isupper()
        connector = token in _CONNECTORS
        if run and not adjacent:
            flush()
        if capital or (connector and run):
            run.append(token)
        elif run:
            flush()
    flush()
    return frozenset(out)


def score_terms(terms: Terms, passages: Sequence[PassageTerms]) -> float:
    """Support of `terms` by the union of `passages` (one passage is the usual case)."""
    total = terms.total
    if total <= 0 or not passages:
        return 0.0
    got = 0.0
    misses = 0
    for term, weight in terms.weights.items():
        acronym = terms.acronyms.get(term)
        if any(p.has(term) or (acronym is not None and acronym in p.acronyms) for p in passages):
            got += weight
        elif term in terms.critical:
            misses += 1
    return (got / total) * MISS_FACTOR**misses


def support_score(sentence: str, passage: str) -> float:
    """Support in [0, 1] of `sentence` by `passage`; see the module docstring for the formula."""
    return score_terms(sentence_terms(sentence), [passage_terms(passage)])


@functools.lru_cache(maxsize=512)
def _passage_sentences(passage: str) -> tuple[tuple[int, int, PassageTerms], ...]:
    return tuple((a, b, passage_terms(passage[a:b])) for a, b in split_sentences(passage))


def best_span(sentence: str, passage: str) -> tuple[int, int] | None:
    """Offsets into `passage` of the sentence(s) that best support `sentence`, to highlight.

    Picks the passage sentence covering the most sentence weight (ties: the shorter),
    then widens to a neighbour while it adds >= 2 weight not yet covered (a name, a
    number or two words), at most 3 sentences. None when no content term overlaps.
    """
    terms = sentence_terms(sentence)
    if not terms.weights:
        return None
    parts = _passage_sentences(passage)
    covers = [{t for t in terms.weights if p.has(t)} for _, _, p in parts]

    def weight(ts: set[str]) -> float:
        return sum(terms.weights[t] for t in ts)

    if not parts:
        return None
    best = max(
        range(len(parts)), key=lambda i: (weight(covers[i]), -(parts[i][1] - parts[i][0]), -i)
    )
    if weight(covers[best]) <= 0:
        return None
    lo = hi = best
    covered = set(covers[best])
    while hi - lo < 2:
        options = [j for j in (lo - 1, hi + 1) if 0 <= j < len(parts)]
        gains = [(weight(covers[j] - covered), -abs(j - best), j) for j in options]
        if not gains:
            break
        gain, _, j = max(gains)
        if gain < 2.0:
            break
        covered |= covers[j]
        lo, hi = min(lo, j), max(hi, j)
    return parts[lo][0], parts[hi][1]
