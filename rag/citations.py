"""Check and repair the inline citations of a model answer, deterministically.

A 1.5B model mis-numbers citations, forgets them and invents facts, so the program,
not the model, decides what each sentence cites: every factual sentence is scored
against every passage (`rag.support`), wrong or missing citations are replaced by
the best supporting passage, unsupported sentences are flagged (or dropped with
`strict`), and markers are renumbered by first use so the printed source list
matches the text.
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
from dataclasses import dataclass, field

from rag.sentences import MARKER_RE, code_regions, fences, marker_spans, split_sentences
from rag.support import (
    PassageTerms,
    Terms,
    best_span,
    passage_terms,
    score_terms,
    sentence_terms,
    support_score,
)
from rag.types import Citation, Hit

__all__ = [
    "CheckedAnswer",
    "best_span",
    "check_answer",
    "parse_citations",
    "split_sentences",
    "support_score",
]

_MAX_DIGITS = 18  # longer digit runs are not citation numbers (and int() of huge runs is slow)
_MAX_RANGE = 50  # "[1-999999]" is kept as its two ends, not expanded
_NUMS_RE = re.compile(r"([0-9]+)(?:[ \t]*[-–—][ \t]*(?:[^\W\d_]+[ \t]*[:#]?[ \t]*)?([0-9]+))?")


# --- parsing ----------------------------------------------------------------------------------


def _marker_numbers(marker: str) -> list[int]:
    """Cited numbers of one marker, in order, without duplicates; ranges expanded."""
    body = re.split(r"[†]", marker, maxsplit=1)[0]
    numbers: list[int] = []
    for m in _NUMS_RE.finditer(body):
        first, last = m.group(1), m.group(2)
        if len(first) > _MAX_DIGITS or (last is not None and len(last) > _MAX_DIGITS):
            continue
        a = int(first)
        if last is None:
            numbers.append(a)
            continue
        b = int(last)
        numbers.extend(range(a, b + 1) if 0 <= b - a <= _MAX_RANGE else (a, b))
    return list(dict.fromkeys(numbers))


def parse_citations(text: str) -> list[tuple[int, int, list[int]]]:
    """Every citation marker outside code as (start, end, numbers), in text order.

    Understands [1], [1, 2], [1][2] (two markers), [1-3], [Passage 2], [2†source], 【1】,
    ［1］ and [^1]. Text like [a] or [] is not a marker; numbers longer than 18 digits
    are skipped, so a marker's list may be empty. Never raises.
    """
    if not isinstance(text, str):
        return []
    return [(a, b, _marker_numbers(text[a:b])) for a, b in marker_spans(text)]


# --- trailing "Sources:" blocks ---------------------------------------------------------------

_SOURCES_HEAD_RE = re.compile(
    r"^[ \t]*(?:>[ \t]*)?(?:\#{1,6}[ \t]*)?(?:[*_]{1,3}[ \t]*)?"
    r"(?:sources?|references?|citations?|bibliography|works[ \t]+cited"
    r"|(?:cited[ \t]+)?passages?(?:[ \t]+(?:used|cited|referenced))?"
    r"|documents?[ \t]+(?:used|cited|referenced))"
    r"[ \t]*(?:[*_]{1,3})?[ \t]*(?P<colon>[:：])?[ \t]*(?:[*_]{1,3})?[ \t]*(?P<rest>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
_SOURCE_WORD_RE = re.compile(
    r"\b(?:passages?|sources?|documents?|docs?|chunks?|excerpts?|pages?|https?)\b"
    r"|\S\.(?:txt|md|markdown|pdf|html?|docx)\b",
    re.IGNORECASE,
)
_LIST_START_RE = re.compile(r"[ \t]*(?:[-*+•]|\d{1,3}[.)]|\[|【|［)")
_MARKER_LINE_RE = re.compile(rf"[ \t]*(?:[-*+•][ \t]*)?(?:{MARKER_RE.pattern})", re.IGNORECASE)
_INLINE_SOURCES_RE = re.compile(
    r"(?:^|(?<=[ \t]))\(?(?:[*_]{1,2})?(?:sources?|references?|citations?)(?:[*_]{1,2})?"
    rf"[ \t]*[:：][ \t]*(?:(?:{MARKER_RE.pattern})|passages?|[0-9]+|[ \t,;&]|and)++"
    r"\)?\.?[ \t]*\Z",
    re.IGNORECASE | re.MULTILINE,
)


def _names(hits: list[Hit]) -> list[str]:
    """Titles and file names of the passages, as a model would write them in a source list."""
    names: set[str] = set()
    for hit in hits:
        for name in (hit.chunk.title, os.path.basename(hit.chunk.source)):
            if name and len(name.strip()) >= 4:
                names.add(name.strip().casefold())
    return sorted(names)


def _source_like(line: str, names: list[str]) -> bool:
    stripped = line.strip()
    if not stripped:
        return True
    folded = stripped.casefold()
    return bool(
        _LIST_START_RE.match(line)
        or MARKER_RE.search(line)
        or _SOURCE_WORD_RE.search(line)
        or any(name in folded for name in names)
    )


def _is_entry(rest: str, names: list[str]) -> bool:
    """Whether the text after a line-initial marker names a source rather than states a fact."""
    folded = rest.strip().casefold()
    return bool(folded) and bool(
        _SOURCE_WORD_RE.search(rest) or any(name in folded for name in names)
    )


def strip_sources_block(text: str, hits: list[Hit]) -> str:
    """`text` without a trailing source list the model wrote (we print our own).

    Removes a "Sources:" / "References" / "**Citations:**" header and everything after
    it when every following line looks like a source entry; a headerless run of final
    lines like "[1] report.pdf" or "[2] <passage title>"; and a trailing inline
    "Sources: [1], [3]".
    """
    names = _names(hits)
    lines = text.split("\n")
    starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    tail = len(lines)  # lines[tail:] all look like source entries
    while tail > 0 and _source_like(lines[tail - 1], names):
        tail -= 1
    for m in _SOURCES_HEAD_RE.finditer(_code_free(text)):
        if bisect.bisect_right(starts, m.start()) < tail:
            continue  # a line after this header is prose
        rest = m.group("rest")
        if not (m.group("colon") or not rest.strip() or MARKER_RE.match(rest.strip())):
            continue
        if rest.strip() and not _source_like(rest, names):
            continue
        text = text[: m.start()]
        break
    lines = text.rstrip().split("\n")
    keep = len(lines)
    while keep > 0:
        line = lines[keep - 1]
        marker = _MARKER_LINE_RE.match(line)
        rest = line[marker.end() :].lstrip(" \t:.-–—") if marker else ""
        if line.strip() and not (marker and _is_entry(rest, names)):
            break
        keep -= 1
    if keep < len(lines) and any(line.strip() for line in lines[:keep]):
        text = "\n".join(lines[:keep])
    m = _INLINE_SOURCES_RE.search(text.rstrip())
    if m:
        text = text.rstrip()[: m.start()]
    return text.rstrip()


# --- checking ---------------------------------------------------------------------------------

_REFUSAL_RE = re.compile(
    r"\b(?:documents?|passages?|context|sources?|texts?|excerpts?|information)\b[^.!?\n]{0,80}?"
    r"\b(?:do|does|did)(?:[ \t]+not|n't)[ \t]+(?:\w+[ \t]+)?"
    r"(?:contain|mention|say|provide|specify|include|state|discuss|address|cover|describe|give"
    r"|indicate|tell|answer|offer|have)"
    r"|\b(?:no|not enough|insufficient)[ \t]+(?:relevant[ \t]+|specific[ \t]+|further[ \t]+)?"
    r"(?:information|details?|mention|data)\b"
    r"|\b(?:is|are|was|were|isn't|aren't|wasn't|weren't)(?:[ \t]+not)?[ \t]+"
    r"(?:mentioned|specified|stated|provided|given|included|covered|discussed|available)\b"
    r"[^.!?\n]{0,80}?\b(?:documents?|passages?|context|sources?|texts?|excerpts?)\b"
    r"|\bI[ \t]+(?:do[ \t]+not|don't|cannot|can't|could[ \t]+not|couldn't|am[ \t]+unable[ \t]+to)"
    r"[ \t]+(?:know|find|answer|determine|tell|say|confirm|verify)"
    r"|\b(?:cannot|can't|unable[ \t]+to|not[ \t]+able[ \t]+to)[ \t]+(?:be[ \t]+)?"
    r"(?:answer|find|determin|confirm|verif|found|answered)",
    re.IGNORECASE,
)
_TAIL_PUNCT_RE = re.compile(r"[.!?…。！？:;,]+$")


@dataclass
class CheckedAnswer:
    """An answer whose citations the program has verified, repaired and renumbered."""

    text: str  # answer with citation markers rewritten to final numbers
    citations: list[Citation] = field(default_factory=list)  # cited passages, 1..n by first use
    unsupported_sentences: list[str] = field(default_factory=list)
    supported_share: float = 1.0  # supported factual sentences / factual sentences
    repaired: int = 0  # citations added, changed or removed


@dataclass
class _Sentence:
    start: int
    end: int
    clean: str  # text without markers
    cited: list[int]  # numbers as written by the model, in order
    kind: str  # "code" (untouched), "plain" (no claim) or "fact"
    final: list[int] = field(default_factory=list)  # 0-based canonical passage indices
    scores: list[float] = field(default_factory=list)
    credit: dict[int, float] = field(default_factory=dict)  # passage -> support it lends
    supported: bool = False


def _cut(raw: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    pos = 0
    ends_sentence = False  # the kept text so far ends with . ! or ?
    for a, b in spans:
        piece = raw[pos:a].rstrip(" \t")
        out.append(piece)
        if piece.strip():
            ends_sentence = piece.rstrip().endswith((".", "!", "?"))
        pos = b
        if ends_sentence and raw.startswith(".", pos):
            pos += 1  # "2025. [1]." -> "2025."
    out.append(raw[pos:])
    return "".join(out).strip()


def _remove_markers(raw: str, spans: list[tuple[int, int]]) -> str:
    """`raw` without the given marker spans and the blanks before them; trimmed.

    "Istanbul [3], and" -> "Istanbul, and". Markers that the removal itself creates
    (from "[[2]1]") are removed too, so the clean text never holds a marker.
    """
    text = _cut(raw, spans)
    while left := marker_spans(text):
        text = _cut(text, left)
    return text


def _place_markers(text: str, numbers: list[int]) -> str:
    """Put "[1][2]" before the sentence's final punctuation, or at its end."""
    if not numbers:
        return text
    markers = "".join(f"[{n}]" for n in sorted(numbers))
    m = _TAIL_PUNCT_RE.search(text)
    if m and m.start() > 0:
        return f"{text[: m.start()].rstrip()} {markers}{text[m.start() :]}"
    return f"{text} {markers}"


