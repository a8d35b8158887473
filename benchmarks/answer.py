"""Answer latency of the pipeline against a raw request of the same prompt to the same server.

Pipeline: `Rag.ask_stream(question)` (clean, retrieve, budget the prompt, stream,
check citations). Raw: the messages `build_messages` produced for the same
question, sent with the `openai` client straight to the embedded llama.cpp
server's URL, streamed, with the same max_tokens and temperature. One warm-up
of each (llama.cpp then reuses the cached prompt prefix for both), then
`answer_runs` rounds alternating pipeline/raw; medians are reported.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.common import SEED_DOC, SEED_QUESTION, loadavg, make_settings, median, ratio
from benchmarks.config import Config


def _pipeline(rag: Any, question: str) -> dict[str, Any]:
    from rag.types import AnswerResult

    t0 = time.perf_counter()
    first = None
    text: list[str] = []
    result = None
    for item in rag.ask_stream(question):
        if isinstance(item, AnswerResult):
            result = item
        else:
            if first is None:
                first = time.perf_counter() - t0
            text.append(item)
    total = time.perf_counter() - t0
    assert result is not None
    return {
        "first_token": first or total,
        "total": total,
        "chars": len("".join(text)),
        "refused": result.refused,
        "timings": {k: round(v, 4) for k, v in result.timings.items()},
        "answer": result.answer,
    }


def _raw(client: Any, model: str, messages: list[dict[str, str]], settings: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    first = None
    text: list[str] = []
    usage = None
    stream = client.chat.completions.create(
        model=model,
        messages=messages,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        if getattr(chunk, "usage", None):
            usage = chunk.usage
        if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
            if first is None:
                first = time.perf_counter() - t0
            text.append(chunk.choices[0].delta.content)
    total = time.perf_counter() - t0
    return {
        "first_token": first or total,
        "total": total,
        "chars": len("".join(text)),
        "prompt_tokens": getattr(usage, "prompt_tokens", None),
        "completion_tokens": getattr(usage, "completion_tokens", None),
    }


def threads_probe(settings: Any, messages: list[dict[str, str]], runs: int) -> dict[str, Any]:
    """The raw request on two fresh servers, 1 thread vs llm_threads, alternating.

    Shows how much of the answer-time noise is llama.cpp's worker threads contending
    with other processes for the cores (spinning at barriers when one is descheduled).
    """
    import openai

    from rag.llm.modelfile import resolve_model_path
    from rag.llm.server import start_llama_server

    path = resolve_model_path(settings)
    counts = sorted({1, settings.llm_threads})
    last_usage: dict[str, Any] = {}
    servers: dict[int, tuple[Any, Any]] = {}
    try:
        for n in counts:
            server, port = start_llama_server(path, ctx=settings.llm_ctx, threads=n, alias="m")
            client = openai.OpenAI(
                base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-no-key", max_retries=0
            )
            servers[n] = (server, client)
        cold: dict[int, float] = {}
        for n in counts:  # warm-up: load weights, evaluate and cache the whole prompt
            first = _raw(servers[n][1], "m", messages, settings)
            cold[n] = first["first_token"]
            last_usage = first
        totals: dict[int, list[float]] = {n: [] for n in counts}
        for i in range(runs):
            for n in counts if i % 2 == 0 else counts[::-1]:
                totals[n].append(_raw(servers[n][1], "m", messages, settings)["total"])
    finally:
        for _, client in servers.values():
            client.close()
        servers.clear()  # xllamacpp stops a server when its object is released
    return {
        "load_average": loadavg(),
        "prompt_tokens": last_usage.get("prompt_tokens"),
        "threads": counts,
        "total_seconds_median": {str(n): round(median(v), 3) for n, v in totals.items()},
        "cold_prompt_first_token_seconds": {str(n): round(v, 3) for n, v in cold.items()},
        "samples": {str(n): [round(x, 3) for x in v] for n, v in totals.items()},
    }


def run(cfg: Config, work: Path) -> dict[str, Any]:
    import openai

    from rag import tokens
    from rag.answer import build_messages
    from rag.llm.server import shared_server
    from rag.service import Rag

    settings = make_settings(work / "answer-home", **cfg.llm_overrides())
    rag = Rag(settings)
    report = rag.ingest([SEED_DOC])
    assert not report.failed, report.failed
    question = SEED_QUESTION
    hits = rag.retrieve(question)
    messages, kept, left_out = build_messages(rag, rag.clean_question(question), hits)

    t = time.perf_counter()
    base_url = rag.llm.base_url  # starts the embedded server and loads the model
    load_s = time.perf_counter() - t
    client = openai.OpenAI(base_url=base_url, api_key="sk-no-key", max_retries=0, timeout=600)
    model = rag.llm.model

    warm = {"pipeline": _pipeline(rag, question), "raw": _raw(client, model, messages, settings)}
    runs: dict[str, list[dict[str, Any]]] = {"pipeline": [], "raw": []}
    for i in range(cfg.answer_runs):
        order = ("pipeline", "raw") if i % 2 == 0 else ("raw", "pipeline")
        for kind in order:
            if kind == "pipeline":
                runs[kind].append(_pipeline(rag, question))
            else:
                runs[kind].append(_raw(client, model, messages, settings))
    client.close()
    rag.close()
    shared_server(settings).close()
    threads = threads_probe(settings, messages, cfg.answer_runs) if settings.llm_threads > 1 else {}

    def med(kind: str, key: str) -> float:
        return round(median([r[key] for r in runs[kind]]), 4)

    pipe_total, raw_total = med("pipeline", "total"), med("raw", "total")
    # time the pipeline spends outside the LLM stream (clean, retrieve, prompt, checking):
    # immune to the LLM's speed swings, which dominate total-time ratios on a busy machine
    outside = round(
        median([r["total"] - r["timings"].get("generate", 0.0) for r in runs["pipeline"]]), 4
    )
    pipe_first, raw_first = med("pipeline", "first_token"), med("raw", "first_token")
    prompt_tokens_tiktoken = sum(tokens.count(m["content"]) for m in messages)
    stages = {
        key: round(median([r["timings"].get(key, 0.0) for r in runs["pipeline"]]), 4)
        for key in ("retrieve", "first_token", "generate", "total")
    }
    return {
        "model": cfg.answer_model,
        "llm_threads": settings.llm_threads,
        "question": question,
        "document": SEED_DOC.name,
        "runs": cfg.answer_runs,
        "load_average": loadavg(),
        "server_start_seconds": round(load_s, 3),
        "passages_sent": len(kept),
        "passages_left_out": left_out,
        "prompt_tokens_tiktoken": prompt_tokens_tiktoken,
        "prompt_tokens_server": runs["raw"][-1]["prompt_tokens"] if runs["raw"] else None,
        "completion_tokens_server": runs["raw"][-1]["completion_tokens"] if runs["raw"] else None,
        "pipeline": {
            "first_token_seconds": pipe_first,
            "total_seconds": pipe_total,
            "stage_medians": stages,
            "answer_chars": runs["pipeline"][-1]["chars"] if runs["pipeline"] else 0,
            "refused": any(r["refused"] for r in runs["pipeline"]),
            "answer": runs["pipeline"][-1]["answer"] if runs["pipeline"] else "",
        },
        "raw": {
            "first_token_seconds": raw_first,
            "total_seconds": raw_total,
            "answer_chars": runs["raw"][-1]["chars"] if runs["raw"] else 0,
        },
        "warmup": {
            "pipeline_first_token_seconds": round(warm["pipeline"]["first_token"], 3),
            "pipeline_total_seconds": round(warm["pipeline"]["total"], 3),
            "raw_total_seconds": round(warm["raw"]["total"], 3),
        },
        "samples": {
            kind: [
                {"first_token": round(r["first_token"], 4), "total": round(r["total"], 4)}
                for r in rs
            ]
            for kind, rs in runs.items()
        },
        "overhead_ratio_total": ratio(pipe_total, raw_total),
        "overhead_ratio_min": ratio(
            min(r["total"] for r in runs["pipeline"]), min(r["total"] for r in runs["raw"])
        ),
        "pipeline_outside_llm_seconds": outside,
        "overhead_ratio_decomposed": ratio(raw_total + outside, raw_total),
        "overhead_ratio_first_token": ratio(pipe_first, raw_first),
        "overhead_seconds_total": round(pipe_total - raw_total, 4),
        "llm_threads_probe": threads,
    }
