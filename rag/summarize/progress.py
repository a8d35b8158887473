"""Batch progress: the protocol the batch reports to, and a rich bar for the CLI."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

DONE, CACHED, FAILED = "done", "cached", "failed"


class SummaryProgress(Protocol):
    """Called from the batch's own thread, never from workers."""

    def start(self, total_docs: int) -> None: ...

    def doc_done(self, source: str, status: str, tokens: int) -> None:
        """`status` is "done", "cached" or "failed"; `tokens` were sent and received for it."""


class SummaryBar:
    """Documents done/total, tokens, elapsed and time left, as one rich progress bar.

    Use as a context manager (or call close()); `start` shows the bar.
    """

    def __init__(self, console: Console | None = None, *, transient: bool = False) -> None:
        self._progress = Progress(
            TextColumn("[bold]summaries[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("docs · {task.fields[tokens]:,} tokens · {task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[last]}", style="dim"),
            console=console,
            transient=transient,
        )
        self._task: TaskID | None = None
        self._running = False
        self.tokens = 0
        self.failed = 0

    def start(self, total_docs: int) -> None:
        if not self._running:
            self._progress.start()
            self._running = True
        self._task = self._progress.add_task(
            "summaries", total=total_docs, tokens=0, failed=0, last=""
        )

    def doc_done(self, source: str, status: str, tokens: int) -> None:
        if self._task is None:
            return
        self.tokens += tokens
        self.failed += status == FAILED
        self._progress.update(
            self._task,
            advance=1,
            tokens=self.tokens,
            failed=self.failed,
            last=f"{Path(source).name} ({status})",
        )

    def close(self) -> None:
        if self._running:
            self._progress.stop()
            self._running = False

    def __enter__(self) -> SummaryBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
