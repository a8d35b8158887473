"""Builders for real test files of each format (fpdf2 and pypdf for PDFs, python-docx for .docx)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from fpdf import FPDF
from pypdf import PdfWriter


def pdf_bytes(pages: list[str], title: str | None = None) -> bytes:
    """A real PDF with one text page per entry ('' gives a blank page)."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    if title is not None:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def write_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    path.write_bytes(pdf_bytes(pages, title))
    return path


def encrypted_pdf(
    path: Path, pages: list[str], user: str, owner: str = "owner", algorithm: str = "RC4-128"
) -> Path:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(pages)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm=algorithm)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def blank_pdf(path: Path, count: int) -> Path:
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(width=200, height=200)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_docx(path: Path, build) -> Path:  # noqa: ANN001 - build(document) fills it
    document = docx.Document()
    build(document)
    document.save(str(path))
    return path


def zip_with(path: Path, members: dict[str, int | bytes]) -> Path:
    """A deflated zip; an int member is that many zero bytes, written in chunks (no big buffer)."""
    chunk = bytes(2**20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            if isinstance(content, bytes):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w", force_zip64=True) as member:
                left = content
                while left > 0:
                    member.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
    return path
