"""Concurrency: writers are serialised by the index lock; many questions at once lose none."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from rag.errors import LockedError
from rag.service import Rag
from rag.settings import Settings
from rag.types import AnswerResult

from .helpers import (
    HERE,
    SEED,
    assert_agree,
    cli_env,
    free_port,
    make_good_corpus,
    prose,
    read_catalog,
)

WAITING = "waiting for another rag process"


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_two_ingests_on_one_index_are_serialised(tmp_path: Path) -> None:
    """B starts while A holds the write lock: B says it waits, writes only after A, both land."""
    import random

    home = tmp_path / "home"
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    rnd = random.Random(5)
    for folder, n in ((folder_a, 12), (folder_b, 8)):
        folder.mkdir()
        for i in range(n):
            (folder / f"{folder.name}{i}.txt").write_text(prose(rnd, 3, tag=f"{folder.name}{i}q"))
    trace_a, trace_b, go = tmp_path / "a.trace", tmp_path / "b.trace", tmp_path / "go"
    err_b = tmp_path / "b.stderr"
    for path in (trace_a, trace_b, err_b):
        path.write_text("")
    script = str(HERE / "traced_ingest.py")
    env_a = cli_env(home, PAUSE_AT=f"locked:1:{go}")  # A holds the lock until `go` exists
    a = subprocess.Popen(
        [sys.executable, script, str(trace_a), "ingest", str(folder_a)],
        env=env_a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: "locked" in trace_a.read_text(), 120, "A to take the lock")
        with err_b.open("w") as err:
            b = subprocess.Popen(
                [sys.executable, script, str(trace_b), "ingest", str(folder_b)],
                env=cli_env(home), stdout=subprocess.PIPE, stderr=err, text=True,
            )  # fmt: skip
        wait_for(lambda: WAITING in err_b.read_text(), 120, "B to say it waits")
        assert "locked" not in trace_b.read_text(), "B took the lock while A held it"
        go.touch()
        out_a, err_a = a.communicate(timeout=300)
        out_b, _ = b.communicate(timeout=300)
    finally:
        go.touch()
        for proc in (a, b) if "b" in locals() else (a,):
            if proc.poll() is None:
                proc.kill()
    assert a.returncode == 0, err_a
    assert b.returncode == 0, err_b.read_text()
    assert "12 added" in out_a and "8 added" in out_b
    assert err_b.read_text().count(WAITING) == 1 and WAITING not in err_a
    cat, _ = assert_agree(home / "index")
    assert len(cat.sources) == 20


def test_a_writer_that_cannot_get_the_lock_fails_clearly(
    settings: Settings, embedder: object, tmp_path: Path
) -> None:
    """Another process holds the lock: the waiter is told, then gets LockedError naming the dir."""
    docs = tmp_path / "docs"
    make_good_corpus(docs)
    rag = Rag(settings)
    rag._embedder = embedder
    rag.ingest([docs])
    lock = settings.index_dir / "write.lock"
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import time\nfrom filelock import FileLock\n"
            f"held = FileLock({str(lock)!r})\nheld.acquire()\n"
            "print('held', flush=True)\ntime.sleep(60)",
        ],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        told: list[str] = []
        t0 = time.monotonic()
        with (
            pytest.raises(LockedError, match=r"another rag process is writing to .*index") as info,
            rag.index.writing(wait=1.5, on_wait=lambda: told.append("waiting")),
        ):
            pass
        assert told == ["waiting"] and 1.4 < time.monotonic() - t0 < 10
        print(f"\nLockedError: {info.value}")
    finally:
        holder.kill()
        holder.wait()
    report = rag.ingest([docs])  # the lock is free again: the next write goes ahead
    assert report.counts["unchanged"] == len(list(docs.iterdir()))
    rag.close()
    assert read_catalog(settings.index_dir).dirty is None


QUESTIONS = [
    "Where was the memorandum signed?",
    "When was the memorandum signed?",
    "Who signed the memorandum for Azerbaijan?",
    "Who signed the memorandum for Türkiye?",
    "Which article of the constitution lets parliament ratify treaties?",
    "What is the Shusha Declaration?",
    "What does Article 51 of the UN Charter cover?",
    "Which exercise involves Azerbaijan, Türkiye and Georgia?",
    "What did the parliament approve?",
    "Who chairs the defence committee?",
    "What fair was held during the signing?",
    "When did Azerbaijan regain control over Karabakh?",
    "Where\x00 was the\x1b memorandum\u200b signed?\x07",  # control characters are stripped
    "What is the boiling point of mercury?",  # off-topic: refused without the model
    "Is the memorandum directed against third parties?",
    "What phrase summarises Azerbaijan-Türkiye relations?",
    "What role did Turkish drones play?",
    "Which organisation of states is mentioned?",
    "What transport route is mentioned?",
    "Where was the memorandum signed?",  # the same question twice at once
]


@pytest.fixture(scope="module")
def smol_rag(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rag]:
    """One Rag over the seed with the 135M model (fast; its answers are not judged here)."""
    root = tmp_path_factory.mktemp("load")
    docs = root / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / "seed.txt")
    # one llama.cpp thread: on a busy 2-core machine two threads spin at their barriers and
    # a 16-token answer can take 10x longer (measured: 3.5 s steady vs 6-48 s)
    settings = Settings(
        home=root / "home", llm_model="smollm2-135m", llm_max_tokens=16, top_k=2, llm_threads=1
    )
    rag = Rag(settings)
    rag.ingest([docs])
    yield rag
    rag.close()


def test_twenty_concurrent_questions_on_one_rag(smol_rag: Rag) -> None:
    """20 threads ask at once: 20 AnswerResults, each for its own question, one LLM call at once."""
    llm = smol_rag.llm
    original = llm.stream
    active = peak = calls = 0
    guard = threading.Lock()

    def counting_stream(*args: Any, **kwargs: Any) -> Iterator[str]:
        nonlocal active, peak, calls
        with guard:
            active += 1
            calls += 1
            peak = max(peak, active)
        try:
            yield from original(*args, **kwargs)
        finally:
            with guard:
                active -= 1

    llm.stream = counting_stream  # type: ignore[method-assign]
    barrier = threading.Barrier(len(QUESTIONS))

    def ask(question: str) -> AnswerResult:
        barrier.wait(30)  # all threads start together
        return smol_rag.ask(question)

    t0 = time.monotonic()
    try:
        with ThreadPoolExecutor(len(QUESTIONS)) as pool:
            results = list(pool.map(ask, QUESTIONS, timeout=600))
    finally:
        llm.stream = original  # type: ignore[method-assign]
    seconds = time.monotonic() - t0
    assert len(results) == len(QUESTIONS)
    for question, result in zip(QUESTIONS, results, strict=True):
        assert isinstance(result, AnswerResult)
        assert result.question == smol_rag.clean_question(question), "answers were mixed up"
        assert result.answer.strip()
    refused = sum(r.refused for r in results)
    assert results[13].refused, "the off-topic question should be refused"
    assert peak == 1, f"{peak} LLM calls ran at once"
    assert calls >= len(QUESTIONS) - refused - 1
    print(f"\n20 concurrent questions: {seconds:.1f} s, {calls} LLM calls, {refused} refused")


def test_questions_during_an_ingest_in_the_same_process(
    settings: Settings, embedder: object, tmp_path: Path
) -> None:
    """As in the UI: 4 threads retrieve while a 5th re-ingests changed files (one Rag)."""
    import random

    rnd = random.Random(3)
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / "seed.txt")
    for i in range(24):
        (docs / f"f{i}.txt").write_text(prose(rnd, 4, tag=f"f{i}t"))
    rag = Rag(settings)
    rag._embedder = embedder
    rag.ingest([docs])
    errors: list[BaseException] = []
    done = threading.Event()
    retrieved = [0]

    def reader() -> None:
        while not done.is_set():
            try:
                assert rag.retrieve("Where was the memorandum signed? harbour granite")
                retrieved[0] += 1
            except BaseException as exc:  # collected, re-raised in the main thread
                errors.append(exc)
                return

    def writer() -> None:
        try:
            for round_no in range(3):
                for i in range(0, 24, 3):
                    (docs / f"f{i}.txt").write_text(prose(rnd, 4, tag=f"f{i}k{round_no}"))
                (docs / f"f{23 - round_no}.txt").unlink()
                report = rag.ingest([docs], prune=True)
                assert report.counts["updated"] >= 7 and report.counts["pruned"] == 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    threads = [threading.Thread(target=reader) for _ in range(4)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    rag.close()
    assert not errors, errors[0]
    assert retrieved[0] > 10
    print(f"\n{retrieved[0]} retrievals by 4 threads during 3 ingests with prune")
    cat, _ = assert_agree(settings.index_dir)
    assert len(cat.sources) == 22


UI_CLIENTS = 8


def test_concurrent_clients_through_the_running_app(smol_rag: Rag) -> None:
    """The real app on 127.0.0.1 (shared Rag, SmolLM2): 8 gradio clients ask at once."""
    pytest.importorskip("gradio_client")
    try:
        from rag.ui.server import build_app, launch_options
    except ImportError as exc:  # the UI is optional for this suite
        pytest.skip(f"UI not importable: {exc}")
    from gradio_client import Client

    demo = build_app(smol_rag)
    options = launch_options(smol_rag.settings) | {
        "server_name": "127.0.0.1",
        "server_port": free_port(),
        "prevent_thread_lock": True,
        "quiet": True,
    }
    _, url, _ = demo.launch(**options)
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(UI_CLIENTS)]
    barrier = threading.Barrier(UI_CLIENTS)

    def ask(question: str) -> dict[str, Any]:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        barrier.wait(60)
        _, _, result = client.predict(question, api_name="/ask")
        return result

    t0 = time.monotonic()
    try:
        with ThreadPoolExecutor(UI_CLIENTS) as pool:
            results = list(pool.map(ask, questions, timeout=900))
    finally:
        demo.close()
    assert len(results) == UI_CLIENTS
    for question, result in zip(questions, results, strict=True):
        assert isinstance(result, dict) and result["answer"].strip(), result
        assert result["question"] == smol_rag.clean_question(question), "answers were mixed up"
    print(f"\n{UI_CLIENTS} concurrent UI clients: {time.monotonic() - t0:.1f} s")
