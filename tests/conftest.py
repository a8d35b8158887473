"""Shared fixtures: every test gets its own data directory; nothing touches ./.rag."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No RAG_* from the developer's shell and no rag.toml leak into tests."""
    import os

    for key in list(os.environ):
        if key.startswith("RAG_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("RAG_CONFIG", str(tmp_path / "no-rag.toml"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data directory under the test's tmp_path."""
    return Settings(home=tmp_path / "home")
