"""CLI: `data list`, `alliances build`, `alliances fit --json/--csv`, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from realpolitik.cli import cli, main
from test_alliances_helpers import imported_data_dir, read_raw


@pytest.fixture(scope="module")
def data_dir() -> Path:
    return imported_data_dir()


def test_data_list(data_dir: Path) -> None:
    res = CliRunner().invoke(cli, ["data", "list", "--data-dir", str(data_dir)], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "atop_alliance" in res.output and "present" in res.output
    assert "Leeds" in res.output and "missing" not in res.output


def test_build_writes_stata_with_cow_row_count(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "panel.dta"
    res = CliRunner().invoke(
        cli,
        [
            "alliances",
            "build",
            "--from",
            "1990",
            "--to",
            "1995",
            "--out",
            str(out),
            "--data-dir",
            str(data_dir),
        ],
    )
    assert res.exit_code == 0, res.output
    back = pd.read_stata(out, convert_categoricals=False)
    ddy = read_raw("cow_ddy")
    assert len(back) * 2 == int(ddy["year"].between(1990, 1995).sum())
    assert {"atop_onset", "common_threat", "joint_democracy"} <= set(back.columns)
    with pd.io.stata.StataReader(out) as reader:
        reader.read()
        labels = reader.variable_labels()
        values = reader.value_labels()
        data_label = reader.data_label
    assert labels["atop_new_obligation"].startswith("New ATOP obligation")
    assert labels["joint_democracy_vdem"] == "Joint democracy, V-Dem: both polyarchy >= 0.42"
    assert all(labels[c] for c in back.columns)  # every column carries a label
    assert values["atop_any"] == {0: "no", 1: "yes"}
    assert "1990-1995" in data_label
    flags = pd.read_stata(out)  # value labels turn the flags into no/yes categoricals
    assert set(flags["atop_any"].dropna().unique()) <= {"no", "yes"}


def fit_json(data_dir: Path, *args: str) -> dict:
    """`alliances fit ARGS --no-robustness --json`: the parsed answer."""
    argv = ["alliances", "fit", *args, "--no-robustness", "--json", "--data-dir", str(data_dir)]
    res = CliRunner().invoke(cli, argv)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_fit_json_parses(data_dir: Path) -> None:
    payload = fit_json(data_dir, "--era", "1919-1939")
    assert payload["outcome"] == "any-onset"
    assert payload["specification"]["se"] == "twoway"
    (v,) = payload["verdicts"]
    assert v["era"] == "1919-1939" and v["verdict"].startswith(
        ("interest outweighs ideology", "ideology outweighs interest", "undecided")
    )
    terms = {c["term"] for c in payload["coefficients"]}
    assert {"regime_sim", "common_threat", "py3", "allied_lag"} <= terms
    assert {m["variable"] for m in payload["missing"]} >= {"regime (polity)", "common threat"}


def test_fit_prints_what_the_issue_asks(data_dir: Path) -> None:
    res = CliRunner().invoke(
        cli, ["alliances", "fit", "--era", "cold-war", "--data-dir", str(data_dir)]
    )
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "clustered by dyad and year (two-way)" in out
    assert "dropped for missing data" in out and "events (" in out
    assert "outcome any-onset" in out and "new ATOP obligation" in out
    assert "P(interest > ideology)" in out and "checks: regime vdem ->" in out
    assert "SE dyad-only" in out


def test_fit_defense_onset_with_vdem(data_dir: Path) -> None:
    payload = fit_json(
        data_dir,
        *("--era", "1946-1989", "--outcome", "defense-onset", "--regime", "vdem", "--se", "dyad"),
    )
    assert payload["specification"]["outcome"] == "defense-onset"
    assert payload["specification"]["regime"] == "vdem"
    (v,) = payload["verdicts"]
    assert v["regime"] == "vdem" and v["se_type"] == "dyad" and v["n_events"] > 100


def test_bad_outcome_is_one_line_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["alliances", "fit", "--outcome", "war-onset", "--data-dir", str(data_dir)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "war-onset" in err[0]


def test_fit_csv_and_table(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "coef.csv"
    res = CliRunner().invoke(
        cli,
        ["alliances", "fit", "--era", "interwar", "--csv", str(out), "--data-dir", str(data_dir)],
    )
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out)
    assert set(frame["era"]) == {"1919-1939"} and "ame" in frame.columns
    res = CliRunner().invoke(
        cli,
        ["alliances", "fit", "--era", "1919-1939", "--data-dir", str(data_dir)],
        terminal_width=160,
    )
    assert res.exit_code == 0 and "verdict" in res.output and "regime_sim" in res.output


def test_bad_era_is_one_line_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["alliances", "fit", "--era", "bronze-age", "--data-dir", str(data_dir)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "bronze-age" in err[0]


def test_bad_extension_is_one_line_error(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["alliances", "build", "--out", str(tmp_path / "x.xlsx"), "--data-dir", str(data_dir)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "x.xlsx" in err and ".dta" in err and len(err.strip().splitlines()) == 1
