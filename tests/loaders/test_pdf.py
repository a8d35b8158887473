"""Real PDFs (fpdf2 for text, pypdf for encryption and blank pages) through load_file."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from rag.errors import LoadError
from rag.loaders import load_file
from rag.loaders.pdf import MAX_PDF_PAGES

from .make import blank_pdf, encrypted_pdf, pdf_bytes, write_pdf

PAGES = [
    "Alpha page one.\nIt has two lines.",
    "Bravo page two mentions the budget.",
    "Charlie page three closes.",
]


def test_multi_page_text_and_page_map(tmp_path: Path) -> None:
    doc = load_file(write_pdf(tmp_path / "report.pdf", PAGES, title="Annual Report"))
    assert doc.text == "\n\n".join(PAGES)
    assert doc.format == "pdf"
    assert doc.title == "Annual Report"
    assert doc.pages == ((0, 1), (len(PAGES[0]) + 2, 2), (len(PAGES[0]) + len(PAGES[1]) + 4, 3))
    assert doc.page_at(doc.text.index("the budget")) == 2
    assert doc.page_at(doc.text.index("Charlie")) == 3
    assert doc.page_at(doc.text.index("two lines")) == 1
    assert doc.warnings == ()


def test_every_page_offset_points_at_its_page_text(tmp_path: Path) -> None:
    pages = [f"Page number {n} body." for n in range(1, 8)]
    doc = load_file(write_pdf(tmp_path / "seven.pdf", pages))
    for start, number in doc.pages:
        assert doc.text[start:].startswith(f"Page number {number} body.")


def test_blank_page_in_the_middle_keeps_numbers(tmp_path: Path) -> None:
    doc = load_file(write_pdf(tmp_path / "gap.pdf", ["First page.", "", "Third page."]))
    assert doc.text == "First page.\n\nThird page."
    assert doc.pages == ((0, 1), (13, 3))
    assert doc.page_at(doc.text.index("Third")) == 3


def test_title_falls_back_to_stem(tmp_path: Path) -> None:
    assert load_file(write_pdf(tmp_path / "no-title.pdf", ["Text."])).title == "no-title"


def test_encrypted_with_password(tmp_path: Path) -> None:
    path = encrypted_pdf(tmp_path / "locked.pdf", PAGES, user="secret")
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason == "encrypted PDF (password protected)"


def test_encrypted_with_empty_user_password_opens(tmp_path: Path) -> None:
    doc = load_file(encrypted_pdf(tmp_path / "owner-only.pdf", PAGES, user=""))
    assert doc.text == "\n\n".join(PAGES)


def test_aes_encrypted_with_empty_user_password_opens(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    path = encrypted_pdf(tmp_path / "aes.pdf", PAGES, user="", algorithm="AES-256")
    assert load_file(path).text == "\n\n".join(PAGES)


def test_aes_encrypted_with_password(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    path = encrypted_pdf(tmp_path / "aes-locked.pdf", PAGES, user="pw", algorithm="AES-128")
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason == "encrypted PDF (password protected)"


def test_truncated_pdf_is_corrupt(tmp_path: Path) -> None:
    data = pdf_bytes(PAGES)
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason.startswith("corrupt PDF: ")


def test_garbage_after_header_is_corrupt(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20)
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason.startswith("corrupt PDF: ")
    assert capfd.readouterr().err == ""  # pypdf's logger is silenced


def test_not_a_pdf_at_all(tmp_path: Path) -> None:
    path = tmp_path / "page.pdf"
    path.write_bytes(b"<html>saved with the wrong name</html>")
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason == "corrupt PDF: no %PDF header (not a PDF file?)"


def test_repaired_pdf_loads_with_one_warning(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    data = pdf_bytes(["Hello page."])
    path = tmp_path / "bad-xref.pdf"
    path.write_bytes(data[: data.index(b"startxref")] + b"startxref\n999999\n%%EOF\n")
    doc = load_file(path)
    assert doc.text == "Hello page."
    (warning,) = doc.warnings
    assert warning.startswith("malformed PDF: pypdf repaired ")
    assert "startxref" in warning
    assert capfd.readouterr().err == ""


def test_pypdf_logger_does_not_propagate() -> None:
    assert logging.getLogger("pypdf").propagate is False


def test_page_limit_refuses_quickly(tmp_path: Path) -> None:
    path = blank_pdf(tmp_path / "many.pdf", 2100)
    start = time.perf_counter()
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert time.perf_counter() - start < 5
    assert err.value.reason == f"PDF has 2100 pages, over the limit of {MAX_PDF_PAGES} pages"
    assert MAX_PDF_PAGES == 2000


def test_page_limit_is_a_parameter(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "three.pdf", PAGES)
    with pytest.raises(LoadError, match="PDF has 3 pages, over the limit of 2 pages"):
        load_file(path, max_pdf_pages=2)
    assert load_file(path, max_pdf_pages=3).pages[-1] == (
        len(PAGES[0]) + len(PAGES[1]) + 4,
        3,
    )


def test_thousands_of_blank_pages_under_a_raised_limit(tmp_path: Path) -> None:
    path = blank_pdf(tmp_path / "blank.pdf", 5000)
    start = time.perf_counter()
    with pytest.raises(LoadError) as err:
        load_file(path, max_pdf_pages=10_000)
    assert time.perf_counter() - start < 60
    assert err.value.reason == "PDF has no extractable text (scanned images?)"


def test_no_text(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as err:
        load_file(write_pdf(tmp_path / "scan.pdf", ["", ""]))
    assert err.value.reason == "PDF has no extractable text (scanned images?)"
