"""Answers, citations and messages as HTML in which every outside string is escaped.

Document text, titles, file names and model output all come from places a user
does not control (an uploaded file can hold `<script>` or `<img onerror=...>`),
so nothing here passes such a string through unescaped: each piece is run
through `html.escape` and only our own fixed markup (links, <mark>, classes)
is added around it. Pure functions, so the escaping is unit-tested without a
browser.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import PurePath

from rag.types import AnswerResult, Citation

# Final answers carry markers like [1] or [1][2]; older prompts may give [1, 2].
_MARKER = re.compile(r"\[(\d{1,4}(?:\s*,\s*\d{1,4})*)\]")


def esc(text: object) -> str:
    """Escape any value for use as HTML text or a quoted attribute."""
    return escape(str(text), quote=True)


def cite_id(key: int | str, n: int) -> str:
    """DOM id of a source card; `key` (a turn, a summary) keeps ids unique on the page."""
    return f"cite-{key}-{n}"


# --- spans --------------------------------------------------------------------------------


def merge_spans(spans: Iterable[Sequence[int]], length: int) -> list[tuple[int, int]]:
    """Sorted, clamped, non-overlapping spans; empty or inverted ones dropped."""
    clean = sorted(
        (max(0, int(a)), min(length, int(b))) for a, b in spans if min(length, b) > max(0, a)
    )
    merged: list[tuple[int, int]] = []
    for a, b in clean:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def highlight(text: str, spans: Iterable[Sequence[int]]) -> str:
    """`text` escaped, with each span wrapped in <mark> (spans index the raw text)."""
    out: list[str] = []
    pos = 0
    for a, b in merge_spans(spans, len(text)):
        out.append(esc(text[pos:a]))
        out.append(f"<mark>{esc(text[a:b])}</mark>")
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def find_sentence(answer: str, sentence: str) -> tuple[int, int] | None:
    """Where `sentence` occurs in `answer`, tolerating different whitespace."""
    words = sentence.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), answer)
    return (m.start(), m.end()) if m else None


# --- answers ------------------------------------------------------------------------------


def link_markers(escaped: str, turn: int | str, known: set[int]) -> str:
    """Turn [n] markers in already-escaped text into links to the turn's source cards."""

    def one(n: str) -> str:
        num = int(n)
        if num not in known:
            return n
        target = cite_id(turn, num)
        return (
            f'<a class="cite-ref" href="#{target}" data-target="{target}" '
            f'title="Show source {num}">{num}</a>'
        )

    def repl(m: re.Match[str]) -> str:
        numbers = [p.strip() for p in m.group(1).split(",")]
        return "[" + ", ".join(one(n) for n in numbers) + "]"

    return _MARKER.sub(repl, escaped)


def answer_body(result: AnswerResult, turn: int) -> tuple[str, list[str]]:
    """The answer as HTML with unsupported sentences marked, plus those not found in it.

    With `strict`, unsupported sentences are dropped from the answer; they are
    returned so the caller can still list them.
    """
    text = result.answer
    known = {c.n for c in result.citations}
    spans: list[tuple[int, int]] = []
    missing: list[str] = []
    for sentence in result.unsupported_sentences:
        where = find_sentence(text, sentence)
        if where is None:
            missing.append(sentence)
        else:
            spans.append(where)
    out: list[str] = []
    pos = 0
    for a, b in merge_spans(spans, len(text)):
        out.append(link_markers(esc(text[pos:a]), turn, known))
        out.append(
            '<span class="unsupported" title="No cited passage supports this sentence">'
            f"{link_markers(esc(text[a:b]), turn, known)}"
            '<span class="unsupported-label">⚠ unsupported</span></span>'
        )
        pos = b
    out.append(link_markers(esc(text[pos:]), turn, known))
    return "".join(out), missing


def _file_name(source: str) -> str:
    return PurePath(source).name or source


def citation_card(c: Citation, turn: int | str) -> str:
    """A collapsible card: where the passage is, and the passage with its support marked."""
    title = c.title.strip() or _file_name(c.source)
    name = _file_name(c.source)
    where = [] if title in (name, PurePath(name).stem) else [esc(name)]
    if c.page is not None:
        where.append(f"page {esc(c.page)}")
    where.append(f"chars {esc(c.start)}–{esc(c.end)}")
    where.append(f"support {c.support:.0%}")
    return (
        f'<details class="cite-card" id="{cite_id(turn, c.n)}">'
        f'<summary><span class="cite-n">[{esc(c.n)}]</span> '
        f'<span class="cite-title">{esc(title)}</span> '
        f'<span class="cite-meta">{" · ".join(where)}</span></summary>'
        f'<div class="cite-source" title="indexed source">{esc(c.source)}</div>'
        f'<blockquote class="cite-text">{highlight(c.text, c.highlights)}</blockquote>'
        "</details>"
    )


