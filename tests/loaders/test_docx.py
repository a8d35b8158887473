"""Real .docx files (python-docx writes them) and hostile zips through load_file."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from rag.errors import LoadError
from rag.loaders import load_file

from .make import write_docx, zip_with


def build_report(document) -> None:  # noqa: ANN001
    document.add_heading("Project Plan", level=1)
    document.add_paragraph("The first paragraph explains the goal.")
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([["Task", "Owner", "Due"], ["Design", "Ana", "May"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("")
    document.add_heading("Risks", level=2)
    paragraph = document.add_paragraph("Budget ")
    paragraph.add_run("overrun").bold = True
    paragraph.add_run(" is the main risk.")


def test_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    doc = load_file(write_docx(tmp_path / "plan.docx", build_report))
    assert doc.text == (
        "Project Plan\n\n"
        "The first paragraph explains the goal.\n\n"
        "Task | Owner | Due\nDesign | Ana | May\n\n"
        "Risks\n\n"
        "Budget overrun is the main risk."
    )
    assert doc.format == "docx"
    assert doc.title == "Project Plan"  # no core title: the first heading
    assert doc.warnings == ()


def test_core_properties_title_wins(tmp_path: Path) -> None:
    def build(document) -> None:  # noqa: ANN001
        document.core_properties.title = "Official Title"
        build_report(document)

    assert load_file(write_docx(tmp_path / "t.docx", build)).title == "Official Title"


def test_title_style_counts_as_heading(tmp_path: Path) -> None:
    def build(document) -> None:  # noqa: ANN001
        document.add_paragraph("Plain opening line.")
        document.add_heading("Styled Title", level=0)

    assert load_file(write_docx(tmp_path / "t.docx", build)).title == "Styled Title"


def test_stem_when_no_title_or_heading(tmp_path: Path) -> None:
    def build(document) -> None:  # noqa: ANN001
        document.add_paragraph("Just text.")

    assert load_file(write_docx(tmp_path / "memo-2024.docx", build)).title == "memo-2024"


def test_nested_table_and_merged_cells(tmp_path: Path) -> None:
    def build(document) -> None:  # noqa: ANN001
        table = document.add_table(rows=2, cols=2)
        merged = table.cell(0, 0).merge(table.cell(0, 1))
        merged.text = "Merged header"
        table.cell(1, 0).text = "Left"
        inner = table.cell(1, 1).add_table(rows=1, cols=2)
        inner.cell(0, 0).text = "in1"
        inner.cell(0, 1).text = "in2"

    doc = load_file(write_docx(tmp_path / "nested.docx", build))
    assert doc.text == "Merged header\nLeft | in1 in2"


def test_content_control_paragraphs_are_kept(tmp_path: Path) -> None:
    def build(document) -> None:  # noqa: ANN001
        document.add_paragraph("Before.")
        sdt = parse_xml(
            f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>Inside control.</w:t>"
            "</w:r></w:p></w:sdtContent></w:sdt>"
        )
        document.element.body.insert(1, sdt)
        document.add_paragraph("After.")

    doc = load_file(write_docx(tmp_path / "sdt.docx", build))
    assert doc.text == "Before.\n\nInside control.\n\nAfter."


def test_empty_document(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as err:
        load_file(write_docx(tmp_path / "empty.docx", lambda d: d.add_paragraph("  ")))
    assert err.value.reason == "no text (the document has no paragraph or table text)"


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_bytes(b"This is plain text pretending to be a Word file.")
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason == "not a valid .docx (not a zip archive)"


def test_old_doc_renamed(tmp_path: Path) -> None:
    path = tmp_path / "legacy.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000))
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason == (
        "not a valid .docx (not a zip archive; an old .doc file? save it as .docx)"
    )


def test_zip_without_word_parts(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "other.docx", {"readme.txt": b"not a word document"})
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason.startswith("not a valid .docx (")


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 MB of zeros deflated to about 300 KB."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.docx"
    return zip_with(path, {"[Content_Types].xml": b"<Types/>", "word/document.xml": 300 * 2**20})


def test_zip_bomb_refused_before_inflating(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 2 * 2**20
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(LoadError) as err:
            load_file(zip_bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.reason == "refused: .docx expands to 300 MB (zip bomb?)"
    assert peak < 20 * 2**20
    assert time.perf_counter() - start < 2


def test_high_ratio_member_refused_even_when_small_in_total(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "ratio.docx", {"word/document.xml": 20 * 2**20})
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason == "refused: .docx expands to 20 MB (zip bomb?)"
