"""Build the Gradio app over one `Rag` and serve it: local, offline, one model request at a time.

`rag serve` and `python app.py` both end in `launch`. The page loads nothing
from outside the app (system fonts, analytics off), binds to 127.0.0.1 unless
configured, and asks for a login when RAG_UI_AUTH is set.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Any

import gradio as gr
from pydantic import SecretStr

from rag.errors import ConfigError
from rag.service import Rag
from rag.settings import Settings, load_settings
from rag.ui.chat import build_chat_tab
from rag.ui.library import INDEX_QUEUE, build_library_tab
from rag.ui.summaries import build_summaries_tab
from rag.ui.theme import CSS, make_theme

log = logging.getLogger(__name__)
TITLE = "rag · ask your documents"


def build_app(rag: Rag) -> gr.Blocks:
    """The three tabs over `rag`; every handler only calls the service."""
    # Uploaded files and downloads are copied to Gradio's cache; an hour is enough.
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown("## Ask your documents\nAnswers cite the passages they come from.")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                build_chat_tab(rag)
            with gr.Tab("Library", id="library"):
                lib = build_library_tab(rag)
            with gr.Tab("Summaries", id="summaries"):
                summ = build_summaries_tab(rag)
        listing = [lib.table, lib.pick, summ.pick]
        demo.load(lib.handlers.listing, outputs=listing, api_name="sources")
        lib.add.click(
            lib.handlers.add,
            inputs=[lib.files],
            outputs=[lib.status, *listing, lib.files],
            api_name="ingest",
            concurrency_id=INDEX_QUEUE,
        )
        lib.forget.click(
            lib.handlers.forget,
            inputs=[lib.pick],
            outputs=[lib.status, *listing],
            api_name="forget",
            concurrency_id=INDEX_QUEUE,
        )
    # One event at a time per handler unless said otherwise: the embedded LLM serves a
    # single request, so extra requests wait in the queue (unbounded) instead of failing.
    demo.queue(default_concurrency_limit=1)
    return demo


def parse_auth(secret: SecretStr | str | None) -> tuple[str, str] | None:
    """'user:password' (the password may contain ':') as Gradio's auth pair."""
    if secret is None:
        return None
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ConfigError("RAG_UI_AUTH must look like user:password")
    return user, password


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def launch_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for gr.Blocks.launch that keep the app local and self-contained."""
    auth = parse_auth(settings.ui_auth)
    if auth is None and not is_loopback(settings.ui_host):
        log.warning("serving on %s with no login; set RAG_UI_AUTH=user:password", settings.ui_host)
    summaries = (Path(settings.home) / "summaries").resolve()
    summaries.mkdir(parents=True, exist_ok=True)
    return {
        "server_name": settings.ui_host,
        "server_port": settings.ui_port or None,
        "auth": auth,
        "auth_message": "Log in to ask your documents." if auth else None,
        "share": False,
        "theme": make_theme(),
        "css": CSS,
        "max_file_size": int(settings.ui_max_upload_mb * 2**20),
        "allowed_paths": [str(summaries)],  # the Markdown files offered for download
        "footer_links": ["api", "settings"],
        "run_history": False,  # no copies of answers kept in the browser
        "enable_monitoring": False,
        "ssr_mode": False,
        "mcp_server": False,
        "show_error": False,
    }


def launch(target: Settings | Rag | None = None, **overrides: Any):
    """Serve the app; `target` is a Rag to share, or settings to build one from (loaded if None).

    Blocks until interrupted unless `prevent_thread_lock=True`; returns Gradio's
    (app, local_url, share_url). A Rag built here is closed when serving ends.
    """
    own = not isinstance(target, Rag)
    rag = Rag(target or load_settings()) if own else target
    demo = build_app(rag)
    options = launch_options(rag.settings) | overrides
    try:
        result = demo.launch(**options)
    except BaseException:
        if own:
            rag.close()
        raise
    if own and not options.get("prevent_thread_lock"):
        rag.close()
    return result
