"""The report's first section: what the evidence says, per actor and for the large-N study,
and how sure, in sentences generated from the numbers; with the strengths figure (what the
verdict compares) and the table behind the sentences.

A verdict is stated only when every check available agrees: the maximum-likelihood verdict,
the hierarchical Bayesian one, the share of the assumption space in which interest
outweighs ideology (at least 90% or at most 10%), and, once `FitResults.verdict_frame()`
carries them, its own `verdict` and `failed_checks` (the robustness checks). Otherwise the
sentence says what leans which way and which check stands in the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.scenario.schema import Case

LEVEL = 0.90  # the report's interval level (two-sided); other levels are named where used
VERDICT_P = 0.90  # P(interest outweighs) needed for a verdict, as in estimation.results
SHARE = 0.90  # share of the assumption space that must agree


@dataclass
class ActorFinding:
    actor: str
    name: str
    decisions: int
    claim: str  # "interest", "ideology", "undecided" or "not identified"
    sentence: str
    checks: dict[str, str] = field(default_factory=dict)  # check -> what it says
    failed: list[str] = field(default_factory=list)


def how_sure(p: float) -> str:
    """Words for a probability that interest outweighed ideology (or its complement)."""
    q = max(p, 1 - p)
    if q >= 0.99:
        return "near certain"
    if q >= 0.95:
        return "very likely"
    if q >= VERDICT_P:
        return "likely"
    if q >= 0.7:
        return "a lean, short of a verdict"
    return "a toss-up"


def _side(p: float) -> str:
    if not np.isfinite(p):
        return "none"
    if p >= VERDICT_P:
        return "interest"
    if p <= 1 - VERDICT_P:
        return "ideology"
    return "undecided"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _row(frame: pd.DataFrame | None, actor: str) -> pd.Series | None:
    if frame is None or frame.empty or "actor" not in frame:
        return None
    rows = frame[frame["actor"] == actor]
    return rows.iloc[0] if len(rows) else None


def actor_findings(
    case: Case, mle: Any, bayes: Any | None = None, sensitivity: Any | None = None
) -> list[ActorFinding]:
    """One finding per fitted actor, each with a sentence that quotes its numbers."""
    vf = mle.verdict_frame()
    bvf = bayes.verdict_frame() if bayes is not None else None
    share = sensitivity.verdict_share if sensitivity is not None else None
    out = []
    for _, r in vf.iterrows():
        actor = str(r["actor"])
        name = case.actor_name(actor)
        n = int(r["n_decisions"])
        p = float(r["p_interest_outweighs"])
        if r.get("status") == "unidentified" or not np.isfinite(p):
            out.append(
                ActorFinding(
                    actor,
                    name,
                    n,
                    "not identified",
                    f"{name} made {n} recorded decision{'s' if n != 1 else ''}: too few to "
                    "tell its weights on ideology and interest apart, so the report draws no "
                    "conclusion about it.",
                )
            )
            continue
        checks: dict[str, str] = {"maximum likelihood": _side(p)}
        parts = [
            f"maximum likelihood puts the probability that interest moved its choices "
            f"more than ideology at {p:.2f}"
        ]
        b = _row(bvf, actor)
        if b is not None and np.isfinite(float(b["p_interest_outweighs"])):
            pb = float(b["p_interest_outweighs"])
            checks["hierarchical Bayes"] = _side(pb)
            parts.append(f"the hierarchical Bayesian model at {pb:.2f}")
        s = _row(share, actor)
        if s is not None:
            sh = float(s["share_interest_outweighs"])
            checks["assumption ranges"] = (
                "interest" if sh >= SHARE else "ideology" if sh <= 1 - SHARE else "undecided"
            )
            parts.append(
                f"and the point estimate favours interest in {_pct(sh)} of the assumption "
                "settings the sensitivity analysis tried"
            )
        values = {"maximum likelihood": p}
        if b is not None and np.isfinite(float(b["p_interest_outweighs"])):
            values["hierarchical Bayes"] = float(b["p_interest_outweighs"])
        sure = how_sure(min(values.values(), key=lambda v: max(v, 1 - v)))
        failed_checks = str(r["failed_checks"]) if "failed_checks" in r.index else ""
        robust = str(r["verdict"]) if "failed_checks" in r.index else None
        lean = "interest" if p >= 0.5 else "ideology"
        weak = (
            " It is weakly identified, so even agreement is indicative."
            if r.get("status") == "weak"
            else ""
        )
        evidence = "; ".join(parts[:-1]) + (", " if len(parts) > 1 else "") + parts[-1]
        evidence = evidence[0].upper() + evidence[1:]
        if robust is not None:  # the fit's own robustness verdict is one more check
            checks["robustness checks"] = (
                "interest"
                if robust.startswith("interest")
                else "ideology"
                if robust.startswith("ideology")
                else "undecided"
            )
        sides = set(checks.values())
        claim = sides.pop() if len(sides) == 1 else "undecided"
        if claim == "undecided":
            failed = [c for c, v in checks.items() if v != lean]
        else:
            failed = []
        robust_failed = [
            f.strip()
            for f in failed_checks.replace(";", ",").split(",")
            if f.strip() and failed_checks not in ("nan", "None")
        ]
        if robust_failed:
            failed = [c for c in failed if c != "robustness checks"]
            failed += [f"robustness check '{f}'" for f in robust_failed]
        head = f"{name} ({n} decisions)"
        if claim in ("interest", "ideology"):
            other = "ideology" if claim == "interest" else "interest"
            sentence = (
                f"{head}: {claim} outweighed {other} ({sure}). {evidence}; every check "
                f"agrees.{weak}"
            )
        else:
            described = []
            for c in dict.fromkeys(failed):
                if c in values:
                    v = values[c]
                    if not 1 - VERDICT_P < v < VERDICT_P:
                        described.append(f"{c} ({v:.2f})")
                    elif lean == "interest":
                        described.append(f"{c} ({v:.2f}, short of {VERDICT_P:.2f})")
                    else:
                        described.append(f"{c} ({v:.2f}, above {1 - VERDICT_P:.2f})")
                else:
                    described.append(c)
            stand = ", ".join(described) or "the size of the record"
            sentence = (
                f"{head}: no verdict. The evidence leans towards {lean} ({how_sure(p)}): "
                f"{evidence[0].lower() + evidence[1:]}. What stands in the way of a verdict: "
                f"{stand}.{weak}"
            )
            if (
                checks.get("hierarchical Bayes") in ("interest", "ideology")
                and checks.get("maximum likelihood") == "undecided"
            ):
                sentence += (
                    " The hierarchical model is surer because it pulls each actor's weights "
                    f"towards the other actors' (partial pooling); {n} decisions of its own do "
                    "not carry that certainty."
                )
            if (
                s is not None
                and checks.get("assumption ranges") == lean
                and "robustness check 'assumptions'" not in failed
            ):
                sentence += (
                    " The assumption ranges do not stand in the way: the point estimate leans "
                    "the same way across them, and the uncertainty comes from the record itself."
                )
            elif s is not None and checks.get("assumption ranges") == lean:
                sentence += (
                    " Across the assumption ranges the point estimate leans the same way, but "
                    "the verdict is not confident in every setting (robustness check "
                    "'assumptions')."
                )
        out.append(
            ActorFinding(actor, name, n, claim, sentence, checks, list(dict.fromkeys(failed)))
        )
    return out


def alliance_sentences(fit: Any) -> list[str]:
    """One sentence per era of the alliance study, from its verdict frame."""
    try:
        vf = fit.verdict_frame()
    except Exception:  # noqa: BLE001 (the study's shape may change; say nothing rather than fail)
        return []
    needed = {"era", "diff", "diff_low", "diff_high", "verdict"}
    if not needed <= set(vf.columns):
        return []
    out = []
    for _, r in vf.iterrows():
        years = (
            f" ({r['years']})" if "years" in r.index and str(r["years"]) != str(r["era"]) else ""
        )
        n = (
            f"{int(r['n_obs']):,} dyad-years, {int(r['n_events']):,} alliance onsets; "
            if {"n_obs", "n_events"} <= set(r.index)
            else ""
        )
        d, lo, hi = float(r["diff"]), float(r["diff_low"]), float(r["diff_high"])
        if lo > 0:
            lean = "interest predicts alliances better than ideology does"
        elif hi < 0:
            lean = "ideology predicts alliances better than interest does"
        else:
            lean = "neither block clearly predicts alliances better"
        out.append(
            f"Era {r['era']}{years}: {n}{lean}. The interest terms' average marginal effect "
            f"minus the ideology terms' is {d:+.4f} (95% interval {lo:+.4f} to {hi:+.4f}, "
            f"dyad-clustered); the study's verdict: {r['verdict']}."
        )
    return out


def strengths_frame(fit: Any, level: float = LEVEL) -> pd.DataFrame:
    """Per actor, the ideology and interest strengths the verdict compares, with intervals at
    `level` from the fit's draws (sampling draws for maximum likelihood, posterior for Bayes)."""
    from realpolitik.estimation.results import block_strength

    alpha = 1 - level
    rows = []
    for a in fit.actors:
        if a.status == "unidentified" or not np.isfinite(a.draws).all():
            continue
        ideo, inter = block_strength(a.draws, a.data, fit.terms)
        pi, pn = block_strength(np.nan_to_num(a.params)[None], a.data, fit.terms)
        for motive, draws, point in (("ideology", ideo, pi[0]), ("interest", inter, pn[0])):
            lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
            rows.append(
                {
                    "actor": a.actor,
                    "motive": motive,
                    "strength": float(point),
                    "low": float(lo),
                    "high": float(hi),
                    "p_interest_outweighs": float(np.mean(inter > ideo)),
                    "status": a.status,
                }
            )
    return pd.DataFrame(rows)


