"""Peak RSS of ingest, ask and summarize, each in its own process.

Each figure is the command's own `ru_maxrss` from `os.wait4`, taken by a slim
launcher process (benchmarks.common._LAUNCHER): Linux carries a process's pre-exec
high-water mark across exec, so a command forked straight from this multi-GB
benchmark process would report the benchmark's size, not its own. (Nor is it the
cumulative RUSAGE_CHILDREN maximum, which would mix children.) Ingest and ask reuse the
CLI runs of the ingest and start-up stages; summarize runs here.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from benchmarks.common import RAG_EXE, SEED_DOC, child_env, loadavg, prepare_home, run_child
from benchmarks.config import Config

NOT_IMPLEMENTED = "not measured (not implemented yet)"
SUMMARIZE_TIMEOUT = 900


def summarize(cfg: Config, work: Path) -> dict[str, Any]:
    """`rag summarize --all` over an index holding the seed document."""
    if not cfg.summarize:
        return {"status": "skipped (quick mode or --no-summarize)"}
    if importlib.util.find_spec("rag.summarize") is None:
        return {"status": NOT_IMPLEMENTED}
    home = prepare_home(work / "summarize-home")
    env = child_env(home, **cfg.llm_env())
    run_child([str(RAG_EXE), "ingest", str(SEED_DOC)], env=env, cwd=work).check()
    out = work / "summaries"
    try:
        run = run_child(
            [str(RAG_EXE), "summarize", "--all", "--out", str(out)],
            env=env,
            cwd=work,
            timeout=SUMMARIZE_TIMEOUT,
        )
    except TimeoutError:
        return {"status": f"not measured (rag summarize took over {SUMMARIZE_TIMEOUT} s)"}
    if run.returncode != 0:
        tail = (run.stderr.strip().splitlines() or ["?"])[-1][:300]
        return {
            "status": f"not measured (rag summarize exited {run.returncode}: {tail})",
            "max_rss_mb": round(run.max_rss_mb, 1),
        }
    return {
        "status": "measured",
        "command": "rag summarize --all --out DIR",
        "model": cfg.answer_model,
        "documents": 1,
        "seconds": round(run.seconds, 3),
        "max_rss_mb": round(run.max_rss_mb, 1),
        "load_average": loadavg(),
    }


def run(cfg: Config, work: Path, results: dict[str, Any]) -> dict[str, Any]:
    """Collect the per-command peaks measured elsewhere and measure summarize."""
    cli = results.get("ingest", {}).get("cli", {})
    ingest_cli = cli.get("full", {})
    cold = results.get("startup", {}).get("cold_ask", {})
    help_ = results.get("startup", {}).get("help", {})
    return {
        "method": "each command's own peak RSS: ru_maxrss from os.wait4 in a slim launcher "
        "that forks and execs it (a child forked from the benchmark process itself would "
        "carry the benchmark's RSS across exec)",
        "ingest": {
            "command": f"{cli.get('command', 'rag ingest')}, fresh data directory",
            "corpus_mb": cli.get("megabytes"),
            "max_rss_mb": ingest_cli.get("max_rss_mb"),
        },
        "ask": {
            "command": "rag ask QUESTION (cold process, embedded llama.cpp server)",
            "model": cfg.answer_model,
            "max_rss_mb": cold.get("max_rss_mb"),
        },
        "summarize": summarize(cfg, work),
        "help": {"command": "rag --help", "max_rss_mb": help_.get("max_rss_mb")},
    }
