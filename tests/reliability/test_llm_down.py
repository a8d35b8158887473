"""Faults in the LLM path, seen from the service: clear LLMError, bounded retries, bounded time.

HTTP 429/500/400, malformed and cut streams and the embedded server's one restart
are covered at the client level in tests/llm (test_llm_faults.py, test_llm_embedded.py).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.errors import LLMError
from rag.service import Rag
from rag.settings import Settings

from .helpers import SEED, free_port, run_rag

QUESTION = "Where was the memorandum signed?"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEED, folder / "seed.txt")
    return folder


def seeded_rag(home: Path, docs: Path, embedder: object, **settings: object) -> Rag:
    rag = Rag(Settings(home=home, **settings))  # type: ignore[arg-type]
    rag._embedder = embedder  # the session's loaded model
    rag.ingest([docs])
    return rag


def test_endpoint_down_gives_llm_error_after_bounded_retries(
    tmp_path: Path, docs: Path, embedder: object
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    rag = seeded_rag(tmp_path / "home", docs, embedder, llm_base_url=url, llm_retries=2)
    t0 = time.monotonic()
    with pytest.raises(LLMError) as info:
        rag.ask(QUESTION)
    seconds = time.monotonic() - t0
    assert (
        str(info.value)
        == f"cannot reach LLM server at {url}: connection refused (after 3 attempts)"
    )
    assert seconds < 10, f"took {seconds:.1f} s"  # backoff 0.5 s + 1 s, jittered
    # the service is still usable: the LLM lock was released, a refusal needs no model
    assert rag._llm_lock.acquire(blocking=False)
    rag._llm_lock.release()
    assert rag.ask("What is the boiling point of mercury?").refused
    rag.close()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers (a hung server); yields its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


def test_hung_endpoint_times_out_within_bounds(
    tmp_path: Path, docs: Path, embedder: object, silent_server: int
) -> None:
    url = f"http://127.0.0.1:{silent_server}/v1"
    rag = seeded_rag(
        tmp_path / "home", docs, embedder, llm_base_url=url, llm_retries=1, llm_timeout=1.0
    )
    t0 = time.monotonic()
    with pytest.raises(LLMError, match=rf"^LLM server at {url} timed out after 1 s \(after 2"):
        rag.ask(QUESTION)
    seconds = time.monotonic() - t0
    assert seconds < 12, f"took {seconds:.1f} s"  # 2 x 1 s timeout + 0.5 s backoff
    rag.close()


def test_cli_with_endpoint_down_exits_2_with_one_line(tmp_path: Path, docs: Path) -> None:
    home = tmp_path / "home"
    assert run_rag(["ingest", str(docs)], home).returncode == 0
    url = f"http://127.0.0.1:{free_port()}/v1"
    t0 = time.monotonic()
    out = run_rag(["ask", QUESTION], home, timeout=120, RAG_LLM_BASE_URL=url)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert f"error: cannot reach LLM server at {url}: connection refused" in out.stderr
    assert "Traceback" not in out.stderr
    assert time.monotonic() - t0 < 30
