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
            "present"
            if row["present"]
            else ("not imported (optional)" if row["optional"] else "[red]missing[/red]"),
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
    help="Output file: .parquet, .csv, .dta or .json (by extension); .dta carries labels.",
)
@click.option("--directed/--non-directed", default=False, show_default=True)
@click.option(
    "--covariates",
    default="model",
    show_default=True,
    help="Covariate groups, comma-separated: capabilities, regime, contiguity, majors, "
    "rivalries, mids, igos; 'model' = those the models use, 'all' = every group.",
)
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help=DATA_DIR_HELP)
def alliances_build(
    year_from: int,
    year_to: int,
    out: Path,
    directed: bool,
    covariates: str,
    data_dir: Path | None,
) -> None:
    """Build the CoW dyad-year panel with its covariates and write it to --out."""
    from realpolitik.alliances.api import build_panel
    from realpolitik.alliances.labels import panel_labels
    from realpolitik.alliances.panel import resolve_covariates
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
    groups = resolve_covariates([covariates])
    with _progress(len(groups) + 3, "building panel") as advance:
        df = build_panel(
            year_from,
            year_to,
            directed=directed,
            data_dir=data_dir,
            progress=advance,
            covariates=groups,
        )
        labels, value_labels, data_label = panel_labels(df)
        write_table(df, out, labels=labels, value_labels=value_labels, data_label=data_label)
        advance("written")
    click.echo(f"wrote {len(df):,} dyad-years x {df.shape[1]} columns to {out}")


def _print_fit(fit: object) -> None:
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from realpolitik.alliances.models import (
        CONTROL,
        PEACE_TERMS,
        AllianceFit,
        header_lines,
        term_contrast,
        verdict_line,
    )

    assert isinstance(fit, AllianceFit)
    from rich.markup import escape

    frame = fit.to_frame()
    console = Console(width=None if sys.stdout.isatty() else 150)
    console.print(f"[bold]Alliance models[/bold]: {escape(fit.spec.label())}", highlight=False)
    for era, r in fit.results.items():
        head = header_lines(r)
        table = Table(title=escape("\n".join(head)), title_justify="left")
        se_col = {"twoway": "SE two-way", "dyad": "SE dyad", "bootstrap": "SE boot"}[r.spec.se]
        for col in ("block", "term", "coef", se_col, "SE dyad-only", "z", "AME", "AME 95% CI"):
            table.add_column(
                col, justify="left" if col in ("block", "term") else "right", no_wrap=True
            )
        for _, row in frame[frame["era"] == era].iterrows():
            if row["term"] in PEACE_TERMS or str(row["term"]).startswith("era_"):
                continue
            no_ame = row["block"] == CONTROL and not np.isfinite(row["ame"])
            table.add_row(
                row["block"],
                row["term"],
                f"{row['estimate']:+.3f}",
                f"{row['std_error']:.3f}",
                f"{row['std_error_dyad']:.3f}",
                f"{row['z']:+.2f}",
                "" if no_ame else f"{row['ame']:+.4f}",
                "" if no_ame else f"[{row['ame_low']:+.4f}, {row['ame_high']:+.4f}]",
            )
        console.print(table)
        console.print(
            "  (peace-years cubic and era intercepts not shown; AME: 0->1 for flags, +1 SD for "
            "continuous terms)",
            highlight=False,
        )
        c = term_contrast(r, "joint_democracy", "joint_autocracy")
        console.print(
            f"  joint democracy - joint autocracy: {c['estimate']:+.3f} (se {c['std_error']:.3f}, "
            f"z {c['z']:+.2f})",
            highlight=False,
        )
        console.print(f"  [bold]verdict[/bold] {escape(verdict_line(r))}\n", highlight=False)


@alliances.command("fit")
@click.option(
    "--era",
    "eras",
    multiple=True,
    help="Era label (1816-1913, 1919-1939, 1946-1989, 1990-2018), name (cold-war, "
    "...), 'pooled' or 'all'; repeatable or comma-separated. Default: all + pooled.",
)
@click.option(
    "--outcome",
    default="any-onset",
    show_default=True,
    help="any-onset (a new ATOP obligation: new pledge type or new alliance), first-onset, "
    "or PLEDGE-onset / PLEDGE-presence for PLEDGE in any, defense, offense, neutrality, "
    "nonaggression, consultation (e.g. defense-onset).",
)
@click.option(
    "--regime",
    type=click.Choice(["polity", "vdem", "uds"]),
    default="polity",
    show_default=True,
    help="Regime measure of the ideology terms.",
)
@click.option(
    "--se",
    type=click.Choice(["twoway", "dyad", "bootstrap"]),
    default="twoway",
    show_default=True,
    help="Standard errors: clustered by dyad and year, by dyad only, or a bootstrap over "
    "whole years (all treaties of a year resampled together).",
)
@click.option(
    "--estimator",
    type=click.Choice(["logit", "firth", "rare-events"]),
    default="logit",
    show_default=True,
    help="Logit, Firth's penalised logit, or King-Zeng rare-events correction.",
)
@click.option(
    "--fe",
    type=click.Choice(["none", "year", "dyad", "dyad+year"]),
    default="none",
    show_default=True,
    help="Fixed effects (linear probability model, two-way clustered).",
)
@click.option(
    "--controls-as-interest",
    is_flag=True,
    help="Count contiguity and major power in the interest block (default: controls).",
)
@click.option("--directed", is_flag=True, help="Fit on directed dyad-years.")
@click.option(
    "--no-robustness", is_flag=True, help="Skip the robustness checks (no verdict is robust)."
)
@click.option(
    "--reps",
    type=click.IntRange(2, 10_000),
    default=99,
    show_default=True,
    help="Bootstrap replicates (--se bootstrap).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the tidy coefficient/AME table to this file (.csv/.parquet/.dta/.json).",
)
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help=DATA_DIR_HELP)
def alliances_fit(
    eras: tuple[str, ...],
    outcome: str,
    regime: str,
    se: str,
    estimator: str,
    fe: str,
    controls_as_interest: bool,
    directed: bool,
    no_robustness: bool,
    reps: int,
    seed: int,
    as_json: bool,
    csv_file: Path | None,
    data_dir: Path | None,
) -> None:
    """Fit alliance formation (or presence) by era and print the ideology-vs-interest verdict."""
    from realpolitik.alliances.api import fit_alliances
    from realpolitik.alliances.eras import parse_eras
    from realpolitik.alliances.labels import coefficient_labels
    from realpolitik.alliances.models import verdict_line
    from realpolitik.export import write_table

    if as_json and csv_file is not None:
        raise InputError(Problem("--json/--csv", "option", "choose one of --json or --csv"))
    labels = parse_eras(list(eras) if eras else None)
    with _progress(len(labels), "fitting") as advance:
        fit = fit_alliances(
            labels,
            outcome=outcome,
            data_dir=data_dir,
            progress=advance,
            regime=regime,
            se=se,
            estimator=estimator,
            fe=fe,
            controls_as_interest=controls_as_interest,
            directed=directed,
            robustness=not no_robustness,
            reps=reps,
            seed=seed,
        )
    if as_json:
        json.dump(fit.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    if csv_file is not None:
        frame = fit.to_frame()
        write_table(
            frame,
            csv_file,
            labels=coefficient_labels(frame),
            data_label=f"realpolitik alliances fit: {fit.spec.label()}",
        )
        for r in fit.results.values():
            click.echo(verdict_line(r))
        click.echo(f"wrote {len(frame)} rows to {csv_file}")
        return
    _print_fit(fit)


__all__ = ["data", "alliances"]
