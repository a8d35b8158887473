from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.loaders import discover
from rag.settings import DEFAULT_INCLUDE


def tree(root: Path, files: list[str]) -> Path:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {name}")
    return root


def rel(paths: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


FILES = [
    "a.txt",
    "b.md",
    "notes.tmp",
    "image.png",
    "Report.PDF",
    "docs/guide.md",
    "docs/deep/er/page.html",
    "docs/drafts/wip.md",
    "drafts/plan.txt",
    "secret/keys.txt",
    "docs/secret/more.txt",
    ".hidden/inside.txt",
    "docs/.cache/cached.md",
    ".dotfile.txt",
]


def test_nested_include_sorted_and_hidden_skipped(tmp_path: Path) -> None:
    root = tree(tmp_path / "corpus", FILES)
    found, errors = discover([root], DEFAULT_INCLUDE, [])
    assert errors == []
    assert rel(found, root) == [
        "Report.PDF",  # include globs ignore case
        "a.txt",
        "b.md",
        "docs/deep/er/page.html",
        "docs/drafts/wip.md",
        "docs/guide.md",
        "docs/secret/more.txt",
        "drafts/plan.txt",
        "secret/keys.txt",
    ]


def test_excludes(tmp_path: Path) -> None:
    root = tree(tmp_path / "corpus", FILES)
    found, _ = discover([root], ["*"], ["drafts/*", "*.tmp", "secret", "*.png"])
    assert rel(found, root) == [
        "Report.PDF",
        "a.txt",
        "b.md",
        "docs/deep/er/page.html",
        "docs/guide.md",
    ]


def test_exclude_with_trailing_slash_and_path_glob(tmp_path: Path) -> None:
    root = tree(tmp_path / "corpus", FILES)
    found, _ = discover([root], ["*.md", "*.txt"], ["docs/", "**/keys.txt"])
    assert rel(found, root) == ["a.txt", "b.md", "drafts/plan.txt"]


def test_include_on_relative_path(tmp_path: Path) -> None:
    root = tree(tmp_path / "corpus", FILES)
    found, _ = discover([root], ["docs/*.md"], [])
    assert rel(found, root) == ["docs/drafts/wip.md", "docs/guide.md"]


def test_missing_path_is_an_error_not_an_exception(tmp_path: Path) -> None:
    root = tree(tmp_path / "corpus", ["a.txt"])
    found, errors = discover([root / "missing", root], ["*.txt"], [])
    assert rel(found, root) == ["a.txt"]
    assert [(e.path, e.reason) for e in errors] == [
        ((root / "missing").as_posix(), "no such file or directory")
    ]


def test_files_given_directly(tmp_path: Path) -> None:
    root = tree(tmp_path, ["one.txt", "two.bin", ".hidden.md", "skip.tmp.txt"])
    paths = [root / "one.txt", root / "two.bin", root / ".hidden.md", root / "skip.tmp.txt"]
    found, errors = discover(paths, DEFAULT_INCLUDE, ["*.tmp.*"])
    assert errors == []
    assert found == [root / ".hidden.md", root / "one.txt"]  # given explicitly: hidden is fine


def test_duplicates_across_roots_are_listed_once(tmp_path: Path) -> None:
    root = tree(tmp_path / "c", ["x/a.txt", "b.txt"])
    found, _ = discover([root, root / "x", root / "x" / "a.txt"], ["*.txt"], [])
    assert sorted(p.resolve() for p in found) == [
        (root / "b.txt").resolve(),
        (root / "x" / "a.txt").resolve(),
    ]


def test_symlinks(tmp_path: Path) -> None:
    outside = tree(tmp_path / "outside", ["private.txt", "dir/inner.txt"])
    root = tree(tmp_path / "root", ["real.txt", "sub/doc.txt"])
    (root / "escape.txt").symlink_to(outside / "private.txt")
    (root / "escape_dir").symlink_to(outside / "dir", target_is_directory=True)
    (root / "alias.txt").symlink_to(root / "sub" / "doc.txt")
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "dangling.txt").symlink_to(root / "gone.txt")
    found, errors = discover([root], ["*.txt"], [])
    assert errors == []
    assert rel(found, root) == ["real.txt", "sub/doc.txt"]


def test_inside_link_to_a_file_found_only_through_it(tmp_path: Path) -> None:
    root = tree(tmp_path / "root", ["store/blob.data"])
    (root / "named.txt").symlink_to(root / "store" / "blob.data")
    found, _ = discover([root], ["*.txt"], [])
    assert rel(found, root) == ["named.txt"]


def test_fifo_is_skipped(tmp_path: Path) -> None:
    root = tree(tmp_path / "root", ["a.txt"])
    os.mkfifo(root / "pipe.txt")
    found, _ = discover([root], ["*.txt"], [])
    assert rel(found, root) == ["a.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_is_reported(tmp_path: Path) -> None:
    root = tree(tmp_path / "root", ["a.txt", "locked/b.txt"])
    (root / "locked").chmod(0)
    try:
        found, errors = discover([root], ["*.txt"], [])
    finally:
        (root / "locked").chmod(0o700)
    assert rel(found, root) == ["a.txt"]
    assert [e.reason for e in errors] == ["permission denied"]


def test_root_inside_a_hidden_folder_still_works(tmp_path: Path) -> None:
    root = tree(tmp_path / ".config" / "notes", ["n.md"])
    found, _ = discover([root], ["*.md"], [])
    assert rel(found, root) == ["n.md"]
