"""The shared option decorators keep every option of simulate, counterfactual and sensitivity
as it was: the same names, defaults, hidden aliases and help (the lists below are what the
commands took before the options were factored into decorators)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from realpolitik.cli import cli

EXECUTION = [
    ("seed", "--seed", 0, False),
    ("backend", "--backend", "local", False),
    ("workers", "--workers", 2, False),
    ("scheduler", "--scheduler", None, False),
    ("store", "--store", None, False),
    ("no_store", "--no-store", False, False),
    ("out", "--out", None, False),
    ("csv_alias", "--csv", None, True),
    ("fmt", "--format", "table", False),
    ("as_json", "--json", False, True),
]
BEFORE = {
    "simulate": [("model", "--model", "full", False), ("n", "-n", 10000, False), *EXECUTION],
    "counterfactual": [
        ("file", "--file", None, False),
        ("ideological", "--ideological", None, False),
        ("weight", "--weight", (), False),
        ("remove_event", "--remove-event", (), False),
        ("move_event", "--move-event", (), False),
        ("assume", "--assume", (), False),
        ("force", "--force", (), False),
        ("n", "-n", 10000, False),
        *EXECUTION,
    ],
    "sensitivity": [
        ("base_samples", "--samples", 128, False),
        ("draws", "--draws", 64, False),
        *EXECUTION,
    ],
}


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_options_are_those_of_before(name: str) -> None:
    import click

    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    ctx = command.make_context(name, [])
    seen = [
        (p.name, p.opts[0], ctx.params[p.name] if p.name in ctx.params else None, p.hidden)
        for p in command.params
        if p.param_type_name == "option"
    ]
    assert seen == BEFORE[name]
    shown = CliRunner().invoke(cli, [name, "--help"], terminal_width=200).output
    for _, flag, _, hidden in BEFORE[name]:
        assert (f"{flag} " in shown or f"{flag}\n" in shown) != hidden, flag


def test_counterfactual_new_still_parses_its_own_options() -> None:
    shown = CliRunner().invoke(cli, ["counterfactual", "--help"], terminal_width=200).output
    assert "new FILE [--force]" in shown


def test_report_keeps_its_sobol_options() -> None:
    import click

    command = cli.get_command(click.Context(cli), "report")
    assert command is not None
    ctx = command.make_context("report", [])
    assert ctx.params["sensitivity_samples"] == 64 and ctx.params["sensitivity_draws"] == 32
    assert (
        command.make_context("report", ["--sensitivity-samples", "0"]).params["sensitivity_samples"]
        == 0
    )  # 0 leaves the analysis out (sensitivity itself refuses 0)
    with pytest.raises(click.BadParameter):
        cli.get_command(click.Context(cli), "sensitivity").make_context(
            "sensitivity", ["--samples", "0"]
        )