def strengths_chart(case: Case, fits: list[tuple[str, Any]], level: float = LEVEL) -> Any:
    """Dot-and-interval plot of each actor's ideology and interest strength (the quantities
    the verdict compares), one row per actor, one panel per method."""
    from realpolitik.reports.figures import (
        BLACK,
        GREY,
        PART_COLOURS,
        Chart,
        journal_size,
        new_figure,
        style,
    )

    frames = [(label, strengths_frame(f, level)) for label, f in fits if f is not None]
    frames = [(label, fr) for label, fr in frames if not fr.empty]
    actors = list(dict.fromkeys(a for _, fr in frames for a in fr["actor"]))
    width, _ = journal_size("double")
    fig = new_figure(width, 1.3 + 0.42 * max(len(actors), 1) * 1.0)
    pct = f"{100 * level:.0f}%"
    chart = Chart(
        "strengths",
        fig,
        f"What the verdict compares: each actor's strength of ideology and of interest "
        f"(how much each moved its choices, on a common standardised scale; negative: it "
        f"pulled against the motive's own direction), with {pct} intervals. Interest "
        "outweighs ideology when the blue mark lies right of the vermillion one.",
    )
    with style():
        axes = np.atleast_1d(
            fig.subplots(1, max(len(frames), 1), sharey=True, squeeze=False)
        ).ravel()
        for ax, (label, fr) in zip(axes, frames, strict=False):
            ys = {a: len(actors) - 1 - i for i, a in enumerate(actors)}
            for motive, off in (("ideology", 0.14), ("interest", -0.14)):
                sub = fr[fr["motive"] == motive]
                for _, r in sub.iterrows():
                    y = ys[r["actor"]] + off
                    ax.plot([r["low"], r["high"]], [y, y], color=PART_COLOURS[motive], lw=2)
                    (m,) = ax.plot(
                        [r["strength"]],
                        [y],
                        marker="o" if motive == "interest" else "s",
                        ms=6,
                        color=PART_COLOURS[motive],
                        mec=BLACK,
                        mew=0.5,
                        ls="none",
                    )
                    chart.tip(
                        m,
                        f"{case.actor_name(r['actor'])} · {label} · {motive} strength "
                        f"{r['strength']:+.2f} ({pct}: {r['low']:+.2f} to {r['high']:+.2f}); "
                        f"P(interest outweighs) = {r['p_interest_outweighs']:.2f}",
                    )
            ax.axvline(0, color=GREY, lw=0.8)
            ax.set_xlabel("strength (SD of utility, signed)")
            ax.set_title(label, loc="left")
            ax.grid(axis="y", visible=False)
            lo = float(min(fr["low"].min(), 0))
            hi = float(max(fr["high"].max(), 0))
            pad = 0.06 * (hi - lo or 1)
            ax.set_xlim(lo - pad, hi + pad)
        axes[0].set_yticks(
            [len(actors) - 1 - i for i in range(len(actors))],
            [case.actor_name(a) for a in actors],
        )
        axes[0].set_ylim(-0.6, len(actors) - 0.4)
        from matplotlib.lines import Line2D

        fig.legend(
            handles=[
                Line2D([], [], color=PART_COLOURS["ideology"], marker="s", label="ideology"),
                Line2D([], [], color=PART_COLOURS["interest"], marker="o", label="interest"),
            ],
            loc="outside lower center",
            ncol=2,
        )
    return chart


