"""The benchmark harness runs end to end in quick mode on a tiny corpus (no timing assertions).

`python -m benchmarks.run --quick` runs as a child process from the repository root,
exactly as documented, writing into a temporary folder.

It needs the bundled embedding model and SmolLM2-135M, like the other real-model tests.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

SECTIONS = ("meta", "startup", "ingest", "retrieval", "answer", "memory", "targets")
POSITIVE = (
    ("ingest", "chunks"),
    ("ingest", "rag", "chunks_per_s"),
    ("ingest", "rag", "mb_per_s"),
    ("ingest", "ceiling", "chunks_per_s"),
    ("ingest", "baseline", "chunks_per_s"),
    ("ingest", "ratios", "rag_vs_ceiling_throughput"),
    ("ingest", "ratios", "baseline_over_rag_seconds"),
    ("ingest", "ratios", "reingest_over_ingest"),
    ("ingest", "cli", "full", "wall_seconds"),
    ("ingest", "cli", "full", "max_rss_mb"),
    ("ingest", "proposed", "speedup_over_rag"),
    ("ingest", "pipeline_overhead", "seconds"),
    ("retrieval", "growth", "hybrid", "p50"),
    ("answer", "pipeline", "first_token_seconds"),
    ("answer", "pipeline", "total_seconds"),
    ("answer", "raw", "total_seconds"),
    ("answer", "overhead_ratio_total"),
    ("answer", "prompt_tokens_tiktoken"),
    ("startup", "help", "median_seconds"),
    ("startup", "cold_ask", "first_byte_seconds"),
    ("startup", "cold_ask", "max_rss_mb"),
    ("memory", "ingest", "max_rss_mb"),
    ("memory", "ask", "max_rss_mb"),
)
LEVELS = (300, 1000)


def _get(d: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        assert isinstance(d, dict) and key in d, f"missing {'.'.join(path)}"
        d = d[key]
    return d


def _numbers(d: Any, path: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(d, bool):
        return
    if isinstance(d, int | float):
        yield path, d
    elif isinstance(d, dict):
        for k, v in d.items():
            yield from _numbers(v, f"{path}.{k}")
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from _numbers(v, f"{path}[{i}]")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    base = tmp_path_factory.mktemp("bench")
    out = base / "out"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--quick",
        "--out",
        str(out),
        "--work",
        str(base / "work"),
        "--docs",
        "6",
        "--mb",
        "0.02",
        "--squad-paragraphs",
        "10",
        "--squad-questions",
        "5",
        "--levels",
        ",".join(map(str, LEVELS)),
        "--bm25s-levels",
        str(LEVELS[-1]),
        "--queries",
        "10",
    ]
    # module-scoped, so tests/conftest.py's per-test env isolation is not active yet: do it here
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["RAG_CONFIG"] = str(base / "no-rag.toml")
    run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-3000:]
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return data, (out / "RESULTS.md").read_text(encoding="utf-8")


def test_every_section_is_present_and_ran(results: tuple[dict[str, Any], str]) -> None:
    data, _ = results
    for section in SECTIONS:
        assert section in data, section
        if isinstance(data[section], dict):
            assert data[section].get("status") not in ("failed", "skipped"), data[section]
    assert data["meta"]["quick"] is True
    assert data["meta"]["machine"]["cores"] >= 1
    for name in ("python", "chromadb", "onnxruntime", "langchain-core", "xllamacpp"):
        assert data["meta"]["versions"][name]


def test_key_figures_are_positive_numbers(results: tuple[dict[str, Any], str]) -> None:
    data, _ = results
    for path in POSITIVE:
        value = _get(data, path)
        assert isinstance(value, int | float) and value > 0, (path, value)
    for level in LEVELS:
        for kind in ("dense", "bm25", "hybrid", "hybrid_proposed"):
            for stat in ("p50_ms", "p95_ms"):
                value = _get(data, ("retrieval", "levels", str(level), "latency", kind, stat))
                assert value > 0, (level, kind, stat)
    (engine,) = data["retrieval"]["bm25_engines"]
    assert engine["fts5"]["add_document_seconds"] > 0
    assert engine["bm25s"]["add_document_seconds"] > 0
    for path, value in _numbers(data):
        assert math.isfinite(value), path


def test_targets_and_report(results: tuple[dict[str, Any], str]) -> None:
    data, markdown = results
    keys = {t["key"] for t in data["targets"]}
    assert keys >= {"ingest_ceiling", "ingest_baseline", "reingest", "hybrid_p95"}
    assert keys >= {"answer_overhead", "help", "lazy_imports"}
    for t in data["targets"]:
        assert t["met"] in (True, False, None)
    hybrid = next(t for t in data["targets"] if t["key"] == "hybrid_p95")
    assert hybrid["met"] is None  # no 100k level in quick mode
    assert "CC BY-SA 4.0" in markdown
    for heading in ("## Targets", "## Ingest", "## Retrieval latency", "## Answer latency"):
        assert heading in markdown
    for heading in ("## Start-up", "## Memory (peak RSS)", "## Machine and versions"):
        assert heading in markdown
