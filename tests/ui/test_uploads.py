"""Upload names are rebuilt safely; type and size are checked; nothing is overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.ui.uploads import (
    FALLBACK_SUFFIXES,
    allowed_suffixes,
    check_upload,
    safe_name,
    save_uploads,
    store_upload,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("/abs/path/report.PDF", "report.pdf"),
        ("..", "upload"),
        ("....txt", "upload.txt"),
        (".bashrc", "bashrc"),
        ("a b;rm -rf $(x).md", "a_b_rm_-rf_x.md"),
        ("Güler notes.txt", "Güler_notes.txt"),
        ("ctl\x00\x1b[31m.txt", "ctl_31m.txt"),
        ("<script>.html", "script.html"),
    ],
)
def test_safe_name(raw: str, expected: str) -> None:
    assert safe_name(raw) == expected


def test_safe_name_bounds_length_in_bytes_and_keeps_suffix() -> None:
    name = safe_name("ü" * 400 + ".docx")
    assert name.endswith(".docx") and len(name.encode()) <= 150


def test_allowed_suffixes_come_from_the_loaders() -> None:
    assert {".txt", ".md", ".pdf", ".docx", ".html"} <= allowed_suffixes()
    assert FALLBACK_SUFFIXES.issubset(allowed_suffixes())


def test_check_upload_type_and_size(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_bytes(b"a" * 2048)
    allowed = frozenset({".txt"})
    assert check_upload(f, "x.txt", allowed=allowed, max_bytes=4096) is None
    assert "not supported" in check_upload(f, "x.exe", allowed=allowed, max_bytes=4096)
    assert "not supported" in check_upload(f, "../../etc/passwd", allowed=allowed, max_bytes=1)
    assert "the limit is" in check_upload(f, "x.txt", allowed=allowed, max_bytes=1024)
    assert "cannot read" in check_upload(
        tmp_path / "gone.txt", "gone.txt", allowed=allowed, max_bytes=1024
    )


def test_store_never_overwrites_a_different_file(tmp_path: Path) -> None:
    dest = tmp_path / "uploads"
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("first")
    b.write_text("second")
    first = store_upload(a, "../notes.txt", dest)
    second = store_upload(b, "notes.txt", dest)
    again = store_upload(a, "notes.txt", dest)
    assert first == dest / "notes.txt" and second == dest / "notes-1.txt" and again == first
    assert first.read_text() == "first" and second.read_text() == "second"
    assert sorted(p.name for p in dest.iterdir()) == ["notes-1.txt", "notes.txt"]  # no temp left


def test_save_uploads_reports_refusals_by_name(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    good, big, exe = src / "good.md", src / "big.txt", src / "tool.exe"
    good.write_text("# hi")
    big.write_bytes(b"x" * 5000)
    exe.write_bytes(b"MZ")
    report = save_uploads([good, big, exe], tmp_path / "up", max_bytes=4096)
    assert [p.name for p in report.stored] == ["good.md"]
    assert [name for name, _ in report.refused] == ["big.txt", "tool.exe"]
    assert (tmp_path / "up" / "good.md").read_text() == "# hi"
