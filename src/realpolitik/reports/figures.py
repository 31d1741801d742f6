"""Publication figures of a case and its analyses (matplotlib, Agg backend, fixed style).

Every function takes tidy results (frames from `FitResults`, `counterfactual`, `sensitivity`,
the alliance study) and returns a `Chart`: the matplotlib figure plus hover texts keyed by
the `gid` of the artists they describe, which the HTML report turns into tooltips.
`save_chart` writes a chart as PNG and SVG (atomically) and returns the SVG text.

Colours are the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies;
motives also differ by marker shape so the timeline reads in greyscale.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from realpolitik.export import atomic_write  # noqa: E402
from realpolitik.scenario.schema import Case  # noqa: E402
from realpolitik.scenario.timeline import format_date, timeline  # noqa: E402

# Okabe-Ito
ORANGE, SKY, GREEN, YELLOW = "#E69F00", "#56B4E9", "#009E73", "#F0E442"
BLUE, VERMILLION, PURPLE, BLACK, GREY = "#0072B2", "#D55E00", "#CC79A7", "#000000", "#999999"
LIGHT = "#DDDDDD"

MOTIVE_STYLE: dict[str, tuple[str, str]] = {  # motive -> (colour, marker)
    "interest": (BLUE, "o"),
    "ideology": (VERMILLION, "s"),
    "anti-ideology": (PURPLE, "D"),
    "neither": (GREY, "X"),
    "unexplained": (LIGHT, "o"),
    "not fitted": ("#FFFFFF", "o"),
}
PART_COLOURS = {"ideology": VERMILLION, "interest": BLUE}
ERA_COLOURS = [ORANGE, SKY, GREEN, PURPLE, VERMILLION, YELLOW]
Z_MC = 2.576  # the counterfactual's 99% Monte Carlo band (realpolitik.simulation.api.Z_MC)
LEVEL = 0.90  # the report's interval level
Z_SALIB = 1.959964  # SALib reports 95% half-widths; rescaled to LEVEL for the figure
Z_LEVEL = 1.644854

# Widths of a journal's single and double column, in inches (the common 85 mm and 178 mm).
COLUMN_WIDTH = {"single": 3.35, "double": 7.0}
FORMATS = ("svg", "pdf", "png")  # vector first; PNG for slides and quick looks


def journal_size(column: str = "double", aspect: float = 0.62) -> tuple[float, float]:
    """Figure size (inches) for a single or double journal column."""
    width = COLUMN_WIDTH[column]
    return width, round(width * aspect, 2)


STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.8,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "savefig.facecolor": "white",
    "svg.fonttype": "none",
    "svg.hashsalt": "realpolitik",
    "pdf.fonttype": 42,
    "text.parse_math": False,
}


@dataclass
class Chart:
    """A finished figure, its short name, caption and hover texts (gid -> text)."""

    name: str
    figure: Figure
    caption: str
    tips: dict[str, str] = field(default_factory=dict)

    def tip(self, artist: Any, text: str) -> None:
        gid = f"{self.name}-tip-{len(self.tips)}"
        artist.set_gid(gid)
        self.tips[gid] = text


@dataclass(frozen=True)
class SavedChart:
    name: str
    caption: str
    png: Path
    svg: Path
    svg_text: str
    tips: dict[str, str]
    files: dict[str, Path] = field(default_factory=dict)


@contextmanager
def style() -> Iterator[None]:
    with plt.rc_context(STYLE):
        yield


def new_figure(width: float, height: float) -> Figure:
    with style():
        return Figure(figsize=(width, height), layout="constrained")


def wrap(text: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def short(text: str, width: int = 48) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def save_figure(
    figure: Figure, out_dir: str | Path, name: str, formats: Sequence[str] = FORMATS
) -> dict[str, Path]:
    """Write `figure` as OUT_DIR/NAME.FORMAT for each format (svg, pdf, png), each atomically:
    the one function every figure of realpolitik is saved with."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "svg": {"Date": None, "Creator": "realpolitik"},
        "pdf": {"Creator": "realpolitik", "CreationDate": None},
        "png": {"Software": "realpolitik"},
    }
    files = {}
    with style():
        for fmt in formats:
            extra = {"dpi": 110} if fmt == "svg" else {}
            files[fmt] = atomic_write(
                out / f"{name}.{fmt}",
                lambda p, fmt=fmt, extra=extra: figure.savefig(
                    p, format=fmt, metadata=meta[fmt], **extra
                ),
            )
    return files