def _kind(raw: str, clean: str, terms: Terms) -> str:
    """Whether a (non-code) sentence makes a claim ("fact") or needs no citation ("plain")."""
    stripped = raw.lstrip()
    if stripped.startswith(("#", "|")) or not terms.weights:
        return "plain"  # headings, table rows, greetings, "Here is what the documents say"
    if _REFUSAL_RE.search(clean):
        return "plain"
    if clean.rstrip(" *_").endswith(":") and not any(t[0].isdigit() for t in terms.weights):
        return "plain"  # a lead-in to a list
    return "fact"


def _passage_key(hit: Hit) -> tuple[str, ...]:
    c = hit.chunk
    return (c.id,) if c.id else (c.source, str(c.start), str(c.end), c.text)


def _choose(
    cited: list[int], scores: list[float], terms: Terms, ptexts: list[PassageTerms], thr: float
) -> list[int]:
    """Passages (0-based, canonical) the sentence should cite; [] when none supports it.

    Keeps the model's supporting citations; else a union of its citations that together
    support it; else the best single passage; else the best pair (a sentence that joins
    facts from two passages).
    """

    def ok(score: float) -> bool:
        return score >= thr and score > 0

    keep = [i for i in cited if ok(scores[i])]
    if keep:
        return keep
    if len(cited) >= 2:
        chosen = _greedy_union(sorted(cited, key=lambda i: -scores[i]), terms, ptexts, thr)
        if chosen:
            return sorted(chosen, key=cited.index)  # the model's order decides first use
    if not scores:
        return []
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    if ok(scores[order[0]]):
        return [order[0]]
    if scores[order[0]] > 0:
        first = order[0]
        pairs = [
            (score_terms(terms, [ptexts[first], ptexts[j]]), -j, j)
            for j in order[1:]
            if scores[j] > 0
        ]
        if pairs:
            union, _, j = max(pairs)
            if ok(union) and union - scores[first] >= 0.1:
                return [first, j]
    return []


