"""Conditional-logit likelihood pieces shared by maximum likelihood and MCMC.

P(option j | decision g) = exp(U_j) / sum_{i in g} exp(U_i),  U_j = w . z_j
"""

from __future__ import annotations

import numpy as np


def group_log_softmax(U: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """log P for every option; U[..., option] with options grouped contiguously from `starts`."""
    gmax = np.maximum.reduceat(U, starts, axis=-1)
    sizes = np.diff(np.r_[starts, U.shape[-1]])
    shifted = U - np.repeat(gmax, sizes, axis=-1)
    lse = np.log(np.add.reduceat(np.exp(shifted), starts, axis=-1))
    return shifted - np.repeat(lse, sizes, axis=-1)


def correct_predictions(
    logp: np.ndarray, chosen: np.ndarray, starts: np.ndarray, tol: float = 1e-12
) -> np.ndarray:
    """Per decision: is the chosen option strictly more probable than every rejected one? A tie
    for the highest probability counts as a miss (whatever the order of the options), and so
    does a decision whose options are all equally probable."""
    is_chosen = chosen == 1
    sizes = np.diff(np.r_[starts, len(logp)])
    group = np.repeat(np.arange(len(starts)), sizes)
    best_chosen = np.full(len(starts), -np.inf)
    np.maximum.at(best_chosen, group[is_chosen], logp[is_chosen])
    best_rejected = np.maximum.reduceat(np.where(is_chosen, -np.inf, logp), starts)
    return best_chosen > best_rejected + tol


def loglik(w: np.ndarray, Z: np.ndarray, chosen: np.ndarray, starts: np.ndarray) -> float:
    return float((group_log_softmax(Z @ w, starts) * chosen).sum())


def score_and_information(
    w: np.ndarray, Z: np.ndarray, chosen: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of the log-likelihood and the Fisher information at w."""
    p = np.exp(group_log_softmax(Z @ w, starts))
    grad = ((chosen - p)[:, None] * Z).sum(axis=0)
    sizes = np.diff(np.r_[starts, len(p)])
    group = np.repeat(np.arange(len(starts)), sizes)
    zbar = np.zeros((len(starts), Z.shape[1]))
    np.add.at(zbar, group, p[:, None] * Z)
    dev = Z - zbar[group]
    info = (dev * p[:, None]).T @ dev
    return grad, info


def separated(Z: np.ndarray, chosen: np.ndarray, starts: np.ndarray) -> bool:
    """Is there a direction w that ranks every chosen option at least as high as every rejected
    one, strictly for some (complete or quasi-complete separation)? Solved as a linear programme
    (Konis 2007); when true the maximum-likelihood estimate does not exist."""
    from scipy.optimize import linprog

    sizes = np.diff(np.r_[starts, len(chosen)])
    rows = []
    for g, s in enumerate(starts):
        block = slice(s, s + sizes[g])
        zc = Z[block][chosen[block] == 1]
        if len(zc) == 0:
            continue
        for z in Z[block][chosen[block] == 0]:
            rows.append(zc[0] - z)
    if not rows:
        return True
    D = np.array(rows)
    k = Z.shape[1]
    res = linprog(
        c=-D.sum(axis=0),
        A_ub=-D,
        b_ub=np.zeros(len(D)),
        bounds=[(-1, 1)] * k,
        method="highs",
    )
    return bool(res.status == 0 and -res.fun > 1e-7)
