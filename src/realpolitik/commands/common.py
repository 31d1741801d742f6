"""Shared bits of the command line: options, output of tables, the console."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from realpolitik.export import write_table

console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True)

DEFAULT_CASE = "east-asia-1945"


def emit_frame(frame: pd.DataFrame, as_json: bool, csv: str | None, title: str = "") -> bool:
    """Print JSON, or write a table file; return True when the caller need not print more."""
    if csv:
        path = write_table(frame, csv)
        err_console.print(f"wrote {path}")
    if as_json:
        click.echo(frame.to_json(orient="records", date_format="iso", indent=2))
        return True
    return False


def rich_table(frame: pd.DataFrame, title: str = "", floats: str = "{:.3f}") -> Table:
    table = Table(title=title, show_lines=False, title_justify="left")
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for _, row in frame.iterrows():
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append("n/a" if pd.isna(v) else floats.format(v))
            else:
                cells.append(str(v))
        table.add_row(*cells)
    return table


def dump_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, default=str))


def progress_enabled() -> bool:
    return sys.stderr.isatty()


def out_path(value: str | None) -> Path | None:
    return Path(value) if value else None


def check_headline_actor(comp: Any, actor: str) -> None:
    """An actor named on the command line must be in the case; the default (USSR) may be
    absent, and the report then takes the actor with the most recorded decisions."""
    from click.core import ParameterSource

    from realpolitik.errors import InputError

    given = (
        click.get_current_context().get_parameter_source("headline_actor")
        is not ParameterSource.DEFAULT
    )
    if given and actor not in comp.actor_ids:
        raise InputError(
            f"--headline-actor: unknown actor '{actor}' (actors: {', '.join(comp.actor_ids)})"
        )
