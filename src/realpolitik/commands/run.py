"""`realpolitik run`: the main job on a case, end to end.

Fit the revealed weights (maximum likelihood with the model comparison, then the Bayesian
hierarchical model), score the fitted model against the record, run the headline
counterfactual (an ideological Stalin), and write the report.
"""

from __future__ import annotations

import click

from realpolitik.commands.common import (
    DEFAULT_CASE,
    check_headline_actor,
    console,
    progress_enabled,
    rich_table,
)
from realpolitik.commands.fit import print_fit
from realpolitik.commands.simulate import print_counterfactual, store_arg


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@click.option(
    "-n", "n", type=int, default=20_000, show_default=True, help="Monte Carlo paths per world."
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--headline-actor",
    default="USSR",
    show_default=True,
    help="The actor made ideological in the headline counterfactual.",
)
@click.option(
    "--bayes/--no-bayes", default=True, show_default=True, help="Also fit the hierarchical model."
)
@click.option(
    "--out", "out", default="realpolitik-report", show_default=True, help="Report folder."
)
@click.option("--no-report", is_flag=True, help="Do not write the report.")
@click.option("--store", metavar="PATH", help="Run store (DuckDB); default: the user cache.")
@click.option("--no-store", is_flag=True)
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
) -> None:
    """Fit, score, ask the headline what-if, and write the report."""
    from realpolitik.errors import ConvergenceError
    from realpolitik.estimation.api import as_compiled, fit
    from realpolitik.estimation.compare import per_actor_predictions
    from realpolitik.reports.html import headline
    from realpolitik.simulation.api import counterfactual, fidelity, fitted_weights, ideological

    comp = as_compiled(case_ref)
    check_headline_actor(comp, headline_actor)
    progress = progress_enabled()
    console.rule(f"[bold]{comp.case.title}")
    mle = fit(comp, seed=seed, compare=True)
    print_fit(mle, per_actor_predictions(comp))
    posterior = None
    if bayes:
        try:
            posterior = fit(comp, method="bayes", seed=seed, progress=progress)
        except ConvergenceError as exc:
            console.print(f"[red]Bayesian fit not used:[/red] {exc}")
        else:
            vf = posterior.verdict_frame()[
                ["actor", "n_decisions", "p_interest_outweighs", "verdict"]
            ]
            console.print(
                rich_table(vf, title="hierarchical Bayes: posterior P(interest outweighs ideology)")
            )
    st = store_arg(store, no_store)
    fid = fidelity(comp, n=n, seed=seed, store=st, progress=progress)
    console.print(
        rich_table(fid, title=f"fidelity to the record ({n:,} paths per agent, seed {seed})")
    )
    cf = None
    actor = headline(comp, headline_actor)
    if actor is not None:
        world = ideological(comp, actor, fitted_weights(comp))
        cf = counterfactual(comp, world, n=n, seed=seed, store=st, progress=progress).compare()
        print_counterfactual(cf, world.name, n, seed)
    if not no_report:
        from realpolitik.reports.html import ReportInputs, write_report

        inputs = ReportInputs(fit=mle, bayes=posterior, fidelity=fid, counterfactual=cf)
        path = write_report(case_ref, out, n=n, seed=seed, inputs=inputs, progress=progress)
        console.print(f"report: {path.resolve()}")