def save_chart(chart: Chart, out_dir: str | Path, formats: Sequence[str] = FORMATS) -> SavedChart:
    """Write the chart in every format (`save_figure`) and close it; the SVG must be among
    the formats (the HTML report inlines it)."""
    formats = tuple(dict.fromkeys(("svg", *formats)))
    files = save_figure(chart.figure, out_dir, chart.name, formats)
    plt.close(chart.figure)
    svg = files["svg"]
    return SavedChart(
        chart.name,
        chart.caption,
        files.get("png", svg),
        svg,
        svg.read_text(encoding="utf-8"),
        dict(chart.tips),
        files,
    )


_PENDING: list[Chart] = []  # the charts `save_charts` hands to its forked processes


def _save_pending(i: int, out_dir: str, formats: tuple[str, ...]) -> SavedChart:
    return save_chart(_PENDING[i], out_dir, formats)


def save_charts(
    charts: Sequence[Chart], out_dir: str | Path, formats: Sequence[str] = FORMATS
) -> list[SavedChart]:
    """`save_chart` for every chart, in order; on platforms that fork, spread over up to two
    processes (each child inherits the built figures, draws and writes its share, and sends
    back the file names and SVG text)."""
    import multiprocessing
    import os

    workers = min(len(charts), os.cpu_count() or 1, 2)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [save_chart(c, out_dir, formats) for c in charts]
    from concurrent.futures import ProcessPoolExecutor

    global _PENDING
    _PENDING = list(charts)
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            n = len(charts)
            done = list(pool.map(_save_pending, range(n), [str(out_dir)] * n, [tuple(formats)] * n))
    finally:
        _PENDING = []
    for c in charts:  # the parent's copies are no longer needed
        plt.close(c.figure)
    return done


# ---- the case: a cited timeline coloured by motive ----------------------------------------------


def _lanes(case: Case) -> list[str]:
    deciders = {d.actor for d in case.decisions}
    return [a.id for a in case.actors if a.id in deciders]


def year_fraction(d: Any) -> float:
    start = type(d)(d.year, 1, 1)
    days = 366 if (d.year % 4 == 0 and (d.year % 100 != 0 or d.year % 400 == 0)) else 365
    return d.year + (d - start).days / days


@dataclass
class TimeAxis:
    """A time axis proportional to time, except that long empty stretches are cut to a fixed
    width and marked as breaks (so 1927 to 1945 reads as a long gap, not as one step)."""

    breaks: list[tuple[float, float]]  # (from, to) in years, each cut
    cut_width: float

    @classmethod
    def for_times(cls, times: Sequence[float], min_gap: float = 2.5) -> TimeAxis:
        ts = sorted(set(times))
        span = (ts[-1] - ts[0]) if len(ts) > 1 else 1.0
        threshold = max(min_gap, 0.12 * span)
        breaks = [
            (a + 0.25, b - 0.25) for a, b in zip(ts, ts[1:], strict=False) if b - a > threshold
        ]
        return cls(breaks, cut_width=max(0.04 * span, 0.3))

    def x(self, t: float) -> float:
        shift = 0.0
        for a, b in self.breaks:
            if t >= b:
                shift += (b - a) - self.cut_width
            elif t > a:
                shift += (t - a) * (1 - self.cut_width / (b - a))
        return t - shift

    def ticks(self, lo: float, hi: float) -> tuple[list[float], list[str]]:
        """Year ticks within each unbroken stretch, spaced to its length."""
        stretches = []
        start = lo
        for a, b in self.breaks:
            stretches.append((start, a))
            start = b
        stretches.append((start, hi))
        xs, labels = [], []
        for a, b in stretches:
            length = b - a
            step = 1 if length <= 8 else 2 if length <= 16 else 5 if length <= 40 else 10
            first = int(np.ceil(a))
            years = [y for y in range(first, int(np.floor(b)) + 1) if y % step == 0 or y == first]
            if not years:
                years = [int(round((a + b) / 2))]
            for y in years:
                xs.append(self.x(float(y)))
                labels.append(str(y))
        return xs, labels


def _cluster_labels(
    points: list[tuple[float, float, str]], close: float
) -> list[tuple[float, float, str]]:
    """Merge the labels of markers on one lane that sit closer than `close`: one label at
    the cluster's centre, '27-32' for a run of numbers, else the labels joined by commas."""
    out = []
    for y in sorted({p[1] for p in points}):
        lane = sorted((p for p in points if p[1] == y), key=lambda p: p[0])
        group: list[tuple[float, float, str]] = []
        for p in lane + [(np.inf, y, "")]:
            if group and p[0] - group[-1][0] > close:
                texts = [g[2] for g in group]
                nums = [t.lstrip("E") for t in texts]
                prefix = "E" if texts[0].startswith("E") else ""
                if (
                    len(texts) > 2
                    and all(n.isdigit() for n in nums)
                    and [int(n) for n in nums]
                    == list(range(int(nums[0]), int(nums[0]) + len(nums)))
                ):
                    text = f"{prefix}{nums[0]}–{nums[-1]}"
                else:
                    text = ",".join(texts)
                out.append((sum(g[0] for g in group) / len(group), y, text))
                group = []
            group.append(p)
    return out


