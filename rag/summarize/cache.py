"""Summary caches on disk: whole summaries by key, and map/combine steps by their exact prompt.

Every file is written to a temporary name and renamed over the target, so a
kill leaves either the old file or the new one, never half of one; an
unreadable file is treated as missing and simply recomputed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from rag.summarize.result import SummaryResult

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the cached JSON changes shape


def digest_of(data: Any) -> str:
    """sha256 of a JSON-able value in a canonical form (sorted keys, no spaces)."""
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file in the same folder and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable summary cache file %s: %s", path, exc)
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    return data


class SummaryCache:
    """`<cache_dir>/summaries/<key>.json` for results, `.../parts/<key>.json` for steps."""

    def __init__(self, cache_dir: Path) -> None:
        self.root = cache_dir / "summaries"

    def load(self, key: str) -> SummaryResult | None:
        data = _read_json(self.root / f"{key}.json")
        if data is None:
            return None
        try:
            return SummaryResult.from_json(data["result"])
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("ignoring stale summary cache entry %s: %s", key, exc)
            return None

    def save(self, key: str, result: SummaryResult) -> None:
        payload = {"format": FORMAT, "key": key, "result": result.to_json()}
        write_atomic(self.root / f"{key}.json", json.dumps(payload, ensure_ascii=False))

    @staticmethod
    def step_key(model: str, messages: list[dict[str, str]], max_tokens: int, temp: float) -> str:
        """A step is known by everything the model saw: same prompt, same reply."""
        return digest_of(
            {"model": model, "messages": messages, "max_tokens": max_tokens, "temperature": temp}
        )

    def load_step(self, key: str) -> str | None:
        data = _read_json(self.root / "parts" / f"{key}.json")
        text = data.get("text") if data else None
        return text if isinstance(text, str) else None

    def save_step(self, key: str, text: str) -> None:
        payload = {"format": FORMAT, "text": text}
        write_atomic(self.root / "parts" / f"{key}.json", json.dumps(payload, ensure_ascii=False))
