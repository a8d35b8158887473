"""What the running app serves from disk: summaries only, never the index, config or system files.

The UI engineer's tests (tests/ui) cover escaping, uploads, login and binding;
this checks Gradio's file route against the files an attacker would want.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rag.service import Rag
from rag.settings import Settings

from .helpers import REPO, free_port


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_file_route_serves_summaries_and_nothing_else(settings: Settings, tmp_path: Path) -> None:
    try:
        from rag.ui.server import build_app, launch_options
    except ImportError as exc:
        pytest.skip(f"UI not importable: {exc}")
    rag = Rag(settings)
    home = settings.home.resolve()
    (home / "index").mkdir(parents=True)
    secret = home / "index" / "catalog.sqlite3"
    secret.write_text("private chunks")
    (home / "summaries").mkdir(parents=True)
    (home / "summaries" / "a.md").write_text("# A summary")
    (tmp_path / "rag.toml").write_text('llm_api_key = "sk-secret"\n')
    demo = build_app(rag)
    options = launch_options(settings) | {
        "server_port": free_port(),
        "prevent_thread_lock": True,
        "quiet": True,
    }
    _, url, _ = demo.launch(**options)
    try:
        route = url.rstrip("/") + "/gradio_api/file="
        assert status_of(route + str(home / "summaries" / "a.md")) == 200
        for target in [
            secret,
            home / "summaries" / ".." / "index" / "catalog.sqlite3",
            tmp_path / "rag.toml",
            REPO / "rag" / "settings.py",
            Path("/etc/passwd"),
            Path("/proc/self/environ"),
        ]:
            assert status_of(route + str(target)) in (403, 404), f"{target} is served"
    finally:
        demo.close()
        rag.close()
