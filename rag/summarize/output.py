"""What a batch leaves on disk: one Markdown file per document, digest.md, summaries.jsonl."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

from rag.summarize.cache import write_atomic
from rag.summarize.result import SummaryResult
from rag.types import Citation

log = logging.getLogger(__name__)

JSONL = "summaries.jsonl"
DIGEST = "digest.md"
SNIPPET_CHARS = 160
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(source: str) -> str:
    """A portable file name for `source`'s summary, stable across runs and unique per source.

    The readable part comes from the file name; a hash of the whole path keeps two
    `report.pdf` in different folders apart (and off `digest.md`).
    """
    base = _UNSAFE.sub("-", Path(source).name).strip("-.")[:80] or "document"
    tag = hashlib.sha256(source.encode("utf-8")).hexdigest()[:8]
    return f"{base}-{tag}.md"


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _where(c: Citation) -> str:
    span = f"chars {c.start}–{c.end}"
    return f"p. {c.page}, {span}" if c.page is not None else span


def render_markdown(result: SummaryResult, *, digest: bool = False) -> str:
    """Title, a one-line provenance note, the summary, and the cited passages."""
    s = result.settings
    share = f"{result.supported_share:.0%} of sentences supported"
    n = result.plan.get("documents", len(result.citations))
    what = f"{n} document{'s' if n != 1 else ''}" if digest else f"`{result.source}`"
    lines = [
        f"# {result.title}",
        "",
        f"*Summary of {what} · {s.get('style')} · {result.words} words · "
        f"model {result.model} · {share}*",
        "",
        result.text,
        "",
        "## Sources",
        "",
    ]
    if not result.citations:
        lines.append("No passage is cited.")
    for c in result.citations:
        if digest:
            lines.append(f"{c.n}. **{c.title}** — `{c.source}`")
        else:
            lines.append(f"{c.n}. {_where(c)}: “{snippet(c.text)}”")
    return "\n".join(lines) + "\n"


def write_summary(out_dir: Path, result: SummaryResult) -> Path:
    path = out_dir / safe_name(result.source)
    write_atomic(path, render_markdown(result))
    return path


def write_digest(out_dir: Path, result: SummaryResult) -> Path:
    path = out_dir / DIGEST
    write_atomic(path, render_markdown(result, digest=True))
    return path


def jsonl_entry(result: SummaryResult, file: str) -> dict[str, Any]:
    return {
        "source": result.source,
        "title": result.title,
        "source_sha256": result.source_sha256,
        "model": result.model,
        "prompt_hash": result.prompt_hash,
        "settings": result.settings,
        "words": result.words,
        "citations": len(result.citations),
        "unsupported": len(result.unsupported_sentences),
        "supported_share": round(result.supported_share, 4),
        "cached": result.cached,
        "timings": {k: round(v, 4) for k, v in result.timings.items()},
        "file": file,
    }


class SummaryIndex:
    """summaries.jsonl as a source -> entry map: earlier runs' lines are kept, ours replace theirs.

    Rewritten whole (atomically) after each document, so a killed batch leaves a
    file that lists exactly the summaries written so far.
    """

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / JSONL
        self.entries: dict[str, dict[str, Any]] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            try:
                entry = json.loads(line)
                self.entries[str(entry["source"])] = entry
            except (ValueError, KeyError, TypeError):
                log.warning("skipping a malformed line in %s", self.path)

    def put(self, result: SummaryResult, file: Path) -> None:
        self.entries[result.source] = jsonl_entry(result, file.name)
        body = "".join(
            json.dumps(self.entries[k], ensure_ascii=False) + "\n" for k in sorted(self.entries)
        )
        write_atomic(self.path, body)