def _greedy_union(
    candidates: list[int], terms: Terms, ptexts: list[PassageTerms], thr: float
) -> list[int]:
    chosen: list[int] = []
    best = 0.0
    for i in candidates:
        score = score_terms(terms, [ptexts[j] for j in [*chosen, i]])
        if score > best:
            chosen.append(i)
            best = score
        if best >= thr and best > 0:
            return chosen
    return []


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def check_answer(
    answer: str,
    hits: list[Hit],
    *,
    threshold: float = 0.5,
    strict: bool = False,
    refusal: bool = False,
) -> CheckedAnswer:
    """Verify, repair and renumber the citations of `answer`; `hits[i]` is passage i+1.

    Per sentence: no claim -> no citation; cited passages that support it (score >=
    threshold) are kept, the others dropped; a wrong, out-of-range or missing citation
    is replaced by the best supporting passage; with no support the sentence is listed
    as unsupported (its markers removed; dropped from the text when `strict`). Markers
    are then "[n]" before the final punctuation, numbered by first use; duplicate
    passages (same chunk) collapse into one. `repaired` counts, per sentence, the
    larger of citations added and citations removed (a replacement counts once).
    A refusal is returned unchanged with no citations.
    """
    if refusal:
        return CheckedAnswer(text=answer, supported_share=1.0)
    body = strip_sources_block(answer, hits)

    canon: list[int] = []
    first_of: dict[tuple[str, ...], int] = {}
    for i, hit in enumerate(hits):
        canon.append(first_of.setdefault(_passage_key(hit), i))
    ptexts = [passage_terms(hit.chunk.text) for hit in hits]

    sentences, strays = _read(body)
    repaired = sum(len(ns) or 1 for _, _, ns in strays)

    for s in sentences:
        written = {canon[n - 1] if 1 <= n <= len(hits) else -n - 1 for n in s.cited}
        if s.kind == "fact":
            terms = sentence_terms(s.clean)
            s.scores = [score_terms(terms, [p]) for p in ptexts]
            valid = [canon[n - 1] for n in s.cited if 1 <= n <= len(hits)]
            s.final = _choose(list(dict.fromkeys(valid)), s.scores, terms, ptexts, threshold)
            s.supported = bool(s.final)
            union = score_terms(terms, [ptexts[i] for i in s.final])
            # a passage that supports the sentence alone is credited with its own score; one
            # needed for a joint (union) support gets the union's score
            s.credit = {i: s.scores[i] if s.scores[i] >= threshold else union for i in s.final}
        final = set(s.final)
        repaired += max(len(final - written), len(written - final))

    number: dict[int, int] = {}  # canonical passage -> final number, by first use
    texts: list[str | None] = []  # None: the sentence is dropped from the text
    for s in sentences:
        if s.kind == "code":
            texts.append(body[s.start : s.end])
        elif s.kind == "fact" and not s.supported and strict:
            texts.append(None)
        else:
            for i in s.final:
                number.setdefault(i, len(number) + 1)
            texts.append(_place_markers(s.clean, [number[i] for i in s.final]) or None)
    text = _assemble(body, sentences, texts, strays)

    facts = [s for s in sentences if s.kind == "fact"]
    supported = sum(1 for s in facts if s.supported)
    citations = _citations(sentences, hits, number)
    return CheckedAnswer(
        text=text,
        citations=citations,
        unsupported_sentences=[s.clean for s in facts if not s.supported],
        supported_share=supported / len(facts) if facts else 1.0,
        repaired=repaired,
    )


