"""PDF via pypdf: text per page with a page map, so citations can name the page."""

from __future__ import annotations

import io
import logging
import threading
import warnings as pywarnings
from collections.abc import Iterator
from contextlib import contextmanager

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PdfReadWarning

from rag.loaders.base import Extracted, Refused, short
from rag.loaders.normalize import clean_title, normalize

MAX_PDF_PAGES = 2000
ENCRYPTED = "encrypted PDF (password protected)"
NO_TEXT = "PDF has no extractable text (scanned images?)"
_MAX_PAGE_WARNINGS = 5

# pypdf logs every repaired defect of a sloppy PDF; those become one Document warning instead.
_pypdf_logger = logging.getLogger("pypdf")
_pypdf_logger.addHandler(logging.NullHandler())
_pypdf_logger.propagate = False
pywarnings.filterwarnings("ignore", category=PdfReadWarning)


def load_pdf(data: bytes, stem: str, max_pages: int = MAX_PDF_PAGES) -> Extracted:
    """Pages joined by a blank line; `pages` maps each page's first character to its number."""
    if b"%PDF-" not in data[:1024]:
        raise Refused("corrupt PDF: no %PDF header (not a PDF file?)")
    with _pypdf_problems() as problems:
        try:
            return _extract(data, stem, max_pages, problems)
        except Refused:
            raise
        except LimitReachedError as exc:
            raise Refused(f"refused: {short(exc)}") from None
        except DependencyError as exc:
            raise Refused(
                f"encrypted PDF (decrypting needs a missing package: {short(exc)})"
            ) from None
        except FileNotDecryptedError:
            raise Refused(ENCRYPTED) from None
        except RecursionError:
            raise Refused("corrupt PDF: structure nested too deeply") from None
        except Exception as exc:  # pypdf raises many types for malformed files
            raise Refused(f"corrupt PDF: {short(exc)}") from None


def _extract(data: bytes, stem: str, max_pages: int, problems: list[str]) -> Extracted:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise Refused(ENCRYPTED)
    count = len(reader.pages)
    if count > max_pages:
        raise Refused(f"PDF has {count} pages, over the limit of {max_pages} pages")

    parts: list[str] = []
    pages: list[tuple[int, int]] = []
    warnings: list[str] = []
    failed: list[str] = []
    offset = 0
    for number, page in enumerate(reader.pages, 1):
        try:
            raw = page.extract_text()
        except (LimitReachedError, RecursionError):
            raise
        except Exception as exc:
            failed.append(f"page {number}: {short(exc, 60)}")
            continue
        text, cleaned = normalize(raw or "")
        warnings.extend(f"page {number}: {w}" for w in cleaned)
        if not text.strip():
            continue
        if parts:
            offset += 2  # the "\n\n" joining pages
        pages.append((offset, number))
        parts.append(text)
        offset += len(text)

    if failed:
        more = len(failed) - _MAX_PAGE_WARNINGS
        listed = "; ".join(failed[:_MAX_PAGE_WARNINGS]) + (f"; and {more} more" if more > 0 else "")
        warnings.append(f"text extraction failed on {len(failed)} page(s): {listed}")
    if problems:
        warnings.append(
            f"malformed PDF: pypdf repaired {len(problems)} problem(s), text may be incomplete "
            f"(first: {problems[0]})"
        )
    if not parts:
        raise Refused(NO_TEXT)
    return Extracted(
        title=clean_title(_title(reader), stem),
        text="\n\n".join(parts),
        pages=tuple(pages),
        warnings=tuple(warnings),
    )


def _title(reader: PdfReader) -> str | None:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # a broken info dictionary costs the title, not the document
        return None
    if not isinstance(title, str):
        return None
    title = title.strip().removeprefix("Microsoft Word - ")
    return None if title.lower() in ("untitled", "untitled document") else title


class _Collect(logging.Handler):
    def __init__(self, thread: int, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.thread, self.into = thread, into

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            try:
                self.into.append(short(Exception(record.getMessage()), 100))
            except Exception:
                self.into.append("unreadable pypdf message")


@contextmanager
def _pypdf_problems() -> Iterator[list[str]]:
    """Collect this thread's pypdf log messages (loads may run in parallel threads)."""
    problems: list[str] = []
    handler = _Collect(threading.get_ident(), problems)
    _pypdf_logger.addHandler(handler)
    try:
        yield problems
    finally:
        _pypdf_logger.removeHandler(handler)
