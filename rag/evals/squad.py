"""SQuAD 2.0 adapter: paragraphs become files, go through the normal ingest, then questions.

Data: /work/shared/data/squad2 (contexts.jsonl, questions-dev.jsonl). SQuAD 2.0 is
CC BY-SA 4.0 (Rajpurkar, Jia and Liang, 2018); every report we write repeats that.
Only the dev questions are read: the held-out half stays unseen so nothing is tuned to it.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.errors import RagError
from rag.evals import metrics as m

ATTRIBUTION = (
    "SQuAD 2.0 (Rajpurkar, Jia and Liang, 2018), licensed CC BY-SA 4.0; "
    "a 411-paragraph / 250-question sample of the dev set."
)
RETRIEVE_K = 10  # depth for MRR@10; recall@1 and @5 are read off the same list
MARK_START = "<!-- squad2:start -->"
MARK_END = "<!-- squad2:end -->"


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RagError(f"cannot read SQuAD data {path}: {exc}") from None
    rows = []
    for no, line in enumerate(lines, 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise RagError(f"{path}:{no}: bad JSON: {exc}") from None
    return rows


def load_contexts(data_dir: Path) -> list[dict[str, Any]]:
    """[{'id': 'ctx-000', 'text': ...}, ...] in file order."""
    return _read_jsonl(Path(data_dir) / "contexts.jsonl")


def load_questions(data_dir: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Dev questions in file order (already shuffled by id hash), the first `limit` of them."""
    rows = _read_jsonl(Path(data_dir) / "questions-dev.jsonl")
    return rows if limit is None else rows[: max(limit, 0)]


def write_contexts(contexts: list[dict[str, Any]], work_dir: Path) -> list[Path]:
    """One `ctx-XXX.txt` per paragraph; unchanged files are left alone so re-ingest skips them."""
    work_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for ctx in contexts:
        cid = str(ctx["id"])
        if not re.fullmatch(r"[\w.-]+", cid):
            raise RagError(f"unexpected context id {cid!r}")
        path = work_dir / f"{cid}.txt"
        text = str(ctx["text"]).strip() + "\n"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def _ask_one(rag: Any, q: dict[str, Any], ask: bool = True) -> dict[str, Any]:
    golds = [a for a in q.get("answers", []) if a]
    row: dict[str, Any] = {
        "id": q["id"],
        "question": q["question"],
        "context_id": q["context_id"],
        "answerable": bool(q.get("answerable", True)),
        "answers": golds,
    }
    try:
        hits = rag.retrieve(q["question"], k=RETRIEVE_K)
        ranked = m.dedupe(h.chunk.source for h in hits)
        row["rank"] = m.first_rank([q["context_id"]], ranked)
    except Exception as exc:  # recorded, not fatal
        row["rank"] = None
        row["error"] = f"retrieve: {type(exc).__name__}: {exc}"
    if not ask:
        return row
    t0 = time.perf_counter()
    try:
        result = rag.ask(q["question"])
    except Exception as exc:
        row.update(answer="", refused=False, latency=None, error=f"{type(exc).__name__}: {exc}")
        return row
    wall = time.perf_counter() - t0
    answer = m.strip_citations(result.answer or "")
    row["answer"] = answer
    row["refused"] = m.is_refusal(result)
    row["latency"] = (result.timings or {}).get("total", wall)
    if row["answerable"]:
        scored = "" if row["refused"] else answer
        row["em"] = m.exact_match(scored, golds)
        row["f1"] = m.token_f1(scored, golds)
        row["contains"] = m.contains_answer(scored, golds)
    return row


def score_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate per-question rows (pure, so it is tested without a model)."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    ranks = [r.get("rank") for r in rows]
    latencies = [r["latency"] for r in rows if r.get("latency") is not None]
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "recall_at_1": m.mean(rk is not None and rk <= 1 for rk in ranks),
        "recall_at_5": m.mean(rk is not None and rk <= 5 for rk in ranks),
        "mrr": m.mean(1.0 / rk if rk else 0.0 for rk in ranks),
        "em": m.mean(r.get("em", 0.0) for r in answerable),
        "f1": m.mean(r.get("f1", 0.0) for r in answerable),
        "contains": m.mean(r.get("contains", 0.0) for r in answerable),
        "abstention_accuracy": m.mean(r.get("refused", False) for r in unanswerable),
        "false_refusal_rate": m.mean(r.get("refused", False) for r in answerable),
        "latency_p50": m.percentile(latencies, 50),
        "latency_p95": m.percentile(latencies, 95),
        "errors": sum(1 for r in rows if r.get("error")),
    }


def run_squad(
    rag: Any,
    data_dir: Path,
    work_dir: Path,
    limit: int | None,
    *,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    ask: bool = True,
    checkpoint: Path | None = None,
    fingerprint: str = "",
) -> dict[str, Any]:
    """Ingest all paragraphs, ask the first `limit` dev questions, and score them.

    With ask=False only retrieval is measured (no LLM): minutes instead of hours.

    Retrieval (recall@1/@5, MRR@10) is over all questions: every SQuAD question,
    unanswerable ones included, was written against one gold paragraph, found by
    `context_id` in the source path. EM/F1/contains are over answerable questions
    with citation markers stripped (a refusal scores 0); abstention accuracy is the
    share of unanswerable questions refused. Use a Rag whose index holds nothing else.

    A full answer run takes over an hour, so each row is appended to `checkpoint`
    as it is scored; a rerun with the same `fingerprint` (model, settings) reuses
    those rows instead of asking again, and a different fingerprint starts over.
    """
    data_dir, work_dir = Path(data_dir), Path(work_dir)
    contexts = load_contexts(data_dir)
    questions = load_questions(data_dir, limit)
    write_contexts(contexts, work_dir)
    t0 = time.perf_counter()
    ingest_report = rag.ingest([work_dir], include=["ctx-*.txt"])
    ingest_seconds = time.perf_counter() - t0

    done = _read_checkpoint(checkpoint, fingerprint, ask) if checkpoint else {}
    rows = []
    for i, q in enumerate(questions, 1):
        row = done.get(str(q["id"]))
        if row is None:
            row = _ask_one(rag, q, ask)
            if checkpoint is not None and not row.get("error"):
                _append_checkpoint(checkpoint, fingerprint, ask, row)
        rows.append(row)
        if progress is not None:
            progress(i, len(questions), row)
    result = score_rows(rows)
    result.update(
        dataset=str(data_dir),
        attribution=ATTRIBUTION,
        contexts=len(contexts),
        limit=limit,
        answers_asked=ask,
        retrieve_k=RETRIEVE_K,
        ingest_seconds=ingest_seconds,
        ingest=_jsonable(ingest_report),
        rows=rows,
    )
    return result


