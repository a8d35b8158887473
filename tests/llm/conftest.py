"""Fixtures for the LLM layer: the scripted fake server and settings for the tiny real model.

`fakes.py` is loaded by path under a unique name, so it cannot collide with
another test folder's helper module of the same name.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.settings import Settings


def _load_fakes() -> Any:
    name = "rag_tests_llm_fakes"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("fakes.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fakes = _load_fakes()


@pytest.fixture
def fake_server() -> Iterator[Callable[..., Any]]:
    """Factory: `fake_server("429", "ok")` starts a FakeOpenAIServer, stopped after the test."""
    started: list[Any] = []

    def start(*script: str, **kwargs: Any) -> Any:
        server = fakes.FakeOpenAIServer(*script, **kwargs).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def closed_port() -> int:
    return int(fakes.closed_port())


@pytest.fixture(scope="session")
def smol_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory for all real-model tests (the verified-marker is written once)."""
    return tmp_path_factory.mktemp("smol-home")


@pytest.fixture
def smol_settings(smol_home: Path) -> Callable[..., Settings]:
    """Factory of settings for SmolLM2-135M: fast enough for tests, never for answers."""

    def make(**overrides: Any) -> Settings:
        dirs = {"home": smol_home, "model_cache": smol_home / "model-cache"}
        return Settings(**{**SMOL, **dirs, **overrides})

    return make


SMOL: dict[str, Any] = {
    "llm_model": "smollm2-135m",
    "llm_model_path": None,
    "llm_base_url": None,
    "llm_ctx": 2048,
    # 1 thread: llama.cpp's spinning thread barrier collapses (10x slower) when other
    # processes compete for the 2 cores, as parallel test runs do
    "llm_threads": 1,
    "llm_timeout": 60.0,
    "llm_retries": 1,
    "llm_max_tokens": 24,
    "llm_temperature": 0.0,
}
