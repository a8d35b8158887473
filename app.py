"""`python app.py`: serve the chat UI on RAG_UI_HOST:RAG_UI_PORT (127.0.0.1:7860 by default).

Settings are read once (RAG_* env vars and rag.toml) and one Rag is shared by
every browser session; see rag.ui for the app itself (`rag serve` is the same).
"""

from __future__ import annotations

import sys

from rag.errors import RagError
from rag.service import Rag
from rag.settings import load_settings
from rag.ui import build_app, launch

__all__ = ["build_app", "launch", "main"]


def main() -> int:
    try:
        rag = Rag(load_settings())
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        launch(rag)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        rag.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
