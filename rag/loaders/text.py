"""Plain text and Markdown: decode, normalise, and take a Markdown title from its first heading."""

from __future__ import annotations

import re

from rag.loaders.base import Extracted, Refused
from rag.loaders.decode import decode_text
from rag.loaders.normalize import clean_title, normalize

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_H1 = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FRONT_TITLE = re.compile(r"""^title:[ \t]*["']?(.+?)["']?[ \t]*$""")
_MAX_HEADING = 1000  # longer lines are not headings; also keeps the regexes linear


def load_text(data: bytes, stem: str) -> Extracted:
    """A .txt file; the title is the file name, since plain text has no reliable heading."""
    text, warnings = _decoded(data)
    return Extracted(title=clean_title(None, stem), text=text, warnings=tuple(warnings))


def load_markdown(data: bytes, stem: str) -> Extracted:
    """A .md file, kept as Markdown source (the markup is readable and helps chunking)."""
    text, warnings = _decoded(data)
    return Extracted(
        title=clean_title(markdown_title(text), stem), text=text, warnings=tuple(warnings)
    )


def markdown_title(text: str) -> str | None:
    """The first level-1 `# ` heading outside code fences, else a front-matter `title:`."""
    lines = text.split("\n")
    front_title = None
    start = 0
    if lines and lines[0] == "---":  # YAML front matter
        for i, line in enumerate(lines[1:], 1):
            if line in ("---", "..."):
                start = i + 1
                break
            match = _FRONT_TITLE.match(line) if len(line) <= _MAX_HEADING else None
            if match and front_title is None:
                front_title = match.group(1)
        else:
            front_title = None
    fence: str | None = None
    for line in lines[start:]:
        opening = _FENCE.match(line)
        if opening:
            marker = opening.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None and len(line) <= _MAX_HEADING:
            match = _ATX_H1.match(line)
            if match:
                return match.group(1)
    return front_title


def _decoded(data: bytes) -> tuple[str, list[str]]:
    raw, warnings = decode_text(data)
    text, cleaned = normalize(raw)
    if not text.strip():
        raise Refused("empty file (only whitespace)" if not raw.strip() else "empty file (no text)")
    return text, warnings + cleaned
