"""Ingest throughput against the raw embedding model (ceiling) and the LangChain baseline.

The three, plus a reference windowed ingest (benchmarks/proposals.py), are
measured in the same process, interleaved over slices of the file list (order
rotated per slice), so a burst of load from other work on the machine hits all
alike. Each reports wall and process CPU seconds.
Afterwards: re-ingest of the unchanged corpus, SQuAD recall@5 of rag's hybrid
retrieval against the baseline's similarity search, the pipeline's cost without
the model (NullEmbedder), and `rag ingest` through the CLI in a fresh process on
one slice (wall time and peak RSS).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.baseline import Baseline
from benchmarks.common import (
    RAG_EXE,
    child_env,
    latency_stats,
    loadavg,
    make_settings,
    prepare_home,
    ratio,
    run_child,
)
from benchmarks.config import Config
from benchmarks.corpus import Corpus, squad_questions
from benchmarks.proposals import WINDOW, batch_shapes, ingest_windowed

RECALL_K = 5


class _Clock:
    """Wall and CPU seconds of a block, accumulated under a name."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - w
        self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - c
        return out


class _EmbedMeter:
    """Times every embed_documents call on one embedder object while active."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder
        self.seconds: dict[str, float] = {}
        self._orig = embedder.embed_documents
        self._name = ""

    def __call__(self, texts: list[str]) -> list[list[float]]:
        t = time.perf_counter()
        try:
            return self._orig(texts)
        finally:
            self.seconds[self._name] = self.seconds.get(self._name, 0.0) + time.perf_counter() - t

    def active(self, name: str, fn: Callable[[], Any]) -> Any:
        self._name = name
        self.embedder.embed_documents = self  # instance attribute shadows the method
        try:
            return fn()
        finally:
            del self.embedder.embed_documents


class NullEmbedder:
    """Same interface and model id as the real embedder, near-zero cost: random unit vectors.

    Ingesting with it measures everything rag's ingest does except embedding.
    """

    model_id = "all-MiniLM-L6-v2"
    dimensions = 384

    def __init__(self) -> None:
        import numpy as np

        self._rng = np.random.default_rng(0)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        v = self._rng.standard_normal((len(texts), self.dimensions)).astype(np.float32)
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def pipeline_overhead(cfg: Config, corpus: Corpus, work: Path) -> dict[str, Any]:
    """Rag.ingest of the whole corpus with the NullEmbedder into a fresh data directory."""
    from rag.service import Rag

    rag = Rag(make_settings(work / "null-home"))
    rag._embedder = NullEmbedder()  # the service builds its index around this embedder
    rag.index.check_model()
    w, c = time.perf_counter(), time.process_time()
    report = rag.ingest([corpus.root])
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    rag.close()
    return {
        "seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "chunks": report.chunks_embedded,
        "method": "Rag.ingest with an embedder returning random unit vectors: loading, "
        "hashing, chunking, SQLite/FTS5 and Chroma writes, without the model",
    }


def _slices(files: list[Path], n: int) -> list[list[Path]]:
    """Round-robin slices, so each holds the same mix of generated and SQuAD files."""
    n = max(1, min(n, len(files)))
    return [files[i::n] for i in range(n)]


def _order(i: int) -> list[str]:
    """Per-slice order; the ceiling needs rag's chunks, so it always follows rag."""
    return [
        ["rag", "ceiling", "baseline", "proposed"],
        ["proposed", "baseline", "rag", "ceiling"],
        ["baseline", "rag", "ceiling", "proposed"],
        ["rag", "proposed", "ceiling", "baseline"],
    ][i % 4]


