"""Which files to index: include/exclude globs over folders, minus hidden files and stray links."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path

from rag.errors import LoadError


def discover(
    paths: list[Path], include: list[str], exclude: list[str]
) -> tuple[list[Path], list[LoadError]]:
    """Matching regular files under `paths`, sorted, no duplicates; plus errors for missing paths.

    A glob matches a file's name or its posix path relative to the root it was found under,
    case-insensitively ('*.pdf' takes 'Report.PDF'). An exclude glob also matches any folder
    name on the way ('secret' skips every 'secret' folder); a trailing '/' is ignored.
    Folder links are not followed (no loops); file links are taken only if they stay inside.
    """
    includes = [p.lower() for p in include]
    excludes = [p.lower().strip("/") for p in exclude if p.strip("/")]
    found: dict[str, Path] = {}
    errors: list[LoadError] = []

    def take(path: Path, rel: str) -> None:
        if _matches(rel, includes) and not _matches(rel, excludes, folders=True):
            key = os.path.realpath(path)
            if key not in found or not path.is_symlink():  # prefer the real file to a link
                found[key] = path

    for given in map(Path, paths):
        try:
            mode = given.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            errors.append(LoadError(given.absolute().as_posix(), "no such file or directory"))
            continue
        except OSError as exc:
            reason = "permission denied" if isinstance(exc, PermissionError) else exc.strerror
            errors.append(LoadError(given.absolute().as_posix(), reason or str(exc)))
            continue
        if stat.S_ISDIR(mode):
            _walk(given, excludes, take, errors)
        elif stat.S_ISREG(mode):
            take(given, given.name)
    return sorted(found.values(), key=lambda p: p.as_posix()), errors


def _walk(
    root: Path, excludes: list[str], take: Callable[[Path, str], None], errors: list[LoadError]
) -> None:
    real_root = os.path.realpath(root)

    def on_error(exc: OSError) -> None:
        where = Path(exc.filename or root).absolute().as_posix()
        reason = "permission denied" if isinstance(exc, PermissionError) else exc.strerror
        errors.append(LoadError(where, reason or str(exc)))

    for folder, dirs, files in os.walk(root, onerror=on_error):
        rel_folder = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel_folder == "." else rel_folder + "/"
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".") and not _matches(prefix + d, excludes, folders=True)
        ]
        for name in files:
            if name.startswith("."):
                continue
            path = Path(folder, name)
            try:
                info = path.stat()  # follows a link: its target must be a regular file
            except OSError:
                continue  # a dangling link is not a document
            if not stat.S_ISREG(info.st_mode):
                continue  # fifos and devices would block or never end
            if path.is_symlink() and not _inside(os.path.realpath(path), real_root):
                continue
            take(path, prefix + name)


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _matches(rel: str, patterns: list[str], folders: bool = False) -> bool:
    """`rel` (posix, relative to its root) against lower-cased globs on its name or whole path.

    With `folders`, also every folder name on the way and every tail of the path, so 'secret'
    and 'drafts/*' work at any depth.
    """
    rel = rel.lower()
    parts = rel.split("/")
    candidates = {rel, parts[-1]}
    if folders:
        candidates.update(parts[:-1])
        candidates.update("/".join(parts[i:]) for i in range(1, len(parts)))
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        if any(fnmatchcase(c, pattern) or fnmatchcase(c, bare) for c in candidates):
            return True
    return False
