"""What a reader meets: the top-level API (statsmodels names, summaries, one result type for
simulate and counterfactual, ArviZ), terminal tables that fit, --format on every table, and
labelled Stata files from every command that writes one."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import realpolitik as rp
from cli_run import run_cli as run
from realpolitik.scenario.loader import template_text

SRC = Path(__file__).resolve().parent.parent / "src"


@pytest.fixture(scope="module")
def case_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("reader") / "tiny.yaml"
    path.write_text(template_text(), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def res(case_file: str):
    return rp.fit(case_file, seed=0, compare=True)


def run_cli(*argv: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process with its output piped, as a shell pipe would have it."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("COLUMNS", None)
    if columns:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-c", "from realpolitik.cli import main; main()", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


# ---- the API -----------------------------------------------------------------------------------


def test_top_level_names_are_the_functions_with_full_signatures() -> None:
    from realpolitik.estimation.api import fit
    from realpolitik.scenario.tables import tables
    from realpolitik.simulation import api, sensitivity

    assert rp.fit is fit and rp.simulate is api.simulate and rp.counterfactual is api.counterfactual
    assert rp.World is api.World and rp.tables is tables
    assert rp.sensitivity is sensitivity.sensitivity
    assert callable(rp.evaluate)
    params = inspect.signature(rp.fit).parameters
    assert {"model", "method", "seed", "alpha", "assumptions", "steps"} <= set(params)
    for fn in (rp.fit, rp.simulate, rp.counterfactual, rp.sensitivity):
        assert "Parameters" in fn.__doc__ and "Returns" in fn.__doc__, fn.__name__
    import pydoc

    text = pydoc.render_doc(rp.fit, renderer=pydoc.plaintext)
    assert "method: 'str' = 'mle'" in text and "assumptions" in text
    assert {"fit", "simulate", "counterfactual", "World", "tables", "sensitivity"} <= set(dir(rp))


def test_fit_results_speak_statsmodels(res) -> None:
    from scipy.stats import norm

    assert res.nobs == sum(a.n_decisions for a in res.actors)
    assert res.llf == pytest.approx(res.loglik) and res.llf < 0
    ok = res.bse.notna() & (res.bse > 0)
    z = (res.params / res.bse)[ok]
    np.testing.assert_allclose(res.pvalues[ok], 2 * norm.sf(np.abs(z)))
    assert ((res.pvalues[ok] >= 0) & (res.pvalues[ok] <= 1)).all()
    s = res.summary()
    text, html, latex = s.as_text(), s.as_html(), s.as_latex()
    assert "Log-likelihood" in text and f"{res.llf:.3f}" in text and "P>|z|" in text
    assert html.startswith("<div") and "<table>" in html and res._repr_html_() == html
    assert "\\begin{tabular}" in latex and "\\toprule" in latex
    assert str(res) == text
    assert "array(" not in repr(res) and "nobs=" in repr(res)


def test_simulate_and_counterfactual_share_one_result_type(case_file: str) -> None:
    sim = rp.simulate(case_file, n=500, seed=3, store=False)
    world = rp.World(weights={"USSR": {"ideology": 4.0, "interest": 0.0}})
    cf = rp.counterfactual(case_file, world, n=500, seed=3, store=False)
    assert type(sim) is type(cf) is rp.SimulationResult
    assert sim.baseline is None and cf.baseline is not None
    np.testing.assert_array_equal(
        cf.baseline.outcomes["frequency"].to_numpy(), sim.outcomes["frequency"].to_numpy()
    )
    table = cf.compare()
    assert np.allclose(table["difference"], table["counterfactual"] - table["baseline"])
    assert cf.world.name == "counterfactual"
    for result in (sim, cf):
        assert "<table>" in result._repr_html_() and "n=500" in repr(result)
    with pytest.raises(ValueError, match="no baseline"):
        sim.compare()


def test_tables_takes_a_name_or_a_case(case_file: str) -> None:
    frames = rp.tables(case_file)
    assert {"actors", "decisions", "options", "assumptions"} <= set(frames)


# ---- terminal tables ----------------------------------------------------------------------------


def test_piped_fit_fits_in_80_columns(case_file: str) -> None:
    done = run_cli("fit", case_file, columns=80)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert "\x1b[" not in done.stdout  # no colour codes in a pipe
    wide = run_cli("fit", case_file, columns=200)
    assert max(len(line) for line in wide.stdout.splitlines()) > 80  # COLUMNS is obeyed


def test_narrow_tables_stack_rather_than_break_numbers() -> None:
    from rich.console import Console

    from realpolitik.commands.output import render_table

    frame = pd.DataFrame(
        {
            "actor": ["USSR", "CCP"],
            "a long column name": [-28.927123, 1234567.5],
            "verdict": ["interest outweighs ideology", "undecided (weakly identified)"],
            **{f"column {k}": [float(k), -float(k)] for k in range(8)},
        }
    )
    console = Console(width=40, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(render_table(frame, "t", width=40))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 40
    for number in ("-28.927", "1234567.500", "interest"):
        assert number in text, number


@pytest.mark.parametrize("fmt", ["csv", "markdown", "latex", "json"])
def test_fit_prints_every_format(
    capsys: pytest.CaptureFixture[str], case_file: str, fmt: str
) -> None:
    code, out, err = run(capsys, "fit", case_file, "--format", fmt)
    assert code == 0, err
    if fmt == "csv":
        frame = pd.read_csv(__import__("io").StringIO(out))
        assert {"actor", "p_interest_outweighs", "verdict"} <= set(frame.columns)
    elif fmt == "markdown":
        assert "| actor" in out and "|:--" in out.replace(" ", "")
    elif fmt == "latex":
        assert "\\begin{tabular}" in out and "\\bottomrule" in out
    else:
        assert json.loads(out)["verdict"]


# ---- labelled Stata files -----------------------------------------------------------------------


def labels_of(path: Path) -> tuple[dict[str, str], str]:
    with pd.io.stata.StataReader(path) as reader:
        return reader.variable_labels(), reader.data_label


@pytest.mark.parametrize(
    "argv",
    [
        ["fit", "{case}", "--out", "{out}"],
        ["fit", "{case}", "--table", "params", "--csv", "{out}"],
        ["fit", "{case}", "--table", "predictions", "--out", "{out}"],
        ["simulate", "{case}", "-n", "300", "--no-store", "--out", "{out}"],
        [
            "counterfactual",
            "{case}",
            "--weight",
            "USSR.ideology=3",
            "-n",
            "300",
            "--no-store",
            "--out",
            "{out}",
        ],
        ["sensitivity", "{case}", "--samples", "4", "--draws", "4", "--no-store", "--out", "{out}"],
    ],
    ids=["fit", "fit-params", "fit-predictions", "simulate", "counterfactual", "sensitivity"],
)
def test_every_dta_the_cli_writes_is_labelled(
    capsys: pytest.CaptureFixture[str], case_file: str, tmp_path: Path, argv: list[str]
) -> None:
    out = tmp_path / "table.dta"
    code, _, err = run(capsys, *[a.format(case=case_file, out=out) for a in argv])
    assert code == 0, err
    labels, data_label = labels_of(out)
    assert labels and all(text.strip() for text in labels.values()), labels
    assert data_label.startswith("realpolitik ")
    frame = pd.read_stata(out)
    assert list(frame.columns) == list(labels)  # no renamed column
    if "predictions" in argv:
        assert set(frame["correct"].astype(str)) <= {"yes", "no"}  # 0/1 flags are labelled


def test_stata_writer_maps_bad_names_loudly(tmp_path: Path) -> None:
    from realpolitik.export import write_table

    frame = pd.DataFrame({"case": ["a"], "P(x > y)": [0.5], "ok": [True]})
    with pytest.warns(UserWarning, match="Stata names"):
        write_table(frame, tmp_path / "x.dta", data_label="d")
    labels, _ = labels_of(tmp_path / "x.dta")
    assert labels["_case"].startswith("[case]")
    assert labels["P_x___y_"].startswith("[P(x > y)]")


# ---- world files --------------------------------------------------------------------------------


def test_counterfactual_new_writes_a_world_that_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    world = tmp_path / "w.yaml"
    code, _, err = run(capsys, "counterfactual", "new", str(world))
    assert code == 0, err
    text = world.read_text(encoding="utf-8")
    assert text.startswith("#") and "weights:" in text and "force:" in text
    code, _, err = run(capsys, "counterfactual", "new", str(world))
    assert code == 2 and "exists already" in err
    code, out, err = run(
        capsys, "counterfactual", "--file", str(world), "-n", "300", "--no-store", "--format", "csv"
    )
    assert code == 0, err
    assert {"baseline", "counterfactual", "difference", "mc_se"} <= set(
        out.splitlines()[0].split(",")
    )


def test_every_option_has_help() -> None:
    import click

    from realpolitik.cli import COMMANDS, cli

    ctx = click.Context(cli)
    # the alliance commands are being rewritten with the alliance models (not checked here)
    for name in sorted(set(COMMANDS) - {"alliances", "data"}):
        cmd = cli.get_command(ctx, name)
        commands = list(cmd.commands.values()) if isinstance(cmd, click.Group) else [cmd]
        for c in commands:
            for p in c.params:
                if isinstance(p, click.Option) and not p.hidden:
                    assert p.help, f"{name} {c.name}: {p.opts} has no help"


@pytest.mark.slow
def test_bayes_prints_diagnostics_and_hands_the_posterior_to_arviz(
    capsys: pytest.CaptureFixture[str], case_file: str, tmp_path: Path
) -> None:
    xr = pytest.importorskip("xarray")
    pytest.importorskip("arviz_base")
    post = tmp_path / "post.nc"
    code, out, err = run(
        capsys,
        "fit",
        case_file,
        "--method",
        "bayes",
        "--posterior",
        str(post),
        "--format",
        "markdown",
    )
    assert code == 0, err
    assert "max R-hat" in out and "effective sample size" in out and "ess" in out
    tree = xr.open_datatree(post, engine="h5netcdf")
    w = tree["posterior"]["w"]
    assert dict(w.sizes)["chain"] == 4 and list(w["term"].values) == ["ideology", "interest"]
    res = rp.fit(case_file, method="bayes", seed=0)
    np.testing.assert_allclose(
        res.to_inference_data()["posterior"]["w"].mean(("chain", "draw")).values[0],
        res.params.to_numpy(),
    )
    code, _, err = run(capsys, "fit", case_file, "--posterior", str(tmp_path / "x.nc"))
    assert code == 2 and "--method bayes" in err
