"""Incremental ingestion through the service API and the CLI, with real files and the real model."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rag_testing import rag_cli

from rag.service import Rag
from rag.settings import Settings

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_fa9b40200313cc7b.txt"
PROSE = (
    "The harbour of {name} was rebuilt in {year} after a storm destroyed the old piers. "
    "Local engineers chose granite blocks from the northern quarry because they resist salt. "
    "Fishing boats returned within a month, and the market hall reopened the following spring.\n\n"
)


def write_corpus(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        p = folder / f"town_{i:03d}.txt"
        p.write_text((PROSE.format(name=f"Town{i}", year=1900 + i)) * 6, encoding="utf-8")
        files.append(p)
    return files


def agree(rag: Rag) -> None:
    idx = rag.index
    assert idx.vectors.ids() == idx.catalog.chunk_ids()
    assert sum(r.chunks for r in idx.catalog.sources()) == idx.catalog.count_chunks()


@pytest.fixture
def rag(settings: Settings):
    r = Rag(settings)
    yield r
    r.close()


def test_reingest_embeds_nothing_and_changes_replace(rag: Rag, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / "seed.txt")
    (docs / "notes.md").write_text("# Notes\n\nThe archive opens at nine.\n", encoding="utf-8")

    first = rag.ingest([docs])
    assert first.counts["added"] == 2 and first.chunks_embedded > 0
    second = rag.ingest([docs])
    assert second.counts["unchanged"] == 2 and second.chunks_embedded == 0

    (docs / "notes.md").write_text("# Notes\n\nThe archive opens at ten.\n", encoding="utf-8")
    third = rag.ingest([docs])
    assert third.counts["updated"] == 1 and third.counts["unchanged"] == 1
    assert third.chunks_embedded == 1
    assert rag.index.bm25("nine", 5) == [] and rag.index.bm25("ten", 5)
    agree(rag)


def test_small_files_share_embed_and_upsert_windows(settings: Settings, tmp_path: Path) -> None:
    from rag.ingest import ingest_paths
    from rag.store.vector import VectorStore

    docs = tmp_path / "docs"
    files = write_corpus(docs, 12)
    (docs / "town_005b.txt").write_bytes(b"\x00\x01binary\x00" * 50)  # fails mid-window
    calls: list[int] = []
    original = VectorStore.add

    def counting_add(self, chunks, *args, **kwargs):
        calls.append(len(chunks))
        return original(self, chunks, *args, **kwargs)

    rag = Rag(settings)
    try:
        VectorStore.add = counting_add
        with rag.index.writing():
            report = ingest_paths(rag.index, [docs], include=["*.txt"], exclude=[],
                                  spec=rag.chunk_spec, max_bytes=2**20, window=10)  # fmt: skip
    finally:
        VectorStore.add = original
    per_file = [o.chunks for o in report.outcomes if o.status == "added"]
    assert len(per_file) == 12 and min(per_file) >= 1
    # several files per call, every chunk embedded once, no window far past 10 chunks
    assert 1 < len(calls) < 12 and sum(calls) == sum(per_file) == report.chunks_embedded
    assert max(calls) < 10 + max(per_file)
    assert [Path(o.path).name for o in report.outcomes] == sorted(
        [f.name for f in files] + ["town_005b.txt"]
    )  # outcomes stay in file order, the failure in its place
    assert report.outcomes[6].status == "failed"
    agree(rag)
    again = rag.ingest([docs], include=["*.txt"])
    assert again.chunks_embedded == 0 and again.counts["unchanged"] == 12
    rag.close()


def test_identical_files_at_two_paths_are_two_sources(rag: Rag, tmp_path: Path) -> None:
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        shutil.copy(SEED, tmp_path / d / "seed.txt")
    rag.ingest([tmp_path / "a", tmp_path / "b"])
    assert len(rag.sources()) == 2
    agree(rag)


def test_prune_and_forget(rag: Rag, tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "c", 3)
    rag.ingest([tmp_path / "c"])
    files[0].unlink()
    report = rag.ingest([tmp_path / "c"], prune=True)
    assert report.counts["pruned"] == 1 and len(rag.sources()) == 2
    key, n = rag.forget("town_001")
    assert key.endswith("town_001.txt") and n > 0
    assert [Path(r.source).name for r in rag.sources()] == ["town_002.txt"]
    agree(rag)


def test_include_exclude(rag: Rag, tmp_path: Path) -> None:
    write_corpus(tmp_path / "d", 2)
    (tmp_path / "d" / "skip.md").write_text("# skip\n\nnot this one\n")
    report = rag.ingest([tmp_path / "d"], include=["*.md", "*.txt"], exclude=["town_001*"])
    names = sorted(Path(r.source).name for r in rag.sources())
    assert names == ["skip.md", "town_000.txt"] and report.counts["added"] == 2


def test_other_embedding_model_refused_without_reindex(settings: Settings, tmp_path: Path) -> None:
    from rag.errors import IndexMismatchError

    write_corpus(tmp_path / "e", 1)
    r = Rag(settings)
    r.ingest([tmp_path / "e"])
    r.close()
    r2 = Rag(settings)
    r2.index.catalog.set_meta("embed_model", "another-model")  # as if built by another model
    with pytest.raises(IndexMismatchError, match="--reindex"):
        r2.ingest([tmp_path / "e"])
    report = r2.ingest([tmp_path / "e"], reindex=True)
    assert report.reindexed and r2.index.catalog.get_meta("embed_model") == "all-MiniLM-L6-v2"
    agree(r2)
    r2.close()


def test_cli_bad_files_named_good_ones_indexed(tmp_path: Path) -> None:
    docs = tmp_path / "mixed"
    docs.mkdir()
    shutil.copy(SEED, docs / "seed.txt")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <</Type /Catalog>> garbage\n")
    (docs / "image.txt").write_bytes(bytes(range(256)) * 64)
    home = tmp_path / "home"
    out = rag_cli(["ingest", str(docs)], home)
    assert out.returncode == 1, out.stderr
    assert "broken.pdf" in out.stderr and "image.txt" in out.stderr
    assert "1 added" in out.stdout and "2 failed" in out.stdout
    listed = rag_cli(["sources"], home)
    assert "seed.txt" in listed.stdout and "broken.pdf" not in listed.stdout
    again = rag_cli(["ingest", str(docs / "seed.txt")], home)
    assert (
        again.returncode == 0 and "1 unchanged" in again.stdout and "(0 embedded)" in again.stdout
    )


def test_killed_ingest_resumes_without_duplicates(tmp_path: Path) -> None:
    write_corpus(tmp_path / "big", 40)
    home = tmp_path / "home"
    env = {**os.environ, "RAG_HOME": str(home), "RAG_CONFIG": str(home / "none.toml")}
    exe = Path(sys.executable).parent / "rag"
    proc = subprocess.Popen(
        [str(exe), "ingest", str(tmp_path / "big")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    catalog = home / "index" / "catalog.sqlite3"
    deadline = time.time() + 120
    while time.time() < deadline:  # kill once some, but not all, files are in
        if catalog.exists():
            import sqlite3

            try:
                n = sqlite3.connect(catalog).execute("select count(*) from sources").fetchone()[0]
            except sqlite3.Error:
                n = 0
            if n >= 3:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    out = rag_cli(["ingest", str(tmp_path / "big")], home)
    assert out.returncode == 0, out.stderr
    r = Rag(Settings(home=home))
    assert len(r.sources()) == 40
    agree(r)
    r.close()
