"""The Library tab: add files (stored under `<home>/uploads`, then ingested), list, forget."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.errors import RagError
from rag.ui.progress import IngestProgressBar
from rag.ui.render import message, sources_table
from rag.ui.uploads import allowed_suffixes, save_uploads

if TYPE_CHECKING:
    from rag.service import Rag

INDEX_QUEUE = "index"  # writes to the index go one at a time


def source_choices(rows: list[Any]) -> list[tuple[str, str]]:
    """(label, source) pairs: the file name, or the whole path when names repeat."""
    names = [PurePath(r.source).name for r in rows]
    return [
        (name if names.count(name) == 1 else r.source, r.source)
        for name, r in zip(names, rows, strict=True)
    ]


class LibraryHandlers:
    """Handlers of the Library tab; each returns the status, the table and fresh choices."""

    def __init__(self, rag: Rag) -> None:
        self.rag = rag
        self.uploads_dir = Path(rag.settings.home) / "uploads"
        self.max_bytes = int(rag.settings.ui_max_upload_mb * 2**20)
        self.allowed = allowed_suffixes()

    def listing(self) -> tuple[str, Any, Any]:
        """The sources table and the choices for every source picker."""
        try:
            rows = list(self.rag.sources())
        except RagError as exc:
            return message(str(exc), "error"), gr.update(), gr.update()
        choices = source_choices(rows)
        return sources_table(rows), gr.update(choices=choices), gr.update(choices=choices)

    def add(self, files: list[str] | None, progress=gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        """Store the uploads, ingest them, and report failures by file name."""
        if not files:
            return (message("Choose one or more files first.", "error"), *self.listing(), None)
        saved = save_uploads([Path(f) for f in files], self.uploads_dir, max_bytes=self.max_bytes)
        failures = [f"{name}: {reason}" for name, reason in saved.refused]
        summary = "Nothing stored."
        if saved.stored:
            bar = IngestProgressBar(progress)
            try:
                report = self.rag.ingest(saved.stored, progress=bar, on_wait=bar.waiting)
            except RagError as exc:
                return (message(str(exc), "error", failures), *self.listing(), None)
            for outcome in report.failed:
                failures.append(f"{PurePath(outcome.path).name}: {outcome.reason}")
                self._drop_upload(outcome.path)  # keep uploads/ the same as the library
            summary = report.summary()
        kind = "error" if failures else "ok"
        text = f"{summary}. Failed ({len(failures)}):" if failures else summary
        return (message(text, kind, failures), *self.listing(), None)

    def forget(self, source: str | None) -> tuple[Any, ...]:
        """Drop a source from the index, and our stored copy if it was uploaded here."""
        if not source:
            return (message("Pick a source to forget.", "error"), *self.listing())
        try:
            key, chunks = self.rag.forget(source)
        except RagError as exc:
            return (message(str(exc), "error"), *self.listing())
        self._drop_upload(key)
        return (message(f"Forgot {PurePath(key).name} ({chunks} chunks).", "ok"), *self.listing())

    def _drop_upload(self, source: str) -> None:
        """Delete our stored copy of `source`, only ever inside the uploads folder."""
        path = Path(source)
        if path.parent == self.uploads_dir.resolve() and path.is_file():
            path.unlink()


@dataclass
class LibraryUI:
    """The tab's handlers and components, wired by the app once every tab exists."""

    handlers: LibraryHandlers
    files: gr.File
    add: gr.Button
    status: gr.HTML
    table: gr.HTML
    pick: gr.Dropdown
    forget: gr.Button


def build_library_tab(rag: Rag) -> LibraryUI:
    """Lay out the tab inside the current gr.Blocks."""
    h = LibraryHandlers(rag)
    kinds = ", ".join(sorted(h.allowed))
    files = gr.File(
        label=f"Add documents ({kinds}; up to {rag.settings.ui_max_upload_mb:g} MB each)",
        file_count="multiple",
        file_types=sorted(h.allowed),
        type="filepath",
        elem_id="upload",
    )
    add = gr.Button("Add to library", variant="primary", elem_id="add")
    status = gr.HTML(elem_id="library-status")
    gr.Markdown("### Indexed documents")
    table = gr.HTML(elem_id="sources-table")
    with gr.Row(equal_height=True):
        pick = gr.Dropdown(
            label="Source",
            choices=[],
            scale=4,
            elem_id="forget-source",
            allow_custom_value=True,  # the service checks names; the index may change elsewhere
        )
        forget = gr.Button("Forget", variant="stop", scale=1, elem_id="forget")
    return LibraryUI(h, files, add, status, table, pick, forget)
