"""Model comparison: ideology-only, interest-only and full (and components) side by side.

For each model (fitted per actor by maximum likelihood, Firth-penalised where the record
separates): the log-likelihood at the estimates (labelled with the estimator), parameters,
AIC and BIC when every fit is an unpenalised maximum, the leave-one-decision-out log score
with its standard error and accuracy (ties count as misses), pseudo-BMA+ weights with their
standard errors, and a BIC-approximate Bayes factor only from 50 decisions on. An actor a
model cannot identify contributes chance predictions (equal probability for every option) and
no parameters. Formulas: docs/estimation.md, section 7.

Leave-one-out cost: `loo="exact"` refits every actor once per decision (quadratic in the
decisions); `loo="approx"` takes one Newton step from the full fit for each left-out decision
(linear); `loo="auto"` (the default) is exact for actors with at most EXACT_MAX decisions and
approximate above.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.errors import InputError
from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.estimation.likelihood import correct_predictions, group_log_softmax
from realpolitik.estimation.mle import ActorFit, fit_actor
from realpolitik.model.compiled import Compiled

LOO_METHODS = ("auto", "approx", "exact", "none")
EXACT_MAX = 50  # auto: exact refits for actors with at most this many decisions
BF_MIN_DECISIONS = 50  # no BIC Bayes factor below this many decisions
BOOTSTRAP = 1000  # Bayesian-bootstrap draws for the pseudo-BMA+ weights (seeded: fixed)


@dataclass
class _ActorScore:
    fit: ActorFit | None  # None when unidentified
    params: np.ndarray
    loglik: float
    pointwise: np.ndarray  # held-out log score per decision
    loo_hits: np.ndarray  # held-out prediction correct, per decision
    fitted_hits: int
    decisions: list[int]
    loo_method: str


_MEMO: OrderedDict[tuple[Any, ...], tuple[Any, Any]] = OrderedDict()


def _memo(comp: Compiled, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """A small cache of replays and fits per compiled case, so that the comparison and the
    per-actor predictions of one `fit` replay the record and fit each model once."""
    full = (id(comp), *key)
    hit = _MEMO.get(full)
    if hit is not None and hit[0]() is comp:
        _MEMO.move_to_end(full)
        return hit[1]
    value = make()
    _MEMO[full] = (weakref.ref(comp), value)
    while len(_MEMO) > 32:
        _MEMO.popitem(last=False)
    return value


def _choice_data(
    comp: Compiled, model: str, theta: np.ndarray | None, actor: int | None
) -> ChoiceData:
    t = None if theta is None else np.asarray(theta, dtype=float).tobytes()
    return _memo(comp, ("data", model, t, actor), lambda: choice_data(comp, model, theta, actor))


def _fit(comp: Compiled, key: tuple[Any, ...], sub: ChoiceData) -> ActorFit:
    return _memo(comp, ("fit", *key), lambda: fit_actor(sub, -1))


def _chance(data: ChoiceData) -> float:
    sizes = np.diff(np.r_[data.starts, len(data.Z)])
    return float(-np.log(sizes).sum())


def _held_out(data: ChoiceData, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log score and hit of each decision g under its own weights W[g]."""
    U = np.einsum("ik,ik->i", data.Z, W[data.group])
    logp = group_log_softmax(U, data.starts)
    score = np.add.reduceat(logp * data.chosen, data.starts)
    return score, correct_predictions(logp, data.chosen, data.starts)


def loo_exact(data: ChoiceData, advance: Callable[[int], None] | None = None) -> np.ndarray:
    """W[g]: the weights refitted without decision g (zeros where that is unidentified)."""
    k = data.Z.shape[1]
    W = np.zeros((data.n_groups, k))
    everything = np.arange(data.n_groups)
    for g in range(data.n_groups):
        train = data.subset(everything[everything != g])
        if train.n_groups:
            f = fit_actor(train, -1)
            if f.status != "unidentified":
                W[g] = f.params
        if advance is not None:
            advance(1)
    return W