_LINE_PREFIX_RE = re.compile(
    r"[ \t]*(?:>[ \t]*)*"
    r"(?:(?:[-*+•‣◦▪●–]|\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)]|[A-Z]\))[ \t]+)?[ \t]*\Z"
)
_LINE_END_RE = re.compile(r"[ \t]*\n")


def _assemble(
    body: str,
    sentences: list[_Sentence],
    texts: list[str | None],
    strays: list[tuple[int, int, list[int]]],
) -> str:
    """Rebuild the answer from its gaps and rewritten sentences.

    A dropped sentence takes its blanks with it; when it was alone on its line (after
    an optional bullet) the whole line goes, so lists and paragraphs stay tidy.
    """
    out: list[str] = []
    pos = 0
    pending = False  # the previous sentence was dropped
    dropped_any = False
    for s, new in [*zip(sentences, texts, strict=True), (None, "")]:
        gap = _without(body, pos, s.start if s else len(body), strays)
        if pending:
            end = _LINE_END_RE.match(gap)
            if end or (s is None and not gap.strip()):  # the dropped sentence ended its line
                prev = out[-1]
                line_start = prev.rfind("\n") + 1 if "\n" in prev or len(out) == 1 else -1
                if line_start >= 0 and _LINE_PREFIX_RE.match(prev, line_start):
                    out[-1] = prev[:line_start]
                    gap = gap[end.end() :] if end else ""
                else:
                    out[-1] = out[-1].rstrip(" \t")
            else:
                gap = gap.lstrip(" \t")
        out.append(gap)
        if s is None:
            break
        pos = s.end
        pending = new is None
        dropped_any = dropped_any or pending
        if new is not None:
            out.append(new)
    text = "".join(out)
    if dropped_any:
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _read(body: str) -> tuple[list[_Sentence], list[tuple[int, int, list[int]]]]:
    """The sentences of `body` with their own markers, plus markers outside every sentence."""
    markers = parse_citations(body)
    sentences: list[_Sentence] = []
    strays: list[tuple[int, int, list[int]]] = []
    fence_starts = {a for a, _ in fences(body)}
    mi = 0
    for start, end in split_sentences(body):
        while mi < len(markers) and markers[mi][0] < start:
            strays.append(markers[mi])
            mi += 1
        own: list[tuple[int, int, list[int]]] = []
        while mi < len(markers) and markers[mi][1] <= end:
            own.append(markers[mi])
            mi += 1
        raw = body[start:end]
        clean = _remove_markers(raw, [(a - start, b - start) for a, b, _ in own])
        cited = list(dict.fromkeys(n for _, _, ns in own for n in ns))
        kind = "code" if start in fence_starts else _kind(raw, clean, sentence_terms(clean))
        sentences.append(_Sentence(start, end, clean, cited, kind))
    strays.extend(markers[mi:])
    return sentences, strays


