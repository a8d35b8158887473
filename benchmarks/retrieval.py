"""Retrieval latency (dense, BM25, hybrid) at 1k/10k/100k chunks, and FTS5 against bm25s.

Indexes are built directly through rag's own classes: Catalog.replace_source
for texts and BM25 (realistic generated prose, ten chunks per source) and the
Chroma collection's upsert with precomputed random unit vectors (no model time).
Queries are real: embedded by the real model, in the corpus' vocabulary plus
SQuAD questions. The three kinds run in rotation per query, so load from
elsewhere on the machine hits them alike.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import latency_stats, loadavg, median, ratio
from benchmarks.config import Config
from benchmarks.corpus import SQUAD_DIR, chunk_texts, questions, read_jsonl
from benchmarks.proposals import proposed_retrieval, retrieval_fixes_in_rag

PER_SOURCE = 10
WARMUP = 8
ADD_TRIALS = 5
ADD_CHUNKS = 4  # an average corpus document makes about four chunks

# latency kinds whose growth from the smallest to the largest index is reported
GROWTH_KINDS = ("dense", "dense_search_only", "bm25", "bm25_proposed", "hybrid", "hybrid_proposed")


def _chunks(texts: list[str], prefix: str, start: int = 0) -> list[tuple[Any, list[Any]]]:
    """(SourceRecord, chunks) groups of PER_SOURCE chunks each, offsets as in a real file."""
    from rag.chunking import chunk_id
    from rag.store.catalog import SourceRecord
    from rag.types import Chunk

    groups = []
    for g in range(0, len(texts), PER_SOURCE):
        source = f"/bench/{prefix}/src-{(start + g) // PER_SOURCE:06d}.txt"
        title = f"src-{(start + g) // PER_SOURCE:06d}"
        chunks, pos = [], 0
        for ordinal, text in enumerate(texts[g : g + PER_SOURCE]):
            chunks.append(
                Chunk(
                    id=chunk_id(source, pos, text),
                    source=source,
                    title=title,
                    ordinal=ordinal,
                    start=pos,
                    end=pos + len(text),
                    text=text,
                    tokens=max(1, len(text) // 4),
                )
            )
            pos += len(text) + 2
        record = SourceRecord(
            source=source,
            sha256="0" * 64,
            title=title,
            format="txt",
            chunker="synthetic",
            chunks=len(chunks),
            tokens=sum(c.tokens for c in chunks),
            ingested_at=time.time(),
        )
        groups.append((record, chunks))
    return groups


def build_index(level: int, home: Path, embedder: Any, seed: str) -> tuple[Any, dict[str, Any]]:
    """An Index of `level` chunks: FTS5 via Catalog, vectors via Chroma upsert."""
    from rag.store.index import Index

    index = Index(home / "index", embedder, collection="bench")
    index.check_model()
    texts = list(chunk_texts(level, seed=f"{seed}:chunks"))
    groups = _chunks(texts, "synthetic")
    t = time.perf_counter()
    for record, chunks in groups:
        index.catalog.replace_source(record, chunks)
    fts_s = time.perf_counter() - t

    collection = index.vectors._collection
    batch = int(index.vectors._client.get_max_batch_size())
    rng = np.random.default_rng(level)
    flat = [c for _, chunks in groups for c in chunks]
    t = time.perf_counter()
    for b in range(0, len(flat), batch):
        part = flat[b : b + batch]
        vecs = rng.standard_normal((len(part), embedder.dimensions)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        collection.upsert(
            ids=[c.id for c in part],
            embeddings=vecs,
            documents=[c.text for c in part],
            metadatas=[c.metadata() for c in part],
        )
    vec_s = time.perf_counter() - t
    assert index.vectors.count() == level and index.catalog.count_chunks() == level
    return index, {
        "chunks": level,
        "text_mb": round(sum(len(t) for t in texts) / 1e6, 2),
        "fts5_build_seconds": round(fts_s, 3),
        "chroma_upsert_seconds": round(vec_s, 3),
        "texts": texts,
    }


def query_set(n: int, seed: str) -> list[str]:
    """Two thirds in the corpus' vocabulary, one third SQuAD dev questions."""
    own = questions(n - n // 3, seed=f"{seed}:questions")
    squad = [q["question"] for q in read_jsonl(SQUAD_DIR / "questions-dev.jsonl")][: n // 3]
    mixed = own + squad
    rng = np.random.default_rng(7)
    return [mixed[i] for i in rng.permutation(len(mixed))]


def measure(index: Any, embedder: Any, qs: list[str], k: int, fetch_k: int) -> dict[str, Any]:
    """p50/p95 of dense (query embedding + search), BM25 and hybrid, interleaved."""
    from rag.retrieve import hybrid_search

    samples: dict[str, list[float]] = {
        "dense": [],
        "dense_search_only": [],
        "query_embedding": [],
        "bm25": [],
        "bm25_proposed": [],
        "hybrid": [],
        "hybrid_proposed": [],
        "chroma_count": [],
    }
    mismatches = bm25_mismatches = 0

    def dense(q: str) -> None:
        t0 = time.perf_counter()
        vec = embedder.embed_query(q)
        t1 = time.perf_counter()
        index.dense(vec, fetch_k)
        t2 = time.perf_counter()
        samples["query_embedding"].append(t1 - t0)
        samples["dense_search_only"].append(t2 - t1)
        samples["dense"].append(t2 - t0)

    def bm25(q: str) -> None:
        nonlocal bm25_mismatches
        t0 = time.perf_counter()
        now = index.bm25(q, fetch_k)
        t1 = time.perf_counter()
        with proposed_retrieval(k):
            new = index.bm25(q, fetch_k)
        t2 = time.perf_counter()
        samples["bm25"].append(t1 - t0)
        samples["bm25_proposed"].append(t2 - t1)
        bm25_mismatches += [i for i, _ in now] != [i for i, _ in new]

    def hybrid(q: str) -> None:
        nonlocal mismatches
        t0 = time.perf_counter()
        now = hybrid_search(index, embedder, q, k=k, fetch_k=fetch_k)
        t1 = time.perf_counter()
        with proposed_retrieval(k):
            new = hybrid_search(index, embedder, q, k=k, fetch_k=fetch_k)
        t2 = time.perf_counter()
        index.vectors.count()
        t3 = time.perf_counter()
        samples["hybrid"].append(t1 - t0)
        samples["hybrid_proposed"].append(t2 - t1)
        samples["chroma_count"].append(t3 - t2)
        mismatches += [h.chunk.id for h in now] != [h.chunk.id for h in new]

    kinds = [dense, bm25, hybrid]
    for q in qs[:WARMUP]:
        for fn in kinds:
            fn(q)
    for key in samples:
        samples[key].clear()
    for i, q in enumerate(qs):
        for fn in kinds[i % 3 :] + kinds[: i % 3]:
            fn(q)
    out: dict[str, Any] = {key: latency_stats(v) for key, v in samples.items()}
    out["hybrid_proposed"]["different_results"] = mismatches
    out["bm25_proposed"]["different_results"] = bm25_mismatches
    return out


def _fts5_add(index: Any, texts: list[str]) -> float:
    """Median seconds to add one ADD_CHUNKS-chunk document to the FTS5 catalogue."""
    times = []
    for trial in range(ADD_TRIALS):
        part = texts[trial * ADD_CHUNKS : (trial + 1) * ADD_CHUNKS]
        ((record, chunks),) = _chunks(part, f"added-{trial}")
        t = time.perf_counter()
        index.catalog.replace_source(record, chunks)
        times.append(time.perf_counter() - t)
    return median(times)


def bm25s_compare(
    texts: list[str], qs: list[str], fetch_k: int, rebuilds: int, fts: dict[str, Any]
) -> dict[str, Any]:
    """bm25s at the same size: build, query latency, and the rebuild one added document needs."""
    import bm25s

    def build(corpus: list[str]) -> Any:
        tokens = bm25s.tokenize(corpus, stopwords="en", show_progress=False)
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        return retriever

    t = time.perf_counter()
    retriever = build(texts)
    build_s = time.perf_counter() - t

    def query(q: str) -> None:
        toks = bm25s.tokenize([q], stopwords="en", show_progress=False, return_ids=False)
        if toks and toks[0]:
            retriever.retrieve(toks, k=min(fetch_k, len(texts)), show_progress=False, n_threads=1)

    for q in qs[:WARMUP]:
        query(q)
    lat = []
    for q in qs:
        t = time.perf_counter()
        query(q)
        lat.append(time.perf_counter() - t)
    extra = list(chunk_texts(ADD_CHUNKS, seed="bm25s-added"))
    rebuild = []
    for _ in range(rebuilds):
        t = time.perf_counter()
        build(texts + extra)
        rebuild.append(time.perf_counter() - t)
    bm = latency_stats(lat)
    return {
        "chunks": len(texts),
        "fts5": {
            "build_seconds": fts["fts5_build_seconds"],
            "query": fts["bm25"],
            "add_document_seconds": round(fts["add_seconds"], 5),
        },
        "bm25s": {
            "build_seconds": round(build_s, 3),
            "query": bm,
            "add_document_seconds": round(median(rebuild), 3),
            "add_document_note": "bm25s has no incremental add: the whole index is rebuilt",
        },
        "query_p50_fts5_over_bm25s": ratio(fts["bm25"]["p50_ms"], bm["p50_ms"]),
        "add_document_bm25s_over_fts5": ratio(median(rebuild), fts["add_seconds"]),
    }


def _level(
    cfg: Config, work: Path, embedder: Any, qs: list[str], level: int, k: int, fetch_k: int
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Build one index size, time its queries, and compare BM25 engines if asked."""
    index, info = build_index(level, work / f"retrieval-{level}", embedder, cfg.seed)
    try:
        texts = info.pop("texts")
        info["load_average"] = loadavg()
        info["latency"] = measure(index, embedder, qs, k, fetch_k)
        engine = None
        if level in cfg.bm25s_levels:
            fts = {
                "fts5_build_seconds": info["fts5_build_seconds"],
                "bm25": info["latency"]["bm25"],
                "add_seconds": _fts5_add(index, texts),
            }
            engine = bm25s_compare(texts, qs, fetch_k, cfg.bm25s_rebuilds, fts)
    finally:
        index.close()
    return info, engine


def run(cfg: Config, work: Path) -> dict[str, Any]:
    from rag.embeddings.local import MiniLMEmbedder
    from rag.settings import Settings

    defaults = Settings(home=work / "unused")
    k, fetch_k = defaults.top_k, defaults.fetch_k
    embedder = MiniLMEmbedder(threads=defaults.embed_threads, batch_size=defaults.embed_batch)
    embedder.embed_query("warm-up")
    qs = query_set(cfg.queries, cfg.seed)
    levels: dict[str, Any] = {}
    engines: list[dict[str, Any]] = []
    failures: dict[str, str] = {}
    for level in cfg.levels:
        try:
            info, engine = _level(cfg, work, embedder, qs, level, k, fetch_k)
        except Exception as exc:  # the other levels still count
            failures[str(level)] = f"{type(exc).__name__}: {exc}"
            continue
        levels[str(level)] = info
        if engine:
            engines.append(engine)
    if not levels:
        raise RuntimeError(f"every level failed: {failures}")
    lo, hi = min(levels, key=int), max(levels, key=int)
    growth = {
        kind: {
            stat: ratio(levels[hi]["latency"][kind][key], levels[lo]["latency"][kind][key])
            for stat, key in (("p50", "p50_ms"), ("p95", "p95_ms"))
        }
        for kind in GROWTH_KINDS
    }
    return {
        "method": (
            "indexes built through rag.store (Catalog.replace_source + Chroma upsert of random "
            "unit vectors); texts are generated prose; per query: dense = embed_query + "
            "Index.dense, bm25 = Index.bm25, hybrid = rag.retrieve.hybrid_search "
            f"(k={k}, fetch_k={fetch_k})"
        ),
        "queries": len(qs),
        "k": k,
        "fetch_k": fetch_k,
        "levels": levels,
        "growth": {"from": int(lo), "to": int(hi), **growth},
        "bm25_engines": engines,
        "failed_levels": failures,
        "fixes_already_in_rag": retrieval_fixes_in_rag(),
    }
