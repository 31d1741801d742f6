"""Out-of-sample scoring of the choice model: every decision is predicted by weights fitted
without it, on decisions dated before it (see docs/evaluation.md).

Two schemes:
  train-until  fit each actor on its decisions dated on or before a cut-off date; predict the
               decisions after it
  rolling      for each decision, fit the actor on its decisions dated strictly before it (an
               expanding window) and predict that decision

Scores per decision g with predicted probabilities p over its options and the chosen option c:
  log score   log p_c                              (higher is better)
  Brier       sum_j (p_j - y_j)^2, y_j = [j = c]   (lower is better; 0 to 2)
  hit         1 when c is the single most probable option; a tie for the top is a miss
The uniform baseline gives every option 1/n. A model's gain over the baseline is the mean of the
per-decision differences d_g, with the paired standard error sd(d) / sqrt(G).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from realpolitik.errors import InputError
from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.estimation.likelihood import group_log_softmax
from realpolitik.estimation.mle import fit_actor
from realpolitik.model.compiled import Compiled

MODELS = ("full", "interest", "ideology")
BASELINE = "uniform"
CALIBRATION_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass
class Evaluation:
    """Per-decision predictions and scores; the summaries are computed from `decisions`."""

    case_id: str
    scheme: str  # "train-until YYYY-MM-DD" or "rolling"
    decisions: pd.DataFrame  # one row per (model, scored decision)
    options: pd.DataFrame  # one row per (model, scored decision, option): p and chosen
    notes: list[str] = field(default_factory=list)

    @property
    def models(self) -> list[str]:
        present = set(self.decisions["model"])
        return [m for m in (*MODELS, BASELINE) if m in present]

    def overall(self) -> pd.DataFrame:
        return _summarise(self.decisions, [])

    def per_actor(self) -> pd.DataFrame:
        return _summarise(self.decisions, ["actor"])

    def calibration(self, bins: tuple[float, ...] = CALIBRATION_BINS) -> pd.DataFrame:
        """Options pooled over scored decisions, binned by predicted probability: how often
        the options in a bin were the chosen ones against how probable the model said they
        were."""
        rows = []
        edges = np.asarray(bins)
        for model in self.models:
            sub = self.options[self.options["model"] == model]
            k = np.clip(
                np.searchsorted(edges, sub["p"].to_numpy(), side="right") - 1, 0, len(edges) - 2
            )
            for b in range(len(edges) - 1):
                inside = sub[k == b]
                rows.append(
                    {
                        "model": model,
                        "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                        "options": len(inside),
                        "mean_predicted": float(inside["p"].mean()) if len(inside) else np.nan,
                        "observed": float(inside["chosen"].mean()) if len(inside) else np.nan,
                    }
                )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {
            "case": self.case_id,
            "scheme": self.scheme,
            "overall": self.overall().to_dict("records"),
            "per_actor": self.per_actor().to_dict("records"),
            "calibration": self.calibration().to_dict("records"),
            "decisions": self.decisions.to_dict("records"),
            "notes": self.notes,
        }


def _summarise(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Totals and means per model (and group), with the paired differences to the baseline."""
    base = frame[frame["model"] == BASELINE].set_index("decision")
    rows = []
    keys = [*by, "model"]
    for key, sub in frame.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        n = len(sub)
        row = dict(zip(keys, key, strict=True))
        row.update(
            {
                "decisions": n,
                "log_score": float(sub["log_score"].sum()),
                "mean_log_score": float(sub["log_score"].mean()),
                "brier": float(sub["brier"].mean()),
                "hits": int(sub["hit"].sum()),
                "accuracy": float(sub["hit"].mean()),
            }
        )
        ref = base.loc[sub["decision"]]
        for score in ("log_score", "brier", "hit"):
            d = sub[score].to_numpy(dtype=float) - ref[score].to_numpy(dtype=float)
            se = float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
            row[f"d_{score}"] = float(d.mean())
            row[f"se_d_{score}"] = se
        rows.append(row)
    out = pd.DataFrame(rows)
    order = {m: i for i, m in enumerate([*MODELS, BASELINE])}
    out = out.sort_values([*by, "model"], key=lambda s: s.map(order) if s.name == "model" else s)
    return out.reset_index(drop=True)


def _probabilities(data: ChoiceData, g: int, w: np.ndarray) -> np.ndarray:
    test = data.subset(np.array([g]))
    return np.exp(group_log_softmax(test.Z @ w, test.starts))


