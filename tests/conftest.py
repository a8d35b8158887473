"""Shared fixtures: every test gets its own data directory; nothing touches ./.rag."""

from __future__ import annotations

from pathlib import Path

import pytest
from rag_testing import REPO, SEEDS, SHARED, free_port  # noqa: F401 - re-exported for tests

from rag.settings import Settings


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


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """A real Chroma server process on 127.0.0.1, for the server-mode tests."""
    import shutil
    import subprocess
    import sys
    import time
    import urllib.request

    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = open(data / "server.log", "w")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [exe, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                log_text = (data / "server.log").read_text()
                raise RuntimeError(f"chroma server did not start: {log_text}") from None
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="session")
def embedder():
    """The real bundled embedding model, loaded once per test session."""
    from rag.embeddings.local import MiniLMEmbedder

    return MiniLMEmbedder()
