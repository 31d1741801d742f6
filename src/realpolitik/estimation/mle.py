"""Maximum likelihood for each actor's weights, Firth-penalised where the record separates.

Each actor's weights are estimated from that actor's decisions alone (the joint likelihood is a
product over actors). Without separation the fit is statsmodels' ConditionalLogit; with
separation (the unpenalised estimate runs to infinity) it maximises Firth's penalised
likelihood l(w) + 1/2 log det I(w), whose estimate is finite, with covariance I(w)^-1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from realpolitik.estimation.data import ChoiceData
from realpolitik.estimation.likelihood import loglik, score_and_information, separated


@dataclass
class ActorFit:
    actor: int
    params: np.ndarray
    cov: np.ndarray
    loglik: float
    penalty: str  # none | firth
    n_decisions: int
    status: str  # ok | weak | unidentified
    note: str = ""


def identification(data: ChoiceData) -> tuple[str, str]:
    """'unidentified' when a term never varies within a decision or there is one decision or
    none; 'weak' when there are fewer than three decisions per term."""
    k = data.Z.shape[1]
    n = data.n_groups
    if n < 2:
        return "unidentified", f"{n} decision(s): the weights cannot be told apart from noise"
    dev = data.Z - np.repeat(
        np.add.reduceat(data.Z, data.starts, axis=0)
        / np.diff(np.r_[data.starts, len(data.Z)])[:, None],
        np.diff(np.r_[data.starts, len(data.Z)]),
        axis=0,
    )
    rank = np.linalg.matrix_rank(dev, tol=1e-9)
    if rank < k:
        still = [t for t, v in zip(data.terms, np.abs(dev).sum(axis=0), strict=True) if v < 1e-9]
        what = f"term(s) {', '.join(still)} never vary" if still else "terms are collinear"
        return "unidentified", f"{what} across this actor's options"
    if n < 3 * k:
        return "weak", f"only {n} decisions for {k} weight(s)"
    return "ok", ""


def _firth(data: ChoiceData) -> tuple[np.ndarray, np.ndarray, float]:
    Z, y, s = data.Z, data.chosen, data.starts

    def objective(w: np.ndarray) -> float:
        _, info = score_and_information(w, Z, y, s)
        sign, logdet = np.linalg.slogdet(info)
        pen = 0.5 * logdet if sign > 0 else -1e6
        return -(loglik(w, Z, y, s) + pen)

    w0 = np.zeros(Z.shape[1])
    res = minimize(objective, w0, method="BFGS", options={"gtol": 1e-7, "maxiter": 2000})
    w = res.x
    _, info = score_and_information(w, Z, y, s)
    cov = np.linalg.pinv(info)
    return w, cov, loglik(w, Z, y, s)


def _unpenalised(data: ChoiceData) -> tuple[np.ndarray, np.ndarray, float] | None:
    from statsmodels.discrete.conditional_models import ConditionalLogit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = ConditionalLogit(data.chosen, data.Z, groups=data.group)
            res = model.fit(disp=0, method="bfgs", maxiter=500)
        except (np.linalg.LinAlgError, ValueError):
            return None
    params = np.asarray(res.params, dtype=float)
    cov = np.asarray(res.cov_params(), dtype=float)
    if not np.all(np.isfinite(cov)) or not np.all(np.isfinite(params)):
        return None
    return params, cov, float(res.llf)


def fit_actor(data: ChoiceData, actor: int, penalty: str = "auto") -> ActorFit:
    status, note = identification(data)
    k = data.Z.shape[1]
    if status == "unidentified":
        nan = np.full(k, np.nan)
        return ActorFit(
            actor, nan, np.full((k, k), np.nan), np.nan, "none", data.n_groups, status, note
        )
    sep = separated(data.Z, data.chosen, data.starts)
    use_firth = penalty == "firth" or (penalty == "auto" and sep)
    result = None if use_firth else _unpenalised(data)
    if result is None:
        use_firth = True
        result = _firth(data)
    params, cov, ll = result
    if sep:
        status = "weak"
        note = (note + "; " if note else "") + "the record separates the options (Firth-penalised)"
    return ActorFit(
        actor, params, cov, ll, "firth" if use_firth else "none", data.n_groups, status, note
    )


def fit_mle(data: ChoiceData, penalty: str = "auto", pooled: bool = False) -> list[ActorFit]:
    """One ActorFit per actor with decisions (or one for all actors together when pooled)."""
    if pooled:
        return [fit_actor(data, -1, penalty)]
    return [fit_actor(data.for_actor(a), a, penalty) for a in data.actors_present()]
