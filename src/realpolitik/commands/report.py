"""`realpolitik report` (the self-contained HTML report) and `realpolitik serve` (the explorer)."""

from __future__ import annotations

import click

from realpolitik.commands import defaults
from realpolitik.commands.common import (
    DEFAULT_CASE,
    SAMPLES_OR_ZERO,
    Bounded,
    check_headline_actor,
    err_console,
    paths_and_seed,
    progress_enabled,
    sobol_options,
)
from realpolitik.commands.simulate import store_arg, store_options


def pooled_option(fn):
    """`--pooled/--no-pooled`: the cross-case section's pooled fit (built-in cases)."""
    return click.option(
        "--pooled/--no-pooled",
        default=None,
        help="Cross-case section (built-in cases): --pooled fits the pooled model across the "
        "five cases with its checks when the run store does not hold it (minutes); "
        "--no-pooled leaves it out; default: shown when stored.",
    )(fn)


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@click.option(
    "--out",
    "out",
    default=defaults.REPORT_FOLDER,
    show_default=True,
    help="Report folder: report.html and figures/ (SVG, PDF and PNG).",
)
@paths_and_seed
@sobol_options(
    "--sensitivity-samples",
    "--sensitivity-draws",
    samples_type=SAMPLES_OR_ZERO,
    samples_help="Sobol base samples (a power of two); 0 leaves the sensitivity analysis out.",
    default=(defaults.REPORT_SENSITIVITY_SAMPLES, defaults.REPORT_SENSITIVITY_DRAWS),
)
@click.option(
    "--bayes/--no-bayes",
    default=True,
    show_default=True,
    help="Also fit the hierarchical Bayesian model.",
)
@click.option(
    "--alliances/--no-alliances",
    default=None,
    help="Include the alliance study (default: when its data are imported).",
)
@click.option("--data-dir", metavar="DIR", help="Alliance data directory (see `realpolitik data`).")
@click.option(
    "--headline-actor",
    default=defaults.HEADLINE_ACTOR,
    show_default=True,
    help="The actor made ideological in the headline counterfactual.",
)
@store_options
@pooled_option
def report(
    case_ref: str,
    out: str,
    n: int,
    seed: int,
    sensitivity_samples: int,
    sensitivity_draws: int,
    bayes: bool,
    alliances: bool | None,
    data_dir: str | None,
    headline_actor: str,
    store: str | None,
    no_store: bool,
    pooled: bool | None,
) -> None:
    """Write a self-contained HTML report of a case (works offline) and print its path."""
    from realpolitik.estimation.api import as_compiled
    from realpolitik.reports.html import write_report

    check_headline_actor(as_compiled(case_ref), headline_actor)
    path = write_report(
        case_ref,
        out,
        n=n,
        seed=seed,
        sensitivity_samples=sensitivity_samples,
        sensitivity_draws=sensitivity_draws,
        include_bayes=bayes,
        alliances=alliances,
        data_dir=data_dir,
        headline_actor=headline_actor,
        progress=progress_enabled(),
        store=store_arg(store, no_store),
        pooled=pooled,
    )
    click.echo(str(path.resolve()))


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", required=False)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; keep the default to serve this machine only.",
)
@click.option(
    "--port",
    type=Bounded(0, 65535),
    default=8765,
    show_default=True,
    help="Port (0: any free port).",
)
@click.option(
    "--case",
    "case_opt",
    metavar="CASE|PATH",
    hidden=True,
    help="Old form of the CASE argument.",
)
@click.option("--verbose", is_flag=True, help="Log every request.")
@click.option(
    "--request-timeout",
    type=click.FloatRange(1, 3600),
    default=60.0,
    show_default=True,
    help="Seconds one request's work may take before it is stopped.",
)
def serve(
    case_ref: str | None,
    host: str,
    port: int,
    case_opt: str | None,
    verbose: bool,
    request_timeout: float,
) -> None:
    """A local explorer in the browser: move an actor's weights, see the replay change.

    CASE|PATH is the case to open first (a built-in name or a scenario file); the page lists
    the built-in cases too."""
    from realpolitik.errors import InputError

    if case_ref and case_opt and case_ref != case_opt:
        raise InputError("serve: give the case once, as the CASE|PATH argument")
    case_ref = case_ref or case_opt
    from realpolitik.reports.serve import exposure_warning
    from realpolitik.reports.serve import serve as run_server

    warning = exposure_warning(host)
    if warning:
        err_console.print(f"[yellow]warning:[/yellow] {warning}")

    def ready(url: str) -> None:
        click.echo(f"realpolitik explorer at {url} (Ctrl-C stops it)")

    run_server(host, port, case_ref, verbose=verbose, ready=ready, seconds=request_timeout)
