"""Dyad-year panel verbs, in the spirit of peacesciencer's `create_dyadyears()` + `add_*()`.

Start with `create_dyadyears()` and pipe the frame through the verbs you need; each verb adds
the columns of one dataset (cited in its docstring) and never drops or adds rows, so the row
count always equals the CoW dyad-year count for the chosen years:

    df = create_dyadyears(year_from=1816, year_to=2018)
    df = add_atop_alliance(df)
    df = add_capabilities(df)

Every verb works on directed frames (both (a, b) and (b, a) rows) and non-directed frames
(ccode1 < ccode2). The dyadic covariates are symmetric: a non-directed source is joined on
the unordered pair, and a directed source (ATOP) is folded into pairs by taking the maximum
of its two directions. Keys are joined through one int64 per dyad-year (year, low code, high
code), which keeps the full 1816-2018 panel with every covariate a few seconds away.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.alliances import store
from realpolitik.alliances.eras import era_of
from realpolitik.userdirs import cache_root

DataDir = str | os.PathLike[str] | None
ATOP_TYPES = ("atop_defense", "atop_offense", "atop_neutral", "atop_nonagg", "atop_consul")
OPEN_END = 9999
"""End year given to spells that run to the last year of their source (carried forward)."""


# --------------------------------------------------------------------------- key helpers


def _pair_key(c1: Any, c2: Any, year: Any) -> np.ndarray:
    """One int64 per unordered dyad-year: year * 1e6 + low code * 1e3 + high code."""
    a = np.asarray(c1, dtype=np.int64)
    b = np.asarray(c2, dtype=np.int64)
    y = np.asarray(year, dtype=np.int64)
    return y * 1_000_000 + np.minimum(a, b) * 1_000 + np.maximum(a, b)


def _state_key(ccode: Any, year: Any) -> np.ndarray:
    return np.asarray(year, dtype=np.int64) * 1_000 + np.asarray(ccode, dtype=np.int64)


def _lookup(keys: np.ndarray, src_keys: np.ndarray, values: np.ndarray, fill: Any) -> np.ndarray:
    """values[src_keys == key] for each key (src_keys unique), `fill` where absent."""
    index = pd.Index(src_keys)
    pos = index.get_indexer(keys)
    out = values[np.where(pos < 0, 0, pos)] if len(values) else np.full(len(keys), fill)
    out = np.asarray(out).copy()
    if not np.issubdtype(out.dtype, np.floating) and fill is np.nan:
        out = out.astype("float64")
    out[pos < 0] = fill
    return out


def _keys(df: pd.DataFrame) -> np.ndarray:
    return _pair_key(df["ccode1"].to_numpy(), df["ccode2"].to_numpy(), df["year"].to_numpy())


def _note(df: pd.DataFrame, source: str) -> None:
    df.attrs.setdefault("sources", [])
    if source not in df.attrs["sources"]:
        df.attrs["sources"] = [*df.attrs["sources"], source]


def _spell_years(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expand inclusive year spells: (row index repeated, year) for every year in each spell."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    n = np.maximum(end - start + 1, 0)
    rows = np.repeat(np.arange(len(start)), n)
    offsets = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return rows, start[rows] + offsets


# --------------------------------------------------------------------------- verbs


def create_dyadyears(
    year_from: int = 1816,
    year_to: int = 2018,
    directed: bool = False,
    data_dir: DataDir = None,
) -> pd.DataFrame:
    """Dyad-years of Correlates of War state system members, `year_from`..`year_to`.

    Source: peacesciencer's `cow_ddy` (CoW State System Membership List v2016, as extended by
    peacesciencer). Directed frames hold both (a, b) and (b, a); non-directed frames keep the
    row with ccode1 < ccode2, so they have exactly half the directed rows.
    Columns: ccode1, ccode2, year (int16).
    """
    ddy = store.load("cow_ddy", data_dir)
    year = ddy["year"].to_numpy()
    mask = (year >= year_from) & (year <= year_to)
    if not directed:
        mask &= ddy["ccode1"].to_numpy() < ddy["ccode2"].to_numpy()
    df = ddy.loc[mask, ["ccode1", "ccode2", "year"]]
    df = df.sort_values(["ccode1", "ccode2", "year"], kind="stable").reset_index(drop=True)
    df.attrs = {"directed": bool(directed), "year_from": year_from, "year_to": year_to}
    _note(df, "cow_ddy")
    return df


def add_atop_alliance(df: pd.DataFrame, data_dir: DataDir = None) -> pd.DataFrame:
    """ATOP v5.1 alliance pledges, any alliance, onsets and years since the last alliance.

    Leeds, Ritter, Mitchell and Long (2002), International Interactions 28: 237-60.

    Adds (int8 0/1 unless noted): `atop_defense`, `atop_offense`, `atop_neutral`,
    `atop_nonagg`, `atop_consul` (a pledge of that type in either direction of the pair) and
    the same with `_lag` (that pledge in the previous calendar year); `atop_any` (ATOP records
    any alliance for the pair in that year); `atop_any_lag` (any alliance in the previous
    calendar year). Lags are read from ATOP itself, so 1815 counts for 1816 and a year when
    the dyad was not a CoW dyad still counts.

    Onsets: `atop_onset` (= any and not any_lag: the pair's first alliance after a spell
    without one); `atop_defense_onset` (defence pledge now, none the year before);
    `atop_new_obligation` (the literature's formation event: the pair takes on an ATOP
    obligation it did not hold the year before, a new pledge type or an alliance after a
    year without one; ATOP as bundled by peacesciencer carries no treaty identifier, so a new
    treaty that repeats pledge types the pair already held is not seen); `atop_peaceyears`
    (int16: years since the pair was last allied, 0 when allied the year before; counted from
    the dyad's first panel year when never allied).
    """
    atop = store.load("atop_alliance", data_dir)
    pk = _pair_key(atop["ccode1"].to_numpy(), atop["ccode2"].to_numpy(), atop["year"].to_numpy())
    flags = np.column_stack([atop[c].to_numpy(dtype=np.int8) for c in ATOP_TYPES])
    order = np.argsort(pk, kind="stable")
    pk, flags = pk[order], flags[order]
    first = np.r_[True, pk[1:] != pk[:-1]]
    src = pk[first]
    folded = np.maximum.reduceat(flags, np.flatnonzero(first), axis=0)  # max of two directions
    keys = _keys(df)
    lag_keys = keys - 1_000_000  # same pair, previous year
    pos = np.searchsorted(src, keys).clip(0, len(src) - 1)
    hit = src[pos] == keys
    lpos = np.searchsorted(src, lag_keys).clip(0, len(src) - 1)
    lhit = src[lpos] == lag_keys
    out = df.copy(deep=False)
    new_type = np.zeros(len(df), dtype=bool)
    for j, col in enumerate(ATOP_TYPES):
        now = np.where(hit, folded[pos, j], 0).astype("int8")
        lag = np.where(lhit, folded[lpos, j], 0).astype("int8")
        out[col] = now
        out[f"{col}_lag"] = lag
        new_type |= (now == 1) & (lag == 0)
    out["atop_any"] = hit.astype("int8")
    out["atop_any_lag"] = lhit.astype("int8")
    onset = hit & ~lhit
    out["atop_onset"] = onset.astype("int8")
    out["atop_defense_onset"] = (
        (out["atop_defense"].to_numpy() == 1) & (out["atop_defense_lag"].to_numpy() == 0)
    ).astype("int8")
    out["atop_new_obligation"] = (onset | new_type).astype("int8")
    out["atop_peaceyears"] = years_since(out, "atop_any", "atop_any_lag")
    if df.attrs.get("directed"):
        _add_directed_atop(out, atop)
    _note(out, "atop_alliance")
    return out


def _add_directed_atop(out: pd.DataFrame, atop: pd.DataFrame) -> None:
    """On directed frames: the pledges ccode1 gives ccode2 (ATOP's own direction), in t and
    t-1, with `_dir` suffixes, and `atop_new_obligation_dir` (ccode1 takes on an obligation
    toward ccode2 that it did not hold the year before)."""
    src = (
        atop["year"].to_numpy(np.int64) * 1_000_000
        + atop["ccode1"].to_numpy(np.int64) * 1_000
        + atop["ccode2"].to_numpy(np.int64)
    )
    order = np.argsort(src, kind="stable")
    src = src[order]
    keys = (
        out["year"].to_numpy(np.int64) * 1_000_000
        + out["ccode1"].to_numpy(np.int64) * 1_000
        + out["ccode2"].to_numpy(np.int64)
    )
    lag_keys = keys - 1_000_000
    pos = np.searchsorted(src, keys).clip(0, len(src) - 1)
    hit = src[pos] == keys
    lpos = np.searchsorted(src, lag_keys).clip(0, len(src) - 1)
    lhit = src[lpos] == lag_keys
    new = hit & ~lhit
    for col in ATOP_TYPES:
        vals = atop[col].to_numpy(np.int8)[order]
        now = np.where(hit, vals[pos], 0).astype("int8")
        lag = np.where(lhit, vals[lpos], 0).astype("int8")
        out[f"{col}_dir"] = now
        out[f"{col}_dir_lag"] = lag
        new |= (now == 1) & (lag == 0)
    out["atop_any_dir"] = hit.astype("int8")
    out["atop_any_dir_lag"] = lhit.astype("int8")
    out["atop_new_obligation_dir"] = new.astype("int8")


def _dyad_order(df: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """(order or None when already sorted, dyad id, year) with rows sorted by dyad then year."""
    c1 = df["ccode1"].to_numpy().astype(np.int64)
    c2 = df["ccode2"].to_numpy().astype(np.int64)
    year = df["year"].to_numpy().astype(np.int64)
    key = (c1 * 1000 + c2) * 10_000 + year
    if len(key) and bool((key[1:] > key[:-1]).all()):
        return None, c1 * 1000 + c2, year
    order = np.argsort(key, kind="stable")
    return order, (c1 * 1000 + c2)[order], year[order]


def years_since(df: pd.DataFrame, flag: str, flag_lag: str | None = None) -> np.ndarray:
    """Years since `flag` was last 1 for the dyad, before year t (int16).

    0 when the flag was 1 the year before (read from `flag_lag` when given, which may see
    years outside the panel); counted from the dyad's first panel year when never 1. Used as
    the duration clock of the onset models (Carter and Signorino 2010).
    """
    order, dyad, year = _dyad_order(df)

    def sort(a: np.ndarray) -> np.ndarray:
        return a if order is None else a[order]

    now = sort(df[flag].to_numpy())
    first = np.r_[True, dyad[1:] != dyad[:-1]]
    last = np.full(len(year), -1, dtype=np.int64)
    if flag_lag is not None:
        lag = sort(df[flag_lag].to_numpy())
        last = np.where(lag == 1, year - 1, -1)
    prev = np.r_[-1, np.where(now[:-1] == 1, year[:-1], -1)]
    prev[first] = -1
    last = np.maximum(last, prev)
    last = np.where(first & (last < 0), year - 1, last)  # never seen: count from entry
    # carry the last event year forward within each dyad (rows are sorted by dyad, year)
    idx = np.where(last >= 0, np.arange(len(last)), 0)
    idx = np.maximum.accumulate(idx)
    filled = last[idx]
    py = (year - filled - 1).astype(np.int16)
    if order is None:
        return py
    out = np.empty(len(py), dtype=np.int16)
    out[order] = py
    return out


def add_capabilities(df: pd.DataFrame, data_dir: DataDir = None) -> pd.DataFrame:
    """CoW National Material Capabilities v7.0: CINC of each side and dyadic ratios.

    Singer, Bremer and Stuckey (1972); Singer (1987), International Interactions 14: 115-32.

    Adds `cinc1`, `cinc2` (share of system capabilities), `cap_ratio` (stronger / weaker,
    >= 1), `cap_ratio_log` (its natural log), `joint_cinc` (cinc1 + cinc2, the pair's joint
    share of system capabilities). NaN where NMC has no row (after 2022).
    """
    nmc = store.load("cow_nmc", data_dir, columns=["ccode", "year", "cinc"])
    src = _state_key(nmc["ccode"], nmc["year"])
    vals = nmc["cinc"].to_numpy()
    out = df.copy(deep=False)
    year = out["year"].to_numpy()
    c1 = _lookup(_state_key(out["ccode1"], year), src, vals, np.nan)
    c2 = _lookup(_state_key(out["ccode2"], year), src, vals, np.nan)
    out["cinc1"] = c1
    out["cinc2"] = c2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.maximum(c1, c2) / np.minimum(c1, c2)
    out["cap_ratio"] = ratio
    out["cap_ratio_log"] = np.log(ratio)
    out["joint_cinc"] = c1 + c2
    _note(out, "cow_nmc")
    return out


REGIME_MEASURES: dict[str, dict[str, Any]] = {
    # measure: source columns, scale of the distance, democracy and autocracy cut points
    "polity": {"cols": ("polity2_1", "polity2_2"), "scale": 20.0, "dem": 6.0, "aut": -6.0},
    "vdem": {"cols": ("polyarchy1", "polyarchy2"), "scale": 1.0, "dem": 0.42, "aut": 0.18},
    "uds": {"cols": ("uds1", "uds2"), "scale": 5.0, "dem": 0.73, "aut": -0.20},
}
"""Regime measures and their cut points (docs/alliances.md, "Regime measures").

Polity: the conventional >= 6 / <= -6. V-Dem polyarchy and UDS: assumptions, set so that on the
state-years all three measures code, each classes as many state-years democratic (33.4%) and
autocratic (34.2%) as Polity does; plausible ranges 0.42-0.50 / 0.15-0.25 (polyarchy) and
0.5-1.0 / -0.5-0.0 (UDS). The scale divides the absolute difference so that similarity is
1 - |difference| / scale (the scale only rescales the coefficient)."""


def add_democracy(df: pd.DataFrame, data_dir: DataDir = None) -> pd.DataFrame:
    """Regime type of each side (Polity2, V-Dem polyarchy, extended UDS) and dyadic terms.

    Marshall, Gurr and Jaggers (2017) Polity IV; Coppedge et al. (2020) V-Dem v10; Pemstein,
    Meserve and Melton (2010), Political Analysis 18(4); Marquez (2016) QuickUDS.

    Adds `polity2_1/2`, `polyarchy1/2`, `uds1/2`; `regime_distance` = |polity2_1 - polity2_2|
    (0..20); `regime_sim` = 1 - regime_distance / 20 (1 = identical Polity scores);
    `polyarchy_distance`, `uds_distance`; `joint_democracy` = 1 when both polity2 >= 6,
    `joint_autocracy` = 1 when both polity2 <= -6 (float: NaN when either polity2 is missing).
    The same three terms for V-Dem and UDS end in `_vdem` and `_uds` (cut points in
    `REGIME_MEASURES`).
    """
    dem = store.load("ccode_democracy", data_dir)
    src = _state_key(dem["ccode"], dem["year"])
    out = df.copy(deep=False)
    year = out["year"].to_numpy()
    k1 = _state_key(out["ccode1"], year)
    k2 = _state_key(out["ccode2"], year)
    idx = pd.Index(src)
    p1, p2 = idx.get_indexer(k1), idx.get_indexer(k2)
    for col, name in (
        ("polity2", "polity2_"),
        ("v2x_polyarchy", "polyarchy"),
        ("xm_qudsest", "uds"),
    ):
        vals = np.r_[dem[col].to_numpy(dtype=float), np.nan]
        out[f"{name}1"] = vals[p1]  # index -1 (absent) reads the trailing NaN
        out[f"{name}2"] = vals[p2]
    out["regime_distance"] = np.abs(out["polity2_1"] - out["polity2_2"])
    out["polyarchy_distance"] = np.abs(out["polyarchy1"] - out["polyarchy2"])
    out["uds_distance"] = np.abs(out["uds1"] - out["uds2"])
    for measure, spec in REGIME_MEASURES.items():
        suffix = "" if measure == "polity" else f"_{measure}"
        a = out[spec["cols"][0]].to_numpy()
        b = out[spec["cols"][1]].to_numpy()
        both = ~np.isnan(a) & ~np.isnan(b)
        out[f"regime_sim{suffix}"] = 1.0 - np.abs(a - b) / spec["scale"]
        jd = (a >= spec["dem"]) & (b >= spec["dem"])
        ja = (a <= spec["aut"]) & (b <= spec["aut"])
        out[f"joint_democracy{suffix}"] = np.where(both, jd.astype(float), np.nan)
        out[f"joint_autocracy{suffix}"] = np.where(both, ja.astype(float), np.nan)
    _note(out, "ccode_democracy")
    return out


def add_contiguity(df: pd.DataFrame, data_dir: DataDir = None) -> pd.DataFrame:
    """CoW Direct Contiguity v3.2: closest contiguity type of the pair in each year.

    Stinnett, Tir, Schafer, Diehl and Gochman (2002), Conflict Management and Peace Science
    19(2): 58-66.

    Adds `conttype` (int8: 0 none, 1 land, 2-5 separated by up to 12, 24, 150, 400 miles of
    water; the closest type of any spell touching the year), `contiguous` (type 1-5) and
    `land_contiguous` (type 1). Spells running to the data's end (2016) are carried forward.
    """
    cont = store.load("cow_contdir", data_dir)
    cont = cont[cont["conttype"] > 0]
    st = cont["stdate"].dt.year.to_numpy()
    en = cont["enddate"].dt.year.to_numpy()
    last = int(en.max()) if len(en) else OPEN_END
    en = np.where(en >= last, OPEN_END, en)
    en = np.minimum(en, int(df["year"].max()) if len(df) else OPEN_END)
    rows, years = _spell_years(st, en)
    keys = _pair_key(cont["ccode1"].to_numpy()[rows], cont["ccode2"].to_numpy()[rows], years)
    types = pd.Series(cont["conttype"].to_numpy()[rows]).groupby(keys).min()
    out = df.copy(deep=False)
    ctype = _lookup(_keys(out), types.index.to_numpy(), types.to_numpy(), 0).astype("int8")
    out["conttype"] = ctype
    out["contiguous"] = (ctype > 0).astype("int8")
    out["land_contiguous"] = (ctype == 1).astype("int8")
    _note(out, "cow_contdir")
    return out


def add_major_powers(df: pd.DataFrame, data_dir: DataDir = None) -> pd.DataFrame:
    """CoW major-power status (State System Membership List v2016).

    Adds `major1`, `major2` (int8), `major_any` (either side is a major power) and
    `major_both`. A state counts in every year a major-power spell touches; spells running to
    2016 are carried forward.
    """
    maj = store.load("cow_majors", data_dir)
    en = maj["endyear"].to_numpy().astype(np.int64)
    en = np.where(en >= en.max(), OPEN_END, en)
    top = int(df["year"].max()) if len(df) else OPEN_END
    rows, years = _spell_years(maj["styear"].to_numpy(), np.minimum(en, top))
    src = np.unique(_state_key(maj["ccode"].to_numpy()[rows], years))
    out = df.copy(deep=False)
    year = out["year"].to_numpy()
    m1 = np.isin(_state_key(out["ccode1"], year), src)
    m2 = np.isin(_state_key(out["ccode2"], year), src)
    out["major1"] = m1.astype("int8")
    out["major2"] = m2.astype("int8")
    out["major_any"] = (m1 | m2).astype("int8")
    out["major_both"] = (m1 & m2).astype("int8")
    _note(out, "cow_majors")
    return out


def _shared_third(pairs: pd.DataFrame) -> pd.Series:
    """From (state, third, year) rows, count the distinct thirds each unordered pair shares."""
    pairs = pairs.drop_duplicates()
    m = pairs.merge(pairs, on=["third", "year"], suffixes=("_a", "_b"))
    m = m[m["state_a"] < m["state_b"]]
    keys = _pair_key(m["state_a"].to_numpy(), m["state_b"].to_numpy(), m["year"].to_numpy())
    return pd.Series(1, index=keys).groupby(level=0).sum()


def add_rivalries(df: pd.DataFrame, lag: int = 1, data_dir: DataDir = None) -> pd.DataFrame:
    """Strategic rivalries (Thompson, Sakuwa and Suhas 2021): rivals and shared rivals, lagged.

    Adds `rivals` (int8: the two states were strategic rivals in year t-lag),
    `n_shared_rivals` (int16: number of third states that were a strategic rival of both in
    t-lag) and `shared_rival` (int8: n_shared_rivals > 0). A rivalry counts in every year from
    `start` to `end`; with the default lag of one year, a rivalry that begins in year t first
    counts in t+1, so a rivalry born together with an alliance cannot explain it.
    """
    riv = store.load("tss_rivalries", data_dir)
    top = int(df["year"].max()) - lag if len(df) else OPEN_END
    rows, years = _spell_years(riv["start"].to_numpy(), np.minimum(riv["end"].to_numpy(), top))
    years = years + lag
    a = riv["ccode1"].to_numpy()[rows]
    b = riv["ccode2"].to_numpy()[rows]
    keep = years >= 1800
    a, b, years = a[keep], b[keep], years[keep]
    direct = np.unique(_pair_key(a, b, years))
    pairs = pd.DataFrame({"state": np.r_[a, b], "third": np.r_[b, a], "year": np.r_[years, years]})
    shared = _shared_third(pairs)
    out = df.copy(deep=False)
    keys = _keys(out)
    out["rivals"] = np.isin(keys, direct).astype("int8")
    n = _lookup(keys, shared.index.to_numpy(), shared.to_numpy(), 0).astype("int16")
    out["n_shared_rivals"] = n
    out["shared_rival"] = (n > 0).astype("int8")
    _note(out, "tss_rivalries")
    return out


def add_mid_opponents(df: pd.DataFrame, window: int = 5, data_dir: DataDir = None) -> pd.DataFrame:
    """Shared militarized-dispute opponents in the previous `window` years (CoW-MID v5.0).

    Palmer et al. (2022), Conflict Management and Peace Science 39(4): 470-82.

    Adds `n_shared_mid_opponents` and `shared_mid_opponent` (a third state that both sides
    met as an opponent in a MID during years t-window..t-1) and `mid_opponents` (the two met
    each other in a MID in that window). Lagged so that a dispute fought together *because*
    of an alliance in year t does not explain that alliance. Float with NaN where the window
    reaches past the last MID year (2014), i.e. for years after 2015.
    """
    mid = store.load("cow_mid_dirdisps", data_dir, columns=["ccode1", "ccode2", "year"])
    last = int(mid["year"].max())
    base = mid.drop_duplicates()
    shift = np.arange(1, window + 1)
    rep = np.repeat(np.arange(len(base)), window)
    years = base["year"].to_numpy().astype(np.int64)[rep] + np.tile(shift, len(base))
    pairs = pd.DataFrame(
        {
            "state": base["ccode1"].to_numpy()[rep],
            "third": base["ccode2"].to_numpy()[rep],
            "year": years,
        }
    )
    shared = _shared_third(pairs)
    direct = np.unique(
        _pair_key(pairs["state"].to_numpy(), pairs["third"].to_numpy(), pairs["year"].to_numpy())
    )
    out = df.copy(deep=False)
    keys = _keys(out)
    n = _lookup(keys, shared.index.to_numpy(), shared.to_numpy(), 0).astype("float64")
    beyond = out["year"].to_numpy() - 1 > last
    n[beyond] = np.nan
    out["n_shared_mid_opponents"] = n
    out["shared_mid_opponent"] = np.where(beyond, np.nan, (n > 0).astype(float))
    out["mid_opponents"] = np.where(beyond, np.nan, np.isin(keys, direct).astype(float))
    _note(out, "cow_mid_dirdisps")
    return out


def add_common_threat(df: pd.DataFrame) -> pd.DataFrame:
    """`common_threat` = a shared strategic rival or a shared recent MID opponent.

    Needs `add_rivalries` and `add_mid_opponents` first. 1 when either is 1, 0 when both are
    0, and NaN whenever the MID term is missing (years after 2015), even if the pair shares a
    rival: keeping only the pairs with a shared rival in those years would select the sample
    on the covariate.
    """
    out = df.copy(deep=False)
    riv = out["shared_rival"].to_numpy().astype(float)
    mid = out["shared_mid_opponent"].to_numpy().astype(float)
    out["common_threat"] = np.where(np.isnan(mid), np.nan, np.maximum(riv, mid))
    return out


def add_igos(df: pd.DataFrame, data_dir: DataDir = None) -> pd.DataFrame:
    """Shared IGO full memberships (CoW IGO v3.0, Pevehouse et al. 2020, JPR 57(3)).

    Adds `dyadigos`: 0 for dyad-years up to 2014 with no record, NaN after 2014.
    """
    igo = store.load("cow_igo_ndy", data_dir)
    src = _pair_key(igo["ccode1"].to_numpy(), igo["ccode2"].to_numpy(), igo["year"].to_numpy())
    last = int(igo["year"].max())
    out = df.copy(deep=False)
    vals = _lookup(_keys(out), src, igo["dyadigos"].to_numpy(), 0.0).astype(float)
    vals[out["year"].to_numpy() > last] = np.nan
    out["dyadigos"] = vals
    _note(out, "cow_igo_ndy")
    return out


def add_state_names(df: pd.DataFrame, data_dir: DataDir = None) -> pd.DataFrame:
    """State abbreviations `name1`, `name2` from the CoW State System list (v2016)."""
    states = store.load("cow_states", data_dir, columns=["ccode", "stateabb"])
    names = states.drop_duplicates("ccode").set_index("ccode")["stateabb"]
    out = df.copy(deep=False)
    out["name1"] = out["ccode1"].map(names).astype("string")
    out["name2"] = out["ccode2"].map(names).astype("string")
    return out


def add_era(df: pd.DataFrame) -> pd.DataFrame:
    """`era`: the estimation era of each year (missing for 1914-1918 and 1940-1945)."""
    out = df.copy(deep=False)
    year = out["year"].to_numpy()
    years = np.unique(year)
    labels = [era_of(int(y)) for y in years]
    cats = sorted({lab for lab in labels if lab is not None})
    codes = np.array([cats.index(lab) if lab is not None else -1 for lab in labels], np.int8)
    out["era"] = pd.Categorical.from_codes(codes[np.searchsorted(years, year)], cats)
    return out


# --------------------------------------------------------------------------- whole panel

COVARIATES: dict[str, tuple[str, Callable[..., pd.DataFrame]]] = {
    "capabilities": ("capabilities", add_capabilities),
    "regime": ("regime type", add_democracy),
    "contiguity": ("contiguity", add_contiguity),
    "majors": ("major powers", add_major_powers),
    "rivalries": ("rivalries", add_rivalries),
    "mids": ("MID opponents", add_mid_opponents),
    "igos": ("IGOs", add_igos),
}
"""Covariate groups a panel can carry, by name (`build_panel(covariates=...)`)."""
MODEL_COVARIATES: tuple[str, ...] = (
    "capabilities",
    "regime",
    "contiguity",
    "majors",
    "rivalries",
    "mids",
)
"""The groups the alliance models use; IGO co-membership is built only when asked for."""

STEPS: tuple[tuple[str, Callable[..., pd.DataFrame]], ...] = (
    ("ATOP alliances", add_atop_alliance),
    *(COVARIATES[name] for name in MODEL_COVARIATES),
)
"""The verbs of the default panel, in order (progress bars count them)."""

PANEL_VERSION = 2
"""Bumped whenever a verb changes what it writes, so cached panels are rebuilt."""


def resolve_covariates(covariates: Iterable[str] | None) -> tuple[str, ...]:
    """Normalise a covariate selection (None = the models' set; 'all' = every group)."""
    if covariates is None:
        return MODEL_COVARIATES
    out: list[str] = []
    for raw in covariates:
        for name in str(raw).split(","):
            name = name.strip().lower()
            if not name:
                continue
            names = list(COVARIATES) if name == "all" else [name]
            if name == "model":
                names = list(MODEL_COVARIATES)
            for n in names:
                if n not in COVARIATES:
                    from realpolitik.errors import InputError, Problem

                    raise InputError(
                        Problem(
                            "--covariates",
                            "",
                            f"unknown covariate group {n!r}; expected some of "
                            f"{', '.join(COVARIATES)}, model or all",
                        )
                    )
                if n not in out:
                    out.append(n)
    return tuple(name for name in COVARIATES if name in out)


def build_panel(
    year_from: int = 1816,
    year_to: int = 2018,
    directed: bool = False,
    data_dir: DataDir = None,
    progress: Callable[[str], None] | None = None,
    covariates: Iterable[str] | None = None,
) -> pd.DataFrame:
    """CoW dyad-years with ATOP alliances and the chosen covariate groups, and the era.

    `covariates`: names from `COVARIATES` (default: the groups the models use, in
    `MODEL_COVARIATES`; 'all' adds IGO co-membership). With rivalries and MIDs present a
    `common_threat` term is added.
    """
    groups = resolve_covariates(covariates)
    df = create_dyadyears(year_from, year_to, directed=directed, data_dir=data_dir)
    attrs = {k: v for k, v in df.attrs.items() if k != "sources"}
    if progress:
        progress("dyad-years")
    df = add_atop_alliance(df, data_dir=data_dir)
    if progress:
        progress("ATOP alliances")
    for name in groups:
        label, verb = COVARIATES[name]
        df = verb(df, data_dir=data_dir)
        if progress:
            progress(label)
    if "rivalries" in groups and "mids" in groups:
        df = add_common_threat(df)
    df = add_era(df)
    df.attrs.update(attrs)
    df.attrs["covariates"] = list(groups)
    return df


# --------------------------------------------------------------------------- cache

_MEMORY: dict[str, pd.DataFrame] = {}


def panel_cache_key(
    year_from: int, year_to: int, directed: bool, groups: tuple[str, ...], data_dir: DataDir
) -> str:
    """A key that changes whenever the inputs of the panel change.

    Made of the SHA-256 of every source file recorded in the data directory's manifest, the
    panel code version, the years, directedness and covariate groups.
    """
    import hashlib
    import json

    manifest = store.read_manifest(store.resolve_data_dir(data_dir)).get("datasets", {})
    sums = {k: v.get("source_sha256") for k, v in sorted(manifest.items())}
    text = json.dumps(
        [PANEL_VERSION, year_from, year_to, bool(directed), list(groups), sums], sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _write_arrow(df: pd.DataFrame, path: Any) -> None:
    """Uncompressed Arrow IPC: read back memory-mapped in a fraction of a second."""
    import json

    import pyarrow as pa
    import pyarrow.feather as feather

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"realpolitik.attrs"] = json.dumps(df.attrs, default=str).encode()
    feather.write_feather(table.replace_schema_metadata(meta), path, compression="uncompressed")


def _read_arrow(path: Any) -> pd.DataFrame:
    import json

    import pyarrow.feather as feather

    table = feather.read_table(path, memory_map=True)
    df = table.to_pandas()
    raw = (table.schema.metadata or {}).get(b"realpolitik.attrs")
    df.attrs = json.loads(raw) if raw else {}
    return df


def cached_panel(
    year_from: int = 1816,
    year_to: int = 2018,
    directed: bool = False,
    data_dir: DataDir = None,
    covariates: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """`build_panel`, kept between calls: in memory for this process and as Parquet under
    `$XDG_CACHE_HOME/realpolitik/panels` (or `cache_dir`) as uncompressed Arrow IPC (about
    250 MB for the full panel), keyed by `panel_cache_key`.

    A damaged cache file is rebuilt. Returns the panel (treat it as read-only: it is shared).
    """
    from pathlib import Path

    from realpolitik.export import atomic_write

    groups = resolve_covariates(covariates)
    key = panel_cache_key(year_from, year_to, directed, groups, data_dir)
    if key in _MEMORY:
        return _MEMORY[key]
    if cache_dir is None:
        cache_dir = cache_root() / "panels"
    path = Path(cache_dir) / f"panel-{key}.arrow"
    df = None
    if path.is_file():
        try:
            df = _read_arrow(path)
        except Exception:  # noqa: BLE001 (a damaged cache is rebuilt, never trusted)
            df = None
    if df is None:
        df = build_panel(year_from, year_to, directed, data_dir, progress, groups)
        try:
            atomic_write(path, lambda p: _write_arrow(df, p))
        except Exception:  # noqa: BLE001 (a read-only cache only costs the rebuild next time)
            pass
    _MEMORY.clear()  # keep one panel in memory (about 0.5 GB for the full panel)
    _MEMORY[key] = df
    return df
