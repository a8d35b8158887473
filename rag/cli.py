"""`rag` command line: a thin shell over rag.service.Rag (no pipeline logic here).

Imports stay inside commands so `rag --help` loads no model and no database.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Ask questions of your own documents and summarise them, with checked citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: half the start-up of `rag --help` (benchmarks)
)


def _rag():
    from rag.service import Rag
    from rag.settings import load_settings

    return Rag(load_settings())


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def config() -> None:
    """Print the effective settings (env RAG_* and rag.toml), secrets masked."""
    from rag.settings import load_settings

    for key, value in load_settings().masked().items():
        typer.echo(f"{key} = {json.dumps(value)}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders")],
    include: Annotated[list[str] | None, typer.Option(help="glob to include (repeatable)")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="glob to exclude (repeatable)")] = None,
    prune: Annotated[bool, typer.Option(help="drop indexed sources gone from disk")] = False,
    reindex: Annotated[
        bool, typer.Option(help="re-embed everything with the configured model")
    ] = False,
) -> None:
    """Index files incrementally: unchanged files are skipped, changed ones replaced."""
    from rag.shell import IngestBar

    rag = _rag()
    with IngestBar() as bar:
        report = rag.ingest(
            paths,
            include=include or None,
            exclude=exclude,
            prune=prune,
            reindex=reindex,
            progress=bar,
            on_wait=lambda: typer.echo(
                "waiting for another rag process to finish writing…", err=True
            ),
        )
    for outcome in report.failed:
        typer.echo(f"failed: {outcome.path}: {outcome.reason}", err=True)
    typer.echo(report.summary())
    rag.close()
    if report.failed:
        raise typer.Exit(1)


@app.command()
def sources(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List indexed sources with chunk and token counts."""
    import datetime as dt

    rows = _rag().sources()
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2))
        return
    if not rows:
        typer.echo("no sources indexed yet: rag ingest PATH")
        return
    typer.echo(f"{'chunks':>6} {'tokens':>7}  {'ingested at':19}  source")
    for r in rows:
        when = dt.datetime.fromtimestamp(r.ingested_at).strftime("%Y-%m-%d %H:%M:%S")
        typer.echo(f"{r.chunks:>6} {r.tokens:>7}  {when}  {r.source}")


@app.command()
def forget(
    source: Annotated[str, typer.Argument(help="indexed path, or a unique part of it")],
) -> None:
    """Remove one source and all its chunks from the index."""
    key, n = _rag().forget(source)
    typer.echo(f"forgot {key} ({n} chunks)")


@app.command()
def ask(
    question: str,
    as_json: Annotated[bool, typer.Option("--json", help="print the full result as JSON")] = False,
    strict: Annotated[bool, typer.Option(help="drop sentences no passage supports")] = False,
    source: Annotated[list[str] | None, typer.Option(help="only search these sources")] = None,
) -> None:
    """Answer a question from the indexed documents, with checked citations."""
    from rag.shell import print_answer, stream_answer

    rag = _rag()
    result = stream_answer(
        rag.ask_stream(question, sources=source, strict=strict or None), echo=not as_json
    )
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print_answer(result)
    rag.close()


@app.command()
def chat(strict: Annotated[bool, typer.Option()] = False) -> None:
    """Interactive questions; follow-ups are rewritten using the conversation."""
    from rag.shell import print_answer, stream_answer

    rag = _rag()
    history: list[tuple[str, str]] = []
    typer.echo("Ask a question (empty line or Ctrl-D to quit).")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            result = stream_answer(rag.ask_stream(question, history=history, strict=strict or None))
        except Exception as exc:  # one bad turn must not end the session
            from rag.errors import RagError

            if not isinstance(exc, RagError):
                raise
            typer.echo(f"error: {exc}", err=True)
            continue
        if result.standalone_question and result.standalone_question != question:
            typer.echo(f"(searched for: {result.standalone_question})")
        print_answer(result)
        history.append((question, result.answer))
    rag.close()


@app.command()
def summarize(
    sources: Annotated[
        list[str] | None, typer.Argument(help="indexed sources (paths or parts)")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="every indexed source")] = False,
    out: Annotated[Path, typer.Option(help="folder for the Markdown files")] = Path("summaries"),
    style: Annotated[str, typer.Option(help="brief | bullets | detailed")] = "brief",
    max_words: Annotated[int | None, typer.Option(help="length limit per summary")] = None,
    concurrency: Annotated[int, typer.Option(help="parallel requests (remote LLM only)")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="print the batch report as JSON")] = False,
) -> None:
    """Write a cited summary of each document (cached; an interrupted run resumes)."""
    from rag.summarize import STYLES, SummaryBar

    if not sources and not all_:
        _fail("name one or more sources, or pass --all")
    if style not in STYLES:
        _fail(f"--style must be one of {', '.join(STYLES)}")
    rag = _rag()
    with SummaryBar() as bar:
        report = rag.summarize_many(
            None if all_ else sources,
            out_dir=out,
            style=style,
            max_words=max_words,
            concurrency=concurrency,
            progress=bar,
        )
    for source, reason in report.failed:
        typer.echo(f"failed: {source}: {reason}", err=True)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        for source, path in report.files.items():
            typer.echo(f"{path}  <- {source}")
        typer.echo(
            f"{len(report.done)} summarised ({report.cached} from cache), "
            f"{len(report.failed)} failed; {report.calls} LLM calls, "
            f"{report.tokens} tokens in {report.seconds:.1f} s; index: {report.jsonl}"
        )
    rag.close()
    if report.failed:
        raise typer.Exit(1)


