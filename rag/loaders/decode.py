"""Bytes to str for text formats: BOMs, strict UTF-8, BOM-less UTF-16, then cp1252 and latin-1.

Also refuses binary files that merely carry a text suffix, because indexing the mojibake of a
PNG or an executable only pollutes search results.
"""

from __future__ import annotations

import codecs
import re

from rag.loaders.base import Refused

BINARY = "looks like a binary file, not text"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"PK\x03\x04", "zip archive"),
    (b"PK\x05\x06", "zip archive"),
    (b"%PDF-", "PDF document"),
    (b"\x7fELF", "ELF executable"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document"),
    (b"SQLite format 3\x00", "SQLite database"),
)

# Longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Controls that never occur in real text. Tab, newlines, form feed, ESC (coloured logs) and
# SUB (DOS end-of-file) are left out on purpose.
_BAD_BYTES = bytes(
    [*range(0x00, 0x09), 0x0E, 0x0F, *range(0x10, 0x1A), 0x1C, 0x1D, 0x1E, 0x1F, 0x7F]
)
_BAD_CHARS = re.compile("[\x00-\x08\x0e-\x19\x1c-\x1f\x7f]")
_BINARY_SHARE = 0.01  # more than 1% bad characters ...
_BINARY_MIN = 8  # ... and more than a handful: a few stray NULs are cleaned, not refused
_SAMPLE = 1 << 16


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, list[str]]:
    """Decode `data` as text or raise Refused; warnings say which guess was used.

    `declared` is an encoding the file names for itself (an HTML meta charset); a BOM wins
    over it, and it is dropped with a warning when the bytes do not decode with it.
    """
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise Refused(f"{BINARY} ({kind})")

    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_with_bom(data[len(bom) :], encoding)

    if b"\x00" in data[:_SAMPLE]:
        guessed = _utf16_without_bom(data)
        if guessed is not None:
            return guessed

    bad = len(data) - len(data.translate(None, _BAD_BYTES))
    if _is_binary(bad, len(data)):
        raise Refused(BINARY)

    warnings: list[str] = []
    if declared:
        text = _try_declared(data, declared, warnings)
        if text is not None:
            return text, warnings

    try:
        return data.decode("utf-8"), warnings
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            try:
                text = data[: exc.start].decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                warnings.append("dropped an incomplete UTF-8 character at the end of the file")
                return text, warnings
    try:
        text = data.decode("cp1252")
        warnings.append("decoded as cp1252 after UTF-8 failed")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        warnings.append("decoded as latin-1 after UTF-8 and cp1252 failed")
    return text, warnings


def _is_binary(bad: int, total: int) -> bool:
    return bad > _BINARY_MIN and bad > total * _BINARY_SHARE


def _decode_with_bom(body: bytes, encoding: str) -> tuple[str, list[str]]:
    warnings: list[str] = []
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        text = body.decode(encoding, errors="replace")
        warnings.append(
            f"invalid {encoding.upper()} bytes replaced with U+FFFD (file has a {encoding.upper()} "
            "byte order mark)"
        )
    if _is_binary(len(_BAD_CHARS.findall(text)), len(text)):
        raise Refused(BINARY)
    return text, warnings


def _utf16_without_bom(data: bytes) -> tuple[str, list[str]] | None:
    """Windows tools often write UTF-16 without a BOM: ASCII text then has NULs every other byte."""
    sample = data[: _SAMPLE & ~1]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.3 * half and even < 0.05 * half:
        encoding = "utf-16-le"
    elif even > 0.3 * half and odd < 0.05 * half:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = data[: len(data) & ~1].decode(encoding)
    except UnicodeDecodeError:
        return None
    if _is_binary(len(_BAD_CHARS.findall(text)), len(text)):
        return None
    return text, [f"decoded as {encoding.upper()} (no byte order mark)"]


def _try_declared(data: bytes, declared: str, warnings: list[str]) -> str | None:
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        warnings.append(f"ignored unknown declared encoding {declared!r}")
        return None
    if name.startswith(("utf-16", "utf-32", "utf-8")):
        return None  # a UTF-16 declaration in ASCII-readable bytes is wrong (as browsers assume)
    if not data.isascii():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:  # non-ASCII valid UTF-8 is almost never meant as anything else
            warnings.append(f"ignored declared encoding {declared!r}: the bytes are valid UTF-8")
            return text
    if name in ("latin-1", "iso8859-1", "ascii"):
        name = "cp1252"  # what browsers do: these labels mean windows-1252 in practice
    try:
        return data.decode(name)
    except UnicodeDecodeError:
        warnings.append(f"declared encoding {declared!r} did not fit the bytes; guessed instead")
        return None
