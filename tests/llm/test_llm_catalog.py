"""The catalogue, requirements-models.txt and the installed packages agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.llm.catalog import CATALOG, get_model
from rag.llm.modelfile import part_paths

REPO = Path(__file__).resolve().parents[2]


def _requirements() -> list[str]:
    lines = (REPO / "requirements-models.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_requirements_file_lists_exactly_the_catalogue_packages() -> None:
    expected = [pkg for model in CATALOG.values() for pkg in model.packages]
    assert _requirements() == expected


def test_catalogue_has_the_three_bundled_models() -> None:
    assert list(CATALOG) == ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]


@pytest.mark.parametrize("name", list(CATALOG))
def test_entries_are_consistent(name: str) -> None:
    model = CATALOG[name]
    assert model.name == name
    assert re.fullmatch(r"[0-9a-f]{64}", model.sha256)
    assert len(model.packages) == len(model.modules) >= 1
    assert bool(model.file) == (len(model.modules) == 1)  # single file in place, else parts
    for package, module in zip(model.packages, model.modules, strict=True):
        dist, _, version = package.partition("==")
        assert version, f"{package} must pin a version: the parts are raw bytes"
        assert dist.replace("-", "_") == module
    assert model.n_ctx_train >= 2048
    assert model.licence == "Apache-2.0"


@pytest.mark.parametrize("name", list(CATALOG))
def test_installed_parts_add_up_to_the_catalogue_size(name: str) -> None:
    """Cheap (stat only) check that the installed packages are the catalogued versions."""
    model = CATALOG[name]
    parts = part_paths(model)
    assert len(parts) == len(model.modules)
    assert sum(p.stat().st_size for p in parts) == model.size


def test_unknown_model_name_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as info:
        get_model("gpt-17")
    message = str(info.value)
    assert "gpt-17" in message
    for name in CATALOG:
        assert name in message
