from __future__ import annotations

import codecs
import random

import pytest

from rag.loaders.base import Refused
from rag.loaders.decode import BINARY, decode_text

SAMPLE = "Grüße, café — “quoted” naïve.\nSecond line."


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_bom_wins(bom: bytes, encoding: str) -> None:
    assert decode_text(bom + SAMPLE.encode(encoding)) == (SAMPLE, [])


def test_strict_utf8_has_no_warning() -> None:
    assert decode_text(SAMPLE.encode()) == (SAMPLE, [])


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(encoding: str) -> None:
    text, warnings = decode_text(SAMPLE.encode(encoding))
    assert text == SAMPLE
    assert warnings == [f"decoded as {encoding.upper()} (no byte order mark)"]


def test_cp1252_fallback() -> None:
    data = "“smart” quotes – and a € sign".encode("cp1252")
    assert decode_text(data) == (
        "“smart” quotes – and a € sign",
        ["decoded as cp1252 after UTF-8 failed"],
    )


def test_latin1_when_cp1252_cannot_decode() -> None:
    data = b"caf\xe9 \x81 end"  # 0x81 is undefined in cp1252
    assert decode_text(data) == (
        "café \x81 end",
        ["decoded as latin-1 after UTF-8 and cp1252 failed"],
    )


def test_truncated_utf8_tail_is_dropped() -> None:
    data = "naïve €".encode()[:-1]
    assert decode_text(data) == (
        "naïve ",
        ["dropped an incomplete UTF-8 character at the end of the file"],
    )


@pytest.mark.parametrize(
    "magic",
    [b"\x89PNG\r\n\x1a\n", b"\x7fELF\x02\x01", b"PK\x03\x04", b"%PDF-1.7\n", b"\x1f\x8b\x08"],
)
def test_known_magic_is_binary(magic: bytes) -> None:
    with pytest.raises(Refused) as err:
        decode_text(magic + b"plain text after the header " * 10)
    assert err.value.reason.startswith(BINARY)


def test_random_bytes_are_binary() -> None:
    data = random.Random(7).randbytes(4096)
    with pytest.raises(Refused, match=BINARY):
        decode_text(data)


def test_many_nuls_are_binary() -> None:
    data = b"some text\x00\x00\x00 more\x00\x01\x02\x03 stuff\x00\x00 and \x00\x00\x05" * 20
    with pytest.raises(Refused, match=BINARY):
        decode_text(data)


def test_few_stray_nuls_are_kept_for_normalize() -> None:
    text, warnings = decode_text(b"hello\x00 world\x00 " + b"long clean text " * 100)
    assert text.startswith("hello\x00 world\x00 long")
    assert warnings == []


def test_escape_sequences_of_coloured_logs_are_not_binary() -> None:
    data = b"\x1b[31mERROR\x1b[0m disk full\n" * 200
    assert decode_text(data)[0] == data.decode()


def test_declared_encoding_is_used() -> None:
    data = "Grüße".encode("iso-8859-15")
    assert decode_text(data, declared="iso-8859-15") == ("Grüße", [])


def test_declared_latin1_means_windows_1252() -> None:
    assert decode_text(b"\x93q\x94", declared="ISO-8859-1") == ("“q”", [])


def test_declared_encoding_loses_to_valid_utf8() -> None:
    assert decode_text("naïve".encode(), declared="ascii") == (
        "naïve",
        ["ignored declared encoding 'ascii': the bytes are valid UTF-8"],
    )


def test_declared_encoding_that_does_not_fit_falls_back() -> None:
    assert decode_text(b"caf\xbf\xd0", declared="iso-8859-8") == (
        "caf¿Ð",
        [
            "declared encoding 'iso-8859-8' did not fit the bytes; guessed instead",
            "decoded as cp1252 after UTF-8 failed",
        ],
    )


def test_unknown_declared_encoding_is_ignored() -> None:
    assert decode_text(b"abc", declared="klingon") == (
        "abc",
        ["ignored unknown declared encoding 'klingon'"],
    )
