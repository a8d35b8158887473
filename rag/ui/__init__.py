"""The Gradio web UI: a thin shell over rag.service.Rag (see rag.ui.server).

Gradio's usage analytics are switched off before Gradio is imported, so the
app makes no call to the internet (it must work offline, and documents are private).
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from rag.ui.server import build_app, launch  # noqa: E402

__all__ = ["build_app", "launch"]
