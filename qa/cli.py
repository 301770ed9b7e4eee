"""The `qa` command line. Heavy libraries are imported only inside the commands that need them."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from qa.errors import (
    BackendError,
    IndexMissingError,
    IndexStaleError,
    IndexWriteError,
    InputError,
    ModelUnavailableError,
    QAError,
    SourceNotFoundError,
)
from qa.settings import Settings

app = typer.Typer(
    help="Offline question answering over a folder of articles, with line-exact citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Docs = Annotated[Path | None, typer.Option("--docs", help="Folder of articles [env QA_DOCS].")]
IndexDir = Annotated[
    Path | None, typer.Option("--index-dir", help="Index folder [env QA_INDEX_DIR].")
]
Model = Annotated[str | None, typer.Option("--model", help="GGUF model path [env QA_MODEL].")]
EmbedderOpt = Annotated[
    str | None, typer.Option("--embedder", help="sentence-transformers folder [env QA_EMBEDDER].")
]
LlmUrl = Annotated[
    str | None,
    typer.Option(
        "--llm-url", help="OpenAI-compatible server (…/v1) to generate with [env QA_LLM_URL]."
    ),
]
ReaderOpt = Annotated[
    str | None,
    typer.Option("--reader", help="spans, model, choice or auto [env QA_READER]."),
]
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile", help="fast (bundled SmolLM2) or accurate (Qwen 1.5B) [env QA_PROFILE]."
    ),
]
TopK = Annotated[
    int | None, typer.Option("--top-k", min=1, max=20, help="Passages whose lines are read.")
]

EXIT_CODES = {
    InputError: 2,
    SourceNotFoundError: 2,
    IndexMissingError: 3,
    IndexStaleError: 3,
    IndexWriteError: 3,
    ModelUnavailableError: 4,
    BackendError: 4,
}


def make_settings(**flags: Any) -> Settings:
    """Settings from the environment, with the flags that were given on top."""
    try:
        return Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValueError as exc:  # pydantic's ValidationError names the bad setting
        raise InputError(f"invalid setting: {exc}") from exc


def note(message: str) -> None:
    """A line for the person on stderr."""
    typer.echo(message, err=True)


def progress_bar(label: str):
    """A rich progress callback on a terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:,.0f} chunks/s" if task.speed else "", style="cyan")

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), Rate(),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                   transient=True, console=_console(err=True))  # fmt: skip
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


def _console(err: bool = False):
    from rich.console import Console

    return Console(stderr=err, no_color="NO_COLOR" in os.environ, highlight=False)


def _table_console():
    """A console for the wide tables: a file or pipe gets the whole table, not 80 columns."""
    console = _console()
    if not console.is_terminal:
        console.width = 132
    return console


def load_pipeline(settings: Settings):
    """The pipeline, building the index first if needed (said on stderr)."""
    from qa.pipeline import Pipeline

    bar, update = progress_bar("embedding")
    if bar:
        bar.start()
    try:
        return Pipeline.from_settings(settings, on_build=note, progress=update)
    finally:
        if bar:
            bar.stop()


def load_current_pipeline(settings: Settings):
    """The pipeline with articles changed since the last build re-indexed first (one line)."""
    from qa.live import announce, catch_up

    pipeline = load_pipeline(settings)
    try:
        drift, report = catch_up(pipeline)
    except IndexWriteError as exc:  # answers from the previous build carry `stale`
        note(str(exc))
        return pipeline
    if report is not None:
        note(announce(drift, report))
    return pipeline


@app.command()
def index(
    docs: Docs = None,
    index_dir: IndexDir = None,
    embedder: EmbedderOpt = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed every file.")] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Only report articles added, changed, emptied or deleted since the index was "
            "built; exit 1 when there are any, 0 when the index is up to date.",
        ),
    ] = False,
) -> None:
    """Build or update the index of the articles (only new and changed files are embedded)."""
    from qa.drift import check_index, up_to_date

    settings = make_settings(docs=docs, index_dir=index_dir, embedder=embedder)
    if check:
        drift = check_index(settings)
        for kind, file in drift.rows():
            typer.echo(f"{kind:8} {file}")
        typer.echo(f"index in {settings.index_dir}: " + ("stale" if drift.stale else "up to date"))
        raise typer.Exit(1 if drift.stale else 0)
    if not rebuild and up_to_date(settings):  # the embedder is never loaded for nothing
        typer.echo(f"index in {settings.index_dir} is up to date: nothing to do")
        return
    store, report = build(settings, rebuild)
    print_skipped(report)
    typer.echo(f"indexed {len(store.documents)} files into {where(settings)}: {report.summary()}")