def loo_newton(data: ChoiceData, w: np.ndarray) -> np.ndarray:
    """W[g]: one Newton step from the full-data estimate w towards the fit without decision g,
    w_{-g} = w - (I - I_g)^{-1} s_g, with s_g and I_g decision g's score and information."""
    n, k = data.n_groups, data.Z.shape[1]
    Z, y, group = data.Z, data.chosen, data.group
    p = np.exp(group_log_softmax(Z @ w, data.starts))
    zbar = np.zeros((n, k))
    np.add.at(zbar, group, p[:, None] * Z)
    dev = Z - zbar[group]
    score = np.zeros((n, k))
    np.add.at(score, group, (y - p)[:, None] * Z)
    info_g = np.zeros((n, k, k))
    np.add.at(info_g, group, p[:, None, None] * dev[:, :, None] * dev[:, None, :])
    H = info_g.sum(axis=0)[None] - info_g
    try:
        step = np.linalg.solve(H, score[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        step = np.einsum("gij,gj->gi", np.linalg.pinv(H), score)
    W = w[None, :] - step
    return np.where(np.isfinite(W), W, w[None, :])


def _score_actor(
    sub: ChoiceData, f: ActorFit, loo: str, advance: Callable[[int], None] | None
) -> _ActorScore:
    k = sub.Z.shape[1]
    if f.status == "unidentified":
        w = np.zeros(k)
        ll = _chance(sub)
        fit: ActorFit | None = None
    else:
        w, ll, fit = f.params, f.loglik, f
    logp = group_log_softmax(sub.Z @ w, sub.starts)
    fitted_hits = int(correct_predictions(logp, sub.chosen, sub.starts).sum())
    method = loo
    if loo == "auto":
        method = "exact" if sub.n_groups <= EXACT_MAX else "approx"
    if method == "none":
        pointwise = np.full(sub.n_groups, np.nan)
        hits = np.zeros(sub.n_groups, dtype=bool)
    else:
        if fit is None:
            W = np.zeros((sub.n_groups, k))  # unidentified with all data: so without one
        elif method == "exact":
            W = loo_exact(sub, advance)
            advance = None
        else:
            W = loo_newton(sub, w)
        pointwise, hits = _held_out(sub, W)
    if advance is not None:
        advance(sub.n_groups)
    return _ActorScore(fit, w, ll, pointwise, hits, fitted_hits, list(sub.decisions), method)


def pseudo_bma_plus(pointwise: np.ndarray, draws: int = BOOTSTRAP) -> tuple[np.ndarray, np.ndarray]:
    """Pseudo-BMA+ weights of models (columns) from pointwise LOO scores (rows: decisions):
    the mean and standard deviation over Bayesian-bootstrap draws of softmax(n * sum_i a_i
    elpd_im), a ~ Dirichlet(1, ..., 1) (Yao et al. 2018). Seeded, so the numbers are fixed."""
    n, m = pointwise.shape
    rng = np.random.default_rng(0)
    out = np.zeros((draws, m))
    for lo in range(0, draws, 100):
        a = rng.dirichlet(np.ones(n), size=min(100, draws - lo))
        elpd = n * (a @ pointwise)
        elpd -= elpd.max(axis=1, keepdims=True)
        e = np.exp(elpd)
        out[lo : lo + len(a)] = e / e.sum(axis=1, keepdims=True)
    return out.mean(axis=0), out.std(axis=0, ddof=1)


def compare_models(
    comp: Compiled,
    theta: np.ndarray | None = None,
    actor: int | None = None,
    models: tuple[str, ...] = ("ideology", "interest", "full"),
    loo: str = "auto",
    progress: bool = False,
) -> pd.DataFrame:
    if loo not in LOO_METHODS:
        raise InputError(f"--loo: expected one of {', '.join(LOO_METHODS)}, got '{loo}'")
    from realpolitik.simulation.chunked import Progress

    datas = {m: _choice_data(comp, m, theta, actor) for m in models}
    t = None if theta is None else np.asarray(theta, dtype=float).tobytes()
    total = sum(d.n_groups for d in datas.values())
    rows = []
    pointwise: dict[str, dict[int, float]] = {}
    with Progress(progress, total, "model comparison (leave one decision out)") as advance:
        for model, data in datas.items():
            scores = []
            for a in data.actors_present():
                sub = data.for_actor(a)
                f = _fit(comp, (model, t, actor, a), sub)
                scores.append(_score_actor(sub, f, loo, advance))
            n = data.n_groups
            ll = sum(s.loglik for s in scores)
            k = sum(len(s.fit.params) for s in scores if s.fit is not None)
            penalised = [
                comp.actor_ids[a]
                for a, s in zip(data.actors_present(), scores, strict=True)
                if s.fit is not None and s.fit.penalty == "firth"
            ]
            elpd_i = np.concatenate([s.pointwise for s in scores])
            pointwise[model] = dict(
                zip([d for s in scores for d in s.decisions], elpd_i.tolist(), strict=True)
            )
            notes = []
            if penalised:
                notes.append(
                    "AIC/BIC omitted: Firth-penalised estimates for "
                    + ", ".join(penalised)
                    + " (the record separates them, so no unpenalised maximum exists)"
                )
            methods = sorted({s.loo_method for s in scores})
            rows.append(
                {
                    "model": model,
                    "estimates": ("Firth-penalised for " + ", ".join(penalised))
                    if penalised
                    else "maximum likelihood",
                    "loglik": ll,
                    "n_params": k,
                    "aic": np.nan if penalised else -2 * ll + 2 * k,
                    "bic": np.nan if penalised else -2 * ll + k * np.log(n),
                    "loo_log_score": float(elpd_i.sum()),
                    "loo_se": float(np.sqrt(n * elpd_i.var())) if n > 1 else np.nan,
                    "loo_method": "+".join(methods),
                    "loo_accuracy": sum(int(s.loo_hits.sum()) for s in scores) / n,
                    "predicted": sum(s.fitted_hits for s in scores),
                    "decisions": n,
                    "note": "; ".join(notes),
                }
            )
    frame = pd.DataFrame(rows)
    keys = sorted(set.intersection(*(set(p) for p in pointwise.values())))
    E = np.array([[pointwise[m][d] for m in frame["model"]] for d in keys])
    if loo != "none" and len(keys) and np.isfinite(E).all():
        w, se = pseudo_bma_plus(E)
        best = int(np.argmax(E.sum(axis=0)))
        diff = E - E[:, [best]]
        frame["loo_diff"] = diff.sum(axis=0)
        frame["loo_diff_se"] = np.sqrt(len(keys) * diff.var(axis=0))
    else:
        w = se = np.full(len(frame), np.nan)
        frame["loo_diff"] = frame["loo_diff_se"] = np.nan
    frame["loo_weight"] = w
    frame["loo_weight_se"] = se
    if "full" in frame["model"].values:
        bic_full = float(frame.loc[frame["model"] == "full", "bic"].iloc[0])
        bf = np.exp((frame["bic"] - bic_full) / 2)
        few = frame["decisions"] < BF_MIN_DECISIONS
        frame["bayes_factor_full_vs"] = np.where(few, np.nan, bf)
        if few.any():
            n = int(frame["decisions"].max())
            frame["note"] = [
                "; ".join(
                    x
                    for x in (
                        note,
                        f"no Bayes factor from BIC on {n} < {BF_MIN_DECISIONS} decisions "
                        "(see the LOO weights)",
                    )
                    if x
                )
                for note in frame["note"]
            ]
    frame.attrs["notes"] = sorted({x for n in frame["note"] for x in n.split("; ") if x})
    return frame


def per_actor_predictions(
    comp: Compiled,
    theta: np.ndarray | None = None,
    actor: int | str | None = None,
    models: tuple[str, ...] = ("ideology", "interest", "full"),
) -> pd.DataFrame:
    """How many of each actor's recorded decisions each model predicts (in sample; a tie for
    the highest probability counts as a miss)."""
    if isinstance(actor, str):
        actor = comp.actor_ids.index(actor)
    rows = []
    t = None if theta is None else np.asarray(theta, dtype=float).tobytes()
    for model in models:
        data = _choice_data(comp, model, theta, actor)
        for a in data.actors_present():
            sub = data.for_actor(a)
            f = _fit(comp, (model, t, actor, a), sub)
            w = f.params if f.status != "unidentified" else np.zeros(sub.Z.shape[1])
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
