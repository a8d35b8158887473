"""Sentence spans and citation-marker lexing for model answers and passage text.

Citation checking works sentence by sentence, so the splitter must not cut at
"Dr.", "U.S.", "No. 5" or "3.5", must keep a trailing "[1]" with the sentence it
cites, and must treat list items, headings and newlines as boundaries because
small models answer in markdown. Everything here is regex + linear scans:
deterministic, no model, and it never raises on any string.
"""

from __future__ import annotations

import bisect
import re

# --- citation markers -------------------------------------------------------------------------

_LABEL = (
    r"(?:(?:passages?|sources?|docs?|documents?|refs?|references?|chunks?|excerpts?|contexts?"
    r"|citations?)[ \t]*+[:#]?[ \t]*+|\#[ \t]*+)?"
)
_NUM = r"[0-9]++"
_ITEM = rf"{_LABEL}{_NUM}(?:[ \t]*+[-–—][ \t]*+{_LABEL}{_NUM})?+"
_SEP = r"[ \t]*+(?:[,;&/]|and\b)?+[ \t]*+"
_BODY = rf"[ \t]*+\^?+{_ITEM}(?:{_SEP}{_ITEM})*+(?:[ \t]*+†[^\]】］\n]{{0,60}}+)?+[ \t]*+"
#: One citation marker: [1], [1, 2], [1-3], [Passage 2], [2†source], 【1】, ［1］, [^1], or
#: "(Passage 2)" (parentheses only with a label, so "(1)" list numbers are not markers).
#: Whitespace inside is horizontal only, so a marker never spans lines. Possessive
#: quantifiers keep matching linear on adversarial input.
MARKER_RE = re.compile(
    rf"[\[［]{_BODY}[\]］]|【{_BODY}】|\((?=[ \t]*(?:passages?|sources?)\b){_BODY}\)",
    re.IGNORECASE,
)

# --- code regions -----------------------------------------------------------------------------

