"""Real .txt and .md files through load_file."""

from __future__ import annotations

import codecs
import hashlib
import random
import time
from pathlib import Path

import pytest

from rag.errors import LoadError
from rag.loaders import load_file
from rag.loaders.text import markdown_title

TEXT = "Grüße aus Köln.\nThe café’s “menu” – naïve.\n\nSecond paragraph."


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_utf8_document_fields(tmp_path: Path) -> None:
    data = TEXT.encode()
    doc = load_file(write(tmp_path / "notes.txt", data))
    assert doc.text == TEXT
    assert doc.title == "notes"
    assert doc.format == "txt"
    assert doc.source == (tmp_path / "notes.txt").resolve().as_posix()
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.pages == ()
    assert doc.warnings == ()
    assert doc.page_at(5) is None


@pytest.mark.parametrize(
    ("prefix", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
    ],
)
def test_bom_files(tmp_path: Path, prefix: bytes, encoding: str) -> None:
    doc = load_file(write(tmp_path / "bom.txt", prefix + TEXT.encode(encoding)))
    assert doc.text == TEXT
    assert doc.warnings == ()


def test_utf16_crlf_from_windows_notepad(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + TEXT.replace("\n", "\r\n").encode("utf-16-le")
    assert load_file(write(tmp_path / "win.txt", data)).text == TEXT


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_bomless_utf16(tmp_path: Path, encoding: str) -> None:
    doc = load_file(write(tmp_path / "u16.txt", TEXT.encode(encoding)))
    assert doc.text == TEXT
    assert doc.warnings == (f"decoded as {encoding.upper()} (no byte order mark)",)


def test_latin1_file(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "latin.txt", "Déjà vu, señor. Ærø Ø".encode("latin-1")))
    assert doc.text == "Déjà vu, señor. Ærø Ø"
    assert doc.warnings == ("decoded as cp1252 after UTF-8 failed",)


def test_cp1252_smart_quotes(tmp_path: Path) -> None:
    data = b"He said \x93hello\x94 \x96 it\x92s 5\x80\x85"
    doc = load_file(write(tmp_path / "quotes.txt", data))
    assert doc.text == "He said “hello” – it’s 5€…"
    assert doc.warnings == ("decoded as cp1252 after UTF-8 failed",)


def test_nul_bytes_in_text_removed_with_warning(tmp_path: Path) -> None:
    data = b"alpha\x00 beta\x00\x00 gamma " + b"filler text " * 50
    doc = load_file(write(tmp_path / "nul.txt", data))
    assert doc.text == "alpha beta gamma " + "filler text " * 49 + "filler text"
    assert doc.warnings == ("removed 3 NUL bytes",)


def test_png_renamed_txt(tmp_path: Path) -> None:
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
    with pytest.raises(LoadError) as err:
        load_file(write(tmp_path / "image.txt", data))
    assert err.value.reason == "looks like a binary file, not text (PNG image)"
    assert err.value.path == (tmp_path / "image.txt").resolve().as_posix()


def test_random_bytes_renamed_txt(tmp_path: Path) -> None:
    data = random.Random(1).randbytes(10_000)
    with pytest.raises(LoadError) as err:
        load_file(write(tmp_path / "noise.txt", data))
    assert err.value.reason == "looks like a binary file, not text"


def test_binary_with_text_suffix_md(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="looks like a binary file"):
        load_file(write(tmp_path / "prog.md", b"\x7fELF\x02\x01\x01" + bytes(100)))


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as err:
        load_file(write(tmp_path / "empty.txt", b""))
    assert err.value.reason == "empty file"


def test_whitespace_only_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as err:
        load_file(write(tmp_path / "blank.md", b" \n\t\r\n   \n"))
    assert err.value.reason == "empty file (only whitespace)"


def test_five_megabyte_single_line(tmp_path: Path) -> None:
    line = ("lorem ipsum dolor " * 300_000)[: 5 * 2**20].strip()
    start = time.perf_counter()
    doc = load_file(write(tmp_path / "long.txt", line.encode()))
    assert time.perf_counter() - start < 10
    assert doc.text == line


def test_five_megabyte_markdown_heading_line(tmp_path: Path) -> None:
    line = "# " + "x " * (5 * 2**19)
    start = time.perf_counter()
    doc = load_file(write(tmp_path / "long.md", line.encode()))
    assert time.perf_counter() - start < 10
    assert doc.title == "long"  # far too long to be a heading


def test_markdown_title_and_text(tmp_path: Path) -> None:
    source = "Intro line\n\n# The Real Title #\n\nBody text.\n\n\n\n## Sub\n"
    doc = load_file(write(tmp_path / "guide.md", source.encode()))
    assert doc.title == "The Real Title"
    assert doc.format == "md"
    assert doc.text == "Intro line\n\n# The Real Title #\n\nBody text.\n\n## Sub"


def test_markdown_extension_and_stem_fallback(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "README.markdown", b"## only level two\n\ntext"))
    assert doc.format == "md"
    assert doc.title == "README"


def test_markdown_title_ignores_code_fences() -> None:
    text = "```bash\n# install it\npip install x\n```\n\n~~~\n# nor this\n~~~\n# Actual\n"
    assert markdown_title(text) == "Actual"


def test_markdown_title_from_front_matter() -> None:
    assert markdown_title("---\ntitle: 'From Front'\ndate: x\n---\nNo heading") == "From Front"
    assert markdown_title("---\ntitle: FM\n---\n# Heading wins") == "Heading wins"


def test_markdown_hash_without_space_is_not_a_heading() -> None:
    assert markdown_title("#hashtag\n#\n") is None
