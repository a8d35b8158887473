"""Hostile files through the whole ingest path (service and CLI): named errors, nothing lost."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.ingest import FileOutcome
from rag.service import Rag
from rag.settings import Settings

from .helpers import (
    Expect,
    assert_agree,
    cli_env,
    make_good_corpus,
    make_hostile_files,
    read_catalog,
    run_rag,
)


@pytest.fixture
def rag(settings: Settings, embedder: object) -> Iterator[Rag]:
    r = Rag(settings)
    r._embedder = embedder  # the session's loaded model: saves a load per test
    yield r
    r.close()


def check_outcomes(
    outcomes: dict[str, FileOutcome], expect: dict[str, Expect], texts: dict[str, str]
) -> None:
    """Each hostile file got its own outcome, as expected; `texts` holds indexed text by name."""
    for name, want in expect.items():
        assert name in outcomes, f"{name}: no outcome reported"
        got = outcomes[name]
        if got.status == "failed":
            assert want.status in ("failed", "either"), f"{name} failed: {got.reason}"
            assert got.reason and re.search(want.reason, got.reason, re.I), (name, got.reason)
            assert "Traceback" not in got.reason and len(got.reason) < 300, (name, got.reason)
        else:
            assert want.status in ("added", "either"), f"{name}: {got.status}, expected a failure"
            assert got.status == "added" and got.chunks > 0, (name, got)
            if want.contains:
                assert want.contains in texts[name], f"{name}: {want.contains!r} not indexed"
    assert "pipe.txt" not in outcomes, "a FIFO was treated as a document"


def indexed_texts(rag: Rag) -> dict[str, str]:
    """File name -> all its chunk texts joined (names are unique in these tests)."""
    out: dict[str, list[str]] = {}
    for chunk in rag.index.catalog.iter_chunks():
        out.setdefault(Path(chunk.source).name, []).append(chunk.text)
    return {k: "\n".join(v) for k, v in out.items()}


def test_hostile_folder_through_the_service(rag: Rag, tmp_path: Path) -> None:
    """Good corpus first; then good + hostile: every hostile file named, the good ones intact."""
    root = tmp_path / "docs"
    good = make_good_corpus(root / "good")
    first = rag.ingest([root / "good"])
    assert first.counts["added"] == len(good) and not first.failed, first.failed
    before = read_catalog(rag.settings.index_dir)

    expect = make_hostile_files(root / "hostile")
    report = rag.ingest([root])  # the good files sit in the same tree, unchanged
    outcomes = {Path(o.path).name: o for o in report.outcomes}
    check_outcomes(outcomes, expect, indexed_texts(rag))
    assert len(report.outcomes) == len(good) + len(expect)  # one each; the FIFO: none
    for p in good:
        assert outcomes[p.name].status == "unchanged", outcomes[p.name]

    after, _ = assert_agree(rag.settings.index_dir)
    for source, record in before.sources.items():
        assert after.sources[source] == record
        assert after.ids_of(source) == before.ids_of(source), f"{source} lost or changed chunks"
    for word in ("zeppelinword", "quokkaword", "longlinemarker"):
        assert rag.index.bm25(word, 3), f"{word} not searchable"

    again = rag.ingest([root])  # failures are not cached: named again, and nothing re-embedded
    assert again.counts["failed"] == report.counts["failed"] and again.chunks_embedded == 0
    assert again.counts["unchanged"] == len(outcomes) - report.counts["failed"]


def test_a_good_file_turned_bad_keeps_its_last_good_version(rag: Rag, tmp_path: Path) -> None:
    """A file overwritten by garbage fails by name; its indexed version stays (even with prune)."""
    folder = tmp_path / "docs"
    make_good_corpus(folder)
    rag.ingest([folder])
    before = read_catalog(rag.settings.index_dir)
    target = (folder / "notes.md").resolve().as_posix()
    (folder / "notes.md").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16)
    (folder / "report.pdf").write_bytes(b"%PDF-1.4\n garbage")
    report = rag.ingest([folder], prune=True)
    failed = {Path(o.path).name: o.reason for o in report.failed}
    assert set(failed) == {"notes.md", "report.pdf"}, failed
    after, _ = assert_agree(rag.settings.index_dir)
    assert after.sources == before.sources and set(after.chunks) == set(before.chunks)
    assert target in after.sources


def test_hostile_folder_through_the_cli(tmp_path: Path) -> None:
    """`rag ingest`: exit 1, one 'failed: PATH: reason' line per bad file, no traceback."""
    home = tmp_path / "home"
    root = tmp_path / "docs"
    good = make_good_corpus(root / "good")
    first = run_rag(["ingest", str(root / "good")], home)
    assert first.returncode == 0, first.stderr
    before = read_catalog(home / "index")

    expect = make_hostile_files(root / "hostile", long_line="padded")
    out = run_rag(["ingest", str(root)], home)
    assert out.returncode == 1, out.stderr[-2000:]
    assert "Traceback" not in out.stderr + out.stdout
    failed = {}
    for line in out.stderr.splitlines():
        m = re.match(r"failed: (.+?): (.+)$", line)
        if m:
            failed[Path(m.group(1)).name] = m.group(2)
    must_fail = {n for n, e in expect.items() if e.status == "failed"}
    assert must_fail <= set(failed), must_fail - set(failed)
    for name, reason in failed.items():
        assert expect[name].status in ("failed", "either"), (name, reason)
        assert re.search(expect[name].reason, reason, re.I), (name, reason)
    added = sum(1 for e in expect.values() if e.status == "added")
    either = len(expect) - added - len(must_fail)
    m = re.search(r"(\d+) added, 0 updated, (\d+) unchanged, (\d+) failed", out.stdout)
    assert m, out.stdout
    assert int(m.group(2)) == len(good) and int(m.group(3)) == len(failed)
    assert int(m.group(1)) + int(m.group(3)) == added + either + len(must_fail)

    after, _ = assert_agree(home / "index")
    for source, record in before.sources.items():
        assert after.sources[source] == record and after.ids_of(source) == before.ids_of(source)
    listed = run_rag(["sources"], home)
    assert listed.returncode == 0 and "huge.txt" not in listed.stdout


def odd_names(folder: Path) -> None:
    """A name that is not UTF-8 (as old Latin-1 systems leave them), one with a newline."""
    folder.mkdir(parents=True)
    with open(os.fsencode(folder) + b"/caf\xe9 notes.txt", "wb") as f:
        f.write(b"The lighthouse keeper logged the storm.\n")
    (folder / "new\nline.txt").write_text("A file whose name holds a newline: quarrystone.\n")
    (folder / "zz_good.txt").write_text("A good file about granite quarries.\n")


def test_file_names_that_are_not_utf8_are_refused_by_name(rag: Rag, tmp_path: Path) -> None:
    """One bad name must not stop the batch (it used to crash SQLite with a traceback)."""
    odd_names(tmp_path / "docs")
    report = rag.ingest([tmp_path / "docs"])
    status = {Path(o.path).name: (o.status, o.reason) for o in report.outcomes}
    assert status["zz_good.txt"][0] == "added" and status["new\nline.txt"][0] == "added"
    bad = [v for k, v in status.items() if k.startswith("caf")]
    assert bad and bad[0][0] == "failed" and "UTF-8" in bad[0][1], status
    assert_agree(rag.settings.index_dir)


def test_cli_survives_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    odd_names(tmp_path / "docs")
    out = run_rag(["ingest", str(tmp_path / "docs")], tmp_path / "home")
    assert "Traceback" not in out.stderr, out.stderr[-1500:]
    assert out.returncode == 1 and "2 added" in out.stdout and "1 failed" in out.stdout
    assert re.search(r"failed: .*caf.* notes\.txt: .*UTF-8", out.stderr), out.stderr


RSS_SCRIPT = """
import resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{proc.returncode}\\t{peak:.1f}\\t" + proc.stderr.replace("\\n", " | "))
"""


def peak_rss_of(args: list[str], env: dict[str, str]) -> tuple[int, float, str]:
    """Exit code, peak RSS (MB) and stderr of `args`, measured by a fresh parent process."""
    out = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, *args], env=env, capture_output=True, text=True
    )
    code, peak, stderr = out.stdout.rstrip("\n").split("\t", 2)
    return int(code), float(peak), stderr


def test_200mb_file_is_refused_by_size_without_being_read(tmp_path: Path) -> None:
    """A sparse 200 MB .txt: refused naming RAG_MAX_FILE_MB; peak memory as without it.

    The whole `rag ingest` (Chroma + ONNX + tokenizer loaded) peaks near 450 MB on its
    own, so the bound is on the difference from the same run without the big file.
    """
    seed_only = tmp_path / "small"
    make_good_corpus(seed_only)
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "huge.txt", "wb") as f:
        f.truncate(200 * 2**20)
    rag = str(Path(sys.executable).parent / "rag")
    code0, base, _ = peak_rss_of([rag, "ingest", str(seed_only)], cli_env(tmp_path / "h0"))
    assert code0 == 0
    env = cli_env(tmp_path / "h1", RAG_MAX_FILE_MB="10")
    code, peak, stderr = peak_rss_of([rag, "ingest", str(seed_only), str(big)], env)
    assert code == 1
    assert re.search(r"huge\.txt: file is too large: 200\.0 MB, over the limit of 10 MB", stderr)
    assert "RAG_MAX_FILE_MB" in stderr and "Traceback" not in stderr
    print(f"\npeak RSS of rag ingest: {base:.0f} MB without, {peak:.0f} MB with the 200 MB file")
    assert peak - base < 60, f"peak RSS {peak:.0f} MB vs {base:.0f} MB without the big file"
    assert peak < 200 + base, "the file was read into memory"
