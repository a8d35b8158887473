"""`python -m rag.llm.serve`: a bundled model (or any GGUF) as a standalone OpenAI server.

Point `RAG_LLM_BASE_URL` at it to share one loaded model between several rag
processes, or to keep the model warm while the CLI comes and goes.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from rag.errors import RagError
from rag.llm.catalog import CATALOG
from rag.llm.modelfile import resolve_model_path
from rag.llm.server import HOST, display_name, start_llama_server
from rag.settings import load_settings


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m rag.llm.serve",
        description="Serve a GGUF model over the OpenAI chat-completions protocol.",
    )
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--model", help=f"bundled model: {', '.join(CATALOG)} (default: llm_model)")
    which.add_argument("--model-path", type=Path, help="any GGUF file instead of a bundled model")
    ap.add_argument("--port", type=int, default=8080, help="0 picks a free port (default 8080)")
    ap.add_argument("--host", default=HOST, help=f"address to bind (default {HOST})")
    ap.add_argument("--ctx", type=int, help="context window in tokens (default: llm_ctx)")
    ap.add_argument("--threads", type=int, help="CPU threads (default: llm_threads)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides: dict[str, Any] = {}
    if args.ctx is not None:
        overrides["llm_ctx"] = args.ctx
    if args.threads is not None:
        overrides["llm_threads"] = args.threads
    if args.model is not None:
        overrides.update(llm_model=args.model, llm_model_path=None)
    if args.model_path is not None:
        overrides["llm_model_path"] = args.model_path
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        settings = load_settings(**overrides)
        name = display_name(settings)
        server, port = start_llama_server(
            resolve_model_path(settings),
            ctx=settings.llm_ctx,
            threads=settings.llm_threads,
            port=args.port,
            host=args.host,
            alias=name,
        )
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"listening on http://{args.host}:{port}", flush=True)
    print(f"OpenAI base URL http://{args.host}:{port}/v1, model {name}", flush=True)
    while not stop.wait(0.5):
        pass
    del server  # xllamacpp stops its server when the object is released
    return 0


if __name__ == "__main__":
    sys.exit(main())
