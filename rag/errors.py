"""Errors a user can act on: each names the cause (a file, a key, a server)."""

from __future__ import annotations


class RagError(Exception):
    """Base of every error the CLI and UI show as a message instead of a traceback."""


class ConfigError(RagError):
    """A setting (env var or rag.toml key) has a bad value."""


class LoadError(RagError):
    """A file could not be turned into a document; `path` and `reason` say why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexMismatchError(RagError):
    """The index was built with another embedding model; mixing vectors is refused."""


class LockedError(RagError):
    """Another process holds the index lock."""


class LLMError(RagError):
    """The LLM endpoint failed after bounded retries (down, slow, HTTP error, bad stream)."""


class ModelFileError(RagError):
    """A bundled model is missing, or its joined file does not match its sha256."""


class QuestionError(RagError):
    """The question is empty, too long or otherwise unusable."""
