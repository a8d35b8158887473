"""Cited, cached, resumable summaries of indexed documents, and a digest across them.

`summarize_one` summarises one document (one LLM call when it fits the model's
window, map-reduce when not), checks every sentence's citations against the
chunks, and caches the result by content, settings and prompt; `summarize_batch`
writes Markdown files and summaries.jsonl for many; `digest` summarises the
collection from the per-document summaries.
"""

from __future__ import annotations

from rag.summarize.batch import summarize_batch
from rag.summarize.collection import digest
from rag.summarize.document import summarize_one
from rag.summarize.plan import DEFAULT_WORDS, STYLES
from rag.summarize.progress import SummaryBar, SummaryProgress
from rag.summarize.result import BatchReport, SummaryResult

__all__ = [
    "DEFAULT_WORDS",
    "STYLES",
    "BatchReport",
    "SummaryBar",
    "SummaryProgress",
    "SummaryResult",
    "digest",
    "summarize_batch",
    "summarize_one",
]
