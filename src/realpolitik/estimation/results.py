"""The results of a fit: weights, intervals, the ideology-vs-interest verdict and its parts.

Modelled on statsmodels: `params`, `bse`, `conf_int()`, `summary()`, `llf` (unpenalised) and
`llf_penalised`, plus tidy `to_frame()`, `verdict_frame()`, `robustness()`, `tests_frame()`,
`periods_frame()`, `predictions()` and `decomposition()` for notebooks and export.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from realpolitik.estimation.data import ChoiceData
from realpolitik.estimation.likelihood import correct_predictions, group_log_softmax
from realpolitik.estimation.surface import FitSurface
from realpolitik.model.specs import INTEREST_TERMS

VERDICT_LEVEL = 0.9


def block_strength(
    draws: np.ndarray, data: ChoiceData, terms: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Signed standardised strength of the ideology block and of the interest block, per draw.

    A block's strength is the within-decision standard deviation of the utility it contributes
    across the options this actor faced (how much it moves the actor's choices), signed by
    whether that utility runs with (+) or against (-) the motive's own direction: ideological
    affinity I for ideology, the interest index N for interest. An actor who backs ideological
    opponents whenever it pays has a negative ideology strength: ideology did not pull it."""
    sizes = np.diff(np.r_[data.starts, len(data.Z)])
    group = data.group
    dof = max(len(group) - len(data.starts), 1)

    def within(U: np.ndarray) -> np.ndarray:
        means = np.add.reduceat(U, data.starts, axis=-1) / sizes
        return U - means[..., group]

    out = []
    refs = (data.X5[:, 0], data.N)
    masks = (
        np.array([t == "ideology" for t in terms]),
        np.array([t in INTEREST_TERMS for t in terms]),
    )
    for mask, ref in zip(masks, refs, strict=True):
        if not mask.any():
            out.append(np.zeros(draws.shape[0]))
            continue
        dev = within(draws[:, mask] @ data.Z[:, mask].T)  # (draws, options)
        sign = np.sign(dev @ within(ref))
        out.append(sign * np.sqrt((dev**2).sum(axis=1) / dof))
    return out[0], out[1]


def verdict_word(p: float, status: str) -> str:
    if status == "unidentified" or not np.isfinite(p):
        return "not identified: too little evidence"
    if p >= VERDICT_LEVEL:
        word = "interest outweighs ideology"
    elif p <= 1 - VERDICT_LEVEL:
        word = "ideology outweighs interest"
    else:
        word = "undecided"
    return word + (" (weakly identified)" if status == "weak" else "")


@dataclass
class ActorResult:
    actor: str
    params: np.ndarray
    draws: np.ndarray  # (draws, terms)
    lower: np.ndarray
    upper: np.ndarray
    status: str
    note: str
    n_decisions: int
    data: ChoiceData
    se: np.ndarray | None = None
    penalty: str = "none"
    rhat: np.ndarray | None = None
    ess: np.ndarray | None = None
    cov: np.ndarray | None = None


