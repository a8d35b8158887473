"""HTML: visible text only, one line per block element, so paragraphs stay paragraphs."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, CData, NavigableString, Tag
from bs4.element import PreformattedString

from rag.loaders.base import Extracted, Refused
from rag.loaders.decode import decode_text
from rag.loaders.normalize import clean_title, normalize

_DECLARED = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})"""
    rb"""|<\?xml[^>]{0,100}?encoding\s*=\s*["']([A-Za-z0-9_.:-]{1,40})""",
    re.IGNORECASE,
)
# fmt: off
_SKIP = frozenset({
    "script", "style", "noscript", "template", "head", "svg", "canvas", "iframe", "object",
    "embed",
})
_PARAGRAPH = frozenset({  # blocks that end a paragraph: a blank line around them
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl",
    "figure", "hr", "section", "article", "header", "footer", "nav", "aside", "main", "address",
    "details", "fieldset", "form",
})
_LINE = frozenset({  # blocks that only end a line
    "html", "body", "div", "li", "tr", "dt", "dd", "figcaption", "caption", "summary", "legend",
    "option", "thead", "tbody", "tfoot",
})
# fmt: on
_CELL = frozenset(("td", "th"))
_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML whitespace; &nbsp; stays


def load_html(data: bytes, stem: str) -> Extracted:
    """Decode (BOM, then <meta charset>, then guesses), parse with lxml, keep the visible text."""
    declared = _DECLARED.search(data[:4096])
    encoding = None if declared is None else (declared.group(1) or declared.group(2)).decode()
    raw, warnings = decode_text(data, declared=encoding)
    soup = BeautifulSoup(raw, "lxml")
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    text, cleaned = normalize(_visible_text(soup))
    if not title:
        h1 = soup.find("h1")
        title = h1.get_text(" ", strip=True) if h1 else ""
    if not text.strip():
        raise Refused("no text (the HTML has no visible text)")
    return Extracted(title=clean_title(title, stem), text=text, warnings=tuple(warnings + cleaned))


def _visible_text(soup: BeautifulSoup) -> str:
    """Iterative walk (deeply nested pages must not hit the recursion limit)."""
    out: list[str] = []
    trail = 0  # newlines at the end of `out`, so nested blocks do not stack blank lines
    rows_with_cells: set[int] = set()

    def emit(piece: str) -> None:
        nonlocal trail
        out.append(piece)
        stripped = piece.rstrip("\n")
        trail = len(piece) - len(stripped) + (trail if not stripped else 0)

    def breaks(count: int) -> None:
        if out and trail < count:
            emit("\n" * (count - trail))

    stack: list[object] = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, int):  # end of a block: that many newlines
            breaks(node)
        elif isinstance(node, NavigableString):
            if isinstance(node, PreformattedString) and not isinstance(node, CData):
                continue  # comments, doctype, processing instructions
            piece = _SPACE.sub(" ", str(node))
            if piece.startswith(" ") and (not out or trail or out[-1].endswith(" ")):
                piece = piece[1:]
            if piece:
                emit(piece)
        elif isinstance(node, Tag):
            name = node.name
            if name in _SKIP:
                continue
            if name == "br":
                emit("\n")
                continue
            if name == "pre":
                breaks(2)
                emit(node.get_text())
                breaks(2)
                continue
            if name in _CELL:
                if id(node.parent) in rows_with_cells:
                    if out and not trail:
                        out[-1] = out[-1].rstrip(" ")
                    emit(" | ")
                rows_with_cells.add(id(node.parent))
            count = 2 if name in _PARAGRAPH else 1 if name in _LINE else 0
            if count:
                breaks(count)
                stack.append(count)
            stack.extend(reversed(node.contents))
    return "".join(out)
