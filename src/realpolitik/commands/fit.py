"""`realpolitik fit`: revealed weights and the ideology-vs-interest verdict."""

from __future__ import annotations

import click
import numpy as np
import pandas as pd

from realpolitik.commands.common import (
    DEFAULT_CASE,
    SEED,
    STEPS,
    console,
    dump_json,
    progress_enabled,
    rich_table,
    write_option_table,
)
from realpolitik.errors import InputError

TABLES = {
    "verdict": lambda r: r.verdict_frame(),
    "params": lambda r: r.to_frame(),
    "decomposition": lambda r: r.decomposition(),
    "predictions": lambda r: r.predictions(),
    "comparison": lambda r: r.comparison,
}


def parse_assignments(values: tuple[str, ...], what: str) -> dict[str, float]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(value)
        except ValueError:
            raise InputError(f"{what}: expected ID=NUMBER, got '{item}'") from None
    return out


def verdict_table(res, per_model: pd.DataFrame | None) -> pd.DataFrame:
    vf = res.verdict_frame()
    rows = []
    for _, r in vf.iterrows():
        row = {"actor": r["actor"], "decisions": int(r["n_decisions"])}
        for t in res.terms:
            est, lo, hi = r[f"w_{t}"], r[f"w_{t}_low"], r[f"w_{t}_high"]
            row[f"w {t} [{100 * (1 - res.alpha):.0f}%]"] = (
                "n/a" if not np.isfinite(est) else f"{est:+.2f} [{lo:+.2f}, {hi:+.2f}]"
            )
        p = r["p_interest_outweighs"]
        row["P(interest > ideology)"] = "n/a" if not np.isfinite(p) else f"{p:.2f}"
        if per_model is not None:
            pm = per_model[per_model["actor"] == r["actor"]]
            for _, m in pm.iterrows():
                row[f"predicted: {m['model']}"] = f"{int(m['predicted'])}/{int(m['decisions'])}"
        row["verdict"] = r["verdict"]
        rows.append(row)
    return pd.DataFrame(rows)


def print_fit(res, per_model: pd.DataFrame | None) -> None:
    console.print(
        rich_table(
            verdict_table(res, per_model),
            title=f"revealed weights: {res.case_id} ({res.model} model, {res.method})",
        )
    )
    if res.comparison is not None:
        who = res.settings.get("actor") or "all actors"
        console.print(rich_table(res.comparison, title=f"model comparison ({who})"))
    for w in res.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@click.option("--actor", help="Fit one actor only.")
@click.option(
    "--model",
    type=click.Choice(["full", "ideology", "interest", "components"]),
    default="full",
    show_default=True,
)
@click.option("--method", type=click.Choice(["mle", "bayes"]), default="mle", show_default=True)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed for draws and MCMC.")
@click.option(
    "--steps", type=STEPS, default=3000, show_default=True, help="MCMC steps per chain (bayes)."
)
@click.option(
    "--assume", multiple=True, metavar="ID=VALUE", help="Override an assumption's default."
)
@click.option(
    "--loo",
    type=click.Choice(["auto", "approx", "exact"]),
    default="auto",
    show_default=True,
    help="Leave-one-decision-out in the model comparison: exact refits, one Newton step from "
    "the full fit (approx, linear in decisions), or auto (exact up to 50 decisions per actor).",
)
@click.option("--no-compare", is_flag=True, help="Skip the model comparison.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option(
    "--csv", "csv", metavar="FILE", help="Write --table to a file (.csv, .parquet, .dta)."
)
@click.option(
    "--table",
    type=click.Choice(sorted(TABLES)),
    default="verdict",
    show_default=True,
    help="Which table --csv writes (and prints, besides the verdict).",
)
def fit(
    case_ref: str,
    actor: str | None,
    model: str,
    method: str,
    seed: int,
    steps: int,
    assume: tuple[str, ...],
    loo: str,
    no_compare: bool,
    as_json: bool,
    csv: str | None,
    table: str,
) -> None:
    """Estimate each actor's weights on ideology and interest, with the verdict."""
    from realpolitik.estimation.api import as_compiled
    from realpolitik.estimation.api import fit as do_fit
    from realpolitik.estimation.compare import per_actor_predictions

    if no_compare and table == "comparison":
        raise click.UsageError("--table comparison needs the comparison; drop --no-compare")
    comp = as_compiled(case_ref)
    assumptions = parse_assignments(assume, "--assume")
    res = do_fit(
        comp,
        model=model,
        method=method,
        actor=actor,
        seed=seed,
        steps=steps,
        assumptions=assumptions,
        compare=not no_compare,
        loo=loo,
        progress=progress_enabled(),
    )
    per_model = per_actor_predictions(comp, comp.theta(1, assumptions), actor)
    chosen = TABLES[table](res)
    write_option_table(chosen, csv)
    if as_json:
        dump_json(
            {
                "case": res.case_id,
                "model": res.model,
                "method": res.method,
                "seed": res.seed,
                "verdict": res.verdict_frame().to_dict("records"),
                "params": res.to_frame().to_dict("records"),
                "comparison": res.comparison.to_dict("records")
                if res.comparison is not None
                else None,
                "predicted_by_model": per_model.to_dict("records"),
                "decomposition": res.decomposition().to_dict("records"),
                "warnings": res.warnings,
            }
        )
        return
    print_fit(res, per_model)
    if table not in ("verdict", "comparison"):
        console.print(rich_table(chosen, title=f"{table} ({res.model} model, {res.method})"))