@dataclass(repr=False)
class FitResults(FitSurface):
    case_id: str
    model: str
    method: str
    terms: tuple[str, ...]
    alpha: float
    actors: list[ActorResult]
    seed: int
    loglik: float  # unpenalised; unidentified actors at chance (MLE); at posterior means (Bayes)
    comparison: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)
    llf_penalised: float = np.nan  # Firth-penalised log-likelihood (MLE; = llf when no penalty)
    checks: pd.DataFrame | None = None  # robustness checks, see robustness()
    tests: pd.DataFrame | None = None  # Vuong and Clarke tests, see tests_frame()
    family: dict[str, object] = field(default_factory=dict)
    periods: dict[str, pd.DataFrame] | None = None  # constant vs changing weights

    @property
    def llf(self) -> float:
        """The unpenalised log-likelihood (what AIC/BIC and the comparison table use)."""
        return self.loglik

    # ---- statsmodels-like -----------------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        idx = pd.MultiIndex.from_tuples(
            [(a.actor, t) for a in self.actors for t in self.terms], names=["actor", "term"]
        )
        return pd.Series(np.concatenate([a.params for a in self.actors]), index=idx, name="weight")

    @property
    def bse(self) -> pd.Series:
        sd = np.concatenate([a.se for a in self.actors])  # type: ignore[misc]
        return pd.Series(sd, index=self.params.index, name="std_error")

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Intervals at level 1 - alpha: Wald for maximum likelihood, posterior quantiles for
        Bayes (the default alpha is the fit's, 0.1, so 90% intervals)."""
        alpha = self.alpha if alpha is None else alpha
        rows = []
        for a in self.actors:
            if alpha == self.alpha:
                lo, hi = a.lower, a.upper
            else:
                lo, hi = _interval(a, alpha, self.method)
            rows += list(zip(lo, hi, strict=True))
        return pd.DataFrame(rows, index=self.params.index, columns=["lower", "upper"])

    # ---- the question -------------------------------------------------------------------------
    def strengths(self) -> pd.DataFrame:
        """Per actor: the standardised strengths (within-decision SD scale) with their
        1 - alpha intervals and P(interest outweighs ideology). Maximum likelihood: delta
        method (deterministic); Bayes: posterior draws."""
        from realpolitik.estimation.strength import ml_summary

        # computed once per result and interval level (the Bayesian draws make it costly;
        # verdict_frame, summary and the report each ask for it)
        memo = self.__dict__.get("_strengths_memo")
        if memo is not None and memo[0] == (self.alpha, id(self.actors)):
            return memo[1].copy()
        rows = []
        for a in self.actors:
            r: dict[str, object] = {"actor": a.actor}
            finite = np.isfinite(a.params).all() and a.status != "unidentified"
            if not finite:
                for k in ("ideology", "interest"):
                    r[f"{k}_strength"] = r[f"{k}_strength_low"] = r[f"{k}_strength_high"] = np.nan
                r["p_interest_outweighs"] = np.nan
            elif self.method == "mle" and a.cov is not None:
                d = ml_summary(a.params, a.cov, a.data, self.terms, alpha=self.alpha)
                for k in ("ideology", "interest"):
                    r[f"{k}_strength"] = d[k]
                    r[f"{k}_strength_low"] = d[f"{k}_low"]
                    r[f"{k}_strength_high"] = d[f"{k}_high"]
                r["p_interest_outweighs"] = d["p"]
            else:
                ideo, inter = block_strength(a.draws, a.data, self.terms)
                point_i, point_n = block_strength(a.params[None], a.data, self.terms)
                for k, point, dr in (("ideology", point_i, ideo), ("interest", point_n, inter)):
                    r[f"{k}_strength"] = float(point[0])
                    r[f"{k}_strength_low"] = float(np.quantile(dr, self.alpha / 2))
                    r[f"{k}_strength_high"] = float(np.quantile(dr, 1 - self.alpha / 2))
                r["p_interest_outweighs"] = float(np.mean(inter > ideo))
            rows.append(r)
        frame = pd.DataFrame(rows)
        self.__dict__["_strengths_memo"] = ((self.alpha, id(self.actors)), frame)
        return frame.copy()

    def robustness(self) -> pd.DataFrame:
        """One row per actor x check: actor, check, family (estimator, scale, prior,
        assumptions, non-nested), value (a probability, a share of settings or a Holm-adjusted
        p-value), verdict (that check's own), the strengths the check computed, and a note.
        Empty when the fit ran with checks='none' or a single-motive model."""
        from realpolitik.estimation.robustness import row

        if self.checks is None:
            return pd.DataFrame(columns=list(row("", "", "", 0, "").keys()))
        return self.checks.copy()

    def tests_frame(self) -> pd.DataFrame:
        """Vuong's and Clarke's tests of ideology-only vs interest-only, per actor and pooled."""
        return self.tests.copy() if self.tests is not None else pd.DataFrame()

    def periods_frame(self) -> pd.DataFrame:
        """Constant against changing weights per actor (empty without breaks or periods)."""
        if not self.periods:
            return pd.DataFrame()
        return self.periods["comparison"].copy()

    def predictions(self) -> pd.DataFrame:
        """Per recorded decision: the model's probability of what was chosen and its top pick."""
        rows = []
        for a in self.actors:
            d = a.data
            w = np.nan_to_num(a.params) if a.status != "unidentified" else np.zeros(len(self.terms))
            logp = group_log_softmax(d.Z @ w, d.starts)
            correct = correct_predictions(logp, d.chosen, d.starts)
            comp = d.comp
            for g, k in enumerate(d.decisions):
                dec = comp.decisions[k]
                block = slice(d.starts[g], d.starts[g] + len(dec.option_ids))
                p = np.exp(logp[block])
                top = int(np.argmax(p))
                rows.append(
                    {
                        "decision": dec.id,
                        "date": comp.case.decisions[k].date,
                        "actor": a.actor,
                        "chosen": dec.option_ids[dec.chosen],
                        "predicted": dec.option_ids[top],
                        "p_chosen": float(p[dec.chosen]),
                        "correct": bool(correct[g]),
                    }
                )
        return pd.DataFrame(rows).sort_values("date", kind="stable").reset_index(drop=True)

    def decomposition(self) -> pd.DataFrame:
        """For each decision, the utility gap between the chosen option and the best rejected one,
        split into the part ideology accounts for and the part interest accounts for."""
        rows = []
        ideo = np.array([t == "ideology" for t in self.terms])
        inter = np.array([t in INTEREST_TERMS for t in self.terms])
        for a in self.actors:
            d = a.data
            w = np.nan_to_num(a.params)
            comp = d.comp
            for g, k in enumerate(d.decisions):
                dec = comp.decisions[k]
                block = slice(d.starts[g], d.starts[g] + len(dec.option_ids))
                Z = d.Z[block]
                U = Z @ w
                rejected = [j for j in range(len(U)) if j != dec.chosen]
                best = max(rejected, key=lambda j: U[j])
                diff = Z[dec.chosen] - Z[best]
                part_i = float(diff[ideo] @ w[ideo]) if ideo.any() else 0.0
                part_n = float(diff[inter] @ w[inter]) if inter.any() else 0.0
                total = abs(part_i) + abs(part_n)
                rows.append(
                    {
                        "decision": dec.id,
                        "date": comp.case.decisions[k].date,
                        "actor": a.actor,
                        "chosen": dec.option_ids[dec.chosen],
                        "best_rejected": dec.option_ids[best],
                        "gap": part_i + part_n,
                        "ideology_part": part_i,
                        "interest_part": part_n,
                        "ideology_share": abs(part_i) / total if total > 0 else np.nan,
                        "interest_share": abs(part_n) / total if total > 0 else np.nan,
                        "motive": _motive(
                            part_i, part_n, float(diff[ideo].sum()) if ideo.any() else 0.0, a.status
                        ),
                    }
                )
        return pd.DataFrame(rows).sort_values("date", kind="stable").reset_index(drop=True)

    def verdict_frame(self) -> pd.DataFrame:
        ci = self.conf_int()
        strengths = self.strengths().set_index("actor")
        preds = self.predictions()
        rows = []
        for a in self.actors:
            row: dict[str, object] = {"actor": a.actor, "n_decisions": a.n_decisions}
            for t in self.terms:
                row[f"w_{t}"] = float(self.params[(a.actor, t)])
                row[f"w_{t}_low"] = float(ci.loc[(a.actor, t), "lower"])
                row[f"w_{t}_high"] = float(ci.loc[(a.actor, t), "upper"])
            s = strengths.loc[a.actor]
            for k in ("ideology", "interest"):
                for suffix in ("", "_low", "_high"):
                    row[f"{k}_strength{suffix}"] = s[f"{k}_strength{suffix}"]
            row["p_interest_outweighs"] = s["p_interest_outweighs"]
            mine = preds[preds["actor"] == a.actor]
            row["predicted"] = int(mine["correct"].sum())
            row["status"] = a.status
            row.update(self._final(a, float(s["p_interest_outweighs"])))
            row["note"] = a.note
            rows.append(row)
        return pd.DataFrame(rows)

    def _final(self, a: ActorResult, p: float) -> dict[str, object]:
        """The printed verdict: from every check when they ran, else the probability rule."""
        from realpolitik.estimation.robustness import final_verdict

        out: dict[str, object] = {}
        if self.tests is not None and not self.tests.empty:
            t = self.tests.set_index("actor")
            for k in ("vuong_z", "vuong_p_holm", "clarke_p_holm"):
                out[k] = float(t.loc[a.actor, k]) if a.actor in t.index else np.nan
        if self.checks is None:
            word = verdict_word(p, a.status)
            if word.startswith(("interest", "ideology")):
                word += " (probability rule only: robustness checks not run)"
            out["verdict"] = word
            out["failed_checks"] = ""
            out["checks_not_run"] = "all"
            return out
        mine = self.checks[self.checks["actor"] == a.actor]
        verdict, failed, not_run = final_verdict(mine, a.status)
        out["verdict"] = verdict
        out["failed_checks"] = failed
        out["checks_not_run"] = not_run
        return out

    def to_frame(self) -> pd.DataFrame:
        ci = self.conf_int()
        frame = pd.DataFrame(
            {
                "case_id": self.case_id,
                "model": self.model,
                "method": self.method,
                "actor": self.params.index.get_level_values(0),
                "term": self.params.index.get_level_values(1),
                "estimate": self.params.to_numpy(),
                "std_error": self.bse.to_numpy(),
                "conf_low": ci["lower"].to_numpy(),
                "conf_high": ci["upper"].to_numpy(),
                "level": 1 - self.alpha,
            }
        )
        status = {a.actor: a.status for a in self.actors}
        frame["status"] = frame["actor"].map(status)
        # the standardised strength of the block each weight belongs to, next to the weight
        st = self.strengths().set_index("actor")
        frame["block"] = np.where(frame["term"] == "ideology", "ideology", "interest")
        for suffix, col in (("", "strength"), ("_low", "strength_low"), ("_high", "strength_high")):
            frame[col] = [
                float(st.loc[a, f"{b}_strength{suffix}"])
                for a, b in zip(frame["actor"], frame["block"], strict=True)
            ]
        if self.method == "bayes":
            frame["rhat"] = np.concatenate([a.rhat for a in self.actors])  # type: ignore[misc]
            frame["ess"] = np.concatenate([a.ess for a in self.actors])  # type: ignore[misc]
        return frame

    def __str__(self) -> str:
        return self.summary().as_text()

    def _llf_label(self) -> str:
        if self.method == "bayes":
            return "unpenalised, at the posterior means"
        if np.isfinite(self.llf_penalised) and abs(self.llf_penalised - self.loglik) > 1e-12:
            return f"unpenalised; Firth-penalised {self.llf_penalised:.3f}"
        return "unpenalised"


def _motive(part_i: float, part_n: float, ideo_dir: float, status: str) -> str:
    """Which motive accounts for most of the chosen option's lead over the best rejected one.

    'anti-ideology' when the ideology term does the work through a negative weight, that is
    the actor chose the side further from its own ideology."""
    if status == "unidentified":
        return "unexplained"
    if part_i + part_n <= 0:
        return "neither"  # the model ranks the best rejected option at least as high
    if part_n >= part_i:
        return "interest"
    return "ideology" if ideo_dir >= 0 else "anti-ideology"


def _interval(a: ActorResult, alpha: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    if not np.isfinite(a.draws).all():
        nan = np.full(a.draws.shape[1], np.nan)
        return nan, nan
    if method == "mle":
        from scipy.stats import norm

        sd = a.se
        z = norm.ppf(1 - alpha / 2)
        return a.params - z * sd, a.params + z * sd
    return np.quantile(a.draws, alpha / 2, axis=0), np.quantile(a.draws, 1 - alpha / 2, axis=0)
