"""Read a Chroma store in a fresh process and print what it holds as JSON.

Run as `python inspect_vectors.py INDEX_DIR COLLECTION`. A fresh process sees
only what reached the disk, not what some client cached in memory.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path


def main(index_dir: Path, collection: str) -> dict[str, object]:
    """Ids, a hash of each stored text, the count, and the ids a dense query returns."""
    from rag.store.vector import make_client

    client = make_client(None, index_dir / "chroma")
    try:
        col = client.get_collection(collection)
    except Exception:  # no collection yet: nothing was ever written
        return {"ids": [], "texts": {}, "count": 0, "query_ids": [], "model": None}
    got = col.get(include=["documents"])
    texts = {
        i: hashlib.sha256((d or "").encode()).hexdigest()
        for i, d in zip(got["ids"], got["documents"], strict=True)
    }
    count = col.count()
    query_ids: list[str] = []
    if count:
        rnd = random.Random(0)
        vector = [rnd.uniform(-1, 1) for _ in range(384)]
        found = col.query(query_embeddings=[vector], n_results=min(10, count), include=[])
        query_ids = found["ids"][0]
    meta = col.metadata or {}
    return {
        "ids": got["ids"],
        "texts": texts,
        "count": count,
        "query_ids": query_ids,
        "model": meta.get("embed_model"),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2])))