def run(cfg: Config, corpus: Corpus, work: Path) -> dict[str, Any]:
    from rag.service import Rag

    settings = make_settings(work / "ingest-home")
    rag = Rag(settings)
    embedder = rag.embedder
    embedder.encode(["warm-up: load the model before any clock starts"])
    index = rag.index  # open Chroma and the catalogue (imports included) before any clock
    index.check_model()  # records the model id, as the first put_source would
    baseline = Baseline(
        work / "baseline-chroma", embedder, settings.chunk_tokens, settings.chunk_overlap
    )
    proposed = Rag(make_settings(work / "proposed-home"))
    proposed._embedder = embedder  # the same model object as rag, ceiling and baseline
    proposed.index.check_model()
    meter = _EmbedMeter(embedder)
    clock = _Clock()
    slices_out = []
    all_texts = 0
    for i, files in enumerate(_slices(corpus.files, cfg.slices)):
        row: dict[str, Any] = {"files": len(files), "load_average": loadavg()}
        texts: list[str] = []
        for step in _order(i):
            before = dict(clock.wall)
            if step == "rag":
                report = clock.run(
                    "rag", lambda f=files: meter.active("rag", lambda: rag.ingest(f))
                )
                row["rag_chunks_embedded"] = report.chunks_embedded
                failed = report.failed
                if failed:
                    raise RuntimeError(f"ingest failed: {failed[:3]}")
                catalog = rag.index.catalog
                texts = [c.text for p in files for c in catalog.iter_chunks(p.resolve().as_posix())]
            elif step == "ceiling":
                clock.run("ceiling", lambda t=texts: embedder.encode(t))
                all_texts += len(texts)
            elif step == "proposed":
                row["proposed_chunks"] = clock.run(
                    "proposed",
                    lambda f=files: meter.active("proposed", lambda: ingest_windowed(proposed, f)),
                )
            else:
                row["baseline_chunks"] = clock.run(
                    "baseline",
                    lambda f=files: meter.active("baseline", lambda: baseline.add_files(f)),
                )
            row[f"{step}_seconds"] = round(clock.wall[step] - before.get(step, 0.0), 3)
        slices_out.append(row)

    chunks = rag.index.catalog.count_chunks()
    assert chunks == all_texts, (chunks, all_texts)
    rag_s, ceil_s, base_s = clock.wall["rag"], clock.wall["ceiling"], clock.wall["baseline"]
    mb = corpus.bytes / 1e6

    reingest = clock.run("reingest", lambda: rag.ingest([corpus.root]))
    if reingest.chunks_embedded or reingest.counts["unchanged"] != len(corpus.files):
        raise RuntimeError(f"re-ingest was not a no-op: {reingest.summary()}")

    def throughput(step: str, n: int, embed: bool = True) -> dict[str, Any]:
        """Seconds, CPU seconds and rates of one interleaved pipeline over n chunks."""
        secs = clock.wall[step]
        out = {
            "seconds": round(secs, 3),
            "cpu_seconds": round(clock.cpu[step], 3),
            "chunks_per_s": round(n / secs, 2),
            "mb_per_s": round(mb / secs, 4),
        }
        if embed:
            out["embed_seconds"] = round(meter.seconds.get(step, 0.0), 3)
            out["embed_share"] = ratio(meter.seconds.get(step, 0.0), secs)
        return out

    # the proposed ingest must build the very same index
    same = (
        proposed.index.catalog.chunk_ids() == rag.index.catalog.chunk_ids()
        and proposed.index.vectors.ids() == rag.index.vectors.ids()
    )
    prop_s = clock.wall["proposed"]
    proposed.close()
    result = {
        "corpus": corpus.summary(),
        "settings": {
            "chunk_tokens": settings.chunk_tokens,
            "chunk_overlap": settings.chunk_overlap,
            "embed_batch": settings.embed_batch,
            "embed_threads": settings.embed_threads,
            "index_add_batch": rag.index.embed_batch,
        },
        "method": (
            f"in-process Rag.ingest over {len(slices_out)} interleaved file slices; "
            "ceiling = MiniLMEmbedder.encode (the same embedder object, batch size "
            f"{settings.embed_batch}) on exactly the chunk texts each slice produced; "
            "baseline = RecursiveCharacterTextSplitter + Chroma.from_documents/add_documents "
            "with the same embedder object"
        ),
        "chunks": chunks,
        "rag": throughput("rag", chunks),
        "ceiling": throughput("ceiling", chunks, embed=False),
        "baseline": {"chunks": baseline.chunks, **throughput("baseline", baseline.chunks)},
        "ratios": {
            "rag_vs_ceiling_throughput": ratio(ceil_s, rag_s),
            "rag_vs_ceiling_throughput_cpu": ratio(clock.cpu["ceiling"], clock.cpu["rag"]),
            "baseline_over_rag_seconds": ratio(base_s, rag_s),
            "baseline_over_rag_seconds_cpu": ratio(clock.cpu["baseline"], clock.cpu["rag"]),
            "reingest_over_ingest": ratio(clock.wall["reingest"], rag_s),
        },
        "reingest": {
            "seconds": round(clock.wall["reingest"], 4),
            "cpu_seconds": round(clock.cpu["reingest"], 4),
            "files_unchanged": reingest.counts["unchanged"],
        },
        "slices": slices_out,
        "proposed": {
            "method": "benchmarks.proposals.ingest_windowed: rag's ingest with the new chunks "
            f"of a window of files (>= {WINDOW} chunks) embedded in one call and upserted in "
            "one Chroma call; builds the identical index (checked)",
            **throughput("proposed", chunks),
            "vs_ceiling_throughput": ratio(ceil_s, prop_s),
            "vs_ceiling_throughput_cpu": ratio(clock.cpu["ceiling"], clock.cpu["proposed"]),
            "baseline_over_proposed_seconds": ratio(base_s, prop_s),
            "speedup_over_rag": ratio(rag_s, prop_s),
            "identical_index": same,
        },
    }
    # the rest adds detail; a failure in one part is recorded, not fatal to the figures above
    catalog = rag.index.catalog
    groups = [[c.text for c in catalog.iter_chunks(p.resolve().as_posix())] for p in corpus.files]
    steps: dict[str, Callable[[], Any]] = {
        "batch_shapes": lambda: batch_shapes(embedder, groups, rag.index.embed_batch, WINDOW),
        "recall": lambda: _recall(cfg, corpus, rag, baseline),
        "pipeline_overhead": lambda: pipeline_overhead(cfg, corpus, work),
        "cli": lambda: _cli(cfg, _slices(corpus.files, cfg.slices)[0], work),
    }
    for key, step in steps.items():
        try:
            result[key] = step()
        except Exception as exc:  # keep the measured figures whatever happens here
            result[key] = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    rag.close()
    return result