def where(settings: Settings) -> str:
    """The index folder, or the Milvus store settings name."""
    return str(settings.index_dir) if settings.local_store else f"Milvus at {settings.store}"


def build(settings: Settings, rebuild: bool):
    """Load the embedder and build or update the index, with a progress bar on a terminal."""
    from qa.embed import load_embedder
    from qa.pipeline import index_now

    emb = load_embedder(settings.embedder_path(), settings.threads, settings.embedder_runtime)
    bar, update = progress_bar("embedding")
    if bar:
        bar.start()
    try:
        return index_now(settings, emb, rebuild=rebuild, progress=update)
    finally:
        if bar:
            bar.stop()


def print_skipped(report) -> None:
    """A table of the files not indexed and why, and of those read in another encoding."""
    from rich.table import Table

    if not report.skipped and not report.decoded:
        return
    table = Table(title="files not indexed as UTF-8 text")
    table.add_column("file", overflow="fold")
    table.add_column("outcome")
    for s in report.skipped:
        table.add_row(s.file, f"skipped: {s.reason}")
    for file, encoding in report.decoded:
        table.add_row(file, f"indexed: not UTF-8, read as {encoding}")
    _table_console().print(table)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the answer object.")] = False,
    top_k: TopK = None,
    docs: Docs = None,
    index_dir: IndexDir = None,
    model: Model = None,
    embedder: EmbedderOpt = None,
    llm_url: LlmUrl = None,
    profile: ProfileOpt = None,
    reader: ReaderOpt = None,
) -> None:
    """Answer one question from the articles, citing file and lines."""
    settings = make_settings(
        docs=docs, index_dir=index_dir, model=model, embedder=embedder, top_k=top_k,
        llm_url=llm_url, profile=profile, reader=reader,
    )  # fmt: skip
    if not question.strip():
        raise InputError("the question is empty")
    pipeline = load_current_pipeline(settings)
    answer = pipeline.ask(question)
    if json_out:
        typer.echo(answer.model_dump_json(indent=2))
        return
    print_answer(answer)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [env QA_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [env QA_PORT].")] = None,
    docs: Docs = None,
    index_dir: IndexDir = None,
    model: Model = None,
    embedder: EmbedderOpt = None,
    llm_url: LlmUrl = None,
    profile: ProfileOpt = None,
    reader: ReaderOpt = None,
) -> None:
    """Serve the HTTP API (and the page at /), loading models and index once."""
    from qa.server import serve as run

    settings = make_settings(
        host=host,
        port=port,
        docs=docs,
        index_dir=index_dir,
        model=model,
        embedder=embedder,
        llm_url=llm_url,
        profile=profile,
        reader=reader,
    )
    run(settings)


