"""Coding audit: does one label predict the record by itself? (docs/evaluation.md, "Audit")

For each feature f (and the interest index N) over the recorded decisions:
  varies        decisions in which f takes more than one value across the options
  best          decisions in which the chosen option holds the best value of f (the highest;
                the lowest for risk), ties included; `strictly_best` without ties
  positive      options with f > 0 (for risk: with some risk), and how many of them were chosen
  loglik        the conditional logit with f alone, one weight pooled over every actor
                (Firth-penalised where the record separates), against the full model fitted per
                actor (ideology and interest, two weights each)

A feature is flagged when its one-weight fit beats chance (likelihood ratio 2 (l_f - l_0) above
CHI2_1, the 5% point of chi-squared with one degree of freedom; l_0 gives every option 1/n) and
is at least as good as the full model by AIC (-2 l_f + 2 <= -2 l_full + 2 k_full), or when the chosen option is strictly best on it in at
least FLAG_SHARE of the decisions where it varies (and in at least FLAG_MIN decisions): a label
that carries the record alone was probably coded knowing the record. The interest index is
reported but not flagged: it is the model's composite of several labels, not one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.estimation.mle import fit_actor
from realpolitik.model.compiled import FEATURES, Compiled

CHI2_1 = 3.841
FLAG_SHARE = 2 / 3
FLAG_MIN = 5
LOWER_IS_BETTER = {"risk"}
LABELS = {
    "ideology": "favours / opposes",
    "stakes": "gains / gives",
    "prevail": "favours / opposes with the balance of forces",
    "risk": "risk / rival",
    "security": "security",
    "interest": "stakes, risk, security and prevail together (the interest index)",
}


@dataclass
class Audit:
    case_id: str
    table: pd.DataFrame  # one row per feature
    full_loglik: float
    full_params: int
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "case": self.case_id,
            "full_loglik": self.full_loglik,
            "full_params": self.full_params,
            "features": self.table.to_dict("records"),
            "flags": self.flags,
        }


def _chance(data: ChoiceData) -> float:
    return float(-np.log(np.diff(np.r_[data.starts, len(data.Z)])).sum())


def _full_fit(comp: Compiled, theta: np.ndarray, actor: int | None) -> tuple[float, int]:
    data = choice_data(comp, "full", theta, actor=actor)
    ll, k = 0.0, 0
    for a in data.actors_present():
        f = fit_actor(data.for_actor(a), a)
        if f.status == "unidentified":
            ll += _chance(data.for_actor(a))
        else:
            ll += f.loglik
            k += len(f.params)
    return ll, k


def audit(
    comp: Compiled,
    theta: np.ndarray | None = None,
    actor: int | None = None,
) -> Audit:
    theta = comp.theta() if theta is None else theta
    data = choice_data(comp, "components", theta, actor=actor)
    values = {f: data.X5[:, i] for i, f in enumerate(FEATURES)}
    values["interest"] = data.N
    full_ll, full_k = _full_fit(comp, theta, actor)
    sizes = np.diff(np.r_[data.starts, len(data.Z)])
    chance = _chance(data)
    rows, flags = [], []
    for name, v in values.items():
        sign = -1.0 if name in LOWER_IS_BETTER else 1.0
        varies = best = strict = 0
        strict_ids: list[str] = []
        for g, (s, n) in enumerate(zip(data.starts, sizes, strict=True)):
            x = sign * v[s : s + n]
            c = int(np.flatnonzero(data.chosen[s : s + n])[0])
            if x.max() - x.min() <= 1e-12:
                continue
            varies += 1
            if x[c] >= x.max() - 1e-12:
                best += 1
                if int((x >= x.max() - 1e-12).sum()) == 1:
                    strict += 1
                    strict_ids.append(comp.decisions[data.decisions[g]].id)
        positive = v > 1e-12
        single = ChoiceData(
            comp=comp,
            model=name,
            terms=(name,),
            Z=v[:, None],
            X5=data.X5,
            N=data.N,
            chosen=data.chosen,
            group=data.group,
            actor=data.actor,
            decisions=data.decisions,
            starts=data.starts,
        )
        f = fit_actor(single, -1)
        ll = f.loglik if f.status != "unidentified" else chance
        single_label = name != "interest"  # the index is reported, not flagged: not one label
        flagged_fit = (
            single_label and 2 * (ll - chance) > CHI2_1 and -2 * ll + 2 <= -2 * full_ll + 2 * full_k
        )
        flagged_best = single_label and varies > 0 and strict >= max(FLAG_MIN, FLAG_SHARE * varies)
        rows.append(
            {
                "feature": name,
                "labels": LABELS[name],
                "decisions": data.n_groups,
                "varies": varies,
                "best": best,
                "strictly_best": strict,
                "options_positive": int(positive.sum()),
                "chosen_positive": int((positive & (data.chosen == 1)).sum()),
                "loglik_alone": float(ll),
                "weight_alone": float(f.params[0]) if f.status != "unidentified" else np.nan,
                "loglik_chance": chance,
                "loglik_full": full_ll,
                "flagged": bool(flagged_fit or flagged_best),
            }
        )
        if flagged_fit or flagged_best:
            why = []
            if flagged_fit:
                why.append(
                    f"alone it fits the record with log-likelihood {ll:.1f} against {full_ll:.1f} "
                    f"for the full model ({full_k} weights) and {chance:.1f} for chance"
                )
            if flagged_best:
                why.append(f"the chosen option is strictly best on it in {strict} of {varies}")
            flags.append(
                f"{name} ({LABELS[name]}): chosen option best in {best} of {varies} decisions "
                f"where it varies (strictly in {strict}); {'; '.join(why)}; decisions: "
                + (", ".join(strict_ids) or "none")
            )
    return Audit(comp.case.id, pd.DataFrame(rows), full_ll, full_k, flags)
