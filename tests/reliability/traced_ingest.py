"""`rag ingest ...` with a phase trace, so a test that SIGKILLs it knows where the kill landed.

Run as `python traced_ingest.py TRACE_FILE ingest ARGS...`. Each phase boundary
appends one line to TRACE_FILE with os.write (no buffer: a SIGKILL loses nothing
already written). The ingest itself is the unchanged CLI (`rag.cli.main`).

With KILL_AT="PHASE:N:MS" in the environment the process SIGKILLs itself MS
milliseconds after PHASE starts for the N-th time (a timer thread, so the phase
runs meanwhile): narrow windows such as "catalogue swapped, stale vectors not yet
deleted" are hit on purpose, not only by luck. PAUSE_AT="PHASE:N:PATH" waits
there (up to 120 s) until PATH exists, so a test can hold the write lock open until
it has seen what it wanted to see.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

_fd = -1
_seen: dict[str, int] = {}
_kill_at: tuple[str, int, float] | None = None
_pause_at: tuple[str, int, str] | None = None


def mark(phase: str) -> None:
    """Append one phase line to the trace; arm the self-kill when its phase comes round."""
    os.write(_fd, (phase + "\n").encode())
    _seen[phase] = _seen.get(phase, 0) + 1
    if _kill_at and _kill_at[0] == phase and _seen[phase] == _kill_at[1]:
        if _kill_at[2] <= 0:
            os.kill(os.getpid(), signal.SIGKILL)
        threading.Timer(_kill_at[2], os.kill, (os.getpid(), signal.SIGKILL)).start()
    if _pause_at and _pause_at[0] == phase and _seen[phase] == _pause_at[1]:
        deadline = time.monotonic() + 120
        while not os.path.exists(_pause_at[2]) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.write(_fd, b"resumed\n")


def around(owner: type, name: str, before: str, after: str | None = None) -> None:
    """Wrap owner.name so the trace shows when it starts (and, optionally, ends)."""
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        mark(before)
        result = original(*args, **kwargs)
        if after:
            mark(after)
        return result

    setattr(owner, name, wrapper)


def install() -> None:
    """Trace the write path: lock, reconcile, load, embed+upsert, catalogue swap, stale delete."""
    import rag.ingest as ingest
    from rag.store.catalog import Catalog
    from rag.store.index import Index
    from rag.store.vector import VectorStore

    around(Index, "reconcile", "reconcile", "reconciled")
    around(Index, "check_model", "locked")  # first thing done under the write lock
    around(Index, "remove_source", "prune")
    around(VectorStore, "add", "embed+upsert")
    around(VectorStore, "delete", "delete-vectors")
    around(Catalog, "replace_source", "catalogue-swap", "swapped")
    original_load = ingest.load_file

    def load_file(path: Any, *args: Any, **kwargs: Any) -> Any:
        mark("load+chunk")
        return original_load(path, *args, **kwargs)

    ingest.load_file = load_file


def main() -> None:
    global _fd, _kill_at, _pause_at
    _fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    if os.environ.get("KILL_AT"):
        phase, nth, ms = os.environ["KILL_AT"].split(":")
        _kill_at = (phase, int(nth), float(ms) / 1000)
    if os.environ.get("PAUSE_AT"):
        phase, nth, path = os.environ["PAUSE_AT"].split(":", 2)
        _pause_at = (phase, int(nth), path)
    mark("started")
    install()
    mark("imported")
    sys.argv = ["rag", *sys.argv[2:]]
    from rag.cli import main as cli_main

    try:
        cli_main()
    finally:
        mark("exit")


if __name__ == "__main__":
    main()