def findings_section(case: Case, res: Any, figs: Any, run: Any) -> Any:
    """The report's first section (`realpolitik.reports.html.Section`)."""
    from realpolitik.reports.html import Section, command, esc, given, table

    pct = f"{100 * LEVEL:.0f}%"
    parts = [
        f'<p class="lead">What the evidence says, actor by actor, and how sure. Intervals in '
        f"this report are {pct} unless another level is named (Monte Carlo bands are 99%, "
        "the alliance study's intervals 95%). A verdict is stated only when every check "
        "agrees; otherwise the sentence names the check that does not.</p>"
    ]
    if not given(res.fit):
        parts.append("<p>No fit in this report.</p>")
        return Section("findings", "Findings", "".join(parts))
    bayes = res.bayes if given(res.bayes) else None
    sa = res.sensitivity if given(res.sensitivity) else None
    found = actor_findings(case, res.fit, bayes, sa)
    parts.append('<ul class="findings">')
    parts += [f'<li data-actor="{esc(f.actor)}">{esc(f.sentence)}</li>' for f in found]
    parts.append("</ul>")
    lines = alliance_sentences(res.alliances) if given(res.alliances) else []
    regimes = getattr(res, "alliance_regimes", None)
    if given(regimes):
        from realpolitik.reports.alliance_regimes import regime_summary

        lines += regime_summary(regimes["distance"])
    if lines:
        parts.append('<h3>Every alliance since 1816</h3><ul class="findings">')
        parts += [f"<li>{esc(t)}</li>" for t in lines]
        parts.append("</ul>")
    fits = [("maximum likelihood", res.fit)] + ([("hierarchical Bayes", bayes)] if bayes else [])
    if any(not strengths_frame(f).empty for _, f in fits):
        parts.append(figs.add(strengths_chart(case, fits)))
    rows = []
    for f in found:
        rows.append(
            {
                "actor": f.name,
                "decisions": f.decisions,
                **{k: v for k, v in f.checks.items()},
                "finding": f.claim,
                "checks against": ", ".join(f.failed) or "none",
            }
        )
    parts.append(table(pd.DataFrame(rows).fillna("")))
    parts.append(command("realpolitik", "fit", run.case_arg, "--seed", run.seed))
    if bayes is not None:
        parts.append(
            command("realpolitik", "fit", run.case_arg, "--method", "bayes", "--seed", run.seed)
        )
    return Section("findings", "Findings", "".join(parts))
