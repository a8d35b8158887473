"""SIGKILL `rag ingest --prune` at random points, again and again, while files change.

After every kill the catalogue must be consistent with itself; after every
completed re-run the vectors, the BM25 rows and the records must agree exactly
and match what the folder holds; at the end a fresh reference ingest of the
same folder into another RAG_HOME must give the same chunk ids.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rag.chunking import ChunkSpec, chunk_document
from rag.errors import LoadError
from rag.loaders import load_file

from .helpers import HERE, assert_agree, cli_env, prose, read_catalog, run_rag

SEED = 20251130
START_FILES = 60
ROUNDS = 5  # each: three kills landed (files changed before each), then one completed run
KILLS_PER_ROUND = 3
MAX_TRIES_PER_ROUND = 5


@dataclass
class Kill:
    round: int
    delay: float
    phase: str  # last phase the traced ingest reached
    dirty: bool  # the catalogue's dirty flag right after the kill
    sources: int


class Corpus:
    """A folder of text files changed at random: added, modified, shrunk, renamed, deleted."""

    def __init__(self, folder: Path, rnd: random.Random) -> None:
        self.folder = folder
        self.rnd = rnd
        self.serial = 0
        folder.mkdir(parents=True)
        for _ in range(START_FILES):
            self.add()

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.txt"))

    def add(self) -> None:
        self.serial += 1
        path = self.folder / f"doc_{self.serial:04d}.txt"
        path.write_text(prose(self.rnd, self.rnd.randint(2, 7), tag=f"d{self.serial}n"))

    def mutate(self) -> str:
        """A few random changes; returns what was done, for the failure message."""
        done = []
        for _ in range(self.rnd.randint(3, 6)):
            files = self.files()
            op = self.rnd.choice(["add", "append", "rewrite", "shrink", "delete", "rename"])
            target = self.rnd.choice(files)
            if op == "add" or len(files) < 40:
                self.add()
            elif op == "append":  # earlier chunks keep their ids, new ones are added
                with target.open("a") as f:
                    f.write("\n" + prose(self.rnd, 2, tag=f"a{self.serial}x"))
                self.serial += 1
            elif op == "rewrite":
                target.write_text(prose(self.rnd, self.rnd.randint(2, 7), tag=f"r{self.serial}w"))
                self.serial += 1
            elif op == "shrink":  # stale vectors must go
                paragraphs = target.read_text().split("\n\n")
                target.write_text("\n\n".join(paragraphs[: max(1, len(paragraphs) // 2)]))
            elif op == "delete":
                target.unlink()
            else:
                self.serial += 1
                target.rename(self.folder / f"moved_{self.serial:04d}.txt")
            done.append(f"{op} {target.name}")
        return ", ".join(done)


def expected_chunk_ids(folder: Path) -> dict[str, set[str]]:
    """What a correct index of `folder` holds: source -> chunk ids (loaders + chunker only)."""
    out: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.txt")):
        try:
            doc = load_file(path)
        except LoadError:
            continue
        out[doc.source] = {c.id for c in chunk_document(doc, ChunkSpec(180, 30))}
    return out


TARGETS = ["embed+upsert", "catalogue-swap", "swapped", "delete-vectors", "prune", "reconcile"]


def phase_label(lines: list[str]) -> str:
    """The last phase reached, inside its outer step ('prune/delete-vectors')."""
    outer = ""
    for line in lines:
        if line in ("reconcile", "prune"):
            outer = line
        elif line in ("reconciled", "load+chunk"):
            outer = ""
    last = lines[-1] if lines else "before-python"
    return f"{outer}/{last}" if outer and outer != last else last


def kill_once(
    folder: Path, home: Path, trace: Path, rnd: random.Random, target: str | None
) -> tuple[float, str]:
    """Run a traced `rag ingest --prune` and SIGKILL it at a random point; (seconds, phase).

    With no `target` the test sends the kill after a random time, start-up included;
    else the process kills itself 0-120 ms after the first or second start of `target`,
    so the narrow windows (between upsert and swap, between swap and stale delete,
    during prune and reconcile) are hit on purpose.
    """
    trace.write_text("")
    # small write windows, so one run crosses several (a kill can land between windows)
    env = cli_env(home, RAG_INGEST_WINDOW="6")
    external = target is None
    if target is not None:
        nth = 1 if target == "reconcile" else rnd.randint(1, 2)  # one reconcile per run
        ms = rnd.choice([0, 0, 2, 10, 40, 120])  # 40-120 ms: inside Chroma's own upsert
        env["KILL_AT"] = f"{target}:{nth}:{ms}"
    cmd = [sys.executable, str(HERE / "traced_ingest.py"), str(trace), "ingest", "--prune"]
    proc = subprocess.Popen(
        [*cmd, str(folder)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    t0 = time.monotonic()
    if external:
        delay = rnd.uniform(0.5, 6.0)
        while time.monotonic() - t0 < delay and proc.poll() is None:
            time.sleep(0.003)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    code = proc.wait(180)
    lines = trace.read_text().split()
    phase = phase_label(lines) if code == -signal.SIGKILL else "finished-before-kill"
    return time.monotonic() - t0, ("external: " if external else "self: ") + phase


def test_repeated_sigkill_during_ingest_loses_nothing(tmp_path: Path) -> None:
    rnd = random.Random(SEED)
    corpus = Corpus(tmp_path / "docs", rnd)
    home = tmp_path / "home"
    index_dir = home / "index"
    trace = tmp_path / "trace.log"
    kills: list[Kill] = []
    # every third kill is sent from outside at a random time; the others cycle through TARGETS
    plan = [
        None if i % 3 == 2 else TARGETS[(i - i // 3) % len(TARGETS)]
        for i in range(ROUNDS * MAX_TRIES_PER_ROUND)
    ]
    for rnd_no in range(ROUNDS):
        landed_here = 0
        for _ in range(MAX_TRIES_PER_ROUND):  # a run may finish before its kill: try again
            if kills:
                corpus.mutate()  # files change between kills, not only between rounds
            target = plan[len(kills)]
            if target and kills and kills[-1].dirty and not any("reconc" in k.phase for k in kills):
                target = "reconcile"  # a dirty index: kill the repair itself once
            delay, phase = kill_once(corpus.folder, home, trace, rnd, target)
            state = read_catalog(index_dir) if (index_dir / "catalog.sqlite3").exists() else None
            if state is not None:  # the catalogue is consistent with itself after any kill
                assert state.fts_ok and state.fts_ids == set(state.chunks), phase
                for src, (_sha, n) in state.sources.items():
                    assert state.rows_per_source.get(src, 0) == n, (phase, src)
            dirty = bool(state and state.dirty)
            kills.append(Kill(rnd_no, delay, phase, dirty, len(state.sources) if state else 0))
            landed_here += not phase.endswith("finished-before-kill")
            if landed_here == KILLS_PER_ROUND:
                break
        changes = corpus.mutate()
        done = run_rag(["ingest", "--prune", str(corpus.folder)], home)
        assert done.returncode == 0, done.stderr[-3000:]
        cat, _ = assert_agree(index_dir)
        want = expected_chunk_ids(corpus.folder)
        assert set(cat.sources) == set(want), f"round {rnd_no} after {changes}"
        for source, ids in want.items():
            assert cat.ids_of(source) == ids, f"round {rnd_no}: {source} after {changes}"

    reference = tmp_path / "reference"
    ref = run_rag(["ingest", str(corpus.folder)], reference)
    assert ref.returncode == 0, ref.stderr[-3000:]
    ref_cat, _ = assert_agree(reference / "index")
    final = read_catalog(index_dir)
    assert set(final.chunks) == set(ref_cat.chunks)
    assert final.sources.keys() == ref_cat.sources.keys()
    assert {s: v[0] for s, v in final.sources.items()} == {
        s: v[0] for s, v in ref_cat.sources.items()
    }

    landed = [k for k in kills if not k.phase.endswith("finished-before-kill")]
    phases = Counter(k.phase for k in kills)
    print(
        f"\n{len(kills)} kills tried, {len(landed)} landed; phases: {dict(phases)}; "
        f"dirty after kill: {sum(k.dirty for k in kills)}; final: {len(final.sources)} files, "
        f"{len(final.chunks)} chunks"
    )
    assert len(landed) >= ROUNDS * KILLS_PER_ROUND - 2, phases
