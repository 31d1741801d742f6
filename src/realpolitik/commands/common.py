"""Shared bits of the command line: options, output of tables, the console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import click
import pandas as pd

from realpolitik import limits
from realpolitik.commands import defaults
from realpolitik.commands.defaults import DEFAULT_CASE
from realpolitik.commands.output import make_console, render_table
from realpolitik.export import write_table

F = TypeVar("F", bound=Callable[..., Any])

console = make_console()
err_console = make_console(stderr=True)

__all__ = ["DEFAULT_CASE", "console", "err_console", "write_option_table", "rich_table"]

# ---- bounded numeric options (limits in realpolitik.limits), checked before any work --------


class Bounded(click.IntRange):
    """A whole number from `min` to `max`, refused in the project's words."""

    def __init__(self, min: int, max: int) -> None:  # noqa: A002 (click's names)
        super().__init__(min, max)

    def expected(self) -> str:
        return f"expected a whole number from {self.min:,} to {self.max:,}"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        try:
            n = super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"{self.expected()}, got {value}", param, ctx)
        if not self.ok(n):
            self.fail(f"{self.expected()}, got {n:,}", param, ctx)
        return n

    def ok(self, n: int) -> bool:
        return True


class PowerOfTwo(Bounded):
    """A power of two from `min` to `max` (or 0 when `zero` allows it)."""

    name = "power of two"

    def __init__(self, min: int, max: int, zero: bool = False) -> None:  # noqa: A002
        super().__init__(0 if zero else min, max)
        self.zero = zero
        self.lowest = min

    def expected(self) -> str:
        zero = "0 or " if self.zero else ""
        return f"expected {zero}a power of two from {self.lowest:,} to {self.max:,}"

    def ok(self, n: int) -> bool:
        return (n == 0 and self.zero) or (n >= self.lowest and not n & (n - 1))


SEED = Bounded(0, limits.MAX_SEED)
PATHS = Bounded(1, limits.MAX_PATHS)
SAMPLES = PowerOfTwo(2, limits.MAX_SAMPLES)
SAMPLES_OR_ZERO = PowerOfTwo(2, limits.MAX_SAMPLES, zero=True)
DRAWS = Bounded(1, limits.MAX_DRAWS)
WORKERS = Bounded(1, limits.MAX_WORKERS)
STEPS = Bounded(20, limits.MAX_STEPS)


def store_checked(ctx: Any, param: Any, value: str | None) -> str | None:
    """--store: open the run store before any work, so a wrong file fails at once, and keep
    that one connection for the whole command (`held_open`)."""
    if value:
        from realpolitik.simulation.store import held_open

        ctx.with_resource(held_open(value))
    return value


SCHEDULER_SCHEMES = ("tcp", "tls", "inproc", "ws", "wss", "ucx")


def scheduler_address(ctx: Any, param: Any, value: str | None) -> str | None:
    """--scheduler: a Dask scheduler address SCHEME://HOST:PORT (or HOST:PORT, taken as tcp)."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    text = value if "://" in value else f"tcp://{value}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        port = None
        parts = None
    if (
        parts is None
        or parts.scheme not in SCHEDULER_SCHEMES
        or not parts.hostname
        or (port is None and parts.scheme != "inproc")
    ):
        raise click.BadParameter(
            f"expected SCHEME://HOST:PORT with SCHEME one of {', '.join(SCHEDULER_SCHEMES)}, "
            f"got '{value}'",
            ctx,
            param,
        )
    return text


def write_option_table(
    frame: pd.DataFrame,
    path: str | None,
    data_label: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Write the table an --out option names (format by extension; a .dta is labelled) and
    say where."""
    if path:
        written = write_table(frame, path, labels=labels, data_label=data_label)
        err_console.print(f"wrote {written}")


def rich_table(frame: pd.DataFrame, title: str = "", floats: str = "{:.3f}") -> Any:
    """The frame as a table fitted to the terminal width (stacked when it cannot fit)."""
    return render_table(frame, title, floats, console.width)


def dump_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, default=str))


def progress_enabled() -> bool:
    return sys.stderr.isatty()


def check_headline_actor(comp: Any, actor: str) -> None:
    """An actor named on the command line must be in the case; the default (USSR) may be
    absent, and the report then takes the actor with the most recorded decisions."""
    from click.core import ParameterSource

    from realpolitik.errors import InputError

    given = (
        click.get_current_context().get_parameter_source("headline_actor")
        is not ParameterSource.DEFAULT
    )
    if given and actor not in comp.actor_ids:
        raise InputError(
            f"--headline-actor: unknown actor '{actor}' (actors: {', '.join(comp.actor_ids)})"
        )


def choice_option(*decls: str, choices: Sequence[str], help: str) -> Callable[[F], F]:  # noqa: A002
    """An option taking one of `choices`; the first is the default (shown in --help)."""
    return click.option(
        *decls, type=click.Choice(list(choices)), default=choices[0], show_default=True, help=help
    )


def seed_option(
    help: str = "Seed of every fit and simulation; same seed, same numbers.",  # noqa: A002
) -> Callable[[F], F]:
    """`--seed`, bounded, with the project's default."""
    return click.option("--seed", type=SEED, default=defaults.SEED, show_default=True, help=help)


def paths_option(help: str = "Monte Carlo paths per world.") -> Callable[[F], F]:  # noqa: A002
    """`-n`: Monte Carlo paths per world, bounded, with the project's default."""
    return click.option("-n", "n", type=PATHS, default=defaults.PATHS, show_default=True, help=help)


def paths_and_seed(fn: F) -> F:
    """`-n` (Monte Carlo paths per world) and `--seed`, as `run` and `report` take them."""
    return paths_option()(seed_option()(fn))


def sobol_options(
    samples: str,
    draws: str,
    *,
    samples_type: PowerOfTwo,
    samples_help: str,
    default: tuple[int, int],
) -> Callable[[F], F]:
    """The Sobol analysis' size: `samples` (base samples N, a power of two) and `draws`
    (simulated paths per assumption setting), given as option declarations (flag or flag and
    parameter name, space-separated) with their defaults."""

    def deco(fn: F) -> F:
        fn = click.option(
            *draws.split(),
            type=DRAWS,
            default=default[1],
            show_default=True,
            help="Simulated paths per assumption setting.",
        )(fn)
        return click.option(
            *samples.split(),
            type=samples_type,
            default=default[0],
            show_default=True,
            help=samples_help,
        )(fn)

    return deco