def timeline_chart(case: Case, decomposition: pd.DataFrame | None = None) -> Chart:
    """Decisions on one lane per actor at their dates, coloured by the motive that explains
    each (from `FitResults.decomposition()`), events as triangles on their own lane with a
    dotted rule; numbered as in the report's cited timeline. Time is proportional, except that
    long empty stretches are cut and marked with a break."""
    rows = timeline(case)
    motives: dict[str, str] = {}
    if decomposition is not None and not decomposition.empty:
        motives = dict(zip(decomposition["decision"], decomposition["motive"], strict=True))
    lanes = _lanes(case)
    has_events = any(r["kind"] == "event" for r in rows)
    ys = {a: i for i, a in enumerate(reversed(lanes))}
    ev_y = len(lanes) if has_events else None
    times = [year_fraction(r["date"]) for r in rows]
    ends = [
        year_fraction(r["end"]) if r.get("end") else t for r, t in zip(rows, times, strict=True)
    ]
    axis = TimeAxis.for_times(times + ends)
    width, _ = journal_size("double")
    height = 1.5 + 0.42 * (len(lanes) + (1 if has_events else 0))
    fig = new_figure(width, max(2.6, height))
    chart = Chart(
        "timeline",
        fig,
        "The case's decisions at their dates, one lane per actor, coloured by the motive "
        "that accounts for the chosen option's lead over the best rejected one; triangles "
        "are events (E1, E2, ...). Time runs to scale except at the breaks (⁄⁄), where long "
        "stretches without a decision are cut short. Numbers refer to the cited timeline "
        "below; a line after a marker is the decision's span.",
    )
    with style():
        ax = fig.add_subplot()
        used: set[str] = set()
        d_no = e_no = 0
        span_x = axis.x(max(ends)) - axis.x(min(times)) or 1.0
        close = 0.05 * span_x
        labels_at: list[tuple[float, float, str]] = []  # x, y, label, for clustering below
        for r, t, t_end in zip(rows, times, ends, strict=True):
            x = axis.x(t)
            cite = f" [{'; '.join(r['cite'])}]" if r["cite"] else ""
            y = float(ev_y) if r["kind"] == "event" else float(ys[r["actor"]])
            if r["kind"] == "event":
                e_no += 1
                ax.axvline(x, color=GREY, lw=0.6, ls=":", zorder=1)
                (m,) = ax.plot([x], [y], marker="v", ms=6, color=BLACK, ls="none", zorder=3)
                labels_at.append((x, y, f"E{e_no}"))
                chart.tip(m, f"E{e_no} · {format_date(r)}: {r['title']}{cite}")
                continue
            d_no += 1
            motive = motives.get(r["id"], "not fitted")
            used.add(motive)
            colour, marker = MOTIVE_STYLE.get(motive, MOTIVE_STYLE["unexplained"])
            if t_end > t:
                ax.plot(
                    [x, axis.x(t_end)],
                    [y, y],
                    color=colour,
                    lw=2.2,
                    alpha=0.6,
                    zorder=2,
                    solid_capstyle="butt",
                )
            (m,) = ax.plot(
                [x],
                [y],
                marker=marker,
                ms=7,
                color=colour,
                mec=BLACK,
                mew=0.6,
                ls="none",
                zorder=4,
            )
            labels_at.append((x, y, str(d_no)))
            chart.tip(
                m,
                f"{d_no} · {format_date(r)} · {r['actor_name']}: {r['title']} → "
                f"{r['chosen']} (motive: {motive}){cite}",
            )
        for x, y, text in _cluster_labels(labels_at, close):
            ax.annotate(
                text, (x, y), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=6
            )
        ticks = [ys[a] for a in lanes]
        labels = [short(case.actor_name(a), 22) for a in lanes]
        if has_events:
            ticks.append(ev_y)
            labels.append("events")
        ax.set_yticks(ticks, labels)
        ax.set_ylim(-0.7, (ev_y if has_events else len(lanes) - 1) + 0.9)
        lo, hi = min(times), max(ends)
        pad = 0.02 * span_x + 0.1
        ax.set_xlim(axis.x(lo) - pad, axis.x(hi) + pad)
        xt, xl = axis.ticks(lo, hi)
        ax.set_xticks(xt, xl)
        ax.set_xlabel("year (to scale; ⁄⁄ marks a cut stretch)")
        ax.grid(axis="y", visible=False)
        for a, b in axis.breaks:
            xa, xb = axis.x(a), axis.x(b)
            ax.axvspan(xa, xb, color="#F2F2F2", zorder=0, lw=0)
            ax.text(
                (xa + xb) / 2,
                0,
                "⁄⁄",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="center",
                fontsize=9,
                fontweight="bold",
                clip_on=False,
            )
            ax.text(
                (xa + xb) / 2,
                0.5,
                f"{b - a + 0.5:.0f} years",
                rotation=90,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="center",
                fontsize=6,
                color=GREY,
            )
        ax.set_title(short(case.title, 90))
        order = [m for m in MOTIVE_STYLE if m in used]
        handles = [
            Line2D(
                [],
                [],
                marker=MOTIVE_STYLE[m][1],
                color=MOTIVE_STYLE[m][0],
                mec=BLACK,
                mew=0.6,
                ls="none",
                ms=6,
                label=m,
            )
            for m in order
        ]
        if has_events:
            handles.append(Line2D([], [], marker="v", color=BLACK, ls="none", ms=6, label="event"))
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncol=min(len(handles), 4),
            title="motive that explains the choice",
        )
    return chart


