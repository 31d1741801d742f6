"""The report's cross-case section: the USSR's, the PRC's (the CCP in east-asia-1945) and the
United States' weights in every built-in case they appear in, each case fitted alone, and the
pooled hierarchical estimate with its checks (estimation/crosscase.py,
docs/estimation-pooled.md): a forest figure, a tidy table and sentences written from them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from realpolitik.reports.figures import BLACK, BLUE, GREY, VERMILLION, Chart, new_figure, style

TERMS = (("ideology", VERMILLION), ("interest", BLUE))
ESTIMATES = {  # estimate -> (marker, filled, vertical offset, legend label)
    "ml, case alone": ("o", False, 0.18, "case alone (maximum likelihood)"),
    "pooled, per case": ("s", True, -0.18, "pooled model, this case (shrunk)"),
    "pooled": ("D", True, 0.0, "pooled model, all cases"),
}
LIMIT = 6.0  # the figure's x axis: at most -6 .. +6 standardised units
DIRECTIONS = ("interest outweighs ideology", "ideology outweighs interest")


def forest_chart(frame: pd.DataFrame, actors: list[str], cases: list[str]) -> Chart:
    """One panel per actor and motive: each case's standardised weight with its 90% interval,
    case alone and pooled."""
    n = len(actors)
    fig = new_figure(3.0 * n + 0.8, 1.2 + 0.42 * (len(cases) + 1) * 2)
    chart = Chart(
        "cross-case-weights",
        fig,
        "One actor across the cases: standardised weights on ideology (top) and interest "
        "(bottom) with 90% intervals, each case fitted alone by maximum likelihood (open "
        "circles) and in the pooled hierarchical model (squares per case, a diamond for the "
        "actor's own weight over all its cases). Weights are on each case's standardised "
        "scale; zero means the motive did not move the choices. Intervals wider than the axis "
        "run to its edge, and an estimate beyond it is an arrowhead at the edge pointing "
        "its way (the table and the hover text give its value).",
    )
    rows = ["all cases", *cases]
    # a case with a handful of decisions can have an interval tens of units wide: the axis
    # stops at LIMIT and such bars run to its edge (their numbers are in the hover text)
    bounds = frame[[f"w_{t}_std{s}" for t, _ in TERMS for s in ("_low", "_high")]]
    span = float(np.nanmax(np.abs(bounds.to_numpy(dtype=float)), initial=1.0))
    limit = min(span * 1.05, LIMIT)
    with style():
        axes = fig.subplots(2, n, sharey=True, squeeze=False)
        for col, actor in enumerate(actors):
            mine = frame[frame["actor"] == actor]
            for r, (term, colour) in enumerate(TERMS):
                ax = axes[r][col]
                ax.axvline(0, color=GREY, lw=0.8, ls="--")
                for _, e in mine.iterrows():
                    if e["case"] not in rows:
                        continue
                    marker, filled, off, _ = ESTIMATES[e["estimate"]]
                    y = rows.index(e["case"]) + off
                    x, lo, hi = (e[f"w_{term}_std{s}"] for s in ("", "_low", "_high"))
                    if not np.isfinite(x):
                        continue
                    ax.plot([lo, hi], [y, y], color=colour, lw=1.2)
                    beyond = abs(x) > limit  # drawn as an arrowhead at the axis edge
                    dot = ax.scatter(
                        [np.sign(x) * limit * 0.97 if beyond else x],
                        [y],
                        marker=(">" if x > 0 else "<") if beyond else marker,
                        s=42 if beyond else 30,
                        color=colour if filled or beyond else "white",
                        edgecolors=colour,
                        zorder=3,
                    )
                    chart.tip(
                        dot,
                        f"{actor}, {e['case']}, {e['estimate']}: w {term} {x:+.2f} "
                        f"[{lo:+.2f}, {hi:+.2f}]; {e['verdict']}",
                    )
                ax.set_xlim(-limit, limit)
                ax.set_yticks(range(len(rows)))
                ax.set_yticklabels(rows)
                ax.set_ylim(len(rows) - 0.5, -0.5)
                if r == 0:
                    ax.set_title(actor)
                ax.set_xlabel(f"w {term} (standardised)")
        handles = [
            axes[0][0].scatter(
                [], [], marker=m, color=BLACK if f else "white", edgecolors=BLACK, label=lab
            )
            for m, f, _, lab in ESTIMATES.values()
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
    return chart


def display_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The tidy frame formatted for reading: weights with their intervals in one cell."""

    def cell(r: pd.Series, t: str) -> str:
        x, lo, hi = (r[f"w_{t}_std{s}"] for s in ("", "_low", "_high"))
        return "n/a" if not np.isfinite(x) else f"{x:+.2f} [{lo:+.2f}, {hi:+.2f}]"

    return pd.DataFrame(
        {
            "actor": frame["actor"],
            "case": frame["case"],
            "estimate": frame["estimate"],
            "decisions": frame["decisions"].astype(int),
            "w ideology (std) [90%]": [cell(r, "ideology") for _, r in frame.iterrows()],
            "w interest (std) [90%]": [cell(r, "interest") for _, r in frame.iterrows()],
            "P(interest > ideology)": frame["p_interest_outweighs"].astype(float),
            "verdict": frame["verdict"],
            "checks that disagree": frame["failed_checks"].fillna(""),
        }
    )


