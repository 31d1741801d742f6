"""`realpolitik evaluate`: score the choice model out of sample against a uniform baseline."""

from __future__ import annotations

import datetime as dt

import click
import pandas as pd

from realpolitik.commands.common import (
    DEFAULT_CASE,
    console,
    dump_json,
    rich_table,
    write_option_table,
)
from realpolitik.errors import InputError

TABLES = ("overall", "per-actor", "decisions", "calibration")


def parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--train-until: expected a date YYYY-MM-DD, got '{value}'") from None


def overall_view(frame: pd.DataFrame) -> pd.DataFrame:
    """The overall table as printed: scores and gains over the baseline with their errors."""
    rows = []
    for _, r in frame.iterrows():
        row = {k: r[k] for k in ("actor",) if k in frame.columns}
        row.update(
            {
                "model": r["model"],
                "decisions": int(r["decisions"]),
                "log score": f"{r['log_score']:.2f}",
                "Brier": f"{r['brier']:.3f}",
                "right": f"{int(r['hits'])}/{int(r['decisions'])}",
            }
        )
        if r["model"] != "uniform":
            row["log score - uniform (per decision)"] = _pm(r["d_log_score"], r["se_d_log_score"])
            row["Brier - uniform"] = _pm(r["d_brier"], r["se_d_brier"], "{:+.3f}")
            row["accuracy - uniform"] = _pm(r["d_hit"], r["se_d_hit"], "{:+.2f}")
        else:
            row["log score - uniform (per decision)"] = "baseline"
            row["Brier - uniform"] = row["accuracy - uniform"] = ""
        rows.append(row)
    return pd.DataFrame(rows)


def _pm(value: float, se: float, spec: str = "{:+.3f}") -> str:
    if pd.isna(se):
        return spec.format(value) + " (se n/a)"
    return f"{spec.format(value)} ± {se:.3f}"


def table_of(ev, name: str) -> pd.DataFrame:
    return {
        "overall": ev.overall,
        "per-actor": ev.per_actor,
        "decisions": lambda: ev.decisions,
        "calibration": ev.calibration,
    }[name]()


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@click.option(
    "--train-until",
    "train_until",
    metavar="DATE",
    help="Fit on decisions up to DATE, score the rest.",
)
@click.option("--rolling", is_flag=True, help="Predict each decision from the decisions before it.")
@click.option(
    "--assume", multiple=True, metavar="ID=VALUE", help="Override an assumption's default."
)
@click.option(
    "--coding",
    "coding",
    multiple=True,
    metavar="FILE",
    help="Also score under another coding of the options (repeatable; a blind copy filled in).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--out", "--csv", "out", metavar="FILE", help="Write --table (.csv, .parquet, .dta).")
@click.option(
    "--table",
    type=click.Choice(TABLES),
    default="decisions",
    show_default=True,
    help="Which table --out writes.",
)
def evaluate(
    case_ref: str,
    train_until: str | None,
    rolling: bool,
    assume: tuple[str, ...],
    coding: tuple[str, ...],
    as_json: bool,
    out: str | None,
    table: str,
) -> None:
    """Score the full, interest-only and ideology-only models out of sample, per decision, per
    actor and overall (log score, Brier, accuracy, calibration), against a uniform baseline."""
    from realpolitik.commands.fit import parse_assignments
    from realpolitik.estimation.evaluation import evaluate as do_evaluate
    from realpolitik.model.compiled import compile_case
    from realpolitik.scenario.coding import codings
    from realpolitik.scenario.loader import load

    cut = parse_date(train_until)
    if (cut is None) == (not rolling):
        raise InputError("evaluate: give either --train-until DATE or --rolling (one of them)")
    assumptions = parse_assignments(assume, "--assume")
    record = load(case_ref).case
    results = []
    for label, case in codings(record, coding):
        ev = do_evaluate(
            compile_case(case), train_until=cut, rolling=rolling, assumptions=assumptions
        )
        results.append((label, ev))
    frames = []
    for label, ev in results:
        frame = table_of(ev, table).copy()
        if coding:
            frame.insert(0, "coding", label)
        frames.append(frame)
    write_option_table(pd.concat(frames, ignore_index=True), out)
    if as_json:
        dump_json(
            {"codings": [{"coding": label, **ev.to_dict()} for label, ev in results]}
            if coding
            else results[0][1].to_dict()
        )
        return
    for label, ev in results:
        suffix = f", coding: {label}" if coding else ""
        console.print(
            rich_table(
                overall_view(ev.overall()),
                title=f"out-of-sample scores: {ev.case_id} ({ev.scheme}{suffix})",
            )
        )
        console.print(rich_table(overall_view(ev.per_actor()), title="per actor"))
        for note in ev.notes:
            console.print(f"[yellow]note:[/yellow] {note}")
    if coding:
        side = pd.DataFrame(
            [
                {
                    "coding": label,
                    **{k: v for k, v in r.items() if k in ("model", "decisions")},
                    "log score": f"{r['log_score']:.2f}",
                    "right": f"{int(r['hits'])}/{int(r['decisions'])}",
                    "log score - uniform": _pm(r["d_log_score"], r["se_d_log_score"]),
                }
                for label, ev in results
                for _, r in ev.overall().iterrows()
            ]
        )
        console.print(rich_table(side, title="under each coding, side by side"))