# ---- weights: posterior and sampling distributions ----------------------------------------------


def weights_chart(mle: Any | None, bayes: Any | None = None) -> Chart:
    """Per actor (rows) and term (columns): the distribution of the weight, from the maximum-
    likelihood sampling draws and, when given, the hierarchical posterior draws."""
    fits = [
        (f, label, colour)
        for f, label, colour in (
            (mle, "maximum likelihood (sampling)", SKY),
            (bayes, "hierarchical Bayes (posterior)", ORANGE),
        )
        if f is not None
    ]
    if not fits:
        raise ValueError("weights_chart needs at least one fit")
    terms = list(fits[0][0].terms)
    actors = [a.actor for a in fits[0][0].actors]
    fig = new_figure(3.3 * len(terms) + 0.6, 1.9 * len(actors) + 1.0)
    chart = Chart(
        "weights",
        fig,
        "Distribution of each actor's weights: the maximum-likelihood "
        "sampling distribution (normal approximation) and, where fitted, the hierarchical "
        "posterior. The dashed line is zero; the tick is the point estimate.",
    )
    with style():
        axes = fig.subplots(len(actors), len(terms), squeeze=False)
        for i, actor in enumerate(actors):
            for j, term in enumerate(terms):
                ax = axes[i, j]
                samples = []
                for f, label, colour in fits:
                    a = next((x for x in f.actors if x.actor == actor), None)
                    if a is None:
                        continue
                    d = a.draws[:, j]
                    d = d[np.isfinite(d)]
                    if d.size:
                        samples.append((d, float(a.params[j]), label, colour, a.status))
                if not samples:
                    ax.text(
                        0.5,
                        0.5,
                        "not identified:\ntoo little evidence",
                        ha="center",
                        va="center",
                        transform=ax.transAxes,
                        color=GREY,
                    )
                    ax.set_xticks([])
                    ax.set_yticks([])
                else:
                    both = np.concatenate([s[0] for s in samples])
                    lo, hi = np.quantile(both, [0.005, 0.995])
                    if hi - lo < 1e-9:
                        lo, hi = lo - 1, hi + 1
                    bins = np.linspace(lo, hi, 41)
                    for d, point, label, colour, status in samples:
                        inside = d[(d >= lo) & (d <= hi)]
                        ax.hist(
                            inside,
                            bins=bins,
                            density=True,
                            histtype="stepfilled",
                            alpha=0.45,
                            color=colour,
                            ec=colour,
                            lw=1.2,
                        )
                        (m,) = ax.plot([point], [0], marker="|", ms=14, mew=2, color=colour)
                        lo90, hi90 = np.quantile(d, [0.05, 0.95])
                        chart.tip(
                            m,
                            f"{actor} · {term} · {label}: estimate {point:+.3f}, "
                            f"90% of draws in [{lo90:+.3f}, {hi90:+.3f}] ({status})",
                        )
                    ax.axvline(0, color=BLACK, lw=0.9, ls="--")
                    ax.set_yticks([])
                    if i == len(actors) - 1:
                        ax.set_xlabel(f"weight on {term} (per SD of the term)")
                ax.grid(axis="y", visible=False)
                if i == 0:
                    ax.set_title(f"weight on {term}", loc="center")
                if j == 0:
                    ax.set_ylabel(actor, rotation=0, ha="right", va="center", fontweight="bold")
        handles = [Patch(color=c, alpha=0.6, label=lbl) for _f, lbl, c in fits]
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles))
    return chart