_FENCE_OPEN_RE = re.compile(r"[ \t]{0,3}(`{3,}|~{3,})")
_INLINE_CODE_RE = re.compile(r"`[^`\n]+`")


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end excluding the newline."""
    out: list[tuple[int, int]] = []
    pos = 0
    while True:
        nl = text.find("\n", pos)
        if nl < 0:
            out.append((pos, len(text)))
            return out
        out.append((pos, nl))
        pos = nl + 1


def fences(text: str) -> list[tuple[int, int]]:
    """Fenced code blocks (``` or ~~~) as (start, end); an unclosed fence runs to the end."""
    blocks: list[tuple[int, int]] = []
    opener: str | None = None
    start = 0
    for a, b in _lines(text):
        if opener is None:
            m = _FENCE_OPEN_RE.match(text, a, b)
            if m:
                opener, start = m.group(1), m.start(1)
        else:
            line = text[a:b].strip()
            if line.startswith(opener) and not line.strip(opener[0]):
                blocks.append((start, a + len(text[a:b].rstrip())))
                opener = None
    if opener is not None:
        blocks.append((start, len(text.rstrip())))
    return blocks


def code_regions(text: str) -> list[tuple[int, int]]:
    """Sorted, disjoint spans of fenced and inline code, where "[1]" is code, not a citation."""
    blocks = fences(text)
    regions = list(blocks)
    starts = [a for a, _ in blocks]
    for m in _INLINE_CODE_RE.finditer(text):
        i = bisect.bisect_right(starts, m.start()) - 1
        if i >= 0 and blocks[i][0] <= m.start() < blocks[i][1]:
            continue
        regions.append(m.span())
    regions.sort()
    return regions


def _inside(pos: int, regions: list[tuple[int, int]], starts: list[int]) -> bool:
    i = bisect.bisect_right(starts, pos) - 1
    return i >= 0 and regions[i][0] <= pos < regions[i][1]


def marker_spans(text: str) -> list[tuple[int, int]]:
    """Spans of citation markers outside code, in order."""
    regions = code_regions(text)
    starts = [a for a, _ in regions]
    return [m.span() for m in MARKER_RE.finditer(text) if not _inside(m.start(), regions, starts)]


# --- sentence splitting -----------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# never end a sentence
_TITLES = _words(
    "mr mrs ms dr prof st mt sen rep gov pres rev hon fr gen col lt capt sgt cmdr adm maj "
    "messrs mme mlle dept univ e.g i.e cf vs viz approx ca resp"
)
# do not end a sentence when a number follows ("No. 5", "Fig. 3", "Jul. 22")
_BEFORE_NUMBER = _words(
    "no nos fig figs vol vols p pp art arts sec ch chap eq para ref tab op ed "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
# end a sentence only when a typical sentence opener follows ("... in the U.S. The ...")
_AMBIGUOUS = _words("etc inc ltd co corp llc plc jr sr al ft est a.m p.m")
_STARTERS = _words(
    "the this that these those it its he she they we i you in on at as for but and or however "
    "a an there their his her our after before when while if although since both each all some "
    "many most no not to by with from under according also then thus so what which who where "
    "why how one two during following meanwhile further furthermore moreover additionally "
    "overall yes"
)
_DOTTED_RE = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")
_LIST_NUM_RE = re.compile(r"\d{1,2}|[^\W\d_]|[ivx]{1,4}")
_TERMINATOR_RE = re.compile(r"[.!?…。！？]+")
_CJK_END = "。！？"
_CLOSERS_RE = re.compile(r"[\"'”’»)*_]*")
_TRAIL_MARKERS_RE = re.compile(rf"(?:[ \t]*(?:{MARKER_RE.pattern}))+[.!?]*", re.IGNORECASE)
_WORD_RE = re.compile(r"[^\W\d_]+|\d")
_BULLET_RE = re.compile(
    r"[ \t]*(?:>[ \t]*)*"
    r"(?:[-*+•‣◦▪●–][ \t]+(?:\[[ xX]\][ \t]+)?|\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)][ \t]+"
    r"|[A-Z]\)[ \t]+)?"
)
_HEADING_RE = re.compile(r"[ \t]*#{1,6}(?=\s|$)")
_HARD_END_RE = re.compile(
    rf"[.!?:;…。！？][\"'”’»)*_]*(?:[ \t]*(?:{MARKER_RE.pattern}))*[ \t]*$", re.IGNORECASE
)


def _strip(text: str, a: int, b: int) -> tuple[int, int] | None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return (a, b) if a < b else None


def _period_ends(text: str, sent_start: int, p: int, n: int, e: int) -> bool:
    """Whether the single '.' at `p` ends the sentence; `n` is where the next word starts."""
    t = p
    while t > sent_start and not text[t - 1].isspace():
        t -= 1
    core = text[t:p].lstrip("([\"'“‘*_").casefold()
    if not core:
        return True
    nxt = _WORD_RE.match(text, n, e)
    nxt_word = nxt.group().casefold() if nxt else ""
    if core in _TITLES:
        return False
    if core in _BEFORE_NUMBER and nxt_word.isdigit():
        return False
    before = text[sent_start:t].strip()
    if (not before or before.endswith(":")) and _LIST_NUM_RE.fullmatch(core):
        return False  # an inline list number: "Steps: 1. Mix. 2. Bake."
    if core in _AMBIGUOUS or (len(core) == 1 and core.isalpha()) or _DOTTED_RE.fullmatch(core):
        return nxt_word in _STARTERS
    return True


def _split_unit(
    text: str, s: int, e: int, protected: list[tuple[int, int]], pstarts: list[int]
) -> list[tuple[int, int]]:
    """Sentences inside one paragraph-like unit text[s:e] (no hard line breaks inside)."""
    spans: list[tuple[int, int]] = []
    sent_start = s
    for m in _TERMINATOR_RE.finditer(text, s, e):
        p = m.start()
        if p < sent_start or _inside(p, protected, pstarts):
            continue
        cjk = m.group()[-1] in _CJK_END
        q = _CLOSERS_RE.match(text, m.end(), e).end()
        trail = _TRAIL_MARKERS_RE.match(text, q, e)
        if trail:
            q = trail.end()
        if q < e and not text[q].isspace() and not cjk:
            continue  # "3.5", "U.S.A", "e.g.,"
        n = q
        while n < e and text[n].isspace():
            n += 1
        if n >= e:
            break  # the unit ends here anyway
        if not cjk and text[n].islower():
            continue  # "e.g. the", '"Stop!" he said'
        if m.group() == "." and not _period_ends(text, sent_start, p, n, e):
            continue
        span = _strip(text, sent_start, q)
        if span:
            spans.append(span)
        sent_start = n
    span = _strip(text, sent_start, e)
    if span:
        spans.append(span)
    return spans


def _units(text: str, blocks: list[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """Paragraph-like units (start, end, is_code): lines joined only at soft wraps.

    A line continues the previous one only when that line has no hard end (no final
    punctuation) and this one starts in lowercase with no bullet: PDF-style wrapping.
    """
    units: list[tuple[int, int, bool]] = []
    cur: list[int] | None = None  # [start, end]
    cur_hard = True
    fi = 0
    for a, b in _lines(text):
        while fi < len(blocks) and blocks[fi][1] < a:
            fi += 1
        if fi < len(blocks) and blocks[fi][0] < b and a <= blocks[fi][1]:
            if cur is not None:
                units.append((cur[0], cur[1], False))
                cur = None
            if not units or units[-1][:2] != blocks[fi]:
                units.append((blocks[fi][0], blocks[fi][1], True))
            continue
        line = text[a:b]
        if not line.strip():
            if cur is not None:
                units.append((cur[0], cur[1], False))
                cur = None
            continue
        heading = _HEADING_RE.match(text, a, b)
        table = line.lstrip().startswith("|")
        bullet = _BULLET_RE.match(text, a, b)
        content = a if heading or table else bullet.end()
        while content < b and text[content].isspace():
            content += 1
        has_marker = bullet.end() > a and bool(text[a : bullet.end()].strip())
        end = a + len(line.rstrip())
        joins = (
            cur is not None
            and not cur_hard
            and not heading
            and not table
            and not has_marker
            and content < b
            and text[content].islower()
        )
        if joins and cur is not None:
            cur[1] = end
        else:
            if cur is not None:
                units.append((cur[0], cur[1], False))
            cur = [content, end] if content < end else None
        cur_hard = bool(heading or table or _HARD_END_RE.search(line))
    if cur is not None:
        units.append((cur[0], cur[1], False))
    return units


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences in `text`, sorted, disjoint and whitespace-trimmed.

    Handles abbreviations (Dr., U.S., No. 5), decimals, dates ("July 22, 2025."), citation
    markers after the period ("2025. [1]" and "2025 [1]." stay with their sentence; a line of
    only markers joins the sentence before it), bullet/numbered items and newlines as
    boundaries (list markers are left out of the span), quotes and CJK punctuation. A fenced
    code block is one span. Never raises.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    blocks = fences(text)
    protected = sorted(code_regions(text) + [m.span() for m in MARKER_RE.finditer(text)])
    pstarts = [a for a, _ in protected]
    spans: list[tuple[int, int]] = []
    code_spans: set[tuple[int, int]] = set()
    for a, b, is_code in _units(text, blocks):
        if is_code:
            span = _strip(text, a, b)
            if span:
                spans.append(span)
                code_spans.add(span)
        else:
            spans.extend(_split_unit(text, a, b, protected, pstarts))
    return _merge_marker_only(text, spans, code_spans)


def _merge_marker_only(
    text: str, spans: list[tuple[int, int]], code_spans: set[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Attach a span holding only citation markers to the sentence before it."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        chunk = text[a:b]
        only_markers = (
            (a, b) not in code_spans
            and MARKER_RE.search(chunk) is not None
            and not any(c.isalnum() for c in MARKER_RE.sub("", chunk))
        )
        if only_markers and out and out[-1] not in code_spans and not text[out[-1][1] : a].strip():
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out
