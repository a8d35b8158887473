"""Uploaded files into `<home>/uploads`: checked type and size, safe names, never clobbering.

A browser sends whatever name it likes (`../../etc/passwd`, `C:\\x\\a.pdf`,
control characters), so the stored name is rebuilt from the base name alone.
Two different files with one name both survive (`a.pdf`, `a-1.pdf`); the same
bytes uploaded twice map to the one stored file, so re-ingesting it is a no-op.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from rag.ingest import file_sha256

FALLBACK_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".pdf", ".docx"})
MAX_NAME_BYTES = 150  # well under the 255-byte limit of common file systems
_UNSAFE = re.compile(r"[^\w.\-]+")  # letters (any script), digits, _ . -


def allowed_suffixes() -> frozenset[str]:
    """The suffixes the loaders read; the fallback only if the loaders are absent."""
    try:
        from rag.loaders import SUPPORTED_SUFFIXES
    except ImportError:  # pragma: no cover - loaders ship with rag
        return FALLBACK_SUFFIXES
    return frozenset(SUPPORTED_SUFFIXES)


def _clean(part: str) -> str:
    part = unicodedata.normalize("NFKC", part)
    part = "".join(ch for ch in part if ch.isprintable())
    part = _UNSAFE.sub("_", part.strip())
    return re.sub(r"_{2,}", "_", part)


def _cut(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def safe_name(name: str) -> str:
    """A base name with safe characters only: no directories, no leading dot, bounded length."""
    base = re.split(r"[\\/]", name)[-1]
    pure = PurePosixPath(base)
    suffix = _clean(pure.suffix).lower() if pure.suffix not in ("", ".") else ""
    stem = base[: len(base) - len(pure.suffix)] if suffix else base
    stem = _clean(stem).strip("._-")
    stem = _cut(stem, MAX_NAME_BYTES - len(suffix.encode())).rstrip("._-") or "upload"
    return stem + suffix


def check_upload(path: Path, name: str, *, allowed: frozenset[str], max_bytes: int) -> str | None:
    """Why this upload is refused, or None when it may be stored."""
    suffix = PurePosixPath(safe_name(name)).suffix.lower()
    if suffix not in allowed:
        kinds = " ".join(sorted(allowed))
        return f"type '{suffix or 'none'}' is not supported (allowed: {kinds})"
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"cannot read the upload: {exc.strerror or exc}"
    if not path.is_file():
        return "not a file"
    if size > max_bytes:
        limit = f"{max_bytes / 2**20:g} MB (RAG_UI_MAX_UPLOAD_MB)"
        return f"is {size / 2**20:.1f} MB; the limit is {limit}"
    return None


def _candidates(name: str):
    stem, suffix = name[: len(name) - len(PurePosixPath(name).suffix)], PurePosixPath(name).suffix
    yield name
    for i in range(1, 10_000):
        yield f"{stem}-{i}{suffix}"
    raise OSError(f"too many uploads named {name}")


def store_upload(src: Path, name: str, dest_dir: Path) -> Path:
    """Copy `src` into `dest_dir` under a safe form of `name`; returns the stored path.

    The copy is written to a temporary file and then hard-linked to its final
    name, which fails rather than overwrites if another upload took it first.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    digest = file_sha256(src)
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=dest_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as f:
            shutil.copyfileobj(f, out)
        for candidate in _candidates(safe_name(name)):
            target = dest_dir / candidate
            if target.resolve().parent != dest_dir.resolve():  # belt and braces
                raise OSError(f"refusing to write outside {dest_dir}")
            if target.exists():
                if target.is_file() and file_sha256(target) == digest:
                    return target
                continue
            try:
                os.link(tmp, target)
            except FileExistsError:
                continue
            return target
    finally:
        tmp.unlink(missing_ok=True)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class UploadReport:
    """What happened to each upload: stored paths, and refusals by the name the user gave."""

    stored: list[Path] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def save_uploads(
    files: list[Path], dest_dir: Path, *, max_bytes: int, allowed: frozenset[str] | None = None
) -> UploadReport:
    """Check and store every upload; one refused file does not stop the others."""
    allowed = allowed if allowed is not None else allowed_suffixes()
    report = UploadReport()
    for path in files:
        path = Path(path)
        reason = check_upload(path, path.name, allowed=allowed, max_bytes=max_bytes)
        if reason is None:
            try:
                report.stored.append(store_upload(path, path.name, dest_dir))
                continue
            except OSError as exc:
                reason = f"cannot store: {exc.strerror or exc}"
        report.refused.append((path.name, reason))
    return report
