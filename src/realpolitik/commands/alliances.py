"""`realpolitik data ...` and `realpolitik alliances ...`: the dyad-year alliance study."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from realpolitik.commands.common import choice_option, seed_option, write_option_table
from realpolitik.commands.output import (
    Output,
    format_option,
    out_file_checked,
    output_options,
)

if TYPE_CHECKING:
    import pandas as pd

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
@output_options("the table of imported datasets")
def data_import(
    source_dir: Path,
    data_dir: Path | None,
    only: tuple[str, ...],
    out: str | None,
    csv_alias: str | None,
    fmt: str,
    as_json: bool,
) -> None:
    """Read the .rda files under SOURCE_DIR (a peacesciencer folder) into the data directory."""
    import pandas as pd

    from realpolitik.alliances import store
    from realpolitik.alliances.catalog import DATASETS

    names = list(only) if only else list(DATASETS)
    target = store.resolve_data_dir(data_dir)
    with _progress(len(names), "importing") as advance:
        entries = store.import_all(source_dir, data_dir, names=names, progress=advance)
    frame = pd.DataFrame(
        [{"dataset": e["name"], "rows": int(e["rows"]), "version": e["version"]} for e in entries],
        columns=["dataset", "rows", "version"],
    )
    write_option_table(frame, out or csv_alias, data_label=f"realpolitik data import: {target}")
    o = Output(fmt, as_json)
    if o.is_json:
        o.json({"data_dir": str(target), "imported": frame.to_dict("records")})
        return
    o.table(frame, title=f"imported into {target}", floats="{:,.0f}", primary=True)
    o.note(escape(f"imported {len(entries)} datasets into {target}"))


@data.command("list")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help=DATA_DIR_HELP)
@click.option("--citations/--no-citations", default=True, help="Print how to cite each dataset.")
@output_options("the table of datasets")
def data_list(
    data_dir: Path | None,
    citations: bool,
    out: str | None,
    csv_alias: str | None,
    fmt: str,
    as_json: bool,
) -> None:
    """Show which datasets are present, their versions and how to cite them."""
    import pandas as pd

    from realpolitik.alliances import store
    from realpolitik.alliances.catalog import PEACESCIENCER_CITATION, PEACESCIENCER_URL

    root = store.resolve_data_dir(data_dir)
    st = store.status(data_dir)
    frame = pd.DataFrame(
        {
            "dataset": st["name"],
            "status": [
                "present" if present else ("not imported (optional)" if optional else "missing")
                for present, optional in zip(st["present"], st["optional"], strict=True)
            ],
            "version": st["version"],
            "rows": pd.array(
                [int(r) if p else None for r, p in zip(st["rows"], st["present"], strict=True)],
                dtype="Int64",
            ),
            "source_sha256": [
                sha or f"get {get.split(' ', 1)[0]}"
                for sha, get in zip(st["sha256"], st["get"], strict=True)
            ],
            "get": st["get"],
            "citation": st["citation"],
        }
    )
    write_option_table(frame, out or csv_alias, data_label=f"realpolitik data list: {root}")
    o = Output(fmt, as_json)
    if o.is_json:
        o.json(
            {
                "data_dir": str(root),
                "datasets": frame.to_dict("records"),
                "peacesciencer_citation": PEACESCIENCER_CITATION,
            }
        )
        return
    o.table(
        frame.drop(columns=["get", "citation"]), title=f"realpolitik data in {root}", primary=True
    )
    if not st["present"].all():
        o.note(
            escape(
                f"get the files marked 'get' from the peacesciencer R package "
                f"({PEACESCIENCER_URL}) and run `realpolitik data import DIR`"
            )
        )
    if citations:
        o.note("\n[bold]How to cite[/bold]")
        for name, citation in zip(frame["dataset"], frame["citation"], strict=True):
            o.note(escape(f"- {name}: {citation}"))
        o.note(escape(f"- and peacesciencer: {PEACESCIENCER_CITATION}"))


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
    callback=out_file_checked,
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
@format_option
def alliances_build(
    year_from: int,
    year_to: int,
    out: Path,
    directed: bool,
    covariates: str,
    data_dir: Path | None,
    fmt: str,
    as_json: bool,
) -> None:
    """Build the CoW dyad-year panel with its covariates and write it to --out."""
    import pandas as pd

    from realpolitik.alliances.api import build_panel
    from realpolitik.alliances.labels import panel_labels
    from realpolitik.alliances.panel import resolve_covariates
    from realpolitik.export import write_table

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
        written = write_table(
            df, out, labels=labels, value_labels=value_labels, data_label=data_label
        )
        advance("written")
    summary = pd.DataFrame(
        [
            {
                "file": str(written),
                "dyad_years": len(df),
                "columns": df.shape[1],
                "from": year_from,
                "to": year_to,
                "directed": directed,
                "covariates": ", ".join(groups),
            }
        ]
    )
    o = Output(fmt, as_json)
    if o.is_json:
        o.json(summary.iloc[0].to_dict())
        return
    o.table(summary, title="alliance panel written", floats="{:,.0f}", primary=True)
    o.note(escape(f"wrote {len(df):,} dyad-years x {df.shape[1]} columns to {out}"))


def fit_tables(fit: object) -> list[tuple[str, pd.DataFrame, list[str]]]:
    """Per era: the header (what the fit used), the coefficient table as printed, and the
    lines under it (the contrast and the verdict)."""
    import numpy as np
    import pandas as pd

    from realpolitik.alliances.models import (
        CONTROL,
        PEACE_TERMS,
        AllianceFit,
        header_lines,
        term_contrast,
        verdict_line,
    )

    assert isinstance(fit, AllianceFit)
    frame = fit.to_frame()
    out = []
    for era, r in fit.results.items():
        se_col = {"twoway": "SE two-way", "dyad": "SE dyad", "bootstrap": "SE boot"}[r.spec.se]
        rows = []
        for _, row in frame[frame["era"] == era].iterrows():
            if row["term"] in PEACE_TERMS or str(row["term"]).startswith("era_"):
                continue
            no_ame = row["block"] == CONTROL and not np.isfinite(row["ame"])
            rows.append(
                {
                    "block": row["block"],
                    "term": row["term"],
                    "coef": f"{row['estimate']:+.3f}",
                    se_col: f"{row['std_error']:.3f}",
                    "SE dyad-only": f"{row['std_error_dyad']:.3f}",
                    "z": f"{row['z']:+.2f}",
                    "AME [95% CI]": ""
                    if no_ame
                    else f"{row['ame']:+.4f} [{row['ame_low']:+.4f}, {row['ame_high']:+.4f}]",
                }
            )
        c = term_contrast(r, "joint_democracy", "joint_autocracy")
        lines = [
            "  (peace-years cubic and era intercepts not shown; AME: 0->1 for flags, +1 SD for "
            "continuous terms)",
            f"  joint democracy - joint autocracy: {c['estimate']:+.3f} (se "
            f"{c['std_error']:.3f}, z {c['z']:+.2f})",
            f"  verdict {verdict_line(r)}",
        ]
        out.append(("\n".join(header_lines(r)), pd.DataFrame(rows), lines))
    return out


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
@choice_option(
    "--regime", choices=["polity", "vdem", "uds"], help="Regime measure of the ideology terms."
)
@choice_option(
    "--se",
    choices=["twoway", "dyad", "bootstrap"],
    help="Standard errors: clustered by dyad and year, by dyad only, or a bootstrap over "
    "whole years (all treaties of a year resampled together).",
)
@choice_option(
    "--estimator",
    choices=["logit", "firth", "rare-events"],
    help="Logit, Firth's penalised logit, or King-Zeng rare-events correction.",
)
@choice_option(
    "--fe",
    choices=["none", "year", "dyad", "dyad+year"],
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
@seed_option("Bootstrap seed.")
@output_options("the tidy coefficient/AME table")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help=DATA_DIR_HELP)
def alliances_fit(
    eras: tuple[str, ...],
    no_robustness: bool,
    out: str | None,
    csv_alias: str | None,
    fmt: str,
    as_json: bool,
    data_dir: Path | None,
    **spec: Any,
) -> None:
    """Fit alliance formation (or presence) by era and print the ideology-vs-interest verdict.

    The model options (--outcome ... --seed) go to `fit_alliances` under their own names."""
    from realpolitik.alliances.api import fit_alliances
    from realpolitik.alliances.eras import parse_eras
    from realpolitik.alliances.labels import coefficient_labels

    labels = parse_eras(list(eras) if eras else None)
    with _progress(len(labels), "fitting") as advance:
        fit = fit_alliances(
            labels, data_dir=data_dir, progress=advance, robustness=not no_robustness, **spec
        )
    frame = fit.to_frame()
    write_option_table(
        frame,
        out or csv_alias,
        data_label=f"realpolitik alliances fit: {fit.spec.label()}",
        labels=coefficient_labels(frame),
    )
    o = Output(fmt, as_json)
    if o.is_json:
        o.json(fit.to_dict())
        return
    if o.fmt == "csv":
        o.table(frame, primary=True)
        return
    o.note(f"[bold]Alliance models[/bold]: {escape(fit.spec.label())}")
    for title, table, lines in fit_tables(fit):
        o.table(table, title=title)
        for line in lines:
            o.note(escape(line))


__all__ = ["data", "alliances"]
