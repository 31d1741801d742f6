"""Panel verbs: row counts equal CoW dyad-years, each verb's columns hold sane values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realpolitik.alliances import panel as P
from realpolitik.alliances.api import alliance_edges
from realpolitik.export import write_table
from test_alliances_helpers import full_panel, imported_data_dir, read_raw


@pytest.fixture(scope="module")
def data_dir() -> Path:
    return imported_data_dir()


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return full_panel()


@pytest.fixture(scope="module")
def ddy_raw() -> pd.DataFrame:
    return read_raw("cow_ddy")


def test_row_counts_match_cow_dyad_years(
    df: pd.DataFrame, ddy_raw: pd.DataFrame, data_dir: Path
) -> None:
    span = ddy_raw[(ddy_raw["year"] >= 1816) & (ddy_raw["year"] <= 2018)]
    assert len(df) * 2 == len(span)
    nd = span[span["ccode1"] < span["ccode2"]]
    assert len(df) == len(nd)
    assert not df.duplicated(["ccode1", "ccode2", "year"]).any()
    per_year = df.groupby("year").size()
    raw_year = nd.groupby("year").size()
    assert per_year.to_dict() == {int(k): int(v) for k, v in raw_year.items()}
    directed = P.create_dyadyears(1900, 1910, directed=True, data_dir=data_dir)
    raw_dir = ddy_raw[(ddy_raw["year"] >= 1900) & (ddy_raw["year"] <= 1910)]
    assert len(directed) == len(raw_dir)
    directed = P.add_atop_alliance(P.add_democracy(directed, data_dir=data_dir), data_dir=data_dir)
    assert len(directed) == len(raw_dir)


def test_atop_matches_raw_rows(df: pd.DataFrame) -> None:
    atop = read_raw("atop_alliance")
    nd = atop[(atop["ccode1"] < atop["ccode2"]) & atop["year"].between(1816, 2018)]
    keys = nd[["ccode1", "ccode2", "year"]].astype(int)
    allied = df.loc[df["atop_any"] == 1, ["ccode1", "ccode2", "year"]].astype(int)
    inner = keys.merge(df[["ccode1", "ccode2", "year"]].astype(int))
    assert len(allied) == len(inner)  # every allied panel row is an ATOP row and vice versa
    defence = df["atop_defense"] == 1
    assert (df.loc[defence, "atop_any"] == 1).all()
    # onset: allied now, not allied the year before
    on = df["atop_onset"] == 1
    assert on.sum() > 1000
    assert (df.loc[on, "atop_any"] == 1).all() and (df.loc[on, "atop_any_lag"] == 0).all()
    assert (df.loc[df["atop_any_lag"] == 1, "atop_peaceyears"] == 0).all()
    # NATO: USA (2) and UK (200) with a defence pledge throughout the Cold War
    nato = df[(df["ccode1"] == 2) & (df["ccode2"] == 200) & df["year"].between(1950, 1989)]
    assert len(nato) == 40 and (nato["atop_defense"] == 1).all()


def test_peace_years_count_up(df: pd.DataFrame) -> None:
    d = df[(df["ccode1"] == 2) & (df["ccode2"] == 710)].sort_values("year")  # USA-China
    py = d["atop_peaceyears"].to_numpy()
    lag = d["atop_any_lag"].to_numpy()
    years = d["year"].to_numpy()
    for i in range(1, len(d)):
        if lag[i] == 0 and years[i] == years[i - 1] + 1:
            assert py[i] == py[i - 1] + 1


def test_regime_terms(df: pd.DataFrame) -> None:
    both = df["polity2_1"].notna() & df["polity2_2"].notna()
    jd = (df["polity2_1"] >= 6) & (df["polity2_2"] >= 6)
    ja = (df["polity2_1"] <= -6) & (df["polity2_2"] <= -6)
    assert (df.loc[both, "joint_democracy"] == jd[both].astype(float)).all()
    assert (df.loc[both, "joint_autocracy"] == ja[both].astype(float)).all()
    assert df.loc[~both, "joint_democracy"].isna().all()
    sim = df["regime_sim"].dropna()
    assert sim.between(0, 1).all() and sim.max() == 1 and sim.min() == 0
    assert df["polyarchy1"].dropna().between(0, 1).all()


def test_capabilities(df: pd.DataFrame) -> None:
    ok = df["cap_ratio"].notna()
    assert ok.mean() > 0.99
    assert (df.loc[ok, "cap_ratio"] >= 1).all()
    np.testing.assert_allclose(df.loc[ok, "joint_cinc"], df.loc[ok, "cinc1"] + df.loc[ok, "cinc2"])
    assert (df.loc[ok, "joint_cinc"] <= 1).all()


def test_contiguity_majors_rivals(df: pd.DataFrame) -> None:
    def row(a: int, b: int, y: int) -> pd.Series:
        return df[(df["ccode1"] == a) & (df["ccode2"] == b) & (df["year"] == y)].iloc[0]

    assert row(2, 20, 1950)["conttype"] == 1  # USA-Canada, land
    assert row(2, 70, 1950)["land_contiguous"] == 1  # USA-Mexico
    assert row(2, 200, 1950)["contiguous"] == 0  # USA-UK
    assert row(2, 200, 1950)["major_both"] == 1
    assert row(2, 200, 1890)["major1"] == 0 and row(2, 200, 1890)["major2"] == 1
    assert row(2, 365, 1960)["rivals"] == 1  # USA-USSR
    assert df["conttype"].between(0, 5).all()
    assert (df["shared_rival"] == (df["n_shared_rivals"] > 0)).all()


def test_shared_mid_opponent_against_brute_force(df: pd.DataFrame) -> None:
    mid = read_raw("cow_mid_dirdisps")[["ccode1", "ccode2", "year"]].astype(int).drop_duplicates()
    rng = np.random.default_rng(20240601)
    pos = df.index[(df["shared_mid_opponent"] == 1)]
    neg = df.index[(df["shared_mid_opponent"] == 0) & (df["year"].between(1900, 2010))]
    sample = list(rng.choice(pos, 25, replace=False)) + list(rng.choice(neg, 25, replace=False))
    for i in sample:
        a, b, y = int(df.at[i, "ccode1"]), int(df.at[i, "ccode2"]), int(df.at[i, "year"])
        win = mid[mid["year"].between(y - 5, y - 1)]
        opp_a = set(win.loc[win["ccode1"] == a, "ccode2"]) - {b}
        opp_b = set(win.loc[win["ccode1"] == b, "ccode2"]) - {a}
        assert df.at[i, "n_shared_mid_opponents"] == len(opp_a & opp_b), (a, b, y)
    assert df.loc[df["year"] > 2015, "shared_mid_opponent"].isna().all()
    assert df.loc[df["year"] > 2015, "common_threat"].isna().all()
    ct = df["common_threat"].dropna()
    sub = df.loc[ct.index]
    assert (ct == np.maximum(sub["shared_rival"], sub["shared_mid_opponent"])).all()


def test_igos_only_when_asked_and_era(df: pd.DataFrame, data_dir: Path) -> None:
    assert "dyadigos" not in df.columns  # no model uses it: not built by default
    small = P.build_panel(2010, 2016, data_dir=data_dir, covariates=["igos"])
    assert "dyadigos" in small.columns and "cinc1" not in small.columns
    assert small.loc[small["year"] <= 2014, "dyadigos"].notna().all()
    assert small.loc[small["year"] > 2014, "dyadigos"].isna().all()
    assert df.loc[df["year"].between(1940, 1945), "era"].isna().all()
    assert (df.loc[df["year"] == 1950, "era"] == "1946-1989").all()


def test_alliance_edges(data_dir: Path) -> None:
    e = alliance_edges(1946, 1989, data_dir=data_dir)
    assert list(e.columns) == ["ccode1", "ccode2", "name1", "name2", "n_years", "defence"]
    assert (e["ccode1"] < e["ccode2"]).all() and e["n_years"].between(1, 44).all()
    assert e["name1"].notna().all() and e["defence"].dtype == bool
    usa_uk = e[(e["ccode1"] == 2) & (e["ccode2"] == 200)].iloc[0]
    assert usa_uk["name1"] == "USA" and usa_uk["name2"] == "UKG" and usa_uk["defence"]


def test_export_formats(df: pd.DataFrame, tmp_path: Path) -> None:
    small = df[df["year"] == 1990].head(200).copy()
    small["a_really_long_column_name_beyond_stata_limit_x"] = 1
    for ext in (".csv", ".parquet", ".dta"):
        path = write_table(small, tmp_path / f"p{ext}")
        back = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".dta": pd.read_stata}[ext](path)
        assert len(back) == len(small)
        if ext == ".dta":
            assert all(len(c) <= 32 for c in back.columns)
            assert (back["ccode1"].to_numpy() == small["ccode1"].to_numpy()).all()
            with pd.io.stata.StataReader(path) as reader:
                reader.read()
                labels = reader.variable_labels()
            # renamed for Stata by the documented rule; the original name is in its label
            assert labels["a_really_long_column_name_beyond"].startswith(
                "[a_really_long_column_name_beyond_stata_limit_x]"
            )


def test_panel_cache_returns_the_same_panel(data_dir: Path, tmp_path: Path) -> None:
    P._MEMORY.clear()
    a = P.cached_panel(1990, 1992, data_dir=data_dir, cache_dir=tmp_path)
    files = list(tmp_path.glob("panel-*.arrow"))
    assert len(files) == 1
    P._MEMORY.clear()
    b = P.cached_panel(1990, 1992, data_dir=data_dir, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(a, b)
    assert b.attrs["covariates"] == list(P.MODEL_COVARIATES)
    files[0].write_bytes(b"not arrow")  # a damaged cache file is rebuilt, not trusted
    P._MEMORY.clear()
    c = P.cached_panel(1990, 1992, data_dir=data_dir, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(a, c)
    P._MEMORY.clear()