def _footer(result: AnswerResult) -> str:
    parts = []
    if result.citations:
        parts.append(f"{result.supported_share:.0%} of sentences supported")
        parts.append(f"{len(result.citations)} source{'s' if len(result.citations) != 1 else ''}")
    total = result.timings.get("total")
    if total is not None:
        parts.append(f"{total:.1f} s")
    return f'<div class="answer-meta">{esc(" · ".join(parts))}</div>' if parts else ""


def render_result(result: AnswerResult, turn: int) -> str:
    """A checked answer, or a refusal, with its source cards."""
    searched = ""
    standalone = result.standalone_question
    if standalone and standalone.strip() != result.question.strip():
        searched = f'<div class="searched">searched for: {esc(standalone)}</div>'
    if result.refused:
        return (
            '<div class="answer refusal" role="status">'
            '<div class="refusal-label">🛈 Not found in your documents</div>'
            f'<div class="answer-text">{esc(result.answer)}</div>{searched}</div>'
        )
    body, dropped = answer_body(result, turn)
    extra = ""
    if dropped:
        items = "".join(f"<li>{esc(s)}</li>" for s in dropped)
        extra = (
            '<div class="dropped"><div class="unsupported-label">⚠ left out as unsupported'
            f"</div><ul>{items}</ul></div>"
        )
    cards = "".join(citation_card(c, turn) for c in result.citations)
    sources = f'<div class="sources"><div class="sources-label">Sources</div>{cards}</div>'
    return (
        f'<div class="answer checked"><div class="answer-text">{body}</div>{extra}'
        f"{searched}{_footer(result)}{sources if cards else ''}</div>"
    )


def render_draft(draft: str) -> str:
    """The model's words as they stream: visibly provisional until checked."""
    text = esc(draft) if draft else "…"
    return (
        '<div class="answer draft" aria-busy="true">'
        '<div class="draft-label">draft · checking citations when done</div>'
        f'<div class="answer-text">{text}</div></div>'
    )


def render_error(message: str) -> str:
    return f'<div class="answer error" role="alert">⚠ {esc(message)}</div>'


# --- small messages and tables ------------------------------------------------------------


def message(text: str, kind: str = "info", items: Sequence[str] = ()) -> str:
    """A status line (info | ok | error) with an optional list, all escaped."""
    kind = kind if kind in ("info", "ok", "error") else "info"
    lis = "".join(f"<li>{esc(i)}</li>" for i in items)
    return f'<div class="msg msg-{kind}">{esc(text)}{f"<ul>{lis}</ul>" if lis else ""}</div>'


def sources_table(rows: Sequence[object]) -> str:
    """The indexed sources (catalogue records) as a table."""
    if not rows:
        return message("No documents yet: add some above.")
    head = "<tr><th>source</th><th>chunks</th><th>tokens</th><th>ingested at</th></tr>"
    body = []
    for r in rows:
        when = dt.datetime.fromtimestamp(r.ingested_at).strftime("%Y-%m-%d %H:%M")
        body.append(
            f'<tr><td title="{esc(r.source)}">{esc(_file_name(r.source))}'
            f'<div class="path">{esc(r.source)}</div></td>'
            f'<td class="num">{esc(r.chunks)}</td><td class="num">{esc(r.tokens)}</td>'
            f"<td>{esc(when)}</td></tr>"
        )
    return f'<table class="sources-table">{head}{"".join(body)}</table>'


# --- Markdown, safely ---------------------------------------------------------------------

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![*\w])")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")


def markdown_safe(text: str, key: int | str | None = None, known: set[int] | None = None) -> str:
    """A small Markdown subset (headings, bullets, bold, italic, paragraphs) over escaped text.

    Model output is never handed to a Markdown renderer that would pass raw HTML
    or links through; this knows only a few constructs and escapes the rest.
    With `key`, [n] markers in `known` link to the source cards `cite-<key>-<n>`.
    """
    out: list[str] = []
    in_list = False
    para: list[str] = []

    def inline(s: str) -> str:
        html = _ITALIC.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", esc(s)))
        return link_markers(html, key, known or set()) if key is not None else html

    def flush() -> None:
        if para:
            out.append(f"<p>{'<br>'.join(inline(p) for p in para)}</p>")
            para.clear()

    for line in text.splitlines():
        heading, bullet = _HEADING.match(line), _BULLET.match(line)
        if bullet:
            flush()
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(bullet.group(1))}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if heading:
            flush()
            level = min(len(heading.group(1)) + 2, 6)  # page headings stay the biggest
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif line.strip():
            para.append(line.strip())
        else:
            flush()
    flush()
    if in_list:
        out.append("</ul>")
    return "".join(out)