def _scores(p: np.ndarray, chosen: np.ndarray) -> tuple[float, float, bool]:
    c = int(np.flatnonzero(chosen)[0])
    top = p.max()
    hit = bool(p[c] >= top - 1e-12 and int((p >= top - 1e-12).sum()) == 1)
    return float(np.log(p[c])), float(((p - chosen) ** 2).sum()), hit


def evaluate(
    comp: Compiled,
    *,
    train_until: dt.date | None = None,
    rolling: bool = False,
    assumptions: dict[str, float] | None = None,
    models: tuple[str, ...] = MODELS,
    penalty: str = "auto",
) -> Evaluation:
    """Score the models out of sample; exactly one of `train_until` and `rolling`."""
    if (train_until is None) == (not rolling):
        raise InputError("evaluate: give either --train-until DATE or --rolling (one of them)")
    if any(d.chosen < 0 for d in comp.decisions):
        raise InputError(
            f"{comp.case.id}: a blind file has no recorded choices to score; "
            "use it with --coding beside the case that has the record"
        )
    comp.check_overrides(assumptions)
    theta = comp.theta(1, assumptions)
    dates = [d.date for d in comp.case.decisions]
    scheme = "rolling" if rolling else f"train-until {train_until}"
    if rolling:
        scored = list(range(len(dates)))
    else:
        scored = [k for k, day in enumerate(dates) if day > train_until]
        if not scored:
            raise InputError(f"--train-until: no decision is dated after {train_until}")
        if not any(day <= train_until for day in dates):
            raise InputError(f"--train-until: no decision is dated on or before {train_until}")
    rows: list[dict] = []
    option_rows: list[dict] = []
    notes: list[str] = []
    uniform_done = False
    for model in models:
        data = choice_data(comp, model, theta)
        group_of = {k: g for g, k in enumerate(data.decisions)}
        cache: dict[tuple[int, tuple[int, ...]], tuple[np.ndarray, str, int]] = {}
        for k in scored:
            g = group_of[k]
            actor = comp.decisions[k].actor
            cutoff = (
                (lambda day, k=k: day < dates[k]) if rolling else (lambda day: day <= train_until)
            )
            train = tuple(
                h
                for h, j in enumerate(data.decisions)
                if comp.decisions[j].actor == actor and cutoff(dates[j]) and j != k
            )
            if (actor, train) not in cache:
                cache[(actor, train)] = _fit(data, train, penalty)
            w, status, n_train = cache[(actor, train)]
            p = _probabilities(data, g, w)
            chosen = data.chosen[data.group == g]
            records = [(model, p, status)]
            if not uniform_done:
                records.append((BASELINE, np.full(len(p), 1.0 / len(p)), "baseline"))
            for name, probs, how in records:
                log_score, brier, hit = _scores(probs, chosen)
                d = comp.decisions[k]
                rows.append(
                    {
                        "model": name,
                        "decision": d.id,
                        "date": dates[k].isoformat(),
                        "actor": comp.actor_ids[d.actor],
                        "options": len(probs),
                        "train_decisions": n_train,
                        "fit": how,
                        "p_chosen": float(probs[int(np.flatnonzero(chosen)[0])]),
                        "log_score": log_score,
                        "brier": brier,
                        "hit": hit,
                    }
                )
                option_rows += [
                    {
                        "model": name,
                        "decision": d.id,
                        "option": d.option_ids[j],
                        "p": float(probs[j]),
                        "chosen": bool(chosen[j]),
                    }
                    for j in range(len(probs))
                ]
        uniform_done = True
        fallback = sum(1 for r in rows if r["model"] == model and r["fit"] == "unidentified")
        if fallback:
            notes.append(
                f"{model}: {fallback} decision(s) predicted as uniform because the actor's "
                "earlier decisions do not identify its weights"
            )
    return Evaluation(comp.case.id, scheme, pd.DataFrame(rows), pd.DataFrame(option_rows), notes)


def _fit(data: ChoiceData, train: tuple[int, ...], penalty: str) -> tuple[np.ndarray, str, int]:
    """Weights from the training decisions; zeros (the uniform prediction) when they do not
    identify the weights."""
    k = data.Z.shape[1]
    if not train:
        return np.zeros(k), "unidentified", 0
    f = fit_actor(data.subset(np.array(train)), -1, penalty)
    if f.status == "unidentified" or not np.isfinite(f.params).all():
        return np.zeros(k), "unidentified", len(train)
    return f.params, f.status, len(train)
