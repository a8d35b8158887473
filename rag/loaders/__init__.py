"""Turn files into Documents: discovery with globs, then one loader per format.

Every failure a user can meet (missing, unreadable, too large, binary, corrupt, encrypted,
empty) is a LoadError with a plain-English reason; nothing else escapes `load_file`.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable
from pathlib import Path

from rag.errors import LoadError
from rag.loaders.base import Extracted, Refused
from rag.loaders.discover import discover
from rag.loaders.docx import load_docx
from rag.loaders.html import load_html
from rag.loaders.pdf import MAX_PDF_PAGES, load_pdf
from rag.loaders.text import load_markdown, load_text
from rag.types import Document

__all__ = ["MAX_PDF_PAGES", "SUPPORTED_SUFFIXES", "discover", "load_file"]

_FORMATS: dict[str, str] = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMATS)
DEFAULT_MAX_BYTES = 50 * 2**20


def load_file(
    path: Path, max_bytes: int = DEFAULT_MAX_BYTES, max_pdf_pages: int = MAX_PDF_PAGES
) -> Document:
    """Load one file by its suffix; raises LoadError(source, reason) and nothing else."""
    path = Path(path)
    source = _source(path)
    try:
        return _load(path, source, max_bytes, max_pdf_pages)
    except LoadError:
        raise
    except Refused as exc:
        raise LoadError(source, exc.reason) from None
    except MemoryError:
        raise LoadError(source, "out of memory while reading") from None
    except PermissionError:
        raise LoadError(source, "permission denied") from None
    except Exception as exc:
        raise LoadError(source, f"cannot read: {exc}") from None


def _load(path: Path, source: str, max_bytes: int, max_pdf_pages: int) -> Document:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise Refused(
            f"unsupported file type {path.suffix or '(no suffix)'!r} (supported: {supported})"
        )
    size = _stat_size(path)
    if size > max_bytes:
        raise Refused(_too_large(size, max_bytes))
    data = _read(path, size, max_bytes)
    if not data:
        raise Refused("empty file")
    loaders: dict[str, Callable[[bytes, str], Extracted]] = {
        "txt": load_text,
        "md": load_markdown,
        "html": load_html,
        "pdf": lambda d, s: load_pdf(d, s, max_pages=max_pdf_pages),
        "docx": load_docx,
    }
    got = loaders[fmt](data, path.stem)
    return Document(
        source=source,
        title=got.title,
        text=got.text,
        sha256=hashlib.sha256(data).hexdigest(),
        format=fmt,
        pages=got.pages,
        warnings=got.warnings,
    )


def _source(path: Path) -> str:
    try:
        return path.resolve().as_posix()
    except (OSError, RuntimeError):  # link loops
        return path.absolute().as_posix()


def _stat_size(path: Path) -> int:
    """Size from stat alone, so an oversized file is refused without reading a byte."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise Refused("no such file or directory") from None
    except PermissionError:
        raise Refused("permission denied") from None
    except OSError as exc:
        raise Refused(f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise Refused("is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise Refused("not a regular file (a pipe, socket or device)")
    return info.st_size


def _read(path: Path, size: int, max_bytes: int) -> bytes:
    """Read the stat size (asking for max_bytes would allocate that much up front), and at most
    max_bytes + 1 in all: a file that grew since stat is read whole or refused, never cut short."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(size + 1)
            if len(data) > size:
                data += handle.read(max_bytes + 1 - len(data))
    except PermissionError:
        raise Refused("permission denied") from None
    except FileNotFoundError:
        raise Refused("no such file or directory") from None
    except OSError as exc:
        raise Refused(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        limit = f"{max_bytes / 2**20:g} MB"
        raise Refused(f"file grew past the {limit} limit while being read (RAG_MAX_FILE_MB)")
    return data


def _too_large(size: int, max_bytes: int) -> str:
    return (
        f"file is too large: {size / 2**20:.1f} MB, over the limit of {max_bytes / 2**20:g} MB "
        "(raise RAG_MAX_FILE_MB to load it)"
    )
