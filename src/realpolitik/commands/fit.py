"""`realpolitik fit`: revealed weights and the ideology-vs-interest verdict."""

from __future__ import annotations

import click
import numpy as np
import pandas as pd

from realpolitik.commands import defaults
from realpolitik.commands.common import DEFAULT_CASE, write_option_table
from realpolitik.commands.output import Output, format_option, out_option
from realpolitik.commands.progress import step
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


def print_fit(res, per_model: pd.DataFrame | None, out: Output | None = None) -> None:
    out = out or Output("table")
    out.table(
        verdict_table(res, per_model),
        title=f"revealed weights: {res.case_id} ({res.model} model, {res.method})",
        primary=True,
    )
    if res.comparison is not None:
        who = res.settings.get("actor") or "all actors"
        out.table(res.comparison, title=f"model comparison ({who})")
    if res.method == "bayes":
        print_diagnostics(res, out)
    for w in res.warnings:
        out.note(f"[yellow]warning:[/yellow] {w}")


def diagnostics_table(res) -> pd.DataFrame:
    """R-hat and effective sample size of every weight of a Bayesian fit."""
    rows = []
    for a in res.actors:
        if a.rhat is None:
            continue
        for j, t in enumerate(res.terms):
            rows.append(
                {"actor": a.actor, "term": t, "rhat": float(a.rhat[j]), "ess": float(a.ess[j])}
            )
    return pd.DataFrame(rows)


def print_diagnostics(res, out: Output) -> None:
    diag = diagnostics_table(res)
    if diag.empty:
        return
    out.note(
        f"MCMC: {res.settings.get('chains', 4)} ensembles; max R-hat "
        f"{diag['rhat'].max():.3f} (limit 1.01), min effective sample size "
        f"{diag['ess'].min():,.0f} (limit 400)"
    )
    out.table(diag, title="MCMC diagnostics (R-hat, effective sample size)", floats="{:.3f}")


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@click.option("--actor", metavar="ACTOR", help="Fit one actor only (an actor id of the case).")
@click.option(
    "--model",
    type=click.Choice(["full", "ideology", "interest", "components"]),
    default="full",
    show_default=True,
    help="Terms of the utility: ideology + interest (full), one of them, or interest's parts.",
)
@click.option(
    "--method",
    type=click.Choice(["mle", "bayes"]),
    default="mle",
    show_default=True,
    help="Maximum likelihood (Firth-penalised when needed) or hierarchical Bayes (emcee).",
)
@click.option(
    "--seed", type=int, default=defaults.SEED, show_default=True, help="Seed for draws and MCMC."
)
@click.option(
    "--steps",
    type=int,
    default=defaults.MCMC_STEPS,
    show_default=True,
    help="MCMC steps per chain (bayes); half are burn-in.",
)
@click.option(
    "--assume",
    multiple=True,
    metavar="ID=VALUE",
    help="Set an assumption to VALUE instead of its default (repeatable).",
)
@out_option("--table")
@click.option(
    "--table",
    type=click.Choice(sorted(TABLES)),
    default="verdict",
    show_default=True,
    help="Which table --out writes and --format csv prints (and prints, besides the verdict).",
)
@click.option(
    "--posterior",
    metavar="FILE.nc",
    help="Bayes: write the posterior draws to a netCDF file for ArviZ.",
)
@format_option
def fit(
    case_ref: str,
    actor: str | None,
    model: str,
    method: str,
    seed: int,
    steps: int,
    assume: tuple[str, ...],
    out: str | None,
    csv_alias: str | None,
    table: str,
    posterior: str | None,
    fmt: str,
    as_json: bool,
) -> None:
    """Estimate each actor's weights on ideology and interest, with the verdict."""
    from realpolitik.estimation.api import as_compiled
    from realpolitik.estimation.api import fit as do_fit
    from realpolitik.estimation.compare import per_actor_predictions

    if posterior and method != "bayes":
        raise InputError("--posterior: only a Bayesian fit has a posterior; add --method bayes")
    if posterior and not posterior.lower().endswith(".nc"):
        raise InputError(f"--posterior: expected a file ending in .nc, got '{posterior}'")
    comp = as_compiled(case_ref)
    assumptions = parse_assignments(assume, "--assume")
    label = (
        f"fitting the hierarchical Bayesian model ({steps:,} steps x 4 ensembles)"
        if method == "bayes"
        else "fitting by maximum likelihood, with the model comparison"
    )
    with step(label):
        res = do_fit(
            comp,
            model=model,
            method=method,
            actor=actor,
            seed=seed,
            steps=steps,
            assumptions=assumptions,
            compare=True,
        )
        per_model = per_actor_predictions(comp, comp.theta(1, assumptions), actor)
    chosen = TABLES[table](res)
    write_option_table(
        chosen,
        out or csv_alias,
        data_label=f"realpolitik fit {res.case_id}: {table} ({res.model}, {res.method})",
    )
    if posterior:
        from realpolitik.commands.common import err_console

        err_console.print(f"wrote {res.save_posterior(posterior)}")
    o = Output(fmt, as_json)
    if o.is_json:
        o.json(
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
                "diagnostics": diagnostics_table(res).to_dict("records"),
                "warnings": res.warnings,
            }
        )
        return
    if o.fmt == "csv":
        o.table(chosen, primary=True)
        return
    print_fit(res, per_model, o)
    if table not in ("verdict", "comparison"):
        o.table(chosen, title=f"{table} ({res.model} model, {res.method})")
