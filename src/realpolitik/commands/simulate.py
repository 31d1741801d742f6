"""`realpolitik simulate | counterfactual | sensitivity`: replayed history and what-ifs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import click
import pandas as pd

from realpolitik.commands.common import (
    DEFAULT_CASE,
    console,
    dump_json,
    err_console,
    progress_enabled,
    rich_table,
    write_option_table,
)
from realpolitik.commands.fit import parse_assignments
from realpolitik.errors import InputError


def execution_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options of every command that runs the engine: seed, where it runs, where runs are
    kept, and the output format."""
    opts = [
        click.option("--seed", type=int, default=0, show_default=True),
        click.option(
            "--backend", type=click.Choice(["local", "dask"]), default="local", show_default=True
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=2,
            show_default=True,
            help="Worker processes: Dask workers, or local processes for a job of several chunks.",
        ),
        click.option(
            "--scheduler", metavar="ADDRESS", help="An existing Dask scheduler (tcp://host:port)."
        ),
        click.option(
            "--store", metavar="PATH", help="Run store (DuckDB); default: the user cache."
        ),
        click.option("--no-store", is_flag=True, help="Do not store runs."),
        click.option("--json", "as_json", is_flag=True, help="Print results as JSON."),
        click.option(
            "--csv", "csv", metavar="FILE", help="Write the results table (.csv, .parquet, .dta)."
        ),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The execution options plus the number of Monte Carlo paths."""
    fn = execution_options(fn)
    return click.option(
        "-n", "n", type=int, default=10_000, show_default=True, help="Monte Carlo paths."
    )(fn)


def store_arg(store: str | None, no_store: bool) -> str | bool:
    return False if no_store else (store or True)


def reuse_note(reused: bool, key: str) -> None:
    if reused:
        err_console.print(
            f"[dim]reused stored run {key} (same case, parameters, seed and version)[/dim]"
        )


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@click.option(
    "--model",
    type=click.Choice(["full", "ideology", "interest", "components"]),
    default="full",
    show_default=True,
)
@run_options
def simulate(
    case_ref: str,
    model: str,
    n: int,
    seed: int,
    backend: str,
    workers: int,
    scheduler: str | None,
    store: str | None,
    no_store: bool,
    as_json: bool,
    csv: str | None,
) -> None:
    """Simulate a case forward: outcome frequencies and fidelity to the record."""
    from realpolitik.estimation.api import as_compiled
    from realpolitik.simulation.api import fitted_weights, record_logp
    from realpolitik.simulation.api import simulate as run_sim

    comp = as_compiled(case_ref)
    weights = fitted_weights(comp, model)
    res = run_sim(
        comp,
        n=n,
        seed=seed,
        model=model,
        weights=weights,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        store=store_arg(store, no_store),
        progress=progress_enabled(),
    )
    reuse_note(res.reused, res.run_key)
    logp, _ = record_logp(comp, weights, model)
    match = res.match_rates()
    fidelity = {
        "record_logp": logp,
        "mean_match_rate": float(match["match_rate"].mean()),
        "decisions": len(match),
        "run_key": res.run_key,
    }
    write_option_table(res.outcomes, csv)
    if as_json:
        dump_json(
            {
                "case": res.case_id,
                "n": res.n,
                "seed": seed,
                "model": model,
                "outcomes": res.outcomes.to_dict("records"),
                "match": match.to_dict("records"),
                "fidelity": fidelity,
                "weights": weights.to_dict("records"),
            }
        )
        return
    console.print(
        rich_table(
            res.outcomes.drop(columns=["n"]),
            title=f"outcomes in {res.n:,} simulated paths (seed {seed}, {model} model)",
            floats="{:.4f}",
        )
    )
    console.print(rich_table(match, title="per-decision match with the record", floats="{:.3f}"))
    console.print(
        f"fidelity: log P(recorded path) = {logp:.2f}; mean match rate "
        f"{fidelity['mean_match_rate']:.3f} over {len(match)} decisions"
    )


def build_world(
    comp: Any,
    file: str | None,
    ideological: str | None,
    weight: tuple[str, ...],
    remove_event: tuple[str, ...],
    move_event: tuple[str, ...],
    assume: tuple[str, ...],
    force: tuple[str, ...],
) -> Any:
    from realpolitik.simulation.api import World, fitted_weights, load_world
    from realpolitik.simulation.api import ideological as ideo_world

    world = load_world(file) if file else World(name="counterfactual")
    if ideological:
        preset = ideo_world(comp, ideological, fitted_weights(comp))
        world.weights.update(preset.weights)
        world.name = preset.name if not file else f"{world.name} + {preset.name}"
    for item in weight:
        key, sep, value = item.partition("=")
        actor, dot, term = key.partition(".")
        try:
            if not (sep and dot):
                raise ValueError
            world.weights.setdefault(actor, {})[term] = float(value)
        except ValueError:
            raise InputError(f"--weight: expected ACTOR.TERM=NUMBER, got '{item}'") from None
    world.remove_events += list(remove_event)
    for item in move_event:
        key, sep, value = item.partition("=")
        try:
            world.move_events[key] = dt.date.fromisoformat(value)
        except ValueError:
            raise InputError(f"--move-event: expected EVENT=YYYY-MM-DD, got '{item}'") from None
    world.assumptions.update(parse_assignments(assume, "--assume"))
    for item in force:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--force: expected DECISION=OPTION, got '{item}'")
        world.force[key] = value
    if world.describe() == World().describe():
        raise InputError(
            "counterfactual: nothing changed; give --ideological, --weight, --remove-event, "
            "--move-event, --assume, --force or --file"
        )
    return world


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@click.option("--file", "file", metavar="FILE", help="A counterfactual file (YAML).")
@click.option(
    "--ideological", metavar="ACTOR", help="Make ACTOR weigh ideology as it weighed interest."
)
@click.option(
    "--weight",
    multiple=True,
    metavar="ACTOR.TERM=W",
    help="Set a weight (terms: ideology, interest).",
)
@click.option("--remove-event", multiple=True, metavar="EVENT")
@click.option("--move-event", multiple=True, metavar="EVENT=DATE")
@click.option("--assume", multiple=True, metavar="ID=VALUE")
@click.option("--force", multiple=True, metavar="DECISION=OPTION")
@run_options
def counterfactual(
    case_ref: str,
    file: str | None,
    ideological: str | None,
    weight: tuple[str, ...],
    remove_event: tuple[str, ...],
    move_event: tuple[str, ...],
    assume: tuple[str, ...],
    force: tuple[str, ...],
    n: int,
    seed: int,
    backend: str,
    workers: int,
    scheduler: str | None,
    store: str | None,
    no_store: bool,
    as_json: bool,
    csv: str | None,
) -> None:
    """Compare a changed world with the baseline (same seed), with Monte Carlo error."""
    from realpolitik.estimation.api import as_compiled
    from realpolitik.simulation.api import counterfactual as run_cf

    comp = as_compiled(case_ref)
    world = build_world(comp, file, ideological, weight, remove_event, move_event, assume, force)
    table = run_cf(
        comp,
        world,
        n=n,
        seed=seed,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        store=store_arg(store, no_store),
        progress=progress_enabled(),
    )
    write_option_table(table, csv)
    if as_json:
        dump_json(
            {
                "case": comp.case.id,
                "world": world.describe(),
                "name": world.name,
                "n": n,
                "seed": seed,
                "outcomes": table.to_dict("records"),
                "choices": table.attrs["choices"].to_dict("records"),
            }
        )
        return
    print_counterfactual(table, world.name, n, seed)


def print_counterfactual(table: pd.DataFrame, name: str, n: int, seed: int) -> None:
    shown = table[
        ["outcome", "baseline", "counterfactual", "difference", "mc_se", "beyond_mc_error"]
    ]
    console.print(
        rich_table(
            shown,
            title=f"{name}: outcomes against the baseline ({n:,} paths each, seed {seed})",
            floats="{:+.4f}",
        )
    )
    for _, r in table.iterrows():
        if r["beyond_mc_error"]:
            console.print(
                f"{r['outcome']}: {r['baseline']:.3f} -> {r['counterfactual']:.3f}, a change "
                f"beyond Monte Carlo error (|diff| > 2.58 x {r['mc_se']:.4f})"
            )
        else:
            console.print(
                f"{r['outcome']}: no change beyond Monte Carlo error "
                f"({r['baseline']:.3f} vs {r['counterfactual']:.3f}, se {r['mc_se']:.4f})"
            )


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@click.option(
    "--samples",
    "base_samples",
    type=int,
    default=128,
    show_default=True,
    help="Sobol base samples N (a power of two); evaluations = N x (assumptions + 2).",
)
@click.option(
    "--draws", type=int, default=64, show_default=True, help="Simulated paths per setting."
)
@execution_options
def sensitivity(
    case_ref: str,
    base_samples: int,
    draws: int,
    seed: int,
    backend: str,
    workers: int,
    scheduler: str | None,
    store: str | None,
    no_store: bool,
    as_json: bool,
    csv: str | None,
) -> None:
    """Sobol sensitivity of the verdicts and outcomes over every assumption's range."""
    from realpolitik.estimation.api import as_compiled
    from realpolitik.simulation.sensitivity import sensitivity as run_sa

    comp = as_compiled(case_ref)
    res = run_sa(
        comp,
        base_samples=base_samples,
        draws=draws,
        seed=seed,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        store=store_arg(store, no_store),
        progress=progress_enabled(),
    )
    reuse_note(res.reused, res.run_key)
    write_option_table(res.indices, csv)
    if as_json:
        dump_json(
            {
                "case": res.case_id,
                "evaluations": res.n_evaluations,
                "seed": seed,
                "indices": res.indices.to_dict("records"),
                "verdict_share": res.verdict_share.to_dict("records"),
                "matters": res.matters().to_dict("records"),
                "notes": res.notes,
            }
        )
        return
    print_sensitivity(res)


def print_sensitivity(res: Any) -> None:
    console.print(
        f"Sobol analysis of {res.case_id}: {res.n_evaluations:,} assumption settings x "
        f"{res.draws} paths (seed {res.seed})"
    )
    console.print(
        rich_table(
            res.verdict_share,
            title="share of the assumption space where interest outweighs ideology",
        )
    )
    m = res.matters()
    if m.empty:
        console.print("no assumption reaches a total-order index of 0.05 for any output")
    else:
        console.print(rich_table(m, title="assumptions that matter (total-order index >= 0.05)"))
    for note in res.notes:
        console.print(f"[dim]{note}[/dim]")
