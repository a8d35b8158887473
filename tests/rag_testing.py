"""Constants and helpers shared by tests (a unique module name: tests/ is not a package)."""

from __future__ import annotations

import socket
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rag_cli(args: list[str], home: Path, env: dict[str, str] | None = None, **kw):
    """Run the installed `rag` command with its own RAG_HOME and no rag.toml."""
    import os
    import subprocess
    import sys

    full = {
        **os.environ,
        "RAG_HOME": str(home),
        "RAG_CONFIG": str(home / "none.toml"),
        **(env or {}),
    }
    exe = Path(sys.executable).parent / "rag"
    return subprocess.run([str(exe), *args], env=full, capture_output=True, text=True, **kw)
