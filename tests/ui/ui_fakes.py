"""A stand-in for rag.service.Rag with scripted answers, so UI behaviour is tested in seconds.

Its documents are hostile on purpose: titles and passages carry markup that
must reach the page as text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from rag.errors import RagError
from rag.settings import Settings
from rag.types import AnswerResult, Citation

EVIL = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
    "${window.__pwned=1}{{constructor}}"  # template syntax of gr.HTML's renderer
)
PASSAGE = (
    "The memorandum was signed in Istanbul on July 22, 2025, by Azerbaijani Defense "
    "Minister Zakir Hasanov and his Turkish counterpart Yaşar Güler. " + EVIL
)


def scripted_result(question: str) -> AnswerResult:
    """A checked answer with two citations, one unsupported sentence and hostile text."""
    start = PASSAGE.index("Zakir")
    return AnswerResult(
        question=question,
        answer=(
            "It was signed by Zakir Hasanov and Yaşar Güler [1]. "
            f"Both ministers wrote {EVIL} on it. The ink was blue [2]."
        ),
        refused=False,
        citations=[
            Citation(
                n=1,
                source="/docs/memo <b>x<i>.txt",
                title="Memo " + EVIL,
                page=3,
                start=100,
                end=100 + len(PASSAGE),
                text=PASSAGE,
                support=0.91,
                highlights=[(start, start + len("Zakir Hasanov"))],
            ),
            Citation(
                n=2,
                source="/docs/ink.txt",
                title="ink",
                page=None,
                start=0,
                end=12,
                text="Blue ink.",
                support=0.55,
                highlights=[(0, 8)],
            ),
        ],
        unsupported_sentences=[f"Both ministers wrote {EVIL} on it."],
        supported_share=0.67,
        timings={"total": 0.2},
    )


@dataclass
class Record:
    source: str
    chunks: int = 3
    tokens: int = 120
    ingested_at: float = field(default_factory=time.time)


class FakeRag:
    """Implements the parts of Rag the UI calls; records what it was asked."""

    def __init__(self, settings: Settings, delay: float = 0.0) -> None:
        self.settings = settings
        self.delay = delay
        self.records: dict[str, Record] = {}
        self.calls: list[tuple[str, object]] = []

    def ask_stream(self, question: str, *, history=None, sources=None, strict=None):
        self.calls.append(("ask", list(history or [])))
        if "error" in question:
            raise RagError("the LLM server at http://127.0.0.1:1 is down")
        if "weather" in question:
            yield "The documents do not contain this information."
            yield AnswerResult(question, "The documents do not contain this information.", True)
            return
        result = scripted_result(question)
        for word in result.answer.split(" "):
            time.sleep(self.delay)
            yield word + " "
        yield result

    def ingest(self, paths: list[Path], *, progress=None, on_wait=None, **_):
        self.calls.append(("ingest", list(paths)))
        outcomes = []
        if progress is not None:
            progress.start(len(paths))
        for p in paths:
            key = Path(p).resolve().as_posix()
            failed = Path(p).read_bytes().startswith(b"%BAD")
            status = "failed" if failed else "added"
            if not failed:
                self.records[key] = Record(key)
            outcomes.append(SimpleNamespace(path=key, status=status, reason="corrupt", chunks=3))
            if progress is not None:
                progress.file_done(key, status)
        bad = [o for o in outcomes if o.status == "failed"]
        return SimpleNamespace(
            outcomes=outcomes, failed=bad, summary=lambda: f"{len(outcomes) - len(bad)} added"
        )

    def sources(self):
        return list(self.records.values())

    def forget(self, source: str) -> tuple[str, int]:
        if source not in self.records:
            raise RagError(f"no indexed source matches '{source}'")
        return source, self.records.pop(source).chunks

    def summarize_many(self, sources, *, out_dir: Path, style="brief", max_words=None, **kw):
        from rag.summarize import BatchReport, SummaryResult

        self.calls.append(("summarize", (list(sources), style, max_words)))
        out_dir.mkdir(parents=True, exist_ok=True)
        report = BatchReport(out_dir=out_dir)
        for s in sources:
            text = f"## Gist\n\n- Signed by Hasanov [1].\n- {EVIL} *(unsupported)*\n\n**bold** end"
            result = SummaryResult(
                source=s,
                title=f"T {EVIL}",
                text=text,
                citations=scripted_result("q").citations[:1],
                unsupported_sentences=[EVIL],
                supported_share=0.5,
                words=9,
                model="fake",
                prompt_hash="",
                source_sha256="",
                settings={"style": style},
                timings={},
            )
            path = out_dir / (Path(s).stem + ".md")
            path.write_text(text)
            report.done.append(result)
            report.files[s] = path
        return report

    def close(self) -> None:
        pass
