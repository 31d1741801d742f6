"""Shared bits of the command line: options, output of tables, the console."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from realpolitik.export import write_table

console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True)

DEFAULT_CASE = "east-asia-1945"


def write_option_table(frame: pd.DataFrame, path: str | None) -> None:
    """Write the table a --csv option names (format by extension) and say where."""
    if path:
        err_console.print(f"wrote {write_table(frame, path)}")


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
