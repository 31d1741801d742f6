"""`data import|list` and `alliances build|fit` print through the shared output options:
--format json parses as JSON, --format csv parses as CSV, --out writes a table pandas reads,
and a bad --format is a one-line error with exit status 2."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from realpolitik.cli import cli, main
from test_alliances_helpers import imported_data_dir, require_shared


@pytest.fixture(scope="module")
def data_dir() -> Path:
    return imported_data_dir()


def invoke(args: list[str]) -> str:
    res = CliRunner().invoke(cli, args, terminal_width=100)
    assert res.exit_code == 0, res.output
    return res.stdout


def test_data_import_formats_and_out(tmp_path: Path) -> None:
    source = require_shared()
    only = ["--only", "cow_majors", "--only", "cow_states"]
    out = tmp_path / "imported.parquet"
    target = tmp_path / "data"
    payload = json.loads(
        invoke(
            ["data", "import", str(source), "--data-dir", str(target), *only, "--format", "json"]
        )
    )
    assert [e["dataset"] for e in payload["imported"]] == ["cow_majors", "cow_states"]
    assert all(e["rows"] > 0 for e in payload["imported"])
    text = invoke(
        ["data", "import", str(source), "--data-dir", str(target), *only, "--format", "csv"]
        + ["--out", str(out)]
    )
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame["dataset"]) == ["cow_majors", "cow_states"]
    assert pd.read_parquet(out).equals(frame)


def test_data_list_formats_and_out(data_dir: Path, tmp_path: Path) -> None:
    payload = json.loads(invoke(["data", "list", "--data-dir", str(data_dir), "--format", "json"]))
    by_name = {d["dataset"]: d for d in payload["datasets"]}
    assert by_name["atop_alliance"]["status"] == "present" and by_name["atop_alliance"]["rows"] > 0
    assert "Leeds" in by_name["atop_alliance"]["citation"]
    out = tmp_path / "datasets.csv"
    text = invoke(
        ["data", "list", "--data-dir", str(data_dir), "--format", "csv", "--out", str(out)]
    )
    frame = pd.read_csv(io.StringIO(text))
    assert "atop_alliance" in set(frame["dataset"]) and "status" in frame.columns
    written = pd.read_csv(out)
    assert list(written["dataset"]) == list(frame["dataset"])
    assert (
        written.loc[written["dataset"] == "atop_alliance", "rows"].iloc[0]
        == by_name["atop_alliance"]["rows"]
    )


def test_data_list_table_fits_the_width(data_dir: Path) -> None:
    text = invoke(["data", "list", "--data-dir", str(data_dir), "--no-citations"])
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "┃ dataset" in text  # a table, not the stacked form


def test_alliances_build_formats(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "panel.parquet"
    base = ["alliances", "build", "--from", "1990", "--to", "1991", "--data-dir", str(data_dir)]
    payload = json.loads(invoke([*base, "--out", str(out), "--format", "json"]))
    panel = pd.read_parquet(out)
    assert payload["dyad_years"] == len(panel) and payload["columns"] == panel.shape[1]
    summary = pd.read_csv(io.StringIO(invoke([*base, "--out", str(out), "--format", "csv"])))
    assert summary.loc[0, "dyad_years"] == len(panel)


def test_alliances_fit_formats_and_out(data_dir: Path, tmp_path: Path) -> None:
    base = ["alliances", "fit", "--era", "interwar", "--no-robustness", "--data-dir", str(data_dir)]
    payload = json.loads(invoke([*base, "--format", "json"]))
    (v,) = payload["verdicts"]
    out = tmp_path / "coef.dta"
    frame = pd.read_csv(io.StringIO(invoke([*base, "--format", "csv", "--out", str(out)])))
    assert {"era", "term", "estimate", "ame"} <= set(frame.columns)
    assert set(frame["era"]) == {v["era"]}
    coef = {c["term"]: c["estimate"] for c in payload["coefficients"]}
    assert frame.set_index("term")["estimate"].to_dict() == pytest.approx(coef)
    written = pd.read_stata(out)
    assert len(written) == len(frame)
    md = invoke([*base, "--format", "markdown"])
    assert "| term" in md and "verdict" in md


@pytest.mark.parametrize(
    "args",
    [
        ["data", "import", "."],
        ["data", "list"],
        ["alliances", "build", "--out", "panel.parquet"],
        ["alliances", "fit"],
    ],
)
def test_bad_format_is_one_line_exit_2(args: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*args, "--format", "xml"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--format" in err[0] and "xml" in err[0]


@pytest.mark.parametrize("args", [["data", "list"], ["alliances", "fit"]])
def test_out_with_unknown_extension_fails_before_work(
    args: list[str], capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*args, "--out", "table.xlsx"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "table.xlsx" in err[0] and ".dta" in err[0]
