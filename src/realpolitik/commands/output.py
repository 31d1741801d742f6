"""How commands print tables: `--format table|json|csv|markdown|latex`, fitted to the width.

`table` is a rich table as wide as the terminal (or `COLUMNS` when the output is piped; 100
when neither says); a table that cannot fit without breaking a number is stacked instead, one
block of `column: value` lines per row. `csv` prints the command's main table only, `markdown`
and `latex` print every table with its title, `json` is built by each command. Notes go to
stdout in the `table` format and to stderr otherwise, so that machine output stays clean.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from typing import Any

import click
import numpy as np
import pandas as pd
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "json", "csv", "markdown", "latex")
DEFAULT_WIDTH = 100
MIN_WIDTH = 40
TEXT_MIN = 12  # a text column may wrap down to this many characters


def terminal_width() -> int:
    """The terminal's width, or COLUMNS when piped (or set), else 100."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return max(MIN_WIDTH, int(env))
    if sys.stdout.isatty():
        return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


def make_console(stderr: bool = False) -> Console:
    return Console(width=terminal_width(), stderr=stderr, soft_wrap=False)


def format_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--format` (and the old `--json`, kept as an alias of `--format json`)."""
    fn = click.option(
        "--json", "as_json", is_flag=True, hidden=True, help="Same as --format json."
    )(fn)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="How to print: a terminal table, JSON, CSV (the main table), Markdown or LaTeX.",
    )(fn)


def out_file_checked(ctx: Any, param: Any, value: str | None) -> str | None:
    """--out FILE: the extension says the format; a wrong one fails before any work."""
    from realpolitik.export import FORMATS as EXTENSIONS

    if value is not None and os.path.splitext(value)[1].lower() not in EXTENSIONS:
        raise click.BadParameter(
            f"expected a file ending in {', '.join(EXTENSIONS)}, got '{value}'", ctx, param
        )
    return value


def out_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--out FILE` (format by extension), and the old `--csv FILE` as a hidden alias."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn = click.option(
            "--csv",
            "csv_alias",
            metavar="FILE",
            hidden=True,
            callback=out_file_checked,
            help="Old --out.",
        )(fn)
        return click.option(
            "--out",
            "out",
            metavar="FILE",
            callback=out_file_checked,
            help=f"Write {what} to FILE: .csv, .parquet, .dta (labelled) or .json.",
        )(fn)

    return deco


def output_options(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--out FILE` for `what` and `--format`: the output options every table command takes.
    The command receives `out`, `csv_alias`, `fmt` and `as_json`."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        return out_option(what)(format_option(fn))

    return deco


def cell(value: Any, floats: str) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "n/a" if pd.isna(value) else floats.format(value)
    if value is None or (
        not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)
    ):
        return "n/a"
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").replace("%", ""))
    except ValueError:
        return text == "n/a"
    return True


def fits(cells: pd.DataFrame, width: int) -> bool:
    """Whether a bordered table of these cells fits `width` with numbers on one line and text
    columns wrapped at word boundaries (no narrower than TEXT_MIN or their longest word)."""
    need = 1
    for col in cells.columns:
        values = list(cells[col])
        head = str(col)
        if all(_is_number(v) for v in values):
            w = max([len(head)] + [len(v) for v in values])
        else:
            longest_word = max([len(w) for v in values for w in v.split()] + [1])
            w = min(
                max([len(v) for v in values] + [len(head)]),
                max(TEXT_MIN, longest_word, max((len(w) for w in head.split()), default=1)),
            )
        need += w + 3
    return need <= width


def render_table(
    frame: pd.DataFrame, title: str = "", floats: str = "{:.3f}", width: int | None = None
) -> Any:
    """A rich renderable: a table when it fits `width`, else the rows stacked."""
    width = width or terminal_width()
    cells = pd.DataFrame(
        {str(c): [cell(v, floats) for v in frame[c]] for c in frame.columns}, index=frame.index
    )
    if fits(cells, width):
        return _table(cells, title)
    if len(cells) > 1 and cells.iloc[:, 0].is_unique:
        # a few long rows read well turned on their side: one column per row
        turned = cells.set_index(cells.columns[0]).T.reset_index()
        turned.columns = [str(cells.columns[0]), *map(str, turned.columns[1:])]
        if fits(turned, width):
            return _table(turned, title)
    return stacked(cells, title, width)


def _table(cells: pd.DataFrame, title: str) -> Table:
    # the title is text, not markup (as in the stacked form and the other formats)
    table = Table(title=Text(title) if title else None, title_justify="left", show_lines=False)
    for col in cells.columns:
        numeric = all(_is_number(v) for v in cells[col])
        table.add_column(
            col, justify="right" if numeric else "left", no_wrap=numeric, overflow="fold"
        )
    for row in cells.itertuples(index=False):
        table.add_row(*row)
    return table


def stacked(cells: pd.DataFrame, title: str, width: int) -> Any:
    """One block per row: the first column as a heading, then `column: value` lines."""
    key_w = min(max((len(str(c)) for c in cells.columns[1:]), default=0), width // 2)
    parts: list[Any] = []
    if title:
        parts.append(Text(title, style="italic"))
    for row in cells.itertuples(index=False):
        values = list(row)
        parts.append(Text(f"{cells.columns[0]}: {values[0]}", style="bold"))
        grid = Table.grid(padding=(0, 1), pad_edge=False)
        grid.add_column(width=key_w, no_wrap=False, overflow="fold")
        grid.add_column(overflow="fold")
        for col, v in zip(cells.columns[1:], values[1:], strict=True):
            grid.add_row(Text(str(col), style="dim"), v)
        parts.append(grid)
    return Group(*parts)


class Output:
    """Where a command's tables and notes go, in the chosen format."""

    def __init__(self, fmt: str, as_json: bool = False):
        self.fmt = "json" if as_json else fmt
        self.console = make_console()
        self.err = make_console(stderr=True)
        self._primary_done = False

    @property
    def is_json(self) -> bool:
        return self.fmt == "json"

    def table(
        self, frame: pd.DataFrame, title: str = "", floats: str = "{:.3f}", primary: bool = False
    ) -> None:
        if self.fmt == "table":
            self.console.print(render_table(frame, title, floats, self.console.width))
        elif self.fmt == "csv":
            if primary and not self._primary_done:
                click.echo(frame.to_csv(index=False), nl=False)
                self._primary_done = True
        elif self.fmt == "markdown":
            text = pd.DataFrame(
                {str(c): [cell(v, floats) for v in frame[c]] for c in frame.columns}
            ).to_markdown(index=False, disable_numparse=True)
            click.echo((f"**{title}**\n\n" if title else "") + text + "\n")
        elif self.fmt == "latex":
            from realpolitik.summary import latex_table

            cells = pd.DataFrame(
                {str(c): [cell(v, floats) for v in frame[c]] for c in frame.columns}
            )
            click.echo(latex_table(cells, caption=title or None))

    def note(self, text: str, style: str = "") -> None:
        """A line for people: printed with the table, to stderr with machine formats."""
        if self.fmt == "table":
            self.console.print(text, style=style or None)
        elif self.fmt == "markdown":
            click.echo(Text.from_markup(text).plain + "\n")
        elif self.fmt == "latex":
            click.echo("% " + Text.from_markup(text).plain)
        else:
            self.err.print(text, style=style or None)

    def json(self, obj: Any) -> None:
        click.echo(json.dumps(obj, indent=2, default=str))
