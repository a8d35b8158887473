"""load_file itself: dispatch, the size limit, and that only LoadError ever escapes."""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest

import rag.loaders
from rag.errors import LoadError
from rag.loaders import SUPPORTED_SUFFIXES, load_file
from rag.settings import DEFAULT_INCLUDE


def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def test_supported_suffixes() -> None:
    assert sorted(SUPPORTED_SUFFIXES) == [
        ".docx",
        ".htm",
        ".html",
        ".markdown",
        ".md",
        ".pdf",
        ".txt",
    ]
    assert {glob.removeprefix("*") for glob in DEFAULT_INCLUDE} == SUPPORTED_SUFFIXES


def test_sparse_200mb_refused_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sparse(tmp_path / "huge.txt", 200 * 2**20)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(LoadError) as err:
            load_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20
    assert time.perf_counter() - start < 1
    assert err.value.reason == (
        "file is too large: 200.0 MB, over the limit of 50 MB (raise RAG_MAX_FILE_MB to load it)"
    )

    def no_reading(*args: object) -> bytes:
        raise AssertionError("the file was read")

    monkeypatch.setattr(rag.loaders, "_read", no_reading)
    with pytest.raises(LoadError, match="too large"):
        load_file(path)


def test_custom_limit(tmp_path: Path) -> None:
    path = tmp_path / "small.md"
    path.write_bytes(b"x" * (3 * 2**19))
    with pytest.raises(LoadError) as err:
        load_file(path, max_bytes=2**20)
    assert err.value.reason == (
        "file is too large: 1.5 MB, over the limit of 1 MB (raise RAG_MAX_FILE_MB to load it)"
    )
    assert load_file(path, max_bytes=2 * 2**20).text == "x" * (3 * 2**19)


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".html"])
def test_size_check_comes_before_format(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(LoadError, match="too large: 60.0 MB"):
        load_file(sparse(tmp_path / f"big{suffix}", 60 * 2**20))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as err:
        load_file(tmp_path / "nope.txt")
    assert err.value.reason == "no such file or directory"
    assert err.value.path == (tmp_path / "nope.txt").as_posix()


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "folder.md").mkdir()
    with pytest.raises(LoadError) as err:
        load_file(tmp_path / "folder.md")
    assert err.value.reason == "is a directory, not a file"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(LoadError) as err:
        load_file(fifo)
    assert err.value.reason == "not a regular file (a pipe, socket or device)"


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"data")
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason.startswith("unsupported file type '.xlsx' (supported: .docx, .htm,")


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "SHOUT.TXT"
    path.write_bytes(b"loud")
    doc = load_file(path)
    assert (doc.format, doc.text, doc.title) == ("txt", "loud", "SHOUT")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads anything")
def test_permission_denied_real(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_bytes(b"hidden")
    path.chmod(0)
    try:
        with pytest.raises(LoadError) as err:
            load_file(path)
    finally:
        path.chmod(0o600)
    assert err.value.reason == "permission denied"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_bytes(b"hidden")
    real_open = open

    def denying_open(file: object, *args: object, **kwargs: object) -> object:
        if Path(str(file)) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", denying_open)
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason == "permission denied"


def test_unexpected_errors_are_wrapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"text")

    def broken(data: bytes, stem: str) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(rag.loaders, "load_text", broken)
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert err.value.reason == "cannot read: boom"
    assert err.value.path == path.resolve().as_posix()


def test_source_is_resolved_through_symlinks(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "doc.txt"
    target.write_bytes(b"content")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert load_file(link).source == target.resolve().as_posix()


def test_file_that_grew_since_stat_is_read_whole_or_refused(tmp_path: Path) -> None:
    path = tmp_path / "growing.txt"
    path.write_bytes(b"y" * 100)
    assert rag.loaders._read(path, 10, 1000) == b"y" * 100
    with pytest.raises(rag.loaders.Refused, match="grew past the"):
        rag.loaders._read(path, 10, 50)
