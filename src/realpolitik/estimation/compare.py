"""Model comparison: ideology-only, interest-only and full (and components) side by side.

For each model: log-likelihood, parameters, AIC, BIC, leave-one-decision-out log score and
accuracy, pseudo-BMA weights from the leave-one-out scores, and a BIC-approximate Bayes factor
of the full model against each. An actor a model cannot identify contributes chance
predictions (equal probability for every option) and no parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.estimation.likelihood import correct_predictions, group_log_softmax
from realpolitik.estimation.mle import fit_actor
from realpolitik.model.compiled import Compiled


def _chance(data: ChoiceData) -> float:
    sizes = np.diff(np.r_[data.starts, len(data.Z)])
    return float(-np.log(sizes).sum())


def _fit_ll(data: ChoiceData) -> tuple[float, int, np.ndarray]:
    f = fit_actor(data, -1)
    if f.status == "unidentified":
        return _chance(data), 0, np.zeros(data.Z.shape[1])
    return f.loglik, len(f.params), f.params


def _loo(data: ChoiceData) -> tuple[float, int]:
    score, hits = 0.0, 0
    for g in range(data.n_groups):
        train = data.subset(np.array([h for h in range(data.n_groups) if h != g]))
        test = data.subset(np.array([g]))
        f = fit_actor(train, -1) if train.n_groups else None
        w = f.params if f is not None and f.status != "unidentified" else np.zeros(data.Z.shape[1])
        logp = group_log_softmax(test.Z @ w, test.starts)
        score += float(logp[test.chosen == 1].sum())
        hits += int(correct_predictions(logp, test.chosen, test.starts).sum())
    return score, hits


def compare_models(
    comp: Compiled,
    theta: np.ndarray | None = None,
    actor: int | None = None,
    models: tuple[str, ...] = ("ideology", "interest", "full"),
) -> pd.DataFrame:
    rows = []
    for model in models:
        data = choice_data(comp, model, theta, actor=actor)
        ll, k, score, hits, fitted_hits = 0.0, 0, 0.0, 0, 0
        for a in data.actors_present():
            sub = data.for_actor(a)
            a_ll, a_k, w = _fit_ll(sub)
            ll += a_ll
            k += a_k
            logp = group_log_softmax(sub.Z @ w, sub.starts)
            fitted_hits += int(correct_predictions(logp, sub.chosen, sub.starts).sum())
            s, h = _loo(sub)
            score += s
            hits += h
        n = data.n_groups
        rows.append(
            {
                "model": model,
                "loglik": ll,
                "n_params": k,
                "aic": -2 * ll + 2 * k,
                "bic": -2 * ll + k * np.log(n),
                "loo_log_score": score,
                "loo_accuracy": hits / n,
                "predicted": fitted_hits,
                "decisions": n,
            }
        )
    frame = pd.DataFrame(rows)
    elpd = frame["loo_log_score"].to_numpy()
    weights = np.exp(elpd - elpd.max())
    frame["loo_weight"] = weights / weights.sum()
    if "full" in frame["model"].values:
        bic_full = float(frame.loc[frame["model"] == "full", "bic"].iloc[0])
        frame["bayes_factor_full_vs"] = np.exp((frame["bic"] - bic_full) / 2)
    return frame


def per_actor_predictions(
    comp: Compiled,
    theta: np.ndarray | None = None,
    actor: int | str | None = None,
    models: tuple[str, ...] = ("ideology", "interest", "full"),
) -> pd.DataFrame:
    """How many of each actor's recorded decisions each model predicts (in sample)."""
    if isinstance(actor, str):
        actor = comp.actor_ids.index(actor)
    rows = []
    for model in models:
        data = choice_data(comp, model, theta, actor=actor)
        for a in data.actors_present():
            sub = data.for_actor(a)
            _, _, w = _fit_ll(sub)
            logp = group_log_softmax(sub.Z @ w, sub.starts)
            hits = int(correct_predictions(logp, sub.chosen, sub.starts).sum())
            rows.append(
                {
                    "actor": comp.actor_ids[a],
                    "model": model,
                    "predicted": hits,
                    "decisions": sub.n_groups,
                }
            )
    return pd.DataFrame(rows)