@app.command()
def digest(
    out: Annotated[Path, typer.Option(help="folder for digest.md")] = Path("summaries"),
    style: Annotated[str, typer.Option()] = "brief",
    max_words: Annotated[int | None, typer.Option()] = None,
) -> None:
    """One cited summary across all documents, built from their summaries."""
    rag = _rag()
    result = rag.digest(out_dir=out, style=style, max_words=max_words)
    typer.echo(result.text)
    typer.echo(f"\nwritten to {out / 'digest.md'}")
    for item in result.plan.get("left_out", []) if isinstance(result.plan, dict) else []:
        typer.echo(f"left out: {item}", err=True)
    rag.close()


def _eval_rag(name: str):
    """A Rag over its own index under RAG_HOME/evals/NAME, so evals never mix with user data."""
    from rag.service import Rag
    from rag.settings import load_settings

    settings = load_settings()
    return Rag(settings.model_copy(update={"home": settings.home / "evals" / name}))


def _case_line(i: int, n: int, case) -> None:
    mark = "ok  " if case.passed else "FAIL"
    typer.echo(f"[{i:>3}/{n}] {mark} {case.id}: {' '.join(case.answer.split())[:90]}", err=True)


@app.command("eval")
def eval_(
    files: Annotated[list[Path] | None, typer.Argument(help="fact files (YAML)")] = None,
    corpus: Annotated[Path, typer.Option(help="documents the facts are about")] = Path("seeds"),
    json_out: Annotated[Path | None, typer.Option("--json", help="write results JSON")] = None,
    report: Annotated[Path | None, typer.Option(help="write a Markdown report")] = None,
    check: Annotated[bool, typer.Option(help="exit 1 when below evals/thresholds.toml")] = False,
    thresholds: Annotated[Path, typer.Option()] = Path("evals/thresholds.toml"),
    compare: Annotated[
        Path | None,
        typer.Option(help="a baseline `--json` result: show metric changes and flipped cases"),
    ] = None,
    squad: Annotated[Path | None, typer.Option(help="run the SQuAD 2.0 adapter on DIR")] = None,
    limit: Annotated[int | None, typer.Option(help="SQuAD: first N questions")] = None,
    retrieval_only: Annotated[
        bool, typer.Option(help="SQuAD: measure retrieval only, ask no LLM")
    ] = False,
    results_md: Annotated[Path, typer.Option(help="SQuAD: figures go here")] = Path(
        "evals/RESULTS.md"
    ),
) -> None:
    """Score answers against hand-written facts (or SQuAD 2.0); --check gates CI."""
    from rag.evals.compare import compare as compare_runs
    from rag.evals.compare import comparison_lines, load_run
    from rag.evals.report import render_report
    from rag.evals.runner import run_eval
    from rag.evals.thresholds import check as check_thresholds
    from rag.evals.thresholds import load_thresholds

    if squad is not None:
        import datetime as dt

        from rag.evals.squad import (
            run_fingerprint,
            run_squad,
            settings_line,
            squad_markdown,
            update_results_md,
        )

        rag = _eval_rag("squad2")
        st = rag.settings
        result = run_squad(
            rag,
            squad,
            st.home / "squad2-docs",
            limit,
            progress=lambda i, n, row: typer.echo(f"[{i:>3}/{n}] {row.get('id', '')}", err=True),
            ask=not retrieval_only,
            checkpoint=st.home / "squad2-rows.jsonl",
            fingerprint=run_fingerprint(st),
        )
        result["run"] = (
            f"{dt.date.today().isoformat()}; {settings_line(st)}, llm_threads {st.llm_threads}"
        )
        title = "SQuAD 2.0 retrieval" if retrieval_only else "SQuAD 2.0 answers"
        fragment = squad_markdown(result, title=title)
        update_results_md(results_md, fragment, key="-retrieval" if retrieval_only else "")
        if json_out:
            json_out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
        typer.echo(fragment)
        rag.close()
        return
    if not files:
        _fail("name one or more fact files, or pass --squad DIR")
    baseline = load_run(compare) if compare else None  # a bad baseline fails before the run

    rag = _eval_rag(hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:12])
    ingested = rag.ingest([corpus])
    typer.echo(f"corpus {corpus}: {ingested.summary()}", err=True)
    run = run_eval(rag, files, k=rag.settings.top_k, progress=_case_line)
    limits = load_thresholds(thresholds) if (check or thresholds.exists()) else {}
    comparison = compare_runs(baseline, run, str(compare)) if baseline else None
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(run.to_json(), indent=2), encoding="utf-8")
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(render_report(run, limits or None, comparison), encoding="utf-8")
    for name, value in run.metrics.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        typer.echo(f"{name:20} {shown}")
    if comparison:
        typer.echo("\n".join(comparison_lines(comparison)))
    rag.close()
    if check:
        failures = check_thresholds(run, limits)
        for line in failures:
            typer.echo(f"below threshold: {line}", err=True)
        if failures:
            raise typer.Exit(1)
        typer.echo("eval check passed")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default RAG_UI_HOST (127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="default RAG_UI_PORT (7860)")] = None,
) -> None:
    """Start the chat UI (same as `python app.py`)."""
    from rag.settings import load_settings
    from rag.ui.server import launch

    overrides = {k: v for k, v in {"ui_host": host, "ui_port": port}.items() if v is not None}
    launch(load_settings(**overrides))


def main() -> None:
    """Entry point: RagError becomes a one-line message and exit code 2, not a traceback."""
    from rag.errors import RagError

    try:
        app()
    except RagError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
