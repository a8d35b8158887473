"""Word .docx: paragraphs and tables in document order, after a zip-bomb check on the archive."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import docx
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree

from rag.loaders.base import Extracted, Refused, short
from rag.loaders.normalize import clean_title, normalize

MAX_UNCOMPRESSED = 200 * 2**20
MAX_RATIO = 100
RATIO_FLOOR = 2**20  # members smaller than this cannot hurt, whatever their ratio (XML packs well)

_P, _TBL, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_WRAPPERS = frozenset((qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:smartTag")))


def load_docx(data: bytes, stem: str) -> Extracted:
    """Check the archive first: python-docx would inflate a zip bomb into memory."""
    archive = io.BytesIO(data)
    if not zipfile.is_zipfile(archive):
        hint = (
            "; an old .doc file? save it as .docx" if data.startswith(b"\xd0\xcf\x11\xe0") else ""
        )
        raise Refused(f"not a valid .docx (not a zip archive{hint})")
    _check_bomb(archive)
    try:
        document = docx.Document(archive)
    except Exception as exc:  # missing parts, wrong content type, bad XML, bad zip entries
        raise Refused(f"not a valid .docx ({short(exc)})") from None

    blocks: list[str] = []
    heading: str | None = None
    for element in _blocks(document.element.body, (_P, _TBL)):
        if element.tag == _P:
            paragraph = Paragraph(element, document)  # type: ignore[arg-type]
            text = paragraph.text
            if heading is None and text.strip() and _is_heading(paragraph):
                heading = text
        else:
            text = _table_text(element)
        if text.strip():
            blocks.append(text)

    text, warnings = normalize("\n\n".join(blocks))
    if not text.strip():
        raise Refused("no text (the document has no paragraph or table text)")
    title = _core_title(document) or heading
    return Extracted(title=clean_title(title, stem), text=text, warnings=tuple(warnings))


def _check_bomb(archive: io.BytesIO) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Refused(f"not a valid .docx (corrupt zip archive: {short(exc)})") from None
    total = sum(m.file_size for m in members)
    packed_too_well = any(
        m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1)
        for m in members
    )
    if total > MAX_UNCOMPRESSED or packed_too_well:
        raise Refused(f"refused: .docx expands to {total / 2**20:.0f} MB (zip bomb?)")


def _blocks(parent: etree._Element, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """Children with `tags` in order, looking through content-control and custom-XML wrappers."""
    stack = list(reversed(parent))
    while stack:
        element = stack.pop()
        if element.tag in tags:
            yield element
        elif element.tag in _WRAPPERS:
            stack.extend(reversed(element))


def _table_text(table: etree._Element) -> str:
    """One line per row, cells separated by ' | '; nested tables flatten into their cell."""
    rows = []
    for row in _blocks(table, (_TR,)):
        cells = []
        for cell in _blocks(row, (_TC,)):
            texts = (Paragraph(p, None).text.strip() for p in cell.iter(_P))  # type: ignore[arg-type]
            cells.append(" ".join(t for t in texts if t))
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _is_heading(paragraph: Paragraph) -> bool:
    try:
        name = paragraph.style.name if paragraph.style is not None else ""
    except Exception:  # a dangling style reference costs the heading, not the document
        return False
    return bool(name) and (name == "Title" or name.startswith("Heading"))


def _core_title(document: object) -> str | None:
    try:
        return document.core_properties.title or None  # type: ignore[attr-defined]
    except Exception:  # malformed docProps/core.xml
        return None
