"""The one text normaliser every loader uses, so offsets and chunk text agree across formats."""

from __future__ import annotations

import re
import unicodedata

# C0 controls except \t and \n (\r, \v, \f are turned into newlines first), plus DEL.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile("\r\n|[\r\v\f\u2028\u2029]")
_BLANK_RUNS = re.compile("\n{3,}")
_SPACES = re.compile(r"\s+")
MAX_TITLE_CHARS = 200


def normalize(text: str) -> tuple[str, list[str]]:
    """NFC, \\n line ends, no control characters or trailing spaces, at most one blank line.

    Linear time (no backtracking regexes), so a 5 MB single line is fine. Returns the text and
    warnings about what was removed, so a user can see why text differs from the file.
    """
    warnings: list[str] = []
    text = text.removeprefix("\ufeff")
    text = _LINE_BREAKS.sub("\n", text)
    nuls = text.count("\x00")
    text, removed = _CONTROLS.subn("", text)
    if nuls:
        warnings.append(f"removed {nuls} NUL byte{'s' if nuls != 1 else ''}")
    if removed - nuls:
        n = removed - nuls
        warnings.append(f"removed {n} control character{'s' if n != 1 else ''}")
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip("\n"), warnings


def clean_title(title: str | None, fallback: str) -> str:
    """One line of at most MAX_TITLE_CHARS; `fallback` (the file stem) when nothing is left."""
    title = _SPACES.sub(" ", unicodedata.normalize("NFC", _CONTROLS.sub("", title or ""))).strip()
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1].rstrip() + "…"
    return title or fallback
