"""Serve the real app (build_app + launch_options) on a free local port, for the UI tests.

A module with a unique name (not conftest) so tests can import it whatever else
the suite holds.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rag.service import Rag
from rag.settings import Settings
from rag.ui.server import build_app, launch_options

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
ARTIFACTS = REPO / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(rag: Any, **overrides: Any) -> Iterator[str]:
    """Serve build_app(rag) with the production launch options; yields the base URL."""
    demo = build_app(rag)
    options = launch_options(rag.settings) | {
        "server_port": free_port(),
        "prevent_thread_lock": True,
        "quiet": True,
        **overrides,
    }
    _, url, _ = demo.launch(**options)
    try:
        yield url.rstrip("/") + "/"
    finally:
        demo.close()


@contextmanager
def clean_env(tmp: Path) -> Iterator[None]:
    """Module-wide version of the suite's env isolation: no RAG_* or rag.toml leaks in."""
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("RAG_")]:
            mp.delenv(key)
        mp.setenv("RAG_CONFIG", str(tmp / "no-rag.toml"))
        yield


def real_rag(home: Path, **settings: Any) -> Rag:
    """A Rag over `home` with the seed ingested (a no-op when already indexed)."""
    rag = Rag(Settings(home=home, **settings))
    report = rag.ingest([SEEDS])
    assert not report.failed, report.failed
    return rag
