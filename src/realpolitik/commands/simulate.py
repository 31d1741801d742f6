"""`realpolitik simulate | counterfactual | sensitivity`: replayed history and what-ifs."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
import pandas as pd

from realpolitik.commands import defaults
from realpolitik.commands.common import (
    DEFAULT_CASE,
    SAMPLES,
    WORKERS,
    choice_option,
    err_console,
    paths_option,
    progress_enabled,
    scheduler_address,
    seed_option,
    sobol_options,
    store_checked,
    write_option_table,
)
from realpolitik.commands.fit import parse_assignments
from realpolitik.commands.output import Output, output_options
from realpolitik.errors import InputError


def store_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--store PATH` and `--no-store`: where runs are kept (DuckDB), or not at all."""
    fn = click.option("--no-store", is_flag=True, help="Do not read or write the run store.")(fn)
    return click.option(
        "--store",
        metavar="PATH",
        callback=store_checked,
        help="Run store (DuckDB file); default: realpolitik/runs.duckdb in the user cache.",
    )(fn)


@dataclass(frozen=True)
class Execution:
    """What the execution options say: the seed, where the engine runs, where runs are kept,
    and where the results go (the --out file and the printed format)."""

    seed: int
    backend: str
    workers: int
    scheduler: str | None
    store: str | bool
    out: str | None
    output: Output

    def engine(self) -> dict[str, Any]:
        """Keyword arguments of the simulation functions."""
        return {
            "seed": self.seed,
            "backend": self.backend,
            "workers": self.workers,
            "scheduler": self.scheduler,
            "store": self.store,
            "progress": progress_enabled(),
        }

    def publish(self, frame: pd.DataFrame, data_label: str, payload: dict[str, Any]) -> bool:
        """Write the results table to --out; with --format json print `payload` as the whole
        answer and say so (True), else leave the printing to the command (False)."""
        write_option_table(frame, self.out, data_label=data_label)
        if self.output.is_json:
            self.output.json(payload)
        return self.output.is_json


def execution_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options of every command that runs the engine: seed, where it runs, where runs are
    kept, the output file and format. The command receives them as one `run: Execution`."""

    @functools.wraps(fn)
    def command(
        *args: Any,
        seed: int,
        backend: str,
        workers: int,
        scheduler: str | None,
        store: str | None,
        no_store: bool,
        out: str | None,
        csv_alias: str | None,
        fmt: str,
        as_json: bool,
        **kwargs: Any,
    ) -> Any:
        run = Execution(
            seed=seed,
            backend=backend,
            workers=workers,
            scheduler=scheduler,
            store=store_arg(store, no_store),
            out=out or csv_alias,
            output=Output(fmt, as_json),
        )
        return fn(*args, run=run, **kwargs)

    opts = [
        seed_option("Seed of the random numbers; same seed, same numbers on any backend."),
        choice_option(
            "--backend",
            choices=["local", "dask"],
            help="Run here (local) or on a Dask cluster (dask).",
        ),
        click.option(
            "--workers",
            type=WORKERS,
            default=2,
            show_default=True,
            help="Worker processes: Dask workers, or local processes for a job of several chunks.",
        ),
        click.option(
            "--scheduler",
            metavar="ADDRESS",
            callback=scheduler_address,
            help="An existing Dask scheduler (tcp://host:port).",
        ),
        store_options,
        output_options("the results table"),
    ]
    for opt in reversed(opts):
        command = opt(command)
    return command


def run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The execution options plus the number of Monte Carlo paths."""
    return paths_option("Monte Carlo paths (per world).")(execution_options(fn))