def _recall(cfg: Config, corpus: Corpus, rag: Any, baseline: Baseline) -> dict[str, Any]:
    """SQuAD recall@5 by gold paragraph: rag's hybrid retrieve vs the baseline's search."""
    ids = {p.stem for p in corpus.squad}
    qs = squad_questions(ids, cfg.squad_questions)
    hits = {"rag": 0, "baseline": 0}
    lat: dict[str, list[float]] = {"rag": [], "baseline": []}
    for q in qs:
        gold = q["context_id"]
        t = time.perf_counter()
        got = [h.chunk.source for h in rag.retrieve(q["question"], k=RECALL_K)]
        lat["rag"].append(time.perf_counter() - t)
        hits["rag"] += any(_ctx(s) == gold for s in got)
        t = time.perf_counter()
        got = baseline.search_sources(q["question"], RECALL_K)
        lat["baseline"].append(time.perf_counter() - t)
        hits["baseline"] += any(_ctx(s) == gold for s in got)
    n = max(len(qs), 1)
    return {
        "k": RECALL_K,
        "questions": len(qs),
        "rag_hybrid_recall_at_5": round(hits["rag"] / n, 4),
        "baseline_similarity_recall_at_5": round(hits["baseline"] / n, 4),
        "rag_latency": latency_stats(lat["rag"]),
        "baseline_latency": latency_stats(lat["baseline"]),
        "note": "answerable questions of questions-dev.jsonl; a hit is any of the top 5 "
        "chunks coming from the gold paragraph's file; the index also holds the "
        "generated documents as distractors",
    }


def _ctx(source: str) -> str:
    p = Path(source)
    return p.stem if p.parent.name == "squad" else ""


_SUMMARY = re.compile(r"(\d+) chunks \((\d+) embedded\) in ([\d.]+) s")


def _cli(cfg: Config, files: list[Path], work: Path) -> dict[str, Any]:
    """`rag ingest FILES...` in a fresh process on a fresh data directory, then again unchanged.

    Run on one slice of the corpus: a full-corpus CLI ingest would repeat the in-process
    measurement at the cost of another full embedding pass.
    """
    home = prepare_home(work / "cli-home")
    env = child_env(home)
    size = sum(p.stat().st_size for p in files)
    cmd = [str(RAG_EXE), "ingest", *map(str, files)]
    out: dict[str, Any] = {}
    for name in ("full", "unchanged"):
        run = run_child(cmd, env=env, cwd=work).check()
        m = _SUMMARY.search(run.stdout)
        out[name] = {
            "wall_seconds": round(run.seconds, 3),
            "reported_seconds": float(m.group(3)) if m else None,
            "chunks": int(m.group(1)) if m else None,
            "embedded": int(m.group(2)) if m else None,
            "max_rss_mb": round(run.max_rss_mb, 1),
            "load_average": loadavg(),
        }
    full = out["full"]
    full["chunks_per_s"] = round((full["chunks"] or 0) / full["wall_seconds"], 2)
    full["mb_per_s"] = round(size / 1e6 / full["wall_seconds"], 4)
    out["unchanged_over_full"] = ratio(out["unchanged"]["wall_seconds"], full["wall_seconds"])
    out["command"] = f"rag ingest FILE... ({len(files)} files, {size / 1e6:.2f} MB: one slice)"
    out["files"] = len(files)
    out["megabytes"] = round(size / 1e6, 3)
    return out
