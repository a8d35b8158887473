"""Terminal rendering shared by CLI commands: progress bars and answers with their sources."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from rag.types import AnswerResult


class IngestBar:
    """A rich progress bar over files, with chunks embedded; silent when not a terminal."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files · {task.fields[chunks]} chunks embedded"),
            TimeRemainingColumn(),
            transient=True,
            disable=not sys.stderr.isatty(),
            console=None,
        )
        self._task = None
        self._chunks = 0

    def __enter__(self) -> IngestBar:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.__exit__(*exc)

    def start(self, files: int) -> None:
        self._task = self._progress.add_task("ingest", total=files, chunks=self._chunks)

    def file_done(self, path: str, status: str, detail: str = "") -> None:
        if self._task is not None:
            self._progress.advance(self._task)

    def chunks_embedded(self, n: int) -> None:
        self._chunks += n
        if self._task is not None:
            self._progress.update(self._task, chunks=self._chunks)


def stream_answer(items: Iterator[str | AnswerResult], echo: bool = True) -> AnswerResult:
    """Show the model's words as they come (dimmed: not yet checked), then erase them.

    The checked answer, with repaired and renumbered citations, replaces the draft.
    """
    import shutil

    result = None
    draft: list[str] = []
    live = echo and sys.stdout.isatty()
    for item in items:
        if isinstance(item, AnswerResult):
            result = item
        elif live:
            sys.stdout.write(f"\x1b[2m{item}\x1b[0m")
            sys.stdout.flush()
            draft.append(item)
    if draft:
        cols = max(20, shutil.get_terminal_size().columns)
        rows = sum(max(1, -(-len(line) // cols)) for line in "".join(draft).split("\n"))
        up = f"\x1b[{rows - 1}A" if rows > 1 else ""
        sys.stdout.write(f"{up}\r\x1b[J")
    assert result is not None
    return result


def print_answer(result: AnswerResult) -> None:
    """The checked answer, then only the passages it cites."""
    print(result.answer)
    if result.refused:
        return
    if result.unsupported_sentences:
        print(f"\nUnsupported by the documents ({len(result.unsupported_sentences)}):")
        for s in result.unsupported_sentences:
            print(f"  ! {s}")
    if result.citations:
        print(f"\nSources (supported sentences: {result.supported_share:.0%}):")
        for c in result.citations:
            page = f", page {c.page}" if c.page is not None else ""
            snippet = " ".join(c.text.split())
            if len(snippet) > 240:
                snippet = snippet[:237] + "..."
            print(f"[{c.n}] {c.title} ({c.source}{page}, chars {c.start}-{c.end})")
            print(f"    {snippet}")
