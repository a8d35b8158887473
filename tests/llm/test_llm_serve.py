"""The remote path: LLMClient against a separately started `python -m rag.llm.serve` process."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from rag.llm.client import make_llm
from rag.llm.server import free_port
from rag.settings import Settings

QUESTION = [{"role": "user", "content": "Name one colour. Answer with one word."}]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_HOME=str(tmp_path / "home"),
        RAG_MODEL_CACHE=str(tmp_path / "model-cache"),
        RAG_CONFIG=str(tmp_path / "none.toml"),
    )
    return env


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """Lines of a pipe, read in a thread so waiting for one can time out."""
    out: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            out.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return out


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rag.llm.serve",
            "--model",
            "smollm2-135m",
            "--port",
            str(port),
            "--threads",
            "1",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    try:
        assert proc.stdout is not None
        line = _lines(proc.stdout).get(timeout=60)
        assert line.strip() == f"listening on http://127.0.0.1:{port}"
        yield f"http://127.0.0.1:{port}/v1", proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_remote_client_against_separate_server(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    url, proc = served
    settings = Settings(llm_base_url=url, llm_model="smollm2-135m", llm_max_tokens=16)
    with make_llm(settings) as llm:
        assert not llm.embedded and llm.base_url == url
        assert llm.complete(QUESTION).strip()
        deltas = list(llm.stream(QUESTION))
        assert deltas and "".join(deltas).strip()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0  # SIGTERM is a clean shutdown


def test_serve_rejects_unknown_model(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rag.llm.serve", "--model", "no-such-model", "--port", "0"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown model 'no-such-model'" in done.stderr and "smollm2-135m" in done.stderr
