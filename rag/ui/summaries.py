"""The Summaries tab: cited summaries of chosen documents, shown and offered as Markdown files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.errors import RagError
from rag.summarize import STYLES
from rag.ui.chat import LLM_QUEUE
from rag.ui.render import citation_card, esc, markdown_safe, message
from rag.ui.theme import CITATION_JS

if TYPE_CHECKING:
    from rag.service import Rag


class SummaryProgressBar:
    """rag.summarize.SummaryProgress drawn on a gr.Progress."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress
        self.total = 0
        self.done = 0
        self.tokens = 0

    def start(self, total_docs: int) -> None:
        self.total = total_docs
        self._progress(0.0, desc=f"0/{total_docs} documents")

    def doc_done(self, source: str, status: str, tokens: int) -> None:
        self.done += 1
        self.tokens += tokens
        fraction = self.done / self.total if self.total else 1.0
        self._progress(
            fraction,
            desc=f"{self.done}/{self.total} documents · {self.tokens:,} tokens · "
            f"{PurePath(source).name}: {status}",
        )


def render_summary(result: Any, key: str) -> str:
    """One summary: its Markdown (escaped, [n] linked) and the cards of the passages it cites."""
    known = {c.n for c in result.citations}
    text = markdown_safe(result.text, key, known).replace(
        "<em>(unsupported)</em>", '<span class="unsupported-label">⚠ unsupported</span>'
    )
    about = [f"{result.supported_share:.0%} of sentences supported", f"{result.words} words"]
    if result.cached:
        about.append("from cache")
    cards = "".join(citation_card(c, key) for c in result.citations)
    title = result.title or PurePath(result.source).name
    return (
        f"<article><h3>{esc(title)}</h3>"
        f'<div class="summary-source">{esc(result.source)} · {esc(" · ".join(about))}</div>'
        f'<div class="summary-text">{text}</div>'
        + (
            f'<div class="sources"><div class="sources-label">Sources</div>{cards}</div>'
            if cards
            else ""
        )
        + "</article>"
    )


def render_summaries(results: list[Any]) -> str:
    body = "".join(render_summary(r, f"s{i}") for i, r in enumerate(results))
    return f'<div class="rag-chat rag-summaries">{body}</div>'


def report_line(report: Any) -> str:
    line = f"{len(report.done)} summarised ({report.cached} from cache)"
    if report.failed:
        line += f", {len(report.failed)} failed"
    return f"{line} in {report.seconds:.1f} s; Markdown files in {report.out_dir}"


class SummaryHandlers:
    """Handler of the Summaries tab: only calls Rag.summarize_many."""

    def __init__(self, rag: Rag) -> None:
        self.rag = rag
        self.out_dir = Path(rag.settings.home) / "summaries"

    def summarize(
        self,
        sources: list[str] | None,
        style: str,
        max_words: float | None,
        progress=gr.Progress(),  # noqa: B008
    ) -> tuple[str, list[str] | None]:
        """Summaries of the chosen sources, and the Markdown files they were written to."""
        if not sources:
            return message("Pick one or more documents first.", "error"), None
        if style not in STYLES:
            return message(f"style must be one of: {', '.join(STYLES)}", "error"), None
        limit = int(max_words) if max_words and max_words > 0 else None
        try:
            report = self.rag.summarize_many(
                list(sources),
                out_dir=self.out_dir,
                style=style,
                max_words=limit,
                progress=SummaryProgressBar(progress),
            )
        except RagError as exc:
            return message(str(exc), "error"), None
        failures = [f"{PurePath(source).name}: {why}" for source, why in report.failed]
        head = message(report_line(report), "error" if failures else "ok", failures)
        files = [str(report.files[r.source]) for r in report.done if r.source in report.files]
        return head + render_summaries(report.done), files or None


@dataclass
class SummariesUI:
    handlers: SummaryHandlers
    pick: gr.Dropdown


def build_summaries_tab(rag: Rag) -> SummariesUI:
    """Lay out the tab inside the current gr.Blocks and wire its events."""
    h = SummaryHandlers(rag)
    pick = gr.Dropdown(
        label="Documents",
        choices=[],
        multiselect=True,
        elem_id="summary-sources",
        allow_custom_value=True,  # checked by Rag.resolve_source
    )
    with gr.Row():
        style = gr.Radio(list(STYLES), value="brief", label="Style", elem_id="summary-style")
        max_words = gr.Number(
            value=0,
            precision=0,
            minimum=0,
            label="Max words (0: the style default)",
            elem_id="max-words",
        )
    go = gr.Button("Summarize", variant="primary", elem_id="summarize")
    shown = gr.HTML(elem_id="summaries", js_on_load=CITATION_JS)
    files = gr.File(label="Markdown files", file_count="multiple", interactive=False)
    go.click(
        h.summarize,
        inputs=[pick, style, max_words],
        outputs=[shown, files],
        api_name="summarize",
        concurrency_id=LLM_QUEUE,
        concurrency_limit=1,
    )
    return SummariesUI(h, pick)
