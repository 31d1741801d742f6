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
    back = pd.read_stata(out)
    ddy = read_raw("cow_ddy")
    assert len(back) * 2 == int(ddy["year"].between(1990, 1995).sum())
    assert {"atop_onset", "common_threat", "joint_democracy"} <= set(back.columns)


def test_fit_json_parses(data_dir: Path) -> None:
    res = CliRunner().invoke(
        cli, ["alliances", "fit", "--era", "1919-1939", "--json", "--data-dir", str(data_dir)]
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["outcome"] == "onset"
    (v,) = payload["verdicts"]
    assert v["era"] == "1919-1939" and v["verdict"] in (
        "interest outweighs ideology",
        "ideology outweighs interest",
        "no clear difference",
    )
    terms = {c["term"] for c in payload["coefficients"]}
    assert {"regime_sim", "common_threat", "py3"} <= terms


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
