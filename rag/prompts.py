"""Prompt templates live in files under `prompts/`; this module only reads and fills them."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from rag.errors import ConfigError


class Prompts:
    """Reads `prompts/<name>` once and fills `{placeholders}` with str.format."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @functools.cache  # noqa: B019 - one Prompts per settings; the cache dies with it
    def raw(self, name: str) -> str:
        path = self.folder / name
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"prompt file {path} cannot be read: {exc.strerror}") from None

    def render(self, name: str, **values: object) -> str:
        return self.raw(name).format(**values)

    def digest(self, *names: str) -> str:
        """Hash of the named templates: part of every cache key that depends on them."""
        h = hashlib.sha256()
        for name in names:
            h.update(name.encode() + b"\0" + self.raw(name).encode() + b"\0")
        return h.hexdigest()[:16]
