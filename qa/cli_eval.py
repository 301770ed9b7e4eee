"""`qa eval`: score the pipeline against gold questions, one file or every set."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from qa.cli import (
    Docs,
    EmbedderOpt,
    IndexDir,
    LlmUrl,
    Model,
    ProfileOpt,
    ReaderOpt,
    TopK,
    _console,
    _table_console,
    app,
    load_pipeline,
    make_settings,
    note,
)
from qa.errors import InputError

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
    gold_earlier: Annotated[
        bool,
        typer.Option(
            "--gold-earlier",
            help="Conversations: the earlier turns take their gold answers (turn_answers) instead "
            "of being asked, so the last turn measures the follow-up resolver apart from earlier "
            "readings.",
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
    if calibrate and gold_earlier:
        raise InputError("--gold-earlier is for conversations; --calibrate takes questions")
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
        frozen = not suite.tuning(gold)
        chosen = [suite.QuestionSet(gold.stem, gold, docs or settings.docs, frozen, conv)]
        if conv and calibrate:
            raise InputError("--calibrate takes a file of questions, not conversations")
    for qs in chosen:  # every file read before any model loads: a typo fails at once
        items = suite.load(qs)
        if not qs.docs.is_dir():
            raise InputError(f"articles folder {str(qs.docs)!r} does not exist")
        bare = [c.id for c in items if qs.conversations and not c.turn_answers]
        if gold_earlier and bare:
            raise InputError(f"--gold-earlier needs turn_answers: {qs.gold} has none for {bare[0]}")
    if gold_earlier and not any(qs.conversations for qs in chosen):
        raise InputError("--gold-earlier is for conversation files; no conversations were chosen")
    if calibrate:
        settings = settings.model_copy(update=OFF)
    pipeline = load_pipeline(settings.for_docs(chosen[0].docs))
    total = sum(len(suite.load(qs)) for qs in chosen)
    with Progress(console=_console(err=True), disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("asking", total=total)
        reports = suite.run(
            pipeline, chosen, note, on_row=lambda _: bar.advance(task), gold_earlier=gold_earlier
        )
    report = reports[chosen[0].name] if not all_sets else {"sets": reports}
    recorded = all_sets and not sets and not gold_earlier  # what auto reads: questions as asked
    if recorded and pipeline.generator.name.endswith(".gguf"):
        from qa.models import record

        rows = [q for r in reports.values() for q in r["questions"]]
        record(settings.models_dir, pipeline.generator.name, pipeline.reader_mode, rows)
    if calibrate:
        limit = 0.1 if max_wrongful_abstention is None else max_wrongful_abstention
        report["calibration"] = calibration = run_calibration(report["questions"], limit)
        print_calibration(calibration, limit)
    elif all_sets or chosen[0].conversations:
        print_suite(reports, pipeline)
        if gold_earlier:
            note("conversations: the earlier turns took their gold answers (--gold-earlier)")
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
