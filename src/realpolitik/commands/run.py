"""`realpolitik run`: the main job on a case, end to end.

Fit the revealed weights (maximum likelihood with the model comparison, then the Bayesian
hierarchical model), score the fitted model against the record, run the headline
counterfactual (an ideological Stalin), and write the report.
"""

from __future__ import annotations

import click

from realpolitik.commands import defaults
from realpolitik.commands.common import (
    DEFAULT_CASE,
    check_headline_actor,
    console,
    paths_and_seed,
    progress_enabled,
)
from realpolitik.commands.fit import print_fit
from realpolitik.commands.output import Output, format_option
from realpolitik.commands.progress import step
from realpolitik.commands.simulate import print_counterfactual, store_arg, store_options


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@paths_and_seed
@click.option(
    "--headline-actor",
    default=defaults.HEADLINE_ACTOR,
    show_default=True,
    help="The actor made ideological in the headline counterfactual.",
)
@click.option(
    "--bayes/--no-bayes", default=True, show_default=True, help="Also fit the hierarchical model."
)
@click.option(
    "--out",
    "out",
    default=defaults.REPORT_FOLDER,
    show_default=True,
    help="Report folder (report.html and figures/).",
)
@click.option("--no-report", is_flag=True, help="Do not write the report.")
@store_options
@format_option
def run(
    case_ref: str,
    n: int,
    seed: int,
    headline_actor: str,
    bayes: bool,
    out: str,
    no_report: bool,
    store: str | None,
    no_store: bool,
    fmt: str,
    as_json: bool,
) -> None:
    """Fit, score, ask the headline what-if, and write the report."""
    from realpolitik.commands.fit import print_diagnostics
    from realpolitik.errors import ConvergenceError
    from realpolitik.estimation.api import as_compiled, fit
    from realpolitik.estimation.compare import per_actor_predictions
    from realpolitik.reports.html import headline
    from realpolitik.simulation.api import counterfactual, fidelity, fitted_weights, ideological

    comp = as_compiled(case_ref)
    check_headline_actor(comp, headline_actor)
    progress = progress_enabled()
    o = Output(fmt, as_json)
    if o.fmt == "table":
        console.rule(f"[bold]{comp.case.title}")
    with step("fitting by maximum likelihood, with the model comparison"):
        mle = fit(comp, seed=seed, compare=True)
    if not o.is_json:
        print_fit(mle, per_actor_predictions(comp), o)
    posterior = None
    if bayes:
        try:
            with step("fitting the hierarchical Bayesian model"):
                posterior = fit(comp, method="bayes", seed=seed)
        except ConvergenceError as exc:
            o.note(f"[red]Bayesian fit not used:[/red] {exc}")
        else:
            vf = posterior.verdict_frame()[
                ["actor", "n_decisions", "p_interest_outweighs", "verdict"]
            ]
            if not o.is_json:
                o.table(vf, title="hierarchical Bayes: posterior P(interest outweighs ideology)")
                print_diagnostics(posterior, o)
    st = store_arg(store, no_store)
    fid = fidelity(comp, n=n, seed=seed, store=st, progress=progress)
    if not o.is_json:
        o.table(fid, title=f"fidelity to the record ({n:,} paths per agent, seed {seed})")
    cf = None
    actor = headline(comp, headline_actor)
    if actor is not None:
        world = ideological(comp, actor, fitted_weights(comp))
        cf = counterfactual(comp, world, n=n, seed=seed, store=st, progress=progress).compare()
        if not o.is_json:
            print_counterfactual(cf, world.name, n, seed, o)
    if not no_report:
        from realpolitik.reports.html import ReportInputs, write_report

        inputs = ReportInputs(fit=mle, bayes=posterior, fidelity=fid, counterfactual=cf)
        path = write_report(
            case_ref, out, n=n, seed=seed, inputs=inputs, progress=progress, store=st
        )
        o.note(f"report: {path.resolve()}")
    if o.is_json:
        o.json(
            {
                "case": comp.case.id,
                "seed": seed,
                "n": n,
                "verdict": mle.verdict_frame().to_dict("records"),
                "bayes": posterior.verdict_frame().to_dict("records") if posterior else None,
                "fidelity": fid.to_dict("records"),
                "counterfactual": cf.to_dict("records") if cf is not None else None,
                "report": str(path.resolve()) if not no_report else None,
            }
        )
