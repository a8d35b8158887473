"""Summaries of many documents: resumable, one failure never stops the rest.

Each finished document is cached and written at once, so a batch killed at
any point resumes where it stopped; a document that fails is reported with
its reason. Documents run in parallel only against a remote server: the
embedded llama.cpp server has one slot, so parallel requests would only queue.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import RagError
from rag.summarize.document import summarize_one
from rag.summarize.output import SummaryIndex, write_summary
from rag.summarize.plan import make_budget
from rag.summarize.progress import CACHED, DONE, FAILED, SummaryProgress
from rag.summarize.result import BatchReport, SummaryResult

if TYPE_CHECKING:
    from rag.service import Rag

log = logging.getLogger(__name__)


def reason(exc: BaseException) -> str:
    """One line saying why a document failed; our errors already name their cause."""
    if isinstance(exc, RagError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def workers(rag: Rag, concurrency: int) -> int:
    """`concurrency` for a remote server, 1 for the embedded one."""
    return max(1, concurrency) if rag.settings.llm_base_url else 1


def summarize_batch(
    rag: Rag,
    sources: list[str] | None,
    *,
    out_dir: Path,
    style: str = "brief",
    max_words: int | None = None,
    concurrency: int = 1,
    progress: SummaryProgress | None = None,
) -> BatchReport:
    """Summarise `sources` (stored keys; None = every indexed source) into `out_dir`.

    Writes `<name>-<hash>.md` per document and keeps `summaries.jsonl` at one line
    per document (earlier runs' lines for other documents are kept).
    """
    t0 = time.perf_counter()
    make_budget(rag.settings, style, max_words)  # a bad style fails once, not per document
    keys = list(
        dict.fromkeys(sources if sources is not None else [r.source for r in rag.sources()])
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    index = SummaryIndex(out_dir)
    report = BatchReport(out_dir=out_dir, jsonl=index.path)
    if progress is not None:
        progress.start(len(keys))

    def finish(source: str, result: SummaryResult | None, error: BaseException | None) -> None:
        if result is not None:
            path = write_summary(out_dir, result)
            index.put(result, path)
            report.done.append(result)
            report.files[source] = path
            if progress is not None:
                progress.doc_done(source, CACHED if result.cached else DONE, result.tokens)
            return
        assert error is not None
        why = reason(error)
        log.warning(
            "summary of %s failed: %s", source, why, exc_info=not isinstance(error, RagError)
        )
        report.failed.append((source, why))
        if progress is not None:
            progress.doc_done(source, FAILED, 0)

    def one(source: str) -> SummaryResult:
        return summarize_one(rag, source, style=style, max_words=max_words)

    n = workers(rag, concurrency)
    if n == 1:
        for source in keys:  # in this thread, so Ctrl-C stops at once
            try:
                result = one(source)
            except Exception as exc:
                finish(source, None, exc)
            else:
                finish(source, result, None)
    else:
        pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="summarize")
        try:
            futures: dict[Future[SummaryResult], str] = {pool.submit(one, s): s for s in keys}
            for future in as_completed(futures):
                exc = future.exception()
                finish(futures[future], None if exc else future.result(), exc)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C: no new documents
    report.seconds = time.perf_counter() - t0
    return report
