"""The report's alliance-network section: do allies share regimes? Data, figures and text.

Two views of ATOP alliances (v5.1, as imported by `realpolitik data import`) and regime
scores (Polity2, -10 full autocracy to +10 full democracy, from peacesciencer's
`ccode_democracy`):

* `decade_networks`: per decade, each pair of states allied in at least one year of it, with
  the strongest pledge (defence, offence, neutrality, non-aggression, consultation), and each
  state's mean Polity2 over the decade. `network_chart` draws one small panel per decade
  with states placed left to right by regime score and top to bottom by region (Correlates
  of War code bands), coloured by regime type; a network where ideology matters shows short,
  mostly vertical edges between states of one colour.
* `regime_distance`: per year, the mean absolute Polity2 difference among allied pairs and
  among all other pairs of states with a score: if regime similarity draws states together,
  the first line runs below the second. With every pair counted: for n scores sorted
  ascending, the sum over pairs of |x_i - x_j| is sum_k x_k (2k - n + 1), k = 0..n-1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PLEDGES = ("defense", "offense", "neutral", "nonagg", "consul")
PLEDGE_NAMES = {
    "defense": "defence",
    "offense": "offence",
    "neutral": "neutrality",
    "nonagg": "non-aggression",
    "consul": "consultation",
}
REGIONS = (  # Correlates of War code bands, top to bottom
    ("Americas", 2, 199),
    ("Europe", 200, 399),
    ("Africa", 400, 599),
    ("Middle East", 600, 699),
    ("Asia", 700, 899),
    ("Oceania", 900, 999),
)
DEMOCRACY, AUTOCRACY = 6, -6  # the usual Polity2 cut-offs


def regime_type(score: float) -> str:
    if not np.isfinite(score):
        return "no score"
    if score >= DEMOCRACY:
        return "democracy"
    if score <= AUTOCRACY:
        return "autocracy"
    return "mixed regime"


def _inputs(data_dir: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from realpolitik.alliances import store

    atop = store.load("atop_alliance", data_dir)
    atop = atop[atop["ccode1"] < atop["ccode2"]]
    dem = store.load("ccode_democracy", data_dir, columns=["ccode", "year", "polity2"])
    states = store.load("cow_states", data_dir, columns=["ccode", "stateabb"])
    names = states.drop_duplicates("ccode")
    return atop, dem, names


def decade_networks(
    start: int = 1820, end: int = 2009, data_dir: Any = None
) -> dict[str, dict[str, pd.DataFrame]]:
    """{"1950s": {"edges": ..., "nodes": ...}} for each decade from `start` to `end`.

    edges: ccode1, ccode2, years (allied), pledge (the strongest in the decade).
    nodes: ccode, name, polity2 (mean over the decade's years with a score), regime, degree.
    """
    atop, dem, names = _inputs(data_dir)
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for d0 in range(start - start % 10, end + 1, 10):
        d1 = d0 + 9
        a = atop[(atop["year"] >= d0) & (atop["year"] <= d1)]
        if a.empty:
            continue
        strength = np.zeros(len(a), dtype=int)
        for rank, p in enumerate(reversed(PLEDGES), start=1):
            strength = np.where(a[f"atop_{p}"].to_numpy() > 0, rank, strength)
        g = (
            a.assign(_s=strength)
            .groupby(["ccode1", "ccode2"], sort=True)
            .agg(years=("year", "nunique"), _s=("_s", "max"))
            .reset_index()
        )
        g = g[g["_s"] > 0]
        g["pledge"] = [PLEDGE_NAMES[PLEDGES[len(PLEDGES) - s]] for s in g["_s"]]
        edges = g.drop(columns="_s").reset_index(drop=True)
        codes = np.union1d(edges["ccode1"], edges["ccode2"])
        scores = (
            dem[(dem["year"] >= d0) & (dem["year"] <= d1) & dem["ccode"].isin(codes)]
            .groupby("ccode")["polity2"]
            .mean()
        )
        degree = pd.concat([edges["ccode1"], edges["ccode2"]]).value_counts()
        nodes = pd.DataFrame({"ccode": codes})
        nodes["name"] = nodes["ccode"].map(
            dict(zip(names["ccode"], names["stateabb"], strict=True))
        )
        nodes["name"] = nodes["name"].fillna(nodes["ccode"].astype(str))
        nodes["polity2"] = nodes["ccode"].map(scores).astype(float)
        nodes["regime"] = [regime_type(v) for v in nodes["polity2"]]
        nodes["degree"] = nodes["ccode"].map(degree).fillna(0).astype(int)
        out[f"{d0}s"] = {"edges": edges, "nodes": nodes}
    return out


def _pair_abs_sum(x: np.ndarray) -> float:
    x = np.sort(x)
    n = len(x)
    return float(np.sum(x * (2 * np.arange(n) - n + 1)))


def regime_distance(data_dir: Any = None) -> pd.DataFrame:
    """Per year: mean |Polity2 difference| among allied pairs and among the other pairs."""
    atop, dem, _ = _inputs(data_dir)
    dem = dem.dropna(subset=["polity2"])
    rows = []
    by_year = dict(tuple(dem.groupby("year")))
    for year, allied in atop.groupby("year"):
        if year not in by_year:
            continue
        score = dict(zip(by_year[year]["ccode"], by_year[year]["polity2"], strict=True))
        x = np.fromiter(score.values(), float)
        n = len(x)
        if n < 3:
            continue
        s1 = allied["ccode1"].map(score)
        s2 = allied["ccode2"].map(score)
        ok = s1.notna() & s2.notna()
        k = int(ok.sum())
        pairs = n * (n - 1) // 2
        if k == 0 or k == pairs:
            continue
        allied_sum = float((s1[ok] - s2[ok]).abs().sum())
        rows.append(
            {
                "year": int(year),
                "allied": allied_sum / k,
                "not_allied": (_pair_abs_sum(x) - allied_sum) / (pairs - k),
                "allied_pairs": k,
                "states": n,
            }
        )
    return pd.DataFrame(rows)


# ---- figures ------------------------------------------------------------------------------------

REGIME_COLOURS = {
    "democracy": "#0072B2",
    "mixed regime": "#E69F00",
    "autocracy": "#D55E00",
    "no score": "#BBBBBB",
}


def _position(nodes: pd.DataFrame) -> dict[int, tuple[float, float]]:
    pos = {}
    for k, (_name, lo, hi) in enumerate(REGIONS):
        band = nodes[(nodes["ccode"] >= lo) & (nodes["ccode"] <= hi)].sort_values("ccode")
        m = len(band)
        for i, (_, r) in enumerate(band.iterrows()):
            x = float(r["polity2"]) if np.isfinite(r["polity2"]) else 12.0
            y = -k - (0.15 + 0.7 * (i / max(m - 1, 1)) if m > 1 else 0.5)
            pos[int(r["ccode"])] = (x, y)
    return pos


def network_chart(networks: dict[str, dict[str, pd.DataFrame]], cols: int = 4) -> Any:
    """Small multiples, one per decade: states by regime score (x) and region (y), coloured
    by regime type; solid lines are defence or offence pledges, dashed lines lesser pledges."""
    import math

    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    from realpolitik.reports.figures import GREY, Chart, journal_size, new_figure, style

    decades = list(networks)
    cols = min(cols, max(len(decades), 1))
    nrows = max(1, math.ceil(len(decades) / cols))
    width, _ = journal_size("double")
    fig = new_figure(width, 1.55 * nrows + 0.9)
    chart = Chart(
        "alliance_network",
        fig,
        "Alliances by decade (ATOP): every state allied in the decade, placed by its mean "
        "Polity2 score (left: autocracy, right: democracy; states without a score at the far "
        "right) and by region (top to bottom: Americas, Europe, Africa, Middle East, Asia, "
        "Oceania), coloured by regime type. Solid lines carry a defence or offence pledge, "
        "dashed lines only neutrality, non-aggression or consultation. If shared regimes drew "
        "states together, lines would run mostly vertically, within one colour.",
    )
    with style():
        axes = np.atleast_1d(fig.subplots(nrows, cols, squeeze=False)).ravel()
        for ax, decade in zip(axes, decades, strict=False):
            e, nodes = networks[decade]["edges"], networks[decade]["nodes"]
            pos = _position(nodes)
            for strong, ls, colour, alpha in (
                (False, (0, (2, 2)), GREY, 0.35),
                (True, "-", "#444444", 0.35),
            ):
                sub = e[e["pledge"].isin(["defence", "offence"]) == strong]
                segments = [
                    (pos[int(a)], pos[int(b)])
                    for a, b in zip(sub["ccode1"], sub["ccode2"], strict=True)
                    if int(a) in pos and int(b) in pos
                ]
                if segments:  # one collection per line style
                    ax.add_collection(
                        LineCollection(
                            segments,
                            linestyles=[ls],
                            linewidths=0.35,
                            colors=colour,
                            alpha=alpha,
                            zorder=1,
                            # thousands of thin lines: an image inside the SVG, not paths
                            rasterized=True,
                        )
                    )
            for regime, colour in REGIME_COLOURS.items():
                sub = nodes[nodes["regime"] == regime]
                if sub.empty:
                    continue
                xy = np.array([pos[int(c)] for c in sub["ccode"]])
                pts = ax.scatter(
                    xy[:, 0],
                    xy[:, 1],
                    s=4 + 2 * np.sqrt(sub["degree"].to_numpy()),
                    c=colour,
                    edgecolors="black",
                    linewidths=0.2,
                    zorder=3,
                )
                listed = [
                    f"{n} ({p:+.0f})" if np.isfinite(p) else str(n)
                    for n, p in zip(sub["name"], sub["polity2"], strict=True)
                ]
                more = f" and {len(listed) - 25} more" if len(listed) > 25 else ""
                chart.tip(pts, f"{decade} · {regime}: {', '.join(listed[:25])}{more}")
            ax.set_title(f"{decade}: {len(e):,} allied pairs", loc="left", fontsize=7)
            ax.set_xlim(-11, 13.5)
            ax.set_ylim(-len(REGIONS) - 0.05, 0.05)
            ax.set_xticks([-10, 0, 10])
            ax.tick_params(labelsize=6, length=2)
            ax.set_yticks([-k - 0.5 for k in range(len(REGIONS))], [r[0] for r in REGIONS])
            ax.grid(visible=False)
            ax.axvline(DEMOCRACY, color="#DDDDDD", lw=0.5, zorder=0)
            ax.axvline(AUTOCRACY, color="#DDDDDD", lw=0.5, zorder=0)
        for i, ax in enumerate(axes[: len(decades)]):
            if i % cols:
                ax.set_yticklabels([])
            if i < len(decades) - cols:
                ax.set_xticklabels([])
            else:
                ax.set_xlabel("Polity2 (mean over the decade)", fontsize=6.5)
        for ax in axes[len(decades) :]:
            ax.set_visible(False)
        handles = [
            Line2D([], [], marker="o", ls="none", color=c, mec="black", mew=0.3, label=r)
            for r, c in REGIME_COLOURS.items()
        ] + [
            Line2D([], [], color="#444444", label="defence or offence pledge"),
            Line2D([], [], color=GREY, ls=(0, (2, 2)), label="lesser pledge"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=7)
    return chart


def distance_chart(frame: pd.DataFrame) -> Any:
    """Mean Polity2 distance among allied pairs and among other pairs, year by year."""
    from realpolitik.reports.figures import BLUE, GREY, Chart, journal_size, new_figure, style

    width, _ = journal_size("double")
    fig = new_figure(width, 2.8)
    chart = Chart(
        "regime_distance",
        fig,
        "Do allies share regimes? Each year, the mean absolute difference in Polity2 score "
        "between allied states (ATOP) and between all other pairs of states with a score. A "
        "line for allies below the other means allies are more alike in regime than states "
        "in general; the shading is the gap.",
    )
    with style():
        ax = fig.add_subplot()
        f = frame.sort_values("year")
        ax.fill_between(f["year"], f["allied"], f["not_allied"], color=BLUE, alpha=0.12, lw=0)
        (l1,) = ax.plot(f["year"], f["allied"], color=BLUE, lw=1.4, label="allied pairs")
        (l2,) = ax.plot(
            f["year"], f["not_allied"], color=GREY, lw=1.4, ls="--", label="all other pairs"
        )
        for line, col in ((l1, "allied"), (l2, "not_allied")):
            last = f.iloc[-1]
            chart.tip(line, f"{col.replace('_', ' ')}: {last[col]:.2f} in {int(last['year'])}")
        ax.set_xlabel("year")
        ax.set_ylabel("mean |Polity2 difference|")
        top = float(np.nanmax(f[["allied", "not_allied"]].to_numpy())) if len(f) else 1.0
        ax.set_ylim(0, top * 1.08)
        ax.set_xlim(float(f["year"].min()), float(f["year"].max())) if len(f) else None
        ax.legend(loc="upper left", ncol=2)
    return chart


def regime_summary(frame: pd.DataFrame) -> list[str]:
    """Sentences: how much more alike allies are than other pairs, by century half."""
    out = []
    for lo, hi in ((1816, 1913), (1914, 1945), (1946, 1989), (1990, 2020)):
        sub = frame[(frame["year"] >= lo) & (frame["year"] <= hi)]
        if sub.empty:
            continue
        a, b = float(sub["allied"].mean()), float(sub["not_allied"].mean())
        rel = "closer in regime than" if a < b else "no closer in regime than"
        out.append(
            f"{int(sub['year'].min())}-{int(sub['year'].max())}: allied states were {rel} other "
            f"pairs (mean Polity2 difference {a:.1f} against {b:.1f}, {len(sub)} years)."
        )
    return out
