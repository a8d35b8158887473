"""Shared helpers: settings per data directory, statistics, child processes with their peak RSS."""

from __future__ import annotations

import os
import platform
import pty
import select
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RAG_EXE = VENV_BIN / "rag"
SEED_DOC = REPO / "seeds" / "000_fa9b40200313cc7b.txt"
SEED_QUESTION = "Where and when was the memorandum signed?"
PACKAGES = (
    "chromadb",
    "onnxruntime",
    "langchain-core",
    "langchain-chroma",
    "langchain-text-splitters",
    "xllamacpp",
    "bm25s",
    "tiktoken",
    "tokenizers",
    "openai",
    "numpy",
    "typer",
)


def default_model_cache() -> Path:
    """One models cache for every benchmark data directory, so a GGUF is joined only once."""
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "rag-bench"


def prepare_home(home: Path, model_cache: Path) -> Path:
    """A fresh data directory whose cache/ points at the shared models cache."""
    home.mkdir(parents=True, exist_ok=True)
    model_cache.mkdir(parents=True, exist_ok=True)
    link = home / "cache"
    if not link.exists():
        link.symlink_to(model_cache.resolve(), target_is_directory=True)
    return home


def make_settings(home: Path, model_cache: Path, **overrides: Any):
    """Settings for a benchmark data directory (RAG_* env still applies, as for a user)."""
    from rag.settings import Settings

    return Settings(home=prepare_home(home, model_cache), **overrides)


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for a `rag` child process using data directory `home`."""
    env = dict(os.environ)
    env["RAG_HOME"] = str(home)
    env.update(extra)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


# statistics ----------------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else 0.0


def median(values: Sequence[float]) -> float:
    return pct(values, 50)


def latency_stats(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean/max in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 50), 3),
        "p95_ms": round(pct(ms, 95), 3),
        "mean_ms": round(float(np.mean(ms)), 3) if ms else 0.0,
        "max_ms": round(max(ms), 3) if ms else 0.0,
    }


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 6) if b else None


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


# child processes -----------------------------------------------------------------------------


@dataclass
class ChildRun:
    """One finished child: wall time, peak RSS (MB), exit code, output, time to first stdout."""

    cmd: list[str]
    seconds: float
    max_rss_mb: float
    returncode: int
    stdout: str = ""
    stderr: str = ""
    first_byte: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self) -> ChildRun:
        if self.returncode != 0:
            raise RuntimeError(
                f"{' '.join(self.cmd)} exited {self.returncode}: {self.stderr[-2000:]}"
            )
        return self


def _reap(proc: subprocess.Popen) -> tuple[int, float]:
    """Wait for exactly this child; its own rusage gives its peak RSS (Linux: KB)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024


def run_child(
    cmd: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 3600,
) -> ChildRun:
    """Run cmd to completion with pipes; wall time and the child's own peak RSS."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, text=True
    )
    try:
        out, err = _drain(proc, timeout)
    finally:
        code, rss = _reap(proc)
    return ChildRun(cmd, time.perf_counter() - t0, rss, code, out, err)


def _drain(proc: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Read both pipes to EOF without waiting for the process (wait4 reaps it after)."""
    assert proc.stdout is not None and proc.stderr is not None
    streams = {proc.stdout.fileno(): [], proc.stderr.fileno(): []}
    deadline = time.monotonic() + timeout
    open_fds = set(streams)
    while open_fds:
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError(f"{proc.args} took longer than {timeout} s")
        ready, _, _ = select.select(list(open_fds), [], [], 1.0)
        for fd in ready:
            data = os.read(fd, 65536)
            if data:
                streams[fd].append(data)
            else:
                open_fds.discard(fd)
    out = b"".join(streams[proc.stdout.fileno()]).decode("utf-8", "replace")
    err = b"".join(streams[proc.stderr.fileno()]).decode("utf-8", "replace")
    proc.stdout.close()
    proc.stderr.close()
    return out, err


def run_child_pty(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 900
) -> ChildRun:
    """Run cmd with stdout on a pseudo-terminal (so it streams as for a user).

    `first_byte` is the time from spawn to the first byte the child writes to stdout.
    """
    master, slave = pty.openpty()
    err_r, err_w = os.pipe()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=slave, stderr=err_w, stdin=subprocess.DEVNULL, env=env, cwd=cwd
    )
    os.close(slave)
    os.close(err_w)
    out: list[bytes] = []
    err: list[bytes] = []
    first: float | None = None
    fds = {master, err_r}
    deadline = time.monotonic() + timeout
    try:
        while fds:
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError(f"{cmd} took longer than {timeout} s")
            ready, _, _ = select.select(list(fds), [], [], 1.0)
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: the child closed the terminal
                    data = b""
                if not data:
                    fds.discard(fd)
                    continue
                if fd == master:
                    if first is None:
                        first = time.perf_counter() - t0
                    out.append(data)
                else:
                    err.append(data)
    finally:
        os.close(master)
        os.close(err_r)
        code, rss = _reap(proc)
    return ChildRun(
        cmd,
        time.perf_counter() - t0,
        rss,
        code,
        b"".join(out).decode("utf-8", "replace"),
        b"".join(err).decode("utf-8", "replace"),
        first,
    )


# machine and versions ------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 2**20
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(ram, 1),
        "cpu_model": cpu,
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)
