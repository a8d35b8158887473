"""What a format loader returns and how it says no; `load_file` adds the path and the hash."""

from __future__ import annotations

from dataclasses import dataclass


class Refused(Exception):
    """A loader's plain-English reason for not loading a file; becomes a LoadError with the path."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Extracted:
    """Normalised text and what was learnt on the way; the format-independent half of a Document."""

    title: str
    text: str
    pages: tuple[tuple[int, int], ...] = ()
    warnings: tuple[str, ...] = ()


def short(exc: BaseException, limit: int = 120) -> str:
    """First line of an exception message (or its type name), short enough for one error line."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
