"""`realpolitik fit`: revealed weights and the ideology-vs-interest verdict."""

from __future__ import annotations

from collections.abc import Callable

import click
import numpy as np
import pandas as pd

from realpolitik.commands import defaults
from realpolitik.commands.common import (
    DEFAULT_CASE,
    STEPS,
    F,
    choice_option,
    progress_enabled,
    seed_option,
    write_option_table,
)
from realpolitik.commands.output import Output, format_option, out_option
from realpolitik.errors import InputError

TABLES = {
    "verdict": lambda r: r.verdict_frame(),
    "params": lambda r: r.to_frame(),
    "decomposition": lambda r: r.decomposition(),
    "predictions": lambda r: r.predictions(),
    "comparison": lambda r: r.comparison,
    "robustness": lambda r: r.robustness(),
    "tests": lambda r: r.tests_frame(),
    "periods": lambda r: r.periods_frame(),
}

SHORT = {
    "interest outweighs ideology": "interest",
    "ideology outweighs interest": "ideology",
    "undecided": "undecided",
    "prior-driven": "prior-driven",
    "not run": "not run",
    "not converged": "not converged",
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
        level = f"{100 * (1 - res.alpha):.0f}%"
        for t in res.terms:
            est, lo, hi = r[f"w_{t}"], r[f"w_{t}_low"], r[f"w_{t}_high"]
            row[f"w {t} [{level}]"] = _cell(est, lo, hi)
        for k in ("ideology", "interest"):
            row[f"strength {k} [{level}]"] = _cell(
                r[f"{k}_strength"], r[f"{k}_strength_low"], r[f"{k}_strength_high"]
            )
        p = r["p_interest_outweighs"]
        row["P(interest > ideology)"] = "n/a" if not np.isfinite(p) else f"{p:.2f}"
        if per_model is not None:
            pm = per_model[per_model["actor"] == r["actor"]]
            for _, m in pm.iterrows():
                row[f"predicted: {m['model']}"] = f"{int(m['predicted'])}/{int(m['decisions'])}"
        row["verdict"] = r["verdict"]
        failed = [c for c in str(r.get("failed_checks") or "").split(", ") if c]
        if failed:
            row["verdict"] += f" ({len(failed)} check(s) disagree)"
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(est: float, lo: float, hi: float) -> str:
    return "n/a" if not np.isfinite(est) else f"{est:+.2f} [{lo:+.2f}, {hi:+.2f}]"


def robustness_table(res) -> pd.DataFrame:
    """Checks as rows, actors as columns: each check's number and its own verdict."""
    checks = res.robustness()
    if checks.empty:
        return checks
    checks = checks.assign(
        cell=[
            f"{v:.2f} {SHORT.get(w, w)}" if np.isfinite(v) else SHORT.get(w, w)
            for v, w in zip(checks["value"], checks["verdict"], strict=True)
        ]
    )
    wide = checks.pivot(index=["family", "check"], columns="actor", values="cell")
    order = list(dict.fromkeys(zip(checks["family"], checks["check"], strict=True)))
    wide = wide.reindex(order)[list(dict.fromkeys(checks["actor"]))].reset_index()
    vf = res.verdict_frame().set_index("actor")
    final = {"family": "", "check": "VERDICT"}
    final.update({a: vf.loc[a, "verdict"] for a in wide.columns[2:]})
    return pd.concat([wide, pd.DataFrame([final])], ignore_index=True).fillna("")


def tests_table(res) -> pd.DataFrame:
    t = res.tests_frame()
    if t.empty:
        return t
    rows = []
    for _, r in t.iterrows():
        if not np.isfinite(r["vuong_p"]):
            continue
        rows.append(
            {
                "actor": r["actor"],
                "decisions": int(r["decisions"]),
                "loglik ideology-only": r["loglik_ideology"],
                "loglik interest-only": r["loglik_interest"],
                "Vuong z": r["vuong_z"],
                "p": r["vuong_p"],
                "p Holm": r["vuong_p_holm"] if r["actor"] != "pooled" else np.nan,
                "favours": r["vuong_favours"],
                "Clarke B/n": f"{int(r['clarke_b'])}/{int(r['clarke_n'])}",
                "p ": r["clarke_p"],
                "p Holm ": r["clarke_p_holm"] if r["actor"] != "pooled" else np.nan,
                "favours ": r["clarke_favours"],
            }
        )
    return pd.DataFrame(rows)


def print_fit(res, per_model: pd.DataFrame | None, out: Output | None = None) -> None:
    out = out or Output("table")
    out.table(
        verdict_table(res, per_model),
        title=f"revealed weights: {res.case_id} ({res.model} model, {res.method})",
        primary=True,
    )
    robust = robustness_table(res)
    if not robust.empty:
        out.table(
            robust,
            title="robustness: each check's number (probability, share of settings or "
            "Holm-adjusted p) and its own verdict; the verdict needs all to agree",
            floats="{:.2f}",
        )
    vf = res.verdict_frame()
    for _, r in vf.iterrows():
        if r.get("failed_checks"):
            out.note(f"{r['actor']}: {r['verdict']}; checks that disagree: {r['failed_checks']}")
        if r.get("checks_not_run") and r["checks_not_run"] != "all":
            out.note(f"{r['actor']}: checks not run: {r['checks_not_run']}")
    tests = tests_table(res)
    if not tests.empty:
        out.table(
            tests,
            title="Vuong (Schwarz-corrected) and Clarke tests: ideology-only vs "
            "interest-only (scale-free)",
            floats="{:.3g}",
        )
    if res.family:
        f = res.family
        out.note(
            f"actors tested: {f['actors_tested']}; p-values Holm-adjusted across them; under a "
            f"true tie the probability rule alone would give "
            f"{f['expected_false_verdicts_under_tie']:.1f} false verdict(s) on average"
        )
    if res.periods:
        out.table(
            res.periods["comparison"],
            title=f"constant vs changing weights (breaks: {', '.join(res.settings['breaks'])})",
        )
        out.table(res.periods["weights"], title="weights by period")
    out.note(f"log-likelihood {res.llf:.3f} ({res._llf_label()})")
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


def mcmc_steps_option(name: str, text: str) -> Callable[[F], F]:
    """An option giving MCMC steps per chain (bounded; the project's default)."""
    return click.option(name, type=STEPS, default=defaults.MCMC_STEPS, show_default=True, help=text)


@click.command()
@click.argument("case_refs", metavar="[CASE|PATH]...", nargs=-1)
@click.option("--actor", metavar="ACTOR", help="Fit one actor only (an actor id of the case).")
@choice_option(
    "--model",
    choices=["full", "ideology", "interest", "components"],
    help="Terms of the utility: ideology + interest (full), one of them, or interest's parts.",
)
@choice_option(
    "--method",
    choices=["mle", "bayes"],
    help="Maximum likelihood (Firth-penalised when needed) or hierarchical Bayes (emcee).",
)
@choice_option(
    "--loo",
    choices=["auto", "approx", "exact"],
    help="Leave-one-decision-out in the model comparison: exact refits, one Newton step from "
    "the full fit (approx, linear in decisions), or auto (exact up to 50 decisions per actor).",
)
@click.option("--no-compare", is_flag=True, help="Skip the model comparison.")
@seed_option("Seed for draws and MCMC.")
@mcmc_steps_option(
    "--steps",
    "MCMC steps per chain (bayes); half are burn-in. With several cases (pooled): the first "
    "run, doubled until it converges (at most 12,000).",
)
@click.option(
    "--assume",
    multiple=True,
    metavar="ID=VALUE",
    help="Set an assumption to VALUE instead of its default (repeatable).",
)
@choice_option(
    "--checks",
    choices=["all", "fast", "none"],
    help="Robustness checks behind each verdict: all (with the Bayesian fit and its prior "
    "refits), fast (without them), none. Pooled: all (prior refits and leaving out each "
    "case), fast (prior refits), none.",
)
@mcmc_steps_option("--check-steps", "MCMC steps per chain for each Bayesian check fit.")
@click.option(
    "--break",
    "breaks",
    multiple=True,
    metavar="DATE",
    help="Let the weights change at DATE (YYYY-MM-DD; repeatable); compares constant and "
    "changing weights per actor.",
)
@click.option(
    "--coding",
    "coding",
    multiple=True,
    metavar="FILE",
    help="Also fit under another coding of the options; verdicts side by side (repeatable).",
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
    "--same",
    multiple=True,
    metavar="ID=ID,...",
    help="With several cases: actor ids that are one actor (pooled across cases).",
)
@click.option(
    "--posterior",
    metavar="FILE.nc",
    help="Bayes: write the posterior draws to a netCDF file for ArviZ.",
)
@format_option
def fit(
    case_refs: tuple[str, ...],
    actor: str | None,
    model: str,
    method: str,
    seed: int,
    steps: int,
    assume: tuple[str, ...],
    checks: str,
    check_steps: int,
    breaks: tuple[str, ...],
    coding: tuple[str, ...],
    out: str | None,
    csv_alias: str | None,
    loo: str,
    no_compare: bool,
    table: str,
    same: tuple[str, ...],
    posterior: str | None,
    fmt: str,
    as_json: bool,
) -> None:
    """Estimate each actor's weights on ideology and interest, with the verdict.

    With several cases, an actor that made decisions in more than one of them (same id, the
    same `identity:`, or named together in --same) is pooled into one hierarchical Bayesian
    model with case-level deviations, and its verdict is given across cases and per case."""
    if len(case_refs) > 1:
        from realpolitik.commands.pooled import run_pooled

        run_pooled(
            case_refs,
            same,
            model=model,
            seed=seed,
            steps=steps,
            actor=actor,
            assume=assume,
            fmt=fmt,
            as_json=as_json,
            out=out or csv_alias,
            checks=checks,
        )
        return
    if same:
        raise InputError("--same: name two or more cases to pool an actor across them")
    case_ref = case_refs[0] if case_refs else DEFAULT_CASE
    from realpolitik.estimation.api import as_compiled
    from realpolitik.estimation.api import fit as do_fit
    from realpolitik.estimation.compare import per_actor_predictions

    if posterior and method != "bayes":
        raise InputError("--posterior: only a Bayesian fit has a posterior; add --method bayes")
    if posterior and not posterior.lower().endswith(".nc"):
        raise InputError(f"--posterior: expected a file ending in .nc, got '{posterior}'")
    o = Output(fmt, as_json)
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
        checks=checks,
        check_steps=check_steps,
        breaks=list(breaks) if breaks else None,
        progress=progress_enabled() and not o.is_json,
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
    by_coding = None
    if coding:
        from realpolitik.estimation.codings import verdicts_by_coding
        from realpolitik.scenario.coding import codings

        by_coding = verdicts_by_coding(
            codings(comp.case, coding),
            model=model,
            method=method,
            actor=actor,
            seed=seed,
            steps=steps,
            assumptions=assumptions,
        )
    if o.is_json:
        o.json(
            {
                "case": res.case_id,
                "model": res.model,
                "method": res.method,
                "seed": res.seed,
                "loglik": {
                    "llf": res.llf,
                    "llf_penalised": res.llf_penalised,
                    "label": res._llf_label(),
                },
                "verdict": res.verdict_frame().to_dict("records"),
                "robustness": res.robustness().to_dict("records"),
                "tests": res.tests_frame().to_dict("records"),
                "family": res.family,
                "periods": {k: v.to_dict("records") for k, v in res.periods.items()}
                if res.periods
                else None,
                "params": res.to_frame().to_dict("records"),
                "comparison": res.comparison.to_dict("records")
                if res.comparison is not None
                else None,
                "predicted_by_model": per_model.to_dict("records"),
                "decomposition": res.decomposition().to_dict("records"),
                "diagnostics": diagnostics_table(res).to_dict("records"),
                "warnings": res.warnings,
                "by_coding": by_coding.to_dict("records") if by_coding is not None else None,
            }
        )
        return
    if o.fmt == "csv":
        o.table(chosen, primary=True)
        return
    print_fit(res, per_model, o)
    if by_coding is not None:
        o.table(by_coding, title="verdict under each coding", floats="{:.2f}")
    if table not in ("verdict", "comparison", "robustness", "tests", "periods"):
        o.table(chosen, title=f"{table} ({res.model} model, {res.method})")
