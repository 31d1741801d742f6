"""`realpolitik data ...` and `realpolitik alliances ...`: the dyad-year alliance study."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from realpolitik.errors import InputError, Problem

DATA_DIR_HELP = (
    "Data directory (default: $REALPOLITIK_DATA_DIR, else $XDG_CACHE_HOME/realpolitik/data "
    "or ~/.cache/realpolitik/data)."
)


@contextmanager
def _progress(total: int, description: str) -> Iterator[Callable[[str], None]]:
    """A rich progress bar on stderr; yields `advance(label)`."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=total, step="")

        def advance(label: str) -> None:
            bar.update(task, advance=1, step=label)

        yield advance


# --------------------------------------------------------------------------- data


@click.group()
def data() -> None:
    """Import and list the peacesciencer datasets the alliance study uses."""


@data.command("import")
@click.argument("source_dir", type=click.Path(path_type=Path))
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help=DATA_DIR_HELP)
@click.option("--only", multiple=True, help="Import only these datasets (repeatable).")
def data_import(source_dir: Path, data_dir: Path | None, only: tuple[str, ...]) -> None:
    """Read the .rda files under SOURCE_DIR (a peacesciencer folder) into the data directory."""
    from realpolitik.alliances import store
    from realpolitik.alliances.catalog import DATASETS

    names = list(only) if only else list(DATASETS)
    target = store.resolve_data_dir(data_dir)
    with _progress(len(names), "importing") as advance:
        entries = store.import_all(source_dir, data_dir, names=names, progress=advance)
    for e in entries:
        click.echo(f"{e['name']:<18} {e['rows']:>10,} rows  version {e['version']}")
    click.echo(f"imported {len(entries)} datasets into {target}")


@data.command("list")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help=DATA_DIR_HELP)
@click.option("--citations/--no-citations", default=True, help="Print how to cite each dataset.")
def data_list(data_dir: Path | None, citations: bool) -> None:
    """Show which datasets are present, their versions and how to cite them."""
    from rich.console import Console
    from rich.table import Table

    from realpolitik.alliances import store
    from realpolitik.alliances.catalog import PEACESCIENCER_CITATION

    root = store.resolve_data_dir(data_dir)
    st = store.status(data_dir)
    table = Table(title=f"realpolitik data in {root}")
    for col in ("dataset", "status", "version", "rows", "source sha256"):
        table.add_column(col)
    for _, row in st.iterrows():
        table.add_row(
            row["name"],
            "present" if row["present"] else "[red]missing[/red]",
            row["version"],
            f"{int(row['rows']):,}" if row["present"] else "",
            row["sha256"] or f"get {row['get']}",
        )
    console = Console()
    console.print(table)
    if citations:
        console.print("\n[bold]How to cite[/bold]")
        for _, row in st.iterrows():
            console.print(f"- {row['name']}: {row['citation']}", highlight=False)
        console.print(f"- and peacesciencer: {PEACESCIENCER_CITATION}", highlight=False)


# --------------------------------------------------------------------------- alliances


@click.group()
def alliances() -> None:
    """Dyad-year alliance panel and the ideology-vs-interest models."""


@alliances.command("build")
@click.option("--from", "year_from", type=int, default=1816, show_default=True)
@click.option("--to", "year_to", type=int, default=2018, show_default=True)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="Output file: .parquet, .csv or .dta (by extension).",
)
@click.option("--directed/--non-directed", default=False, show_default=True)
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help=DATA_DIR_HELP)
def alliances_build(
    year_from: int, year_to: int, out: Path, directed: bool, data_dir: Path | None
) -> None:
    """Build the CoW dyad-year panel with every covariate and write it to --out."""
    from realpolitik.alliances.api import build_panel
    from realpolitik.alliances.panel import STEPS
    from realpolitik.export import FORMATS, write_table

    if out.suffix.lower() not in FORMATS:
        raise InputError(
            Problem(
                str(out),
                "--out",
                f"unsupported extension {out.suffix or '(none)'}; "
                f"expected one of {', '.join(FORMATS)}",
            )
        )
    with _progress(len(STEPS) + 2, "building panel") as advance:
        df = build_panel(year_from, year_to, directed=directed, data_dir=data_dir, progress=advance)
        write_table(df, out)
        advance("written")
    click.echo(f"wrote {len(df):,} dyad-years x {df.shape[1]} columns to {out}")


