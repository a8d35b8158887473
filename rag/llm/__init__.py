"""The LLM layer: bundled GGUF models, the embedded llama.cpp server, and one chat client.

`make_llm(settings)` is the entry point; everything else is for tools and tests.
"""

from __future__ import annotations

from rag.llm.catalog import CATALOG, BundledModel, get_model
from rag.llm.client import LLMClient, make_llm
from rag.llm.modelfile import model_file, resolve_model_path
from rag.llm.retry import RetryEvent, RetryPolicy
from rag.llm.server import EmbeddedServer, shared_server

__all__ = [
    "CATALOG",
    "BundledModel",
    "EmbeddedServer",
    "LLMClient",
    "RetryEvent",
    "RetryPolicy",
    "get_model",
    "make_llm",
    "model_file",
    "resolve_model_path",
    "shared_server",
]