@app.command()
def bench(
    gold: Annotated[Path, typer.Option("--gold", help="Questions to time (JSON Lines).")] = Path(
        "tests/gold/dev.jsonl"
    ),
    questions: Annotated[int, typer.Option(min=1, help="How many questions to time.")] = 20,
    sizes: Annotated[str, typer.Option(help="Synthetic index sizes for search.")] = "10000,100000",
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON.")] = None,
    scale: Annotated[
        bool, typer.Option("--scale", help="Stores on synthetic corpora of --scale-sizes lines.")
    ] = False,
    scale_sizes: Annotated[str, typer.Option(help="Corpus sizes for --scale, in lines.")] = (
        "10000,100000,1000000"
    ),
    stores: Annotated[str, typer.Option(help="Stores for --scale: local, milvus.")] = (
        "local,milvus"
    ),
    embed_sample: Annotated[
        int, typer.Option(min=0, help="Chunks timed through MiniLM for --scale (0: skip).")
    ] = 256,
    docs: Docs = None,
    model: Model = None,
    embedder: EmbedderOpt = None,
    llm_url: LlmUrl = None,
    profile: ProfileOpt = None,
    reader: ReaderOpt = None,
) -> None:
    """Measure load, index build, embedding, search and per-question speed (prints figures)."""
    from qa.bench import run
    from qa.evaluate import load_gold

    if scale:
        from qa.bench_scale import run as run_scale

        try:
            chosen = [int(x) for x in scale_sizes.split(",") if x.strip()]
        except ValueError:
            raise InputError(f"--scale-sizes must be whole numbers, not {scale_sizes!r}") from None
        settings = make_settings(docs=docs, embedder=embedder)
        kinds = [x.strip() for x in stores.split(",") if x.strip()]
        report = run_scale(settings, chosen, kinds, embed_sample)
        print_scale(report)
        if out:
            out.write_text(json.dumps(report, indent=2))
        return

    try:
        chosen_sizes = [int(x) for x in sizes.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--sizes must be comma-separated whole numbers, not {sizes!r}") from None
    items = load_gold(gold)[:questions]
    settings = make_settings(
        docs=docs, model=model, embedder=embedder, llm_url=llm_url, profile=profile, reader=reader
    )
    report = run(settings, [i.question for i in items], chosen_sizes)
    print_bench(report)
    if out:
        out.write_text(json.dumps(report, indent=2))


def print_scale(report: dict) -> None:
    """The --scale figures as a table."""
    from rich.table import Table

    rates = report["embedding"]
    title = (
        f"qa bench --scale · MiniLM {rates.get('local_chunks_s')} chunks/s in process, "
        f"{rates.get('engine_chunks_s')} through an engine of {rates.get('engine_workers')} "
        f"workers · {report['cores']} cores, load {report['load_average']:.1f}"
    )
    table = Table(title=title, caption=report["note"])
    columns = list(dict.fromkeys(k for row in report["stores"] for k in row))
    for col in columns:
        table.add_column(col, justify="right")
    for row in report["stores"]:
        table.add_row(*(str(row.get(c, "")) for c in columns))
    _table_console().print(table)


def print_bench(report: dict) -> None:
    """The figures as tables."""
    from rich.table import Table

    console = _console()
    m = report["machine"]
    head = Table(title=f"qa bench · {m['model']} · {m['embedder']} · {m['threads']} threads")
    head.add_column("figure")
    head.add_column("value", justify="right")
    rows = {**{f"load {k}": v for k, v in report["load"].items()},
            **{f"index {k}": v for k, v in report["index"].items()},
            **report["per_question"]["summary"]}  # fmt: skip
    for key, value in rows.items():
        head.add_row(key, str(value))
    console.print(head)
    search = Table(title="search on synthetic chunks (median ms per query)")
    for col in report["search"][0]:
        search.add_column(col, justify="right")
    for row in report["search"]:
        search.add_row(*(str(v) for v in row.values()))
    console.print(search)


@app.command()
def chat(
    json_out: Annotated[
        bool, typer.Option("--json", help="One answer object per line (for scripts).")
    ] = False,
    docs: Docs = None,
    index_dir: IndexDir = None,
    model: Model = None,
    embedder: EmbedderOpt = None,
    llm_url: LlmUrl = None,
    profile: ProfileOpt = None,
    reader: ReaderOpt = None,
) -> None:
    """Talk with the articles: follow-up questions, /sources, /retrieved, /reset, /quit."""
    from qa.chat import run as run_chat

    settings = make_settings(
        docs=docs, index_dir=index_dir, model=model, embedder=embedder, llm_url=llm_url,
        profile=profile, reader=reader,
    )  # fmt: skip
    pipeline = load_current_pipeline(settings)
    run_chat(pipeline, json_out, no_color="NO_COLOR" in os.environ)


def print_answer(answer) -> None:
    """The answer, then each citation with its quoted lines."""
    from rich.text import Text

    console = _console()
    console.print(Text(answer.answer, style="bold"))
    if answer.abstained:
        console.print(Text(f"({answer.abstain_reason})", style="dim"))
        for p in answer.retrieved[:3]:
            console.print(Text(f"  closest: {p.file}:{p.start_line}-{p.end_line}", style="dim"))
    if answer.stale:
        console.print(Text("(articles changed since indexing: run `qa index`)", style="yellow"))
    if answer.parts:
        console.print(Text(f"asked in two parts: {' · '.join(answer.parts)}", style="dim"))
    for i, c in enumerate(answer.citations, 1):
        console.print(Text(f"[{i}] {c.file}:{c.start_line}-{c.end_line}", style="cyan"))
        for line in c.quote.splitlines():
            console.print(Text(f"    {line}"))
    console.print(
        Text(
            f"{answer.timings_ms.total:.0f} ms (retrieve {answer.timings_ms.retrieve:.0f}, "
            f"generate {answer.timings_ms.generate:.0f}) · {answer.model}",
            style="dim",
        )
    )


# the commands that live in modules of their own register themselves on `app`
from qa import cli_eval, cli_models  # noqa: E402, F401


def main() -> None:
    """Entry point: known errors become one line on stderr and an exit code."""
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
    debug = os.environ.get("QA_DEBUG", "") not in ("", "0", "false")
    try:
        app()
    except QAError as exc:
        if debug:
            raise
        note(f"error: {exc}")
        code = next((c for t, c in EXIT_CODES.items() if isinstance(exc, t)), 1)
        raise SystemExit(code) from None
    except KeyboardInterrupt:
        note("interrupted")
        raise SystemExit(130) from None