def _print_fit(fit: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from realpolitik.alliances.models import CONTROL, AllianceFit, verdict_line

    assert isinstance(fit, AllianceFit)
    frame = fit.to_frame()
    console = Console()
    for era, r in fit.results.items():
        table = Table(
            title=f"{era}: alliance {fit.outcome} logit, dyad-clustered SEs (years {r.year_min}-{r.year_max}, "
            f"n={r.n_obs:,}, events={r.n_events:,}, dyads={r.n_dyads:,}, "
            f"pseudo-R2={r.pseudo_r2:.3f}); AME: 0->1 for flags, +1 SD for continuous terms",
            title_justify="left",
        )
        for col in ("block", "term", "coef", "SE", "AME", "AME 95% CI"):
            table.add_column(
                col, justify="left" if col in ("block", "term") else "right", no_wrap=True
            )
        for _, row in frame[frame["era"] == era].iterrows():
            is_ctrl = row["block"] == CONTROL
            table.add_row(
                row["block"],
                row["term"],
                f"{row['estimate']:+.3f}",
                f"{row['std_error']:.3f}",
                "" if is_ctrl else f"{row['ame']:+.4f}",
                "" if is_ctrl else f"[{row['ame_low']:+.4f}, {row['ame_high']:+.4f}]",
            )
        console.print(table)
        b = r.blocks
        console.print(
            f"  explained variation (drop in McFadden R2 when the block is removed): "
            f"ideology {r.r2_drop('ideology'):.4f}, interest {r.r2_drop('interest'):.4f}",
            highlight=False,
        )
        console.print(
            f"  block AMEs: ideology {b['ideology_ame']:+.4f} "
            f"[{b['ideology_low']:+.4f}, {b['ideology_high']:+.4f}], interest "
            f"{b['interest_ame']:+.4f} [{b['interest_low']:+.4f}, {b['interest_high']:+.4f}]",
            highlight=False,
        )
        console.print(f"  [bold]verdict[/bold] {verdict_line(r)}\n", highlight=False)


@alliances.command("fit")
@click.option(
    "--era",
    "eras",
    multiple=True,
    help="Era label (1816-1913, 1919-1939, 1946-1989, 1990-2018), name (cold-war, "
    "...), 'pooled' or 'all'; repeatable or comma-separated. Default: all + pooled.",
)
@click.option(
    "--outcome", type=click.Choice(["onset", "presence"]), default="onset", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the tidy coefficient/AME table to this file (.csv/.parquet/.dta).",
)
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help=DATA_DIR_HELP)
def alliances_fit(
    eras: tuple[str, ...],
    outcome: str,
    as_json: bool,
    csv_file: Path | None,
    data_dir: Path | None,
) -> None:
    """Fit alliance onset (or presence) by era and print the ideology-vs-interest verdict."""
    from realpolitik.alliances.api import fit_alliances
    from realpolitik.alliances.eras import parse_eras
    from realpolitik.alliances.models import verdict_line
    from realpolitik.export import write_table

    if as_json and csv_file is not None:
        raise InputError(Problem("--json/--csv", "option", "choose one of --json or --csv"))
    labels = parse_eras(list(eras) if eras else None)
    with _progress(len(labels), "fitting") as advance:
        fit = fit_alliances(labels, outcome=outcome, data_dir=data_dir, progress=advance)
    if as_json:
        json.dump(fit.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    if csv_file is not None:
        write_table(fit.to_frame(), csv_file)
        for r in fit.results.values():
            click.echo(verdict_line(r))
        click.echo(f"wrote {len(fit.to_frame())} rows to {csv_file}")
        return
    _print_fit(fit)


__all__ = ["data", "alliances"]
