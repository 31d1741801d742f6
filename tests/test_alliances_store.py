"""Data layer: import round-trip, manifest, typing, key checks, one-line missing-data errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_run import run_cli_process
from realpolitik.alliances import store
from realpolitik.alliances.catalog import DATASETS, Dataset
from realpolitik.errors import DataMissingError, InputError
from test_alliances_helpers import REPO, imported_data_dir, read_raw, require_shared


@pytest.fixture(scope="module")
def data_dir() -> Path:
    return imported_data_dir()


def test_every_dataset_round_trips(data_dir: Path) -> None:
    manifest = json.loads((data_dir / "manifest.json").read_text())["datasets"]
    sums = dict(
        reversed(line.split())
        for line in (require_shared() / "SHA256SUMS").read_text().splitlines()
    )
    for name, ds in DATASETS.items():
        df = store.load(name, data_dir)
        raw = read_raw(name)
        assert len(df) == len(raw), name
        assert list(df.columns) == list(raw.columns), name
        for col in ds.int16:
            assert str(df[col].dtype) in ("int16", "Int16"), (name, col)
            np.testing.assert_array_equal(
                df[col].to_numpy(dtype=float), raw[col].to_numpy(dtype=float)
            )
        for col in ds.int8:
            assert str(df[col].dtype) in ("int8", "Int8"), (name, col)
        for col in ds.floats:
            np.testing.assert_allclose(
                df[col].to_numpy(), raw[col].to_numpy(dtype=float), equal_nan=True
            )
        assert not df.duplicated(list(ds.key)).any(), name
        entry = manifest[name]
        assert entry["version"] and entry["citation"], name
        assert entry["rows"] == len(df)
        assert entry["source_sha256"] == sums[ds.path], name
        assert entry["package_version"] == "1.2.9"
    # atomic writes leave no temporary files behind
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".")]


def test_contiguity_dates_are_datetimes(data_dir: Path) -> None:
    cont = store.load("cow_contdir", data_dir)
    assert pd.api.types.is_datetime64_any_dtype(cont["stdate"])
    assert (cont["enddate"] >= cont["stdate"]).all()


def test_false_dyads_absent_from_cow_ddy(data_dir: Path) -> None:
    ddy = store.load("cow_ddy", data_dir)
    false = store.load("false_cow_dyads", data_dir)
    merged = ddy.merge(false, on=["ccode1", "ccode2", "year"])
    assert len(false) > 0 and len(merged) == 0


def test_type_errors_name_file_and_field() -> None:
    ds = Dataset(
        name="x",
        path="data/x.rda",
        title="t",
        version="1",
        citation="c",
        key=("ccode", "year"),
        int16=("ccode", "year"),
    )
    bad = pd.DataFrame({"ccode": [2.0, 2.5], "year": [1900.0, 1901.0]})
    with pytest.raises(InputError) as err:
        store.type_columns(bad, ds, "data/x.rda")
    assert "data/x.rda" in str(err.value) and "ccode" in str(err.value)
    assert "whole numbers" in str(err.value)
    dup = pd.DataFrame({"ccode": [2, 2], "year": [1900, 1900]})
    with pytest.raises(InputError, match="duplicate"):
        store.check_key(dup, ds, "data/x.rda")
    with pytest.raises(InputError, match="column missing"):
        store.type_columns(pd.DataFrame({"ccode": [2.0]}), ds, "data/x.rda")


def test_missing_dataset_error_via_api(tmp_path: Path) -> None:
    with pytest.raises(DataMissingError) as err:
        store.load("atop_alliance", tmp_path)
    msg = str(err.value)
    assert "\n" not in msg
    assert "atop_alliance" in msg and "data/atop_alliance.rda" in msg and "peacesciencer" in msg


def test_data_dir_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REALPOLITIK_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert store.resolve_data_dir() == tmp_path / "xdg" / "realpolitik" / "data"
    monkeypatch.setenv("REALPOLITIK_DATA_DIR", str(tmp_path / "env"))
    assert store.resolve_data_dir() == tmp_path / "env"
    assert store.resolve_data_dir(tmp_path / "flag") == tmp_path / "flag"


def _run_cli(*args: str, env_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "REALPOLITIK_DATA_DIR": str(env_dir), "HOME": str(env_dir)}
    return run_cli_process(*args, env=env, cwd=REPO)


def test_missing_dataset_cli_one_line_exit_2(tmp_path: Path) -> None:
    res = _run_cli("alliances", "fit", "--era", "cold-war", env_dir=tmp_path)
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ") and "cow_ddy" in lines[0]
    assert "data/cow_ddy.rda" in lines[0] and "Traceback" not in res.stderr


def test_import_from_missing_folder_exit_2(tmp_path: Path) -> None:
    res = _run_cli("data", "import", str(tmp_path / "nowhere"), env_dir=tmp_path)
    assert res.returncode == 2
    assert res.stderr.startswith("error: ") and len(res.stderr.strip().splitlines()) == 1
