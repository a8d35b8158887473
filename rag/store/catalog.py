"""The catalogue: one SQLite file holding the record manager, the chunk texts and the BM25 index.

Keeping the per-source records and the FTS5 (BM25) index in one database means
they change in one transaction and can never disagree. The vector store
(Chroma) is reconciled against this catalogue, which is the source of truth.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.types import Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    source TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    title TEXT NOT NULL,
    format TEXT NOT NULL,
    chunker TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    ingested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    page INTEGER,
    tokens INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES('delete', old.rowid, old.text);
END;
"""

_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "can",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "there",
        "these",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "you",
        "your",
        "about",
        "into",
        "than",
        "then",
        "them",
        "they",
        "also",
        "any",
        "not",
    ]
)


@dataclass(frozen=True)
class SourceRecord:
    source: str
    sha256: str
    title: str
    format: str
    chunker: str
    chunks: int
    tokens: int
    ingested_at: float


def fts_query(text: str) -> str | None:
    """An OR query of the question's content words, quoted so no FTS5 syntax leaks in."""
    words = [w.lower() for w in _WORD.findall(text)]
    terms = list(dict.fromkeys(w for w in words if w not in STOPWORDS and len(w) > 1))
    if not terms:
        terms = list(dict.fromkeys(words))
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', "") + '"' for t in terms[:64])


class Catalog:
    """Records, chunk texts and BM25 in SQLite (WAL), safe to reopen after a crash."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    # meta -----------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self._db.execute("DELETE FROM meta WHERE key=?", (key,))
        else:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # records --------------------------------------------------------------
    def source(self, source: str) -> SourceRecord | None:
        row = self._db.execute("SELECT * FROM sources WHERE source=?", (source,)).fetchone()
        return SourceRecord(*row) if row else None

    def sources(self) -> list[SourceRecord]:
        rows = self._db.execute("SELECT * FROM sources ORDER BY source").fetchall()
        return [SourceRecord(*r) for r in rows]

    def chunk_ids(self, source: str | None = None) -> set[str]:
        if source is None:
            return {r[0] for r in self._db.execute("SELECT id FROM chunks")}
        rows = self._db.execute("SELECT id FROM chunks WHERE source=?", (source,))
        return {r[0] for r in rows}

    def count_chunks(self) -> int:
        return self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def replace_source(self, record: SourceRecord, chunks: list[Chunk]) -> None:
        """Swap a source's chunks, records and BM25 rows in one transaction."""
        with self._transaction():
            self._db.execute("DELETE FROM chunks WHERE source=?", (record.source,))
            self._db.executemany(
                'INSERT INTO chunks (id, source, title, ordinal, start, "end", page, tokens, text) '
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (c.id, c.source, c.title, c.ordinal, c.start, c.end, c.page, c.tokens, c.text)
                    for c in chunks
                ],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.source,
                    record.sha256,
                    record.title,
                    record.format,
                    record.chunker,
                    record.chunks,
                    record.tokens,
                    record.ingested_at or time.time(),
                ),
            )

    def remove_source(self, source: str) -> set[str]:
        """Delete a source; returns the chunk ids the vector store must drop."""
        with self._transaction():
            ids = self.chunk_ids(source)
            self._db.execute("DELETE FROM chunks WHERE source=?", (source,))
            self._db.execute("DELETE FROM sources WHERE source=?", (source,))
        return ids

    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        ids = list(ids)
        out: dict[str, Chunk] = {}
        for b in range(0, len(ids), 500):
            part = ids[b : b + 500]
            marks = ",".join("?" * len(part))
            for row in self._db.execute(
                'SELECT id, source, title, ordinal, start, "end", page, tokens, text '
                f"FROM chunks WHERE id IN ({marks})",
                part,
            ):
                out[row[0]] = _row_chunk(row)
        return out

    def iter_chunks(self, source: str | None = None) -> Iterator[Chunk]:
        sql = 'SELECT id, source, title, ordinal, start, "end", page, tokens, text FROM chunks'
        args: tuple = ()
        if source is not None:
            sql += " WHERE source=?"
            args = (source,)
        for row in self._db.execute(sql + " ORDER BY source, ordinal", args):
            yield _row_chunk(row)

    # BM25 -----------------------------------------------------------------
    def bm25(
        self, question: str, k: int, sources: list[str] | None = None
    ) -> list[tuple[str, float]]:
        """Top-k chunk ids by BM25 (FTS5), best first, with positive scores.

        Unfiltered, the top k are ranked inside FTS5 before the join, so only k rows
        are joined instead of every row the OR query matches (halves BM25 time at
        100k chunks, same hits: benchmarks/RESULTS.md). A source filter needs the join.
        """
        query = fts_query(question)
        if query is None:
            return []
        if not sources:
            sql = (
                "SELECT c.id, f.s FROM (SELECT rowid, bm25(chunks_fts) AS s FROM chunks_fts "
                "WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?) f "
                "JOIN chunks c ON c.rowid = f.rowid ORDER BY f.s"
            )
            return [(r[0], -r[1]) for r in self._db.execute(sql, (query, k))]
        sql = (
            "SELECT c.id, bm25(chunks_fts) AS s FROM chunks_fts JOIN chunks c "
            "ON c.rowid = chunks_fts.rowid WHERE chunks_fts MATCH ?"
            " AND c.source IN (" + ",".join("?" * len(sources)) + ") ORDER BY s LIMIT ?"
        )
        return [(r[0], -r[1]) for r in self._db.execute(sql, [query, *sources, k])]

    def _transaction(self) -> _Tx:
        return _Tx(self._db)


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT/ROLLBACK: writers serialise, readers keep reading (WAL)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _row_chunk(row: tuple) -> Chunk:
    return Chunk(
        id=row[0],
        source=row[1],
        title=row[2],
        ordinal=row[3],
        start=row[4],
        end=row[5],
        page=row[6],
        tokens=row[7],
        text=row[8],
    )
