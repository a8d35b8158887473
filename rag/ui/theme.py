"""Look and behaviour of the page: system fonts (no web-font requests), CSS, citation clicks.

Everything here is served by the app itself, so the page works with no internet.
"""

from __future__ import annotations

import gradio as gr

SANS = [
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Ubuntu",
    "Cantarell",
    "Noto Sans",
    "Helvetica Neue",
    "Arial",
    "sans-serif",
]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono", "monospace"]


def make_theme() -> gr.themes.Base:
    """The default theme with system fonts only (its own fonts would be extra downloads)."""
    return gr.themes.Default(font=SANS, font_mono=MONO)


# Clicking [n] opens that source card and brings it into view. Delegated on the
# component's root, so it keeps working as the conversation re-renders.
CITATION_JS = """
element.addEventListener('click', (ev) => {
  const link = ev.target.closest('a.cite-ref');
  if (!link || !element.contains(link)) return;
  ev.preventDefault();
  const card = element.querySelector('#' + CSS.escape(link.dataset.target || ''));
  if (!card) return;
  card.open = true;
  card.classList.remove('flash');
  void card.offsetWidth;
  card.classList.add('flash');
  card.scrollIntoView({behavior: 'smooth', block: 'center'});
});
"""

CSS = """
.rag-chat { display: flex; flex-direction: column; gap: 1.25rem; }
.rag-chat .chat-empty { color: var(--body-text-color-subdued); padding: 1rem 0; }
.rag-chat .turn { display: flex; flex-direction: column; gap: .5rem; }
.rag-chat .question { display: flex; gap: .6rem; align-items: baseline; }
.rag-chat .who { font-weight: 600; color: var(--body-text-color-subdued); min-width: 2.5rem; }
.rag-chat .question-text { font-weight: 600; white-space: pre-wrap; }
.rag-chat .answer { border-left: 3px solid var(--color-accent); padding: .5rem .9rem;
  background: var(--background-fill-secondary); border-radius: 6px; }
.rag-chat .answer-text { white-space: pre-wrap; line-height: 1.55; }
.rag-chat .draft { border-left-color: var(--border-color-primary); opacity: .75; }
.rag-chat .draft .answer-text { font-style: italic; }
.rag-chat .draft-label, .rag-chat .sources-label, .rag-chat .refusal-label {
  font-size: .8em; text-transform: uppercase; letter-spacing: .04em;
  color: var(--body-text-color-subdued); margin-bottom: .25rem; }
.rag-chat .refusal { border-left-color: #8a8a8a; background: transparent;
  border: 1px dashed var(--border-color-primary); border-left: 3px solid #8a8a8a; }
.rag-chat .error { border-left-color: #d33; color: #b00; }
.rag-chat a.cite-ref { font-weight: 600; text-decoration: none; color: var(--color-accent);
  padding: 0 .1em; cursor: pointer; }
.rag-chat a.cite-ref:hover { text-decoration: underline; }
.rag-chat .unsupported { text-decoration: underline wavy #d97706; text-underline-offset: 3px; }
.rag-chat .unsupported-label { font-size: .75em; color: #b45309; margin-left: .35em;
  white-space: nowrap; font-style: normal; }
.rag-chat .dropped ul { margin: .25rem 0 0 1.2rem; color: var(--body-text-color-subdued); }
.rag-chat .searched, .rag-chat .answer-meta { font-size: .8em;
  color: var(--body-text-color-subdued); margin-top: .4rem; }
.rag-chat .sources { margin-top: .6rem; display: flex; flex-direction: column; gap: .35rem; }
.rag-chat .cite-card { border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: .35rem .6rem; background: var(--background-fill-primary);
  transition: box-shadow .3s; }
.rag-chat .cite-card.flash { box-shadow: 0 0 0 3px var(--color-accent-soft); }
.rag-chat .cite-card summary { cursor: pointer; }
.rag-chat .cite-n { font-weight: 700; color: var(--color-accent); }
.rag-chat .cite-title { font-weight: 600; }
.rag-chat .cite-meta, .rag-chat .cite-source { font-size: .8em;
  color: var(--body-text-color-subdued); }
.rag-chat .cite-source { font-family: var(--font-mono); word-break: break-all;
  margin: .3rem 0; }
.rag-chat .cite-card > * + * { margin-top: .3rem !important; }  /* over Gradio's prose gaps */
.rag-chat .cite-text { white-space: pre-wrap; margin: .3rem 0 .2rem; padding-left: .7rem;
  border-left: 2px solid var(--border-color-primary); line-height: 1.5; }
.rag-chat mark, .rag-summaries mark { background: #fde68a; color: #111; padding: 0 .1em;
  border-radius: 2px; }
.msg { padding: .5rem .8rem; border-radius: 6px; background: var(--background-fill-secondary); }
.msg ul { margin: .3rem 0 0 1.2rem; }
.msg-ok { border-left: 3px solid #16a34a; }
.msg-error { border-left: 3px solid #d33; }
.sources-table { width: 100%; border-collapse: collapse; }
.sources-table th, .sources-table td { text-align: left; padding: .35rem .5rem;
  border-bottom: 1px solid var(--border-color-primary); vertical-align: top; }
.sources-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.sources-table .path { font-size: .75em; color: var(--body-text-color-subdued);
  font-family: var(--font-mono); word-break: break-all; }
.rag-summaries article { border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: .6rem .9rem; margin-bottom: .8rem; }
.rag-summaries .summary-source { font-size: .8em; font-family: var(--font-mono);
  color: var(--body-text-color-subdued); word-break: break-all; }
"""
