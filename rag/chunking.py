"""Token-bounded chunks that prefer paragraph, then sentence, then token boundaries.

Every chunk keeps exact character offsets into the document text, so a
citation can always be shown and highlighted in its original place:
`doc.text[chunk.start:chunk.end] == chunk.text`, always.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from rag import tokens
from rag.types import Chunk, Document

_PARAGRAPH = re.compile(r"\n\s*\n|\n")
# a sentence ends at . ! ? (optionally followed by quotes/brackets) and whitespace
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+")


@dataclass(frozen=True)
class ChunkSpec:
    """Chunk size and overlap in cl100k tokens; part of every chunk's provenance."""

    size: int = 180
    overlap: int = 30

    def __post_init__(self) -> None:
        if self.overlap >= self.size:
            raise ValueError(
                f"chunk overlap ({self.overlap}) must be below chunk size ({self.size})"
            )

    @property
    def signature(self) -> str:
        return f"cl100k:{self.size}:{self.overlap}:v1"


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int


def _spans(text: str, start: int, end: int, pattern: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    """Non-blank pieces of text[start:end] between matches of `pattern`, trimmed of whitespace."""
    pos = start
    for m in pattern.finditer(text, start, end):
        yield from _trim(text, pos, m.start())
        pos = m.end()
    yield from _trim(text, pos, end)


def _trim(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end


def _token_pieces(text: str, start: int, end: int, size: int) -> Iterator[_Unit]:
    """Split an over-long sentence at token boundaries (char offsets from tiktoken)."""
    enc = tokens.encoding()
    ids = enc.encode_ordinary(text[start:end])
    _, offsets = enc.decode_with_offsets(ids)
    i = 0
    while i < len(ids):
        j = min(i + size, len(ids))
        while True:  # a cut inside a multi-byte character can re-count higher: step back
            s = start + offsets[i]
            e = start + offsets[j] if j < len(ids) else end
            n = tokens.count(text[s:e])
            if n <= size or j - i <= 1:
                break
            j -= 1
        for a, b in _trim(text, s, e):
            yield _Unit(a, b, tokens.count(text[a:b]))
        i = j


def _units(text: str, size: int) -> Iterator[_Unit]:
    """Paragraphs that fit; else their sentences; else token slices of a sentence."""
    for ps, pe in _spans(text, 0, len(text), _PARAGRAPH):
        n = tokens.count(text[ps:pe])
        if n <= size:
            yield _Unit(ps, pe, n)
            continue
        for ss, se in _spans(text, ps, pe, _SENTENCE_END):
            m = tokens.count(text[ss:se])
            if m <= size:
                yield _Unit(ss, se, m)
            else:
                yield from _token_pieces(text, ss, se, size)


def chunk_id(source: str, start: int, text: str) -> str:
    """Stable id from source and content: unchanged text at the same place keeps its id."""
    h = hashlib.sha256(f"{source}\x00{start}\x00{text}".encode()).hexdigest()
    return h[:32]


def chunk_document(doc: Document, spec: ChunkSpec) -> list[Chunk]:
    """Pack units greedily up to `spec.size` tokens; carry trailing units as overlap."""
    units = list(_units(doc.text, spec.size))
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j].tokens <= spec.size):
            total += units[j].tokens
            j += 1
        start, end = units[i].start, units[j - 1].end
        text = doc.text[start:end]
        n = tokens.count(text)
        while n > spec.size and j - 1 > i:  # joins can add a token or two: shrink
            j -= 1
            end = units[j - 1].end
            text = doc.text[start:end]
            n = tokens.count(text)
        chunks.append(
            Chunk(
                id=chunk_id(doc.source, start, text),
                source=doc.source,
                title=doc.title,
                ordinal=len(chunks),
                start=start,
                end=end,
                text=text,
                tokens=n,
                page=doc.page_at(start),
            )
        )
        if j >= len(units):
            break
        # next chunk starts with the trailing units (<= overlap tokens) of this one
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1].tokens <= spec.overlap:
            back -= 1
            carried += units[back].tokens
        i = back
    return chunks