# ---- decomposition of each decision's utility gap -----------------------------------------------


def decision_numbers(case: Case) -> dict[str, int]:
    """Decision id -> its number in the cited timeline (1, 2, ... in chronological order)."""
    ids = [r["id"] for r in timeline(case) if r["kind"] == "decision"]
    return {d: k + 1 for k, d in enumerate(ids)}


def decomposition_chart(
    decomposition: pd.DataFrame, numbers: dict[str, int] | None = None, case: Case | None = None
) -> Chart:
    """Per decision, the ideology and interest parts of the utility gap between the chosen
    option and the best rejected one (positive: the part favours what was chosen). `numbers`
    (from `decision_numbers`) orders and numbers the rows as in the timeline."""
    d = decomposition.reset_index(drop=True)
    if numbers:
        d = d.assign(_no=d["decision"].map(numbers)).sort_values("_no", kind="stable")
    else:
        d = d.assign(_no=np.arange(1, len(d) + 1))
    d = d.reset_index(drop=True)
    n = len(d)
    from realpolitik.reports.names import decision_label

    fig = new_figure(journal_size("double")[0], 1.3 + 0.22 * max(n, 3))
    chart = Chart(
        "decomposition",
        fig,
        "For each decision, the part of the chosen option's "
        "utility lead over the best rejected option that ideology accounts for and the "
        "part interest accounts for (fitted weights). Bars right of zero favour the "
        "choice made; the diamond is the total gap.",
    )
    with style():
        ax = fig.add_subplot()
        y = np.arange(n)[::-1]
        h = 0.38
        for k, (_, r) in enumerate(d.iterrows()):
            for part, off in (("ideology", h / 2), ("interest", -h / 2)):
                v = float(r[f"{part}_part"])
                (bar,) = ax.barh(
                    y[k] + off, v, height=h, color=PART_COLOURS[part], ec="white", lw=0.5
                )
                chart.tip(
                    bar,
                    f"{r['actor']} · "
                    f"{decision_label(case, r['decision'], 80) if case else r['decision']} "
                    f"({r['date']}): {part} part "
                    f"{v:+.3f} of a gap of {float(r['gap']):+.3f}; chose {r['chosen']} over "
                    f"{r['best_rejected']}; motive: {r['motive']}",
                )
            ax.plot([float(r["gap"])], [y[k]], marker="D", ms=5, color=BLACK, ls="none")
        from realpolitik.reports.names import decision_label

        labels = [
            f"{int(r['_no'])}. {r['actor']}: "
            + (decision_label(case, r["decision"], 34) if case else short(r["decision"], 34))
            for _, r in d.iterrows()
        ]
        ax.set_yticks(y, labels)
        ax.axvline(0, color=BLACK, lw=0.9)
        lim = float(np.nanmax(np.abs(d[["ideology_part", "interest_part", "gap"]].to_numpy())))
        lim = 1.0 if not np.isfinite(lim) or lim == 0 else lim * 1.1
        ax.set_xlim(-lim, lim)
        ax.set_xlabel("utility gap, chosen minus best rejected option (logit scale)")
        ax.grid(axis="y", visible=False)
        ax.set_title("What each choice owed to ideology and to interest")
        handles = [
            Patch(color=PART_COLOURS["ideology"], label="ideology part"),
            Patch(color=PART_COLOURS["interest"], label="interest part"),
            Line2D([], [], marker="D", color=BLACK, ls="none", ms=5, label="total gap"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3)
    return chart


# ---- counterfactual outcome distributions ------------------------------------------------------


def counterfactual_chart(table: pd.DataFrame, world: str = "counterfactual") -> Chart:
    """Each outcome's probability in the baseline and in the changed world with 99% Monte Carlo
    error bars, and the difference with its own 99% band."""
    t = table.reset_index(drop=True)
    n_paths = t["n"].to_numpy(float) if "n" in t else np.full(len(t), np.nan)
    k = len(t)
    fig = new_figure(10, 1.4 + 0.55 * max(k, 2))
    chart = Chart(
        "counterfactual",
        fig,
        f"Outcome probabilities in the baseline and in the world "
        f"'{world}' (same seed), with 99% Monte Carlo error bars; right: the difference "
        f"and its 99% band. A filled marker is a change beyond Monte Carlo error.",
    )
    with style():
        ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]}, sharey=True)
        y = np.arange(k)[::-1]
        h = 0.38
        for col, colour, off, label in (
            ("baseline", SKY, h / 2, "baseline"),
            ("counterfactual", VERMILLION, -h / 2, world),
        ):
            p = t[col].to_numpy(float)
            se = np.sqrt(np.clip(p * (1 - p), 0, None) / n_paths)
            bars = ax.barh(
                y + off,
                p,
                height=h,
                color=colour,
                label=short(label, 40),
                xerr=Z_MC * np.nan_to_num(se),
                error_kw={"ecolor": BLACK, "lw": 1, "capsize": 3},
            )
            for bar, (_, r), pi, si in zip(bars, t.iterrows(), p, se, strict=True):
                chart.tip(
                    bar,
                    f"{r['outcome']} · {label}: P = {pi:.4f} ± {Z_MC * si:.4f} (99% "
                    f"Monte Carlo, {int(r.get('n', 0)):,} paths)",
                )
        ax.set_yticks(y, [wrap(short(lbl, 90), 40) for lbl in t["label"]])
        ax.set_xlim(0, 1.05)
        ax.set_xlabel("probability of the outcome")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
        diff = t["difference"].to_numpy(float)
        band = Z_MC * t["mc_se"].to_numpy(float)
        for yi, (_, r), di, bi in zip(y, t.iterrows(), diff, band, strict=True):
            beyond = bool(r["beyond_mc_error"])
            ax2.errorbar([di], [yi], xerr=[bi], fmt="none", ecolor=BLACK, capsize=3, lw=1)
            (m,) = ax2.plot(
                [di],
                [yi],
                marker="o",
                ms=8,
                ls="none",
                color=VERMILLION if beyond else "white",
                mec=VERMILLION,
                mew=1.5,
            )
            chart.tip(
                m,
                f"{r['outcome']}: difference {di:+.4f} ± {bi:.4f} (99%); "
                + ("beyond Monte Carlo error" if beyond else "within Monte Carlo error"),
            )
        ax2.axvline(0, color=BLACK, lw=0.9)
        lim = float(np.nanmax(np.abs(diff) + band)) if k else 0.1
        lim = max(lim * 1.15, 0.02)
        ax2.set_xlim(-lim, lim)
        ax2.set_xlabel("difference (counterfactual − baseline)")
        ax2.grid(axis="y", visible=False)
    return chart


