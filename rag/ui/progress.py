"""Adapters from the service's progress callbacks to a Gradio progress bar.

`Rag.ingest` reports per file and per embedded chunk (rag.ingest.IngestProgress);
the browser shows one bar with a line of text, so these keep the counts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

ProgressFn = Callable[..., object]  # gr.Progress: progress(fraction, desc=...)


class IngestProgressBar:
    """rag.ingest.IngestProgress drawn on a gr.Progress."""

    def __init__(self, progress: ProgressFn) -> None:
        self._progress = progress
        self.total = 0
        self.done = 0
        self.chunks = 0

    def _draw(self, note: str = "") -> None:
        desc = f"{self.done}/{self.total} files · {self.chunks} chunks embedded"
        fraction = self.done / self.total if self.total else 0.0
        self._progress(fraction, desc=f"{desc} · {note}" if note else desc)

    def waiting(self) -> None:
        self._progress(0.0, desc="waiting for another rag process to finish writing…")

    def start(self, files: int) -> None:
        self.total = files
        self._draw()

    def file_done(self, path: str, status: str, detail: str = "") -> None:
        self.done += 1
        self._draw(f"{PurePath(path).name}: {status}")

    def chunks_embedded(self, n: int) -> None:
        self.chunks += n
        self._draw()