def _count(words: pd.Series) -> str:
    counts = words.map(lambda w: w if w in DIRECTIONS else "no verdict").value_counts()
    return ", ".join(f"{k} in {v}" for k, v in counts.items())


def sentences(cc: Any, cases_command: str, left_out: bool = False) -> list[str]:
    """What the section says, written from its numbers."""
    frame = cc.to_frame()
    out = []
    single = frame[frame["estimate"] == "ml, case alone"]
    for actor in cc.actors:
        alone = single[single["actor"] == actor]
        if alone.empty:
            continue
        line = (
            f"{actor}, each case fitted alone ({len(alone)} cases: "
            f"{', '.join(alone['case'])}): {_count(alone['verdict'])}."
        )
        if cc.pooled is not None:
            p = frame[(frame["actor"] == actor) & (frame["estimate"] == "pooled")]
            if not p.empty:
                r = p.iloc[0]
                line += (
                    f" Pooled over its {int(r['decisions'])} decisions: "
                    f"P(interest outweighs ideology) {r['p_interest_outweighs']:.2f}, "
                    f"verdict: {r['verdict']}"
                )
                if r["failed_checks"]:
                    line += f" (checks that disagree: {r['failed_checks']})"
                elif r["verdict"] in DIRECTIONS:
                    line += " (every check that ran agrees)"
                if r["checks_not_run"] and r["checks_not_run"] != "all":
                    line += f"; not run: {r['checks_not_run']}"
                line += "."
        out.append(line)
    out.append(
        "The single-case verdicts here rest on the checks `fit` runs by default without the "
        "Bayesian refits (maximum likelihood on six scales, the assumption space, the Vuong and "
        "Clarke tests); `realpolitik fit CASE` with `--checks all` adds the Bayesian fit and its "
        "prior refits. An actor with a handful of decisions in a case has wide intervals there."
    )
    if cc.pooled is not None:
        s = cc.pooled
        dev = s.deviations.set_index("term")["sigma_mean"]
        checks = {
            "all": "the refits at the prior scale x0.2 and x2 and the refits leaving out each "
            "case in turn",
            "prior": "the refits at the prior scale x0.2 and x2 only",
            "none": "no check beyond the posterior probability",
        }[s.checks_run]
        out.append(
            f"A pooled verdict is printed only when the pooled fit (converged: max R-hat "
            f"{s.rhat_max:.3f}, minimum effective sample size {s.ess_min:,.0f}, "
            f"{s.steps:,} steps per ensemble) and {checks} all give it; otherwise it is "
            "undecided (or prior-driven) and the table names the checks that disagree. "
            "The per-case pooled rows are shrunk towards the actor's own weight (case-level "
            + "deviation scale "
            + ", ".join(f"{t} {v:.2f}" for t, v in dev.items())
            + "), so a case with few decisions borrows its verdict from the others; they are "
            "not evidence from that case alone."
        )
    elif left_out:
        out.append("The pooled rows are left out (--no-pooled).")
    else:
        out.append(
            "The pooled rows are not shown: the pooled hierarchical fit with its checks takes "
            "minutes, and the run store does not hold it for these cases, this seed and this "
            f"code. `{cases_command}` (or `realpolitik run --pooled`) computes and stores it; "
            "the next report shows it."
        )
    return out


def cross_case_section(cc: Any, figs: Any, run: Any) -> Any:
    """The section, or None when the report's case is not one of the pooled cases."""
    from realpolitik.estimation.crosscase import SAME
    from realpolitik.reports.html import Section, command, esc, table

    if cc is None:
        return None
    frame = cc.to_frame()
    same = ",".join("=".join(g) for g in SAME)
    cmd = ["realpolitik", "fit", *cc.cases, "--same", same, "--seed", run.seed]
    text = " ".join(str(p) for p in cmd)
    body = (
        '<p class="lead">The same actor in every built-in case it appears in: the USSR, the '
        "PRC (the CCP in east-asia-1945) and the United States. Each case fitted alone, then "
        "all cases in one hierarchical model with case-level deviations "
        "(docs/estimation-pooled.md). Weights are on each case's standardised scale.</p>"
        + "".join(f"<p>{esc(s)}</p>" for s in sentences(cc, text, run.pooled is False))
        + figs.add(forest_chart(frame, cc.actors, cc.cases))
        + table(
            display_table(frame),
            {"P(interest > ideology)": "{:.2f}", "decisions": "{:.0f}"},
        )
        + command(*cmd)
    )
    return Section("cross-case", "One actor across the cases", body)