def _without(body: str, a: int, b: int, strays: list[tuple[int, int, list[int]]]) -> str:
    """body[a:b] with any stray markers in it cut out."""
    out: list[str] = []
    for start, end, _ in strays:
        if a <= start and end <= b:
            out.append(body[a:start])
            a = end
    out.append(body[a:b])
    return "".join(out)


def _citations(
    sentences: list[_Sentence], hits: list[Hit], number: dict[int, int]
) -> list[Citation]:
    """One Citation per cited passage, in final-number order, with support and highlights."""
    out: list[Citation] = []
    for i, n in sorted(number.items(), key=lambda item: item[1]):
        chunk = hits[i].chunk
        citing = [s for s in sentences if i in s.final]
        spans = [best_span(s.clean, chunk.text) for s in citing]
        out.append(
            Citation(
                n=n,
                source=chunk.source,
                title=chunk.title,
                page=chunk.page,
                start=chunk.start,
                end=chunk.end,
                text=chunk.text,
                support=max((s.credit.get(i, 0.0) for s in citing), default=0.0),
                chunk_id=chunk.id,
                highlights=_merge([span for span in spans if span is not None]),
            )
        )
    return out


def _code_free(text: str) -> str:
    """`text` with code regions blanked (same length), for regexes that must skip code."""
    chars = list(text)
    for a, b in code_regions(text):
        chars[a:b] = " " * (b - a)
    return "".join(chars)
