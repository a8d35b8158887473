"""Start-up: `rag --help` wall time, lazy imports of `rag.cli`, and a cold `rag ask`.

Cold ask: a fresh interpreter runs `rag ask QUESTION` with its stdout on a
pseudo-terminal, so the CLI streams the model's draft as a user sees it; the
time from spawn to the first byte on that terminal is the cold time to first
token (imports, settings, embedder, index, model load, retrieval, prompt
evaluation). The same child's own peak RSS is the `ask` memory figure.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RAG_EXE,
    SEED_DOC,
    SEED_QUESTION,
    child_env,
    loadavg,
    median,
    prepare_home,
    run_child,
    run_child_pty,
)
from benchmarks.config import Config

HEAVY = ("torch", "onnxruntime", "chromadb", "gradio", "openai")
ALSO_WATCHED = (
    "xllamacpp",
    "langchain_core",
    "langchain_chroma",
    "numpy",
    "tokenizers",
    "tiktoken",
    "pydantic",
    "rich",
)
_IMPORT = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")


_HELP_VIA = "import sys, rag.cli\n{patch}sys.argv = ['rag', '--help']\nrag.cli.main()\n"
HELP_VARIANTS = {
    "rag --help": None,
    "python -c, rich help": _HELP_VIA.format(patch="rag.cli.app.rich_markup_mode = 'rich'\n"),
    "python -c, plain help (rich_markup_mode=None)": _HELP_VIA.format(
        patch="rag.cli.app.rich_markup_mode = None\n"
    ),
}


def help_time(cfg: Config, work: Path) -> dict[str, Any]:
    """Median wall time of `rag --help` over cfg.help_runs fresh processes (after one warm-up).

    Alongside, interleaved so all share the machine's load: the same app through
    `python -c` with Typer's rich help formatting on and off (the fix), whichever
    rag/cli.py currently chooses.
    """
    import rag.cli

    env = child_env(work / "help-home")
    cmds = {
        name: [str(RAG_EXE), "--help"] if code is None else [sys.executable, "-c", code]
        for name, code in HELP_VARIANTS.items()
    }
    for cmd in cmds.values():
        run_child(cmd, env=env, cwd=work).check()
    runs: dict[str, list[Any]] = {name: [] for name in cmds}
    for _ in range(cfg.help_runs):
        for name, cmd in cmds.items():
            runs[name].append(run_child(cmd, env=env, cwd=work).check())
    main = runs["rag --help"]
    bare = [run_child([sys.executable, "-c", "pass"]).check().seconds for _ in range(3)]
    return {
        "command": "rag --help",
        "runs": len(main),
        "median_seconds": round(median([r.seconds for r in main]), 4),
        "samples_seconds": [round(r.seconds, 4) for r in main],
        "max_rss_mb": round(max(r.max_rss_mb for r in main), 1),
        "python_bare_seconds": round(median(bare), 4),
        "variants_median_seconds": {
            name: round(median([r.seconds for r in rs]), 4) for name, rs in runs.items()
        },
        "rich_help_in_rag": rag.cli.app.rich_markup_mode is not None,
        "load_average": loadavg(),
    }


def import_check(work: Path) -> dict[str, Any]:
    """Modules `import rag.cli` loads (python -X importtime), and which heavy ones among them."""
    run = run_child([sys.executable, "-X", "importtime", "-c", "import rag.cli"], cwd=work).check()
    rows = []
    for line in run.stderr.splitlines():
        m = _IMPORT.match(line)
        if m:
            rows.append((m.group(4), int(m.group(1)), int(m.group(2)), len(m.group(3)) // 2))
    names = {name for name, *_ in rows}
    tops = {name.split(".")[0] for name in names}
    heavy = sorted(h for h in HEAVY if h in tops)
    watched = sorted(h for h in ALSO_WATCHED if h in tops)
    top_level = sorted((r for r in rows if r[3] == 0), key=lambda r: -r[2])[:12]
    return {
        "command": "python -X importtime -c 'import rag.cli'",
        "modules_imported": len(names),
        "heavy_checked": list(HEAVY),
        "heavy_imported": heavy,
        "lazy": not heavy,
        "other_watched_imported": watched,
        "total_import_ms": round(sum(r[1] for r in rows) / 1000, 1),
        "slowest_top_level_ms": {name: round(cum / 1000, 1) for name, _, cum, _ in top_level},
    }


def cold_ask(cfg: Config, work: Path) -> dict[str, Any]:
    """`rag ask` from a fresh process: time to first streamed byte and total; peak RSS."""
    home = prepare_home(work / "cold-home")
    env = child_env(home, **cfg.llm_env())
    ingest = run_child([str(RAG_EXE), "ingest", str(SEED_DOC)], env=env, cwd=work).check()
    runs = []
    for _ in range(cfg.cold_asks):
        run = run_child_pty([str(RAG_EXE), "ask", SEED_QUESTION], env=env, cwd=work).check()
        runs.append(run)
    firsts = [r.first_byte for r in runs if r.first_byte is not None]
    return {
        "command": f'rag ask "{SEED_QUESTION}" (stdout on a pseudo-terminal)',
        "model": cfg.answer_model,
        "runs": len(runs),
        "first_byte_seconds": round(median(firsts), 3) if firsts else None,
        "total_seconds": round(median([r.seconds for r in runs]), 3),
        "samples": [
            {"first_byte": round(r.first_byte or 0.0, 3), "total": round(r.seconds, 3)}
            for r in runs
        ],
        "max_rss_mb": round(max(r.max_rss_mb for r in runs), 1),
        "ingest_seed_max_rss_mb": round(ingest.max_rss_mb, 1),
        "home": str(home),
        "load_average": loadavg(),
    }


def run(cfg: Config, work: Path) -> dict[str, Any]:
    return {
        "help": help_time(cfg, work),
        "imports": import_check(work),
        "cold_ask": cold_ask(cfg, work),
    }
