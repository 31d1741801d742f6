"""Shared bits of the command line: options, output of tables, the console."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import pandas as pd

from realpolitik.commands.defaults import DEFAULT_CASE
from realpolitik.commands.output import make_console, render_table
from realpolitik.export import write_table

console = make_console()
err_console = make_console(stderr=True)

__all__ = ["DEFAULT_CASE", "console", "err_console", "write_option_table", "rich_table"]


def write_option_table(
    frame: pd.DataFrame, path: str | None, data_label: str | None = None
) -> None:
    """Write the table an --out option names (format by extension; a .dta is labelled) and
    say where."""
    if path:
        err_console.print(f"wrote {write_table(frame, path, data_label=data_label)}")


def rich_table(frame: pd.DataFrame, title: str = "", floats: str = "{:.3f}") -> Any:
    """The frame as a table fitted to the terminal width (stacked when it cannot fit)."""
    return render_table(frame, title, floats, console.width)


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