def settings_line(st: Any) -> str:
    """The settings that decide the figures, as RESULTS.md records them."""
    return (
        f"model {st.llm_base_url or st.llm_model_path or st.llm_model}, "
        f"embeddings {st.embed_model}, chunks {st.chunk_tokens}/{st.chunk_overlap} tokens, "
        f"top_k {st.top_k}, min_relevance {st.min_relevance}"
    )


def run_fingerprint(st: Any) -> str:
    """What checkpointed rows must share to be reused: those settings and the prompt files."""
    prompts = hashlib.sha256()
    for f in sorted(Path(st.prompts_dir).glob("*")):
        prompts.update(f.name.encode() + f.read_bytes())
    return f"{settings_line(st)}; prompts {prompts.hexdigest()[:12]}"


def _read_checkpoint(path: Path, fingerprint: str, ask: bool) -> dict[str, dict[str, Any]]:
    """Rows of an earlier run with the same fingerprint; a mismatched file is discarded."""
    if not path.is_file():
        return {}
    rows: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a kill
        if entry.get("fingerprint") != fingerprint or entry.get("ask") != ask:
            path.unlink()
            return {}
        rows[str(entry["row"]["id"])] = entry["row"]
    return rows


def _append_checkpoint(path: Path, fingerprint: str, ask: bool, row: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"fingerprint": fingerprint, "ask": ask, "row": row}) + "\n")


def _jsonable(report: Any) -> Any:
    if report is None or isinstance(report, str | int | float | bool | dict | list):
        return report
    if callable(getattr(report, "to_json", None)):
        return report.to_json()
    return repr(report)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _sec(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


ANSWER_NOTE = (
    "Exact match compares the whole answer with a gold span after SQuAD normalisation. "
    "rag answers in cited sentences, not extracted spans, so exact match stays near 0 and "
    "F1 is diluted by the sentence's other words; `gold answer contained` (a gold span "
    "appears in the normalised answer) is the closer measure of a right answer. SQuAD 2.0's "
    "unanswerable questions were written against the very paragraph retrieved, so the "
    "relevance gate passes them and abstention rests on the model."
)


def squad_markdown(result: dict[str, Any], *, title: str = "SQuAD 2.0 (dev sample)") -> str:
    """A RESULTS.md section; always carries the CC BY-SA 4.0 attribution."""
    r = result
    limit = "all" if r.get("limit") is None else r["limit"]
    lines = [
        f"## {title}",
        "",
        f"{r['questions']} questions (limit {limit}: {r['answerable']} answerable, "
        f"{r['unanswerable']} unanswerable) over {r.get('contexts', '?')} paragraphs "
        "ingested as `ctx-XXX.txt` files.",
        "",
    ]
    if r.get("run"):
        lines += [f"Run: {r['run']}", ""]
    lines += [
        "| metric | value | over |",
        "|---|---:|---|",
        f"| retrieval recall@1 | {_pct(r['recall_at_1'])} | all questions (gold paragraph) |",
        f"| retrieval recall@5 | {_pct(r['recall_at_5'])} | all questions |",
        f"| retrieval MRR@{r.get('retrieve_k', RETRIEVE_K)} | {_num(r['mrr'])} | all questions |",
    ]
    if r.get("answers_asked", True):
        lines += [
            f"| answer exact match | {_pct(r['em'])} | answerable (SQuAD normalisation) |",
            f"| answer token F1 | {_pct(r['f1'])} | answerable |",
            f"| gold answer contained | {_pct(r['contains'])} | answerable (answers: sentences) |",
            f"| abstention accuracy | {_pct(r['abstention_accuracy'])} | unanswerable (refused) |",
            f"| false refusals | {_pct(r['false_refusal_rate'])} | answerable |",
            f"| latency p50 / p95 | {_sec(r['latency_p50'])} / {_sec(r['latency_p95'])} "
            "| per question (ask) |",
        ]
    else:
        lines += ["", "Retrieval only (`--retrieval-only`): no question was sent to the LLM."]
    if r.get("errors"):
        lines.append(f"| errors | {r['errors']} | questions that raised |")
    if r.get("answers_asked", True):
        lines += ["", ANSWER_NOTE]
    lines += ["", f"Data: {ATTRIBUTION}", ""]
    return "\n".join(lines)


def update_results_md(path: Path, fragment: str, key: str = "") -> None:
    """Put `fragment` between the squad2 markers in RESULTS.md, replacing an earlier run.

    `key` names the section, so a retrieval-only run and an answer run live side by side.
    """
    start = MARK_START.replace("squad2", f"squad2{key}")
    end = MARK_END.replace("squad2", f"squad2{key}")
    block = f"{start}\n{fragment.rstrip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Eval results\n\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