def repeatable_options(
    *specs: tuple[str, str, str],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Options given as (name, METAVAR, help), each taking a value and repeatable."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        for name, metavar, text in reversed(specs):
            fn = click.option(name, multiple=True, metavar=metavar, help=text)(fn)
        return fn

    return deco


def store_arg(store: str | None, no_store: bool) -> str | bool:
    """The command's run store: False (--no-store), a path (--store), or True (the default
    store, which is then opened now and held for the whole command, as `--store` is)."""
    if no_store:
        return False
    if not store:
        from realpolitik.simulation.store import held_open

        click.get_current_context().with_resource(held_open(True))
    return store or True


def reuse_note(reused: bool, key: str) -> None:
    if reused:
        err_console.print(
            f"[dim]reused stored run {key} (same case, parameters, seed and version)[/dim]"
        )


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@choice_option(
    "--model",
    choices=["full", "ideology", "interest", "components"],
    help="The choice model whose fitted weights drive the actors.",
)
@run_options
def simulate(case_ref: str, model: str, n: int, run: Execution) -> None:
    """Simulate a case forward: outcome frequencies and fidelity to the record."""
    from realpolitik.model.compiled import as_compiled
    from realpolitik.simulation.api import fitted_weights, record_logp
    from realpolitik.simulation.api import simulate as run_sim

    comp = as_compiled(case_ref)
    weights = fitted_weights(comp, model, store=run.store)
    res = run_sim(comp, n=n, model=model, weights=weights, **run.engine())
    seed = run.seed
    reuse_note(res.reused, res.run_key)
    logp, _ = record_logp(comp, weights, model)
    match = res.match_rates()
    fidelity = {
        "record_logp": logp,
        "mean_match_rate": float(match["match_rate"].mean()),
        "decisions": len(match),
        "run_key": res.run_key,
    }
    if run.publish(
        res.outcomes,
        f"realpolitik simulate {res.case_id}: outcomes ({res.n} paths, seed {seed})",
        {
            "case": res.case_id,
            "n": res.n,
            "seed": seed,
            "model": model,
            "outcomes": res.outcomes.to_dict("records"),
            "match": match.to_dict("records"),
            "fidelity": fidelity,
            "weights": weights.to_dict("records"),
        },
    ):
        return
    o = run.output
    o.table(
        res.outcomes.drop(columns=["n"]),
        title=f"outcomes in {res.n:,} simulated paths (seed {seed}, {model} model)",
        floats="{:.4f}",
        primary=True,
    )
    o.table(match, title="per-decision match with the record", floats="{:.3f}")
    o.note(
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


class WithNew(click.Command):
    """`realpolitik counterfactual new FILE` writes a world template; anything else is the
    counterfactual command itself."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args[:1] == ["new"]:
            ctx.meta["counterfactual_new"] = True
            return new_world.parse_args(ctx, args[1:])
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        if ctx.meta.get("counterfactual_new"):
            return ctx.invoke(new_world.callback, **ctx.params)  # type: ignore[arg-type]
        return super().invoke(ctx)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_usage(ctx, formatter)
        formatter.write_usage(ctx.command_path, "new FILE [--force]", prefix="   or: ")


@click.command("new")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--force", "overwrite", is_flag=True, help="Overwrite an existing file.")
def new_world(path: str, overwrite: bool) -> None:
    """Write a commented counterfactual (world) template for the built-in case."""
    from pathlib import Path

    from realpolitik.export import atomic_write
    from realpolitik.simulation.api import load_world
    from realpolitik.simulation.world_template import world_template

    target = Path(path)
    if target.exists() and not overwrite:
        raise InputError(f"{target}: exists already; choose another path or pass --force")
    text = world_template()
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    load_world(target)  # the template must read back as a world
    err_console.print(
        f"wrote {target}; run it with: realpolitik counterfactual --file {target} --seed 0"
    )


@click.command(cls=WithNew)
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@click.option(
    "--file",
    "file",
    metavar="FILE",
    help="A world file (YAML; see docs/world-format.md; start one with `counterfactual new`).",
)
@click.option(
    "--ideological", metavar="ACTOR", help="Make ACTOR weigh ideology as it weighed interest."
)
@repeatable_options(
    (
        "--weight",
        "ACTOR.TERM=W",
        "Set an actor's weight on a term (ideology, interest); repeatable.",
    ),
    (
        "--remove-event",
        "EVENT",
        "Leave an event out of history (an event id of the case); repeatable.",
    ),
    (
        "--move-event",
        "EVENT=DATE",
        "Move an event to another date (YYYY-MM-DD, within the case's span); repeatable.",
    ),
    (
        "--assume",
        "ID=VALUE",
        "Set an assumption to VALUE in the changed world (weights are refitted); repeatable.",
    ),
    ("--force", "DECISION=OPTION", "Make a decision come out as OPTION in every path; repeatable."),
)
@run_options
def counterfactual(case_ref: str, n: int, run: Execution, **changes: Any) -> None:
    """Compare a changed world with the baseline (same seed), with Monte Carlo error.

    `realpolitik counterfactual new FILE` writes a commented world file to start from."""
    file = changes["file"]  # the world options (--file ... --force) go to build_world as given
    if file:  # a file that is not safe YAML fails before the model stack is even imported
        from realpolitik.scenario.safe_yaml import load_yaml, read_text

        load_yaml(read_text(file, "counterfactual file"), file)
    from realpolitik.model.compiled import as_compiled
    from realpolitik.simulation.api import counterfactual as run_cf
    from realpolitik.simulation.api import load_world

    if file:
        load_world(file)  # and a file with the wrong fields before the case is fitted
    comp = as_compiled(case_ref)
    world = build_world(comp, **changes)
    table = run_cf(comp, world, n=n, **run.engine()).compare()
    if run.publish(
        table,
        f"realpolitik counterfactual {comp.case.id}: {world.name}"[:80],
        {
            "case": comp.case.id,
            "world": world.describe(),
            "name": world.name,
            "n": n,
            "seed": run.seed,
            "outcomes": table.to_dict("records"),
            "choices": table.attrs["choices"].to_dict("records"),
        },
    ):
        return
    print_counterfactual(table, world.name, n, run.seed, run.output)


def print_counterfactual(
    table: pd.DataFrame, name: str, n: int, seed: int, out: Output | None = None
) -> None:
    out = out or Output("table")
    shown = table[
        ["outcome", "baseline", "counterfactual", "difference", "mc_se", "beyond_mc_error"]
    ]
    out.table(
        shown,
        title=f"{name}: outcomes against the baseline ({n:,} paths each, seed {seed})",
        floats="{:+.4f}",
        primary=True,
    )
    for _, r in table.iterrows():
        if r["beyond_mc_error"]:
            out.note(
                f"{r['outcome']}: {r['baseline']:.3f} -> {r['counterfactual']:.3f}, a change "
                f"beyond Monte Carlo error (|diff| > 2.58 x {r['mc_se']:.4f})"
            )
        else:
            out.note(
                f"{r['outcome']}: no change beyond Monte Carlo error "
                f"({r['baseline']:.3f} vs {r['counterfactual']:.3f}, se {r['mc_se']:.4f})"
            )


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@sobol_options(
    "--samples base_samples",
    "--draws",
    samples_type=SAMPLES,
    samples_help="Sobol base samples N (a power of two); evaluations = N x (assumptions + 2).",
    default=(defaults.SENSITIVITY_SAMPLES, defaults.SENSITIVITY_DRAWS),
)
@execution_options
def sensitivity(case_ref: str, base_samples: int, draws: int, run: Execution) -> None:
    """Sobol sensitivity of the verdicts and outcomes over every assumption's range."""
    from realpolitik.model.compiled import as_compiled
    from realpolitik.simulation.sensitivity import sensitivity as run_sa

    comp = as_compiled(case_ref)
    res = run_sa(comp, base_samples=base_samples, draws=draws, **run.engine())
    reuse_note(res.reused, res.run_key)
    if run.publish(
        res.indices,
        f"realpolitik sensitivity {res.case_id}: Sobol indices (seed {run.seed})",
        {
            "case": res.case_id,
            "evaluations": res.n_evaluations,
            "seed": run.seed,
            "indices": res.indices.to_dict("records"),
            "verdict_share": res.verdict_share.to_dict("records"),
            "matters": res.matters().to_dict("records"),
            "notes": res.notes,
        },
    ):
        return
    print_sensitivity(res, run.output)


def print_sensitivity(res: Any, out: Output | None = None) -> None:
    out = out or Output("table")
    out.note(
        f"Sobol analysis of {res.case_id}: {res.n_evaluations:,} assumption settings x "
        f"{res.draws} paths (seed {res.seed})"
    )
    out.table(
        res.verdict_share,
        title="share of the assumption space where interest outweighs ideology",
    )
    m = res.matters()
    if m.empty:
        out.note("no assumption reaches a total-order index of 0.05 for any output")
    else:
        out.table(m, title="assumptions that matter (total-order index >= 0.05)")
    if out.fmt == "csv":
        out.table(res.indices, primary=True)
    for note in res.notes:
        out.note(f"[dim]{note}[/dim]")
