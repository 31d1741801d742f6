"""Changing weights: constant weights against weights that differ by period, per actor.

Break dates (`realpolitik fit --break DATE`, or a case's `periods:`) split each actor's
recorded decisions into periods; a decision dated on or after a break belongs to the period
that break opens. The changing-weights model fits each period separately (the likelihood is a
product over periods); the constant model fits all the actor's decisions at once. They are
compared by a likelihood-ratio test (the constant model is nested: equal weights in every
period) and by leave-one-decision-out log score (docs/estimation.md, section 10).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.stats import chi2

from realpolitik.estimation.data import ChoiceData
from realpolitik.estimation.likelihood import group_log_softmax
from realpolitik.estimation.mle import fit_actor
from realpolitik.model.compiled import Compiled


def period_of(dates: list[dt.date], breaks: list[dt.date]) -> np.ndarray:
    """Index of the period each date falls in: the number of breaks on or before it."""
    b = sorted(breaks)
    return np.array([sum(d >= x for x in b) for d in dates], dtype=int)


def _fit(data: ChoiceData) -> tuple[np.ndarray, float, int, str, str, np.ndarray]:
    """(weights, unpenalised loglik, number of weights, status, penalty, se); an unidentified
    fit predicts at chance with no weights."""
    f = fit_actor(data, -1)
    k = data.Z.shape[1]
    if f.status == "unidentified":
        sizes = np.diff(np.r_[data.starts, len(data.Z)])
        return np.zeros(k), float(-np.log(sizes).sum()), 0, f.status, "none", np.full(k, np.nan)
    se = np.sqrt(np.clip(np.diag(f.cov), 0, None)) if np.isfinite(f.cov).all() else np.nan
    return f.params, f.loglik, k, f.status, f.penalty, se


def _held_out(train: ChoiceData, test: ChoiceData) -> float:
    w = _fit(train)[0] if train.n_groups else np.zeros(test.Z.shape[1])
    logp = group_log_softmax(test.Z @ w, test.starts)
    return float(logp[test.chosen == 1].sum())


def period_comparison(
    data: ChoiceData, period: np.ndarray, labels: list[str], name: str
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """One actor's data (`period[g]` is decision g's period): the comparison row and the
    per-period weights rows."""
    terms = data.terms
    w0, ll0, k0, status0, pen0, _ = _fit(data)
    present = sorted(set(period.tolist()))
    weights_rows = []
    ll1, k1, penalties = 0.0, 0, {pen0}
    for p in present:
        sub = data.subset(np.flatnonzero(period == p))
        w, ll, k, status, pen, se = _fit(sub)
        ll1 += ll
        k1 += k
        penalties.add(pen)
        for j, t in enumerate(terms):
            weights_rows.append(
                {
                    "actor": name,
                    "period": labels[p],
                    "decisions": sub.n_groups,
                    "term": t,
                    "estimate": float(w[j]) if status != "unidentified" else np.nan,
                    "std_error": float(np.atleast_1d(se)[j]) if np.ndim(se) else np.nan,
                    "status": status,
                    "penalty": pen,
                }
            )
    lr = 2 * (ll1 - ll0)
    df = k1 - k0
    p_value = float(chi2.sf(max(lr, 0.0), df)) if df > 0 else np.nan
    loo0 = loo1 = 0.0
    for g in range(data.n_groups):
        others = np.array([h for h in range(data.n_groups) if h != g])
        same = np.array([h for h in others if period[h] == period[g]], dtype=int)
        test = data.subset(np.array([g]))
        loo0 += _held_out(data.subset(others), test)
        # alone in its period: nothing to learn its weights from, so it is scored at chance
        loo1 += _held_out(data.subset(same), test) if len(same) else -np.log(len(test.Z))
    row = {
        "actor": name,
        "decisions": data.n_groups,
        "periods": len(present),
        "loglik_constant": ll0,
        "loglik_changing": ll1,
        "lr": lr,
        "df": df,
        "p_value": p_value,
        "loo_constant": loo0,
        "loo_changing": loo1,
        "preferred_by_loo": "changing" if loo1 > loo0 else "constant",
        "penalised": "firth" in penalties,
    }
    return row, weights_rows


def compare_periods(
    comp: Compiled, data: ChoiceData, breaks: list[dt.date]
) -> dict[str, pd.DataFrame]:
    """Per actor with decisions: constant vs changing weights at `breaks`; and the weights of
    every period. `comparison` and `weights` frames."""
    breaks = sorted(breaks)
    labels = [f"before {breaks[0].isoformat()}"] + [
        f"from {b.isoformat()}"
        + (f" to {breaks[i + 1].isoformat()}" if i + 1 < len(breaks) else "")
        for i, b in enumerate(breaks)
    ]
    ids = {p.start: p.id for p in (getattr(comp.case, "periods", None) or [])}
    labels = [labels[0]] + [
        f"{ids[b]} ({lab})" if b in ids else lab for b, lab in zip(breaks, labels[1:], strict=True)
    ]
    rows, weights = [], []
    for a in data.actors_present():
        sub = data.for_actor(a)
        dates = [comp.case.decisions[k].date for k in sub.decisions]
        row, w = period_comparison(sub, period_of(dates, breaks), labels, comp.actor_ids[a])
        rows.append(row)
        weights += w
    return {"comparison": pd.DataFrame(rows), "weights": pd.DataFrame(weights)}
