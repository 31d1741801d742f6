"""The checks behind every verdict and the rule that combines them (docs/estimation.md, s. 9).

For each actor one row per check: the family (scale, estimator, prior, assumptions,
non-nested), the number the check rests on, and the verdict it gives on its own. The printed
verdict is "interest outweighs ideology" (or the reverse) only when every check that ran gives
that same verdict; otherwise it is "undecided", naming the checks that did not agree, or
"prior-driven" when the Bayesian verdict moves with the prior's scale or a weight's posterior
mean changes sign with it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.estimation.strength import PRIMARY, SCALES, ml_summary, strengths

VERDICT_LEVEL = 0.9
INTEREST = "interest outweighs ideology"
IDEOLOGY = "ideology outweighs interest"
UNDECIDED = "undecided"
PRIOR_DRIVEN = "prior-driven"
NOT_RUN = "not run"
NOT_CONVERGED = "not converged"
UNIDENTIFIED = "not identified: too little evidence"
DIRECTIONS = (INTEREST, IDEOLOGY)
PRIOR_SCALES = (0.2, 2.0)  # the prior's scales (mu and tau) multiplied by these in the refits
SETTINGS_LOG2 = 5  # 2**5 = 32 assumption settings for the assumption-space check
SIGN_NOISE = 0.1  # a posterior-mean sign flip counts when both means exceed 0.1 posterior SDs


def word(p: float) -> str:
    if not np.isfinite(p):
        return UNDECIDED
    if p >= VERDICT_LEVEL:
        return INTEREST
    if p <= 1 - VERDICT_LEVEL:
        return IDEOLOGY
    return UNDECIDED


def row(
    actor: str,
    check: str,
    family: str,
    value: float,
    verdict: str,
    ideology: float = np.nan,
    interest: float = np.nan,
    note: str = "",
) -> dict[str, object]:
    return {
        "actor": actor,
        "check": check,
        "family": family,
        "value": float(value),
        "verdict": verdict,
        "ideology_strength": float(ideology),
        "interest_strength": float(interest),
        "note": note,
    }


# ---- scale family and estimators ---------------------------------------------------------------
def scale_rows_ml(actor: str, params, cov, data: ChoiceData, terms) -> list[dict[str, object]]:
    out = []
    for scale in SCALES:
        d = ml_summary(params, cov, data, terms, scale)
        out.append(
            row(
                actor, f"scale:{scale}", "scale", d["p"], word(d["p"]), d["ideology"], d["interest"]
            )
        )
    return out


def scale_rows_draws(actor: str, draws, data: ChoiceData, terms) -> list[dict[str, object]]:
    out = []
    mean = draws.mean(axis=0)
    for scale in SCALES:
        sI, sN = strengths(draws, data, terms, scale)
        p = float(np.mean(sN > sI))
        pI, pN = strengths(mean[None], data, terms, scale)
        out.append(row(actor, f"scale:{scale}", "scale", p, word(p), pI[0], pN[0]))
    return out


def bayes_probability(draws: np.ndarray, data: ChoiceData, terms) -> float:
    sI, sN = strengths(draws, data, terms, PRIMARY)
    return float(np.mean(sN > sI))


@dataclass
class BayesRun:
    """One Bayesian fit used by the checks: per actor index, (draws, data), or the error."""

    scale: float
    draws: dict[int, np.ndarray]
    error: str = ""


def bayes_runs(
    data: ChoiceData,
    seed: int,
    steps: int,
    chains: int,
    scales: tuple[float, ...],
    main=None,
    progress: bool = False,
) -> list[BayesRun]:
    """The hierarchical model at prior scale 1 (or `main`, an existing fit) and at `scales`."""
    from realpolitik.errors import ConvergenceError
    from realpolitik.estimation.bayes import fit_bayes

    runs = []
    todo = [1.0, *scales] if main is None else list(scales)
    if main is not None:
        runs.append(BayesRun(1.0, {a: main.draws[:, i, :] for i, a in enumerate(main.actors)}))
    for c in todo:
        try:
            bf = fit_bayes(
                data,
                seed,
                steps=steps,
                burn=steps // 2,
                chains=chains,
                prior_scale=c,
                progress=progress,
            )
        except ConvergenceError as exc:
            runs.append(BayesRun(c, {}, str(exc)))
            continue
        runs.append(BayesRun(c, {a: bf.draws[:, i, :] for i, a in enumerate(bf.actors)}))
    return sorted(runs, key=lambda r: r.scale != 1.0)


def bayes_rows(
    actor: str, a: int, runs: list[BayesRun], data: ChoiceData, terms
) -> list[dict[str, object]]:
    out = []
    base = runs[0]
    if base.error or a not in base.draws:
        out.append(row(actor, "bayes", "estimator", np.nan, NOT_CONVERGED, note=base.error))
        base_word, base_mean, base_sd = None, None, None
    else:
        d = base.draws[a]
        p = bayes_probability(d, data, terms)
        base_word, base_mean, base_sd = word(p), d.mean(axis=0), d.std(axis=0)
        sI, sN = strengths(base_mean[None], data, terms)
        out.append(row(actor, "bayes", "estimator", p, base_word, sI[0], sN[0]))
    for r in runs[1:]:
        check = f"prior x{r.scale:g}"
        if r.error or a not in r.draws:
            out.append(row(actor, check, "prior", np.nan, NOT_CONVERGED, note=r.error))
            continue
        d = r.draws[a]
        p = bayes_probability(d, data, terms)
        mean, sd = d.mean(axis=0), d.std(axis=0)
        sI, sN = strengths(mean[None], data, terms)
        verdict, note = word(p), ""
        if base_word is not None:
            flips = [
                t
                for k, t in enumerate(terms)
                if np.sign(mean[k]) != np.sign(base_mean[k])
                and abs(mean[k]) > SIGN_NOISE * sd[k]
                and abs(base_mean[k]) > SIGN_NOISE * base_sd[k]
            ]
            if verdict != base_word or flips:
                why = []
                if verdict != base_word:
                    why.append(f"verdict {verdict} (prior x1: {base_word})")
                if flips:
                    why.append(f"sign of {', '.join(flips)} flips")
                verdict, note = PRIOR_DRIVEN, "; ".join(why)
        out.append(row(actor, check, "prior", p, verdict, sI[0], sN[0], note))
    return out


# ---- assumption space ---------------------------------------------------------------------------
def assumption_settings(comp, overrides: dict[str, float] | None) -> np.ndarray:
    """2**SETTINGS_LOG2 settings of every declared assumption range (those set by the user
    stay fixed): an unscrambled Sobol sequence, so the same settings every time, no seed."""
    from scipy.stats import qmc

    theta = comp.theta(2**SETTINGS_LOG2, overrides)
    fixed = set(overrides or {})
    lo, hi = comp.bounds[:, 0], comp.bounds[:, 1]
    vary = [i for i, key in enumerate(comp.assumption_ids) if key not in fixed and hi[i] > lo[i]]
    if not vary:
        return theta[:1]
    u = qmc.Sobol(len(vary), scramble=False).random_base2(SETTINGS_LOG2)
    theta[:, vary] = lo[vary] + u * (hi[vary] - lo[vary])
    return theta


def assumption_rows(
    comp, model: str, overrides, actors: dict[int, str], actor_filter: int | None, terms
) -> list[dict[str, object]]:
    """Refit each actor's weights at every setting (Newton with the weak ridge of
    `batched.fit_rows`, covariance from the penalised information) and take the delta-method
    verdict (probability rule, primary scale) at each; the check gives the most common verdict when at least VERDICT_LEVEL of
    the settings give it, and its value is that share."""
    from realpolitik.estimation.batched import RIDGE, fit_rows
    from realpolitik.estimation.likelihood import score_and_information

    thetas = assumption_settings(comp, overrides)
    datas = [choice_data(comp, model, th[None], actor=actor_filter) for th in thetas]
    out = []
    for a, name in actors.items():
        subs = [d.for_actor(a) for d in datas]
        Z = np.stack([s.Z for s in subs])
        sd = subs[0].within_sd()
        W = fit_rows(Z, subs[0].chosen, subs[0].starts, sd)
        words = []
        for s, w in zip(subs, W, strict=True):
            _, info = score_and_information(w, s.Z, s.chosen, s.starts)
            cov = np.linalg.pinv(info + np.diag(RIDGE * sd**2))
            words.append(word(ml_summary(w, cov, s, terms)["p"]))
        top, n = Counter(words).most_common(1)[0]
        share = n / len(words)
        verdict = top if share >= VERDICT_LEVEL else UNDECIDED
        note = ", ".join(f"{k}: {v}/{len(words)}" for k, v in Counter(words).most_common())
        out.append(row(name, "assumptions", "assumptions", share, verdict, note=note))
    return out


# ---- non-nested tests ---------------------------------------------------------------------------
def nonnested_rows(tests: pd.DataFrame) -> list[dict[str, object]]:
    out = []
    to_word = {"interest-only": INTEREST, "ideology-only": IDEOLOGY, "neither": UNDECIDED}
    for _, r in tests.iterrows():
        if r["actor"] == "pooled" or not np.isfinite(r["vuong_p"]):
            continue
        for test in ("vuong", "clarke"):
            out.append(
                row(
                    r["actor"],
                    test,
                    "non-nested",
                    r[f"{test}_p_holm"],
                    to_word[r[f"{test}_favours"]],
                    note=f"Holm-adjusted over {int(r['actors_tested'])} actors; "
                    f"raw p {r[f'{test}_p']:.3g}",
                )
            )
    return out


# ---- the rule ---------------------------------------------------------------------------------
def final_verdict(checks: pd.DataFrame, status: str, primary: str = "mle") -> tuple[str, str, str]:
    """(verdict, failed checks, checks not run) for one actor's rows of the check table; the
    direction to agree on is that of the `primary` check when it gives one (the maximum
    likelihood fit of one case; the pooled fit across cases), else the most common one."""
    if status == "unidentified":
        return UNIDENTIFIED, "", ""
    ran = checks[checks["verdict"] != NOT_RUN]
    not_run = ", ".join(checks.loc[checks["verdict"] == NOT_RUN, "check"])
    if ran.empty:
        return UNDECIDED, "", not_run
    first = ran.loc[ran["check"] == primary, "verdict"]
    verdicts = ran["verdict"].tolist()
    if len(first) and first.iloc[0] in DIRECTIONS:
        target = first.iloc[0]
    else:
        dirs = [v for v in verdicts if v in DIRECTIONS]
        target = Counter(dirs).most_common(1)[0][0] if dirs else None
    failed = [c for c, v in zip(ran["check"], verdicts, strict=True) if v != target]
    if target is not None and not failed:
        return target, "", not_run
    if (ran["verdict"] == PRIOR_DRIVEN).any():
        return PRIOR_DRIVEN, ", ".join(failed), not_run
    return UNDECIDED, ", ".join(failed), not_run


def not_run_rows(actor: str) -> list[dict[str, object]]:
    out = [row(actor, "bayes", "estimator", np.nan, NOT_RUN, note="checks='all' runs it")]
    for c in PRIOR_SCALES:
        out.append(row(actor, f"prior x{c:g}", "prior", np.nan, NOT_RUN))
    return out
