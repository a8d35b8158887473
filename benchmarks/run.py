"""`python -m benchmarks.run [--quick] [--out DIR]`: every stage, then results.json and RESULTS.md.

Stages: startup (help, lazy imports, cold ask), ingest (vs ceiling and baseline,
re-ingest, SQuAD recall, CLI), retrieval (latency by size, FTS5 vs bm25s),
answer (pipeline vs raw server call), memory (peak RSS per command). A stage
that fails is recorded with its error; the others still run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.common import REPO, loadavg, machine, versions
from benchmarks.config import Config

STAGES = ("startup", "ingest", "retrieval", "answer", "memory")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="tiny corpus, no 100k level, SmolLM2")
    ap.add_argument("--out", type=Path, default=Path("benchmarks"), help="where results go")
    ap.add_argument("--work", type=Path, help="scratch folder (default: a new temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument("--docs", type=int, help="generated documents")
    ap.add_argument("--mb", type=float, help="generated megabytes in total")
    ap.add_argument("--squad-paragraphs", type=int, help="SQuAD paragraphs (default all)")
    ap.add_argument("--squad-questions", type=int, help="SQuAD questions (default all)")
    ap.add_argument("--slices", type=int, help="interleaved ingest slices")
    ap.add_argument("--levels", help="retrieval sizes, comma-separated (e.g. 1000,10000)")
    ap.add_argument("--bm25s-levels", help="sizes for FTS5 vs bm25s, comma-separated")
    ap.add_argument("--queries", type=int, help="retrieval queries per level")
    ap.add_argument("--answer-model", help="catalogue model for answer latency")
    ap.add_argument("--llm-threads", type=int, help="pin llm_threads for the answer stages")
    ap.add_argument("--answer-runs", type=int, help="alternating pipeline/raw rounds")
    ap.add_argument("--cold-asks", type=int, help="cold `rag ask` processes")
    ap.add_argument("--no-summarize", action="store_true", help="skip the summarize RSS")
    ap.add_argument("--stages", help=f"comma-separated subset of {','.join(STAGES)}")
    return ap


def _ints(text: str | None) -> tuple[int, ...] | None:
    return tuple(int(x) for x in text.split(",") if x.strip()) if text else None


def config_from(args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {
        "out": args.out,
        "work": args.work,
        "keep": args.keep,
        "docs": args.docs,
        "corpus_bytes": int(args.mb * 1e6) if args.mb else None,
        "squad_paragraphs": args.squad_paragraphs,
        "squad_questions": args.squad_questions,
        "slices": args.slices,
        "levels": _ints(args.levels),
        "bm25s_levels": _ints(args.bm25s_levels),
        "queries": args.queries,
        "answer_model": args.answer_model,
        "answer_runs": args.answer_runs,
        "llm_threads": args.llm_threads,
        "cold_asks": args.cold_asks,
        "summarize": False if args.no_summarize else None,
        "stages": tuple(s.strip() for s in args.stages.split(",")) if args.stages else None,
    }
    if args.quick:
        return Config.quick_mode(**overrides)
    return Config(**{k: v for k, v in overrides.items() if v is not None})


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _settings_snapshot(work: Path, cfg: Config) -> dict[str, Any]:
    from benchmarks.common import make_settings

    values = make_settings(work / "settings-home").masked()
    for key in ("home", "prompts_dir"):
        values.pop(key, None)
    values["llm_model_for_answers"] = cfg.answer_model
    if cfg.llm_threads is not None:
        values["llm_threads_for_answers"] = cfg.llm_threads
    return values


def pin_code() -> dict[str, Any]:
    """Import every rag module now (the UI aside), so files edited mid-run cannot mix versions.

    The pipeline imports lazily; in a long run, a module first imported an hour in would
    come from a newer tree than the ones loaded at the start. Child processes still load
    whatever is on disk when they start.
    """
    import importlib

    import rag

    root = Path(rag.__file__).resolve().parent
    failed: dict[str, str] = {}
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] in ("__init__", "__main__"):
            parts = parts[:-1] if parts[-1] == "__init__" else ()
        if not parts or parts[:2] == ("rag", "ui"):
            continue
        name = ".".join(parts)
        try:
            importlib.import_module(name)
            names.append(name)
        except Exception as exc:  # a half-written module must not stop the benchmark
            failed[name] = f"{type(exc).__name__}: {exc}"
    return {"modules": len(names), "failed": failed}


def git_state() -> dict[str, Any]:
    """The commit and the uncommitted rag/ files the in-process figures come from."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
            return done.stdout.strip()
        except OSError:
            return ""

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_rag_files": git("status", "--porcelain", "--", "rag").splitlines(),
    }


def run(cfg: Config, argv: list[str] | None = None) -> dict[str, Any]:
    """Run the selected stages; write and return the results."""
    unknown = set(cfg.stages) - set(STAGES)
    if unknown:
        raise SystemExit(f"unknown stages: {', '.join(sorted(unknown))}")
    work = cfg.work or Path(tempfile.mkdtemp(prefix="rag-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    work = work.resolve()
    started = time.perf_counter()
    pinned = pin_code()
    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": "python -m benchmarks.run " + shlex.join(argv or []),
            "quick": cfg.quick,
            "machine": machine(),
            "versions": versions(),
            "settings": _settings_snapshot(work, cfg),
            "config": cfg.to_json(),
            "git": git_state(),
            "code_pinned": pinned,
        }
    }
    durations: dict[str, float] = {}
    corpus = None
    for stage in STAGES:
        if stage not in cfg.stages:
            results[stage] = {"status": "skipped"}
            continue
        _log(f"{stage}: start (load average {loadavg()})")
        t = time.perf_counter()
        try:
            if stage == "startup":
                from benchmarks import startup

                results[stage] = startup.run(cfg, work)
            elif stage == "ingest":
                from benchmarks import corpus as corpus_mod
                from benchmarks import ingest

                corpus = corpus_mod.build(
                    work / "corpus",
                    cfg.docs,
                    cfg.corpus_bytes,
                    squad_limit=cfg.squad_paragraphs,
                    seed=cfg.seed,
                )
                _log(f"corpus: {corpus.summary()}")
                results[stage] = ingest.run(cfg, corpus, work)
            elif stage == "retrieval":
                from benchmarks import retrieval

                results[stage] = retrieval.run(cfg, work)
            elif stage == "answer":
                from benchmarks import answer

                results[stage] = answer.run(cfg, work)
            elif stage == "memory":
                from benchmarks import memory

                results[stage] = memory.run(cfg, work, results)
        except Exception as exc:  # one failed stage must not lose the others' figures
            _log(f"{stage}: FAILED: {exc}")
            results[stage] = {
                "status": "failed",
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()[-4000:],
            }
        durations[stage] = round(time.perf_counter() - t, 2)
        _log(f"{stage}: done in {durations[stage]:.1f} s")
    durations["total"] = round(time.perf_counter() - started, 2)
    results["meta"]["durations_seconds"] = durations
    results["targets"] = report.targets(results, cfg)
    cfg.out.mkdir(parents=True, exist_ok=True)
    (cfg.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (cfg.out / "RESULTS.md").write_text(report.markdown(results), encoding="utf-8")
    _log(f"wrote {cfg.out / 'results.json'} and {cfg.out / 'RESULTS.md'}")
    if not cfg.keep and cfg.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    cfg = config_from(_parser().parse_args(argv))
    results = run(cfg, argv)
    failed = [s for s in STAGES if results.get(s, {}).get("status") == "failed"]
    for line in report.target_lines(results["targets"]):
        print(line)
    if failed:
        print(f"failed stages: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