# ---- Sobol sensitivity -------------------------------------------------------------------------


def sensitivity_chart(indices: pd.DataFrame, top: int = 12, case: Case | None = None) -> Chart:
    """Which assumption matters for which output: a grid of total-order Sobol indices (ST),
    assumptions in rows (the `top` with the largest ST for any output), outputs in columns.
    Each cell is labelled with its ST; a bold outline marks an assumption that matters (ST at
    least 0.05 with its interval clear of zero). The intervals (SALib's bootstrap, rescaled to
    the report's 90%) and the first-order index S1 are in each cell's hover text."""
    from matplotlib.patches import Rectangle

    from realpolitik.reports.names import assumption_label, output_label

    idx = indices.copy()
    for col in ("S1_conf", "ST_conf"):
        idx[col] = idx[col] * (Z_LEVEL / Z_SALIB)
    name_a = (lambda a: assumption_label(case, a, 34)) if case else (lambda a: short(a, 30))
    name_o = (lambda o: output_label(case, o, 26, brief=True)) if case else (lambda o: short(o, 26))
    outputs = list(dict.fromkeys(idx["output"]))
    order = (
        idx.groupby("assumption")["ST"].max().sort_values(ascending=False).head(top).index.tolist()
        if len(idx)
        else []
    )
    width, _ = journal_size("double")
    fig = new_figure(width, 1.6 + 0.24 * max(len(order), 2) + 0.04 * max(len(outputs), 1) * 8)
    chart = Chart(
        "sensitivity",
        fig,
        "Which judgment calls each result rests on: the total-order Sobol index (ST) of each "
        "output over the declared assumption ranges, for the assumptions with the largest ST. "
        "A cell is the share of the output's variance that involves the assumption; an "
        "outlined cell matters (ST at least 0.05, its 90% interval clear of zero). Hover for "
        "the interval and the first-order index.",
    )
    with style():
        ax = fig.add_subplot()
        if not order or not outputs:
            ax.text(
                0.5,
                0.5,
                "no output varies over the assumption ranges",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
            ax.set_axis_off()
            return chart
        grid = np.full((len(order), len(outputs)), np.nan)
        rows = {a: i for i, a in enumerate(order)}
        cols = {o: j for j, o in enumerate(outputs)}
        for _, r in idx[idx["assumption"].isin(order)].iterrows():
            grid[rows[r["assumption"]], cols[r["output"]]] = max(float(r["ST"]), 0.0)
        ax.imshow(np.clip(grid, 0, 1), cmap="Blues", vmin=0, vmax=1, aspect="auto")
        for _, r in idx[idx["assumption"].isin(order)].iterrows():
            i, j = rows[r["assumption"]], cols[r["output"]]
            st, conf = float(r["ST"]), float(r["ST_conf"])
            matters = 1.0 >= st >= 0.05 and st - conf > 0
            noisy = st > 1.0  # an estimator artefact of too few samples, not a share
            ax.text(
                j,
                i,
                ">1 (noise)" if noisy else f"{st:.2f}",
                ha="center",
                va="center",
                fontsize=6.5,
                color="white" if st > 0.55 else BLACK,
                fontweight="bold" if matters else "normal",
            )
            cellbox = Rectangle(
                (j - 0.5, i - 0.5), 1, 1, fill=False, ec=VERMILLION if matters else "none", lw=1.4
            )
            ax.add_patch(cellbox)
            chart.tip(
                cellbox,
                f"{name_o(r['output'])} · {name_a(r['assumption'])} ({r['assumption']}): "
                f"ST {st:.3f} ± {conf:.3f}, S1 {float(r['S1']):.3f} ± "
                f"{float(r['S1_conf']):.3f} (90%)"
                + ("; above 1: estimator noise, use more --samples" if st > 1 else ""),
            )
        ax.set_yticks(range(len(order)), [name_a(a) for a in order])
        ax.set_xticks(
            range(len(outputs)),
            [name_o(o) for o in outputs],
            rotation=35,
            ha="left",
            rotation_mode="anchor",
            fontsize=6.5,
        )
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        ax.grid(visible=False)
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(
            "output (verdict: interest minus ideology strength; outcome: its probability)"
        )
    return chart


# ---- alliances: networks by era and the era-by-era coefficients ---------------------------------


def circle_layout(codes: Sequence[int]) -> dict[int, tuple[float, float]]:
    """Nodes on the unit circle in ccode order (so regions sit together: CoW codes run by
    region), starting at the top and going clockwise."""
    ordered = sorted(set(int(c) for c in codes))
    n = max(len(ordered), 1)
    return {
        c: (math.sin(2 * math.pi * i / n), math.cos(2 * math.pi * i / n))
        for i, c in enumerate(ordered)
    }


def alliance_network_chart(edges_by_era: dict[str, pd.DataFrame], label_top: int = 10) -> Chart:
    """One panel per era: states allied at least once in the era on a circle ordered by CoW
    code, a line per allied pair (darker: allied more of the era; blue: with a defence pledge),
    node size by number of allies, the most connected states named."""
    eras = list(edges_by_era)
    cols = min(len(eras), 2) or 1
    nrows = max(1, math.ceil(len(eras) / cols))
    fig = new_figure(5.2 * cols, 5.0 * nrows + 0.5)
    chart = Chart(
        "alliance_network",
        fig,
        "Alliance networks by era (ATOP): each state allied "
        "at least once in the era sits on a circle ordered by Correlates of War code "
        "(roughly by region); darker lines were allied longer, blue lines carried a "
        "defence pledge; node size is the number of allies.",
    )
    with style():
        axes = np.atleast_1d(fig.subplots(nrows, cols, squeeze=False)).ravel()
        for ax, era in zip(axes, eras, strict=False):
            e = edges_by_era[era]
            ax.set_aspect("equal")
            ax.axis("off")
            ax.set_title(f"{era}: {len(e):,} allied pairs", loc="center")
            if e.empty:
                ax.text(0, 0, "no alliances", ha="center")
                continue
            pos = circle_layout(list(e["ccode1"]) + list(e["ccode2"]))
            names = dict(zip(e["ccode1"], e["name1"], strict=True))
            names.update(zip(e["ccode2"], e["name2"], strict=True))
            longest = max(int(e["n_years"].max()), 1)
            dense = min(1.0, 150 / len(e))
            for defence, colour in ((False, GREY), (True, BLUE)):
                sub = e[e["defence"].astype(bool) == defence]
                if sub.empty:
                    continue
                segs = [
                    [pos[int(a)], pos[int(b)]]
                    for a, b in zip(sub["ccode1"], sub["ccode2"], strict=True)
                ]
                rgba = np.tile(to_rgba(colour), (len(sub), 1))
                rgba[:, 3] = (0.08 + 0.55 * sub["n_years"].to_numpy(float) / longest) * dense + 0.04
                ax.add_collection(
                    LineCollection(
                        segs, colors=rgba, linewidths=0.6, zorder=1, rasterized=len(e) > 300
                    )
                )
            degree = pd.concat([e["ccode1"], e["ccode2"]]).value_counts()
            size = 10 / math.sqrt(max(len(pos), 1) / 25)
            placed: list[float] = []
            for code in degree.index[:label_top]:
                x, y = pos[int(code)]
                angle = math.atan2(y, x)
                if any(abs(math.remainder(angle - a, 2 * math.pi)) < 0.12 for a in placed):
                    continue
                placed.append(angle)
                ax.annotate(
                    str(names.get(code, code)),
                    (x, y),
                    xytext=(x * 1.14, y * 1.14),
                    ha="center",
                    va="center",
                    fontsize=8,
                    fontweight="bold",
                )
            for code, (x, y) in pos.items():
                deg = int(degree.get(code, 0))
                (m,) = ax.plot(
                    [x],
                    [y],
                    marker="o",
                    ms=1.5 + size * math.sqrt(deg / degree.max()),
                    color=ORANGE,
                    mec=BLACK,
                    mew=0.3,
                    ls="none",
                    zorder=3,
                )
                chart.tip(m, f"{era} · {names.get(code, code)} (ccode {code}): {deg} allies")
            ax.set_xlim(-1.3, 1.3)
            ax.set_ylim(-1.3, 1.3)
        for ax in axes[len(eras) :]:
            ax.set_visible(False)
        fig.legend(
            handles=[
                Line2D([], [], color=GREY, label="alliance"),
                Line2D([], [], color=BLUE, label="with a defence pledge"),
            ],
            loc="outside lower center",
            ncol=2,
        )
    return chart


def alliance_coef_chart(frame: pd.DataFrame) -> Chart:
    """Ideology and interest terms of the alliance logit by era: coefficients with 95%
    intervals (left) and average marginal effects with 95% intervals (right)."""
    f = frame[
        frame["block"].isin(["ideology", "interest"])
        | frame["term"].isin(["contiguous", "major_any"])
    ].copy()
    eras = list(dict.fromkeys(f["era"]))
    terms = list(dict.fromkeys(f.sort_values("block", kind="stable")["term"]))
    fig = new_figure(11, 1.4 + 0.45 * len(terms) * max(1, len(eras)) ** 0.5)
    chart = Chart(
        "alliance_coefficients",
        fig,
        "The alliance logit era by era: coefficients "
        "(left) and average marginal effects on the probability of an alliance (right) "
        "of the ideology terms and the interest terms, with 95% intervals "
        "(clustered by dyad and year).",
    )
    with style():
        axes = fig.subplots(1, 2, sharey=True)
        step = 0.8 / max(len(eras), 1)
        ypos = {t: len(terms) - 1 - i for i, t in enumerate(terms)}
        colours = {
            e: (BLACK if e == "pooled" else ERA_COLOURS[i % len(ERA_COLOURS)])
            for i, e in enumerate(eras)
        }
        for ax, (col, lo, hi, label) in zip(
            axes,
            (
                ("estimate", "conf_low", "conf_high", "coefficient (log-odds)"),
                ("ame", "ame_low", "ame_high", "average marginal effect on P(alliance)"),
            ),
            strict=True,
        ):
            for i, era in enumerate(eras):
                sub = f[f["era"] == era]
                for _, r in sub.iterrows():
                    y = ypos[r["term"]] + 0.4 - step * (i + 0.5)
                    v, a, b = float(r[col]), float(r[lo]), float(r[hi])
                    if not np.isfinite(v):
                        continue
                    ax.plot([a, b], [y, y], color=colours[era], lw=1.5)
                    (m,) = ax.plot(
                        [v],
                        [y],
                        marker="o",
                        ms=5,
                        color=colours[era],
                        ls="none",
                        label=era if r["term"] == sub["term"].iloc[0] else None,
                    )
                    chart.tip(
                        m,
                        f"{era} · {r['term']} ({r['block']}): {label} {v:+.4g} "
                        f"[{a:+.4g}, {b:+.4g}]",
                    )
            ax.axvline(0, color=BLACK, lw=0.9)
            ax.set_xlabel(label)
            ax.grid(axis="y", visible=False)
        blocks = dict(zip(f["term"], f["block"], strict=False))
        axes[0].set_yticks(
            [ypos[t] for t in terms], [f"{t.replace('_', ' ')}  ({blocks[t]})" for t in terms]
        )
        for t in terms:
            if blocks[t] == "ideology":
                for ax in axes:
                    ax.axhspan(ypos[t] - 0.5, ypos[t] + 0.5, color=VERMILLION, alpha=0.05, lw=0)
        what = str(f["outcome"].iloc[0]) if "outcome" in f and len(f) else "onset"
        axes[0].set_title(f"Alliance {what} by era: ideology and interest terms")
        handles = [Line2D([], [], marker="o", color=colours[e], label=e) for e in eras]
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(eras), 6))
    return chart
