"""Shared helpers: settings per data directory, statistics, child processes with their peak RSS."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import pty
import select
import signal
import subprocess
import sys
import tempfile
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


def prepare_home(home: Path) -> Path:
    """A fresh data directory (its cache, summaries included, is its own; the joined GGUF
    files live in the settings' shared `model_cache`)."""
    home.mkdir(parents=True, exist_ok=True)
    return home


def make_settings(home: Path, **overrides: Any):
    """Settings for a benchmark data directory (RAG_* env still applies, as for a user)."""
    from rag.settings import Settings

    return Settings(home=prepare_home(home), **overrides)


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


# A child's ru_maxrss includes the memory of the process it was forked from, up to its
# exec (Linux keeps the pre-exec high-water mark), so a child spawned by this fat benchmark
# process would report the benchmark's RSS. Children are therefore started by this slim
# launcher, which forks and execs the command and reports the command's own peak RSS and
# its wall time from fork to exit (so the launcher's start-up is not counted either).
_LAUNCHER = """
import json, os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
t1 = time.perf_counter()
with open(os.environ["BENCH_CHILD_REPORT"], "w") as f:
    json.dump({"start": t0, "seconds": t1 - t0, "max_rss_kb": usage.ru_maxrss}, f)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


class _Launched:
    """A command started through _LAUNCHER in its own session (killable as a group)."""

    def __init__(self, cmd: list[str], env: dict[str, str] | None, cwd: Path | None, **io: Any):
        self.cmd = cmd
        fd, self.report = tempfile.mkstemp(prefix="bench-child-", suffix=".json")
        os.close(fd)
        full_env = dict(os.environ if env is None else env)
        full_env["BENCH_CHILD_REPORT"] = self.report
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, *cmd],
            env=full_env,
            cwd=cwd,
            start_new_session=True,
            **io,
        )

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def finish(self) -> tuple[int, float, float, float]:
        """(exit code, seconds, peak RSS MB, start on the perf_counter clock) once it ended."""
        code = self.proc.wait()
        wall = time.perf_counter() - self.t0
        try:
            with open(self.report, encoding="utf-8") as f:
                rep = json.load(f)
            return code, rep["seconds"], rep["max_rss_kb"] / 1024, rep["start"]
        except (OSError, ValueError, KeyError):  # killed before it could report
            return code, wall, 0.0, self.t0
        finally:
            os.unlink(self.report)


def run_child(
    cmd: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 3600,
) -> ChildRun:
    """Run cmd to completion with pipes; its own wall time and peak RSS."""
    child = _Launched(cmd, env, cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = _drain(child, timeout)
    finally:
        code, seconds, rss, _ = child.finish()
    return ChildRun(cmd, seconds, rss, code, out, err)


def _drain(child: _Launched, timeout: float) -> tuple[str, str]:
    """Read both pipes to EOF; kill the child's whole session if it overruns."""
    proc = child.proc
    assert proc.stdout is not None and proc.stderr is not None
    streams: dict[int, list[bytes]] = {proc.stdout.fileno(): [], proc.stderr.fileno(): []}
    deadline = time.monotonic() + timeout
    open_fds = set(streams)
    while open_fds:
        if time.monotonic() > deadline:
            child.kill()
            raise TimeoutError(f"{child.cmd} took longer than {timeout} s")
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

    `first_byte` is the time from the command's start (fork) to the first byte it writes
    to stdout.
    """
    master, slave = pty.openpty()
    err_r, err_w = os.pipe()
    child = _Launched(cmd, env, cwd, stdout=slave, stderr=err_w, stdin=subprocess.DEVNULL)
    os.close(slave)
    os.close(err_w)
    out: list[bytes] = []
    err: list[bytes] = []
    first_at: float | None = None
    fds = {master, err_r}
    deadline = time.monotonic() + timeout
    try:
        while fds:
            if time.monotonic() > deadline:
                child.kill()
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
                    if first_at is None:
                        first_at = time.perf_counter()
                    out.append(data)
                else:
                    err.append(data)
    finally:
        os.close(master)
        os.close(err_r)
        code, seconds, rss, start = child.finish()
    return ChildRun(
        cmd,
        seconds,
        rss,
        code,
        b"".join(out).decode("utf-8", "replace"),
        b"".join(err).decode("utf-8", "replace"),
        None if first_at is None else first_at - start,
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
