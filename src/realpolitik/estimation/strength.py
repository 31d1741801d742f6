"""How strongly each motive moved an actor's choices, under several standardisations.

Raw weights are in the units of their terms and cannot be compared. A *strength* puts the
utility each motive contributes on a common footing; since no single footing is canonical,
the verdict is checked under a family of them (docs/estimation.md, section 6):

* ``within_sd``   pooled within-decision SD of the block's utility (the primary scale);
* ``decision_sd`` mean over decisions of each decision's own SD of the block's utility;
* ``range``       mean over decisions of the block's utility range (best minus worst option);
* ``abs_gap``     mean over decisions of |block utility of the chosen option minus that of the
                  best rejected option|;
* ``gap_share``   mean over decisions of the block's share of the absolute utility gap
                  |part| / (|ideology part| + |interest part|);
* ``signed_gap``  mean over decisions of the block's signed part of the gap (positive when the
                  block favoured what was chosen); not signed by the motive's direction.

All but ``signed_gap`` carry the motive's sign: + when the block's utility runs with the
motive's own direction (ideological affinity I; the interest index N), - against it.

The maximum-likelihood probability that interest outweighs ideology, P = Pr(D(w) > 0) with
D = omega_N - omega_I and w ~ N(w_hat, Cov), is computed without random draws: in closed form,
P = Phi(D(w_hat) / se(D)), when D is linear in w (the full model on the primary scale), and
otherwise by a fixed quadrature rule (the first 2**12 - 1 points of an unscrambled Sobol
sequence mapped through the normal quantile function), the same points every time.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from realpolitik.estimation.data import ChoiceData
from realpolitik.model.specs import INTEREST_TERMS

SCALES = ("within_sd", "decision_sd", "range", "abs_gap", "gap_share", "signed_gap")
PRIMARY = "within_sd"


def _masks(terms: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array([t == "ideology" for t in terms]),
        np.array([t in INTEREST_TERMS for t in terms]),
    )


def _within(U: np.ndarray, data: ChoiceData) -> np.ndarray:
    sizes = np.diff(np.r_[data.starts, U.shape[-1]])
    means = np.add.reduceat(U, data.starts, axis=-1) / sizes
    return U - means[..., data.group]


def block_utilities(W: np.ndarray, data: ChoiceData, terms: tuple[str, ...]):
    """Ideology and interest utility of every option, per weight row: two (rows, options)."""
    out = []
    for mask in _masks(terms):
        if mask.any():
            out.append(W[:, mask] @ data.Z[:, mask].T)
        else:
            out.append(np.zeros((W.shape[0], len(data.Z))))
    return out[0], out[1]


def strengths(
    W: np.ndarray, data: ChoiceData, terms: tuple[str, ...], scale: str = PRIMARY
) -> tuple[np.ndarray, np.ndarray]:
    """(ideology strength, interest strength), one value per row of W (rows, terms)."""
    W = np.atleast_2d(np.asarray(W, dtype=float))
    UI, UN = block_utilities(W, data, terms)
    dI, dN = _within(UI, data), _within(UN, data)
    mI, mN = _masks(terms)
    signs = []
    for d, ref, m in ((dI, data.X5[:, 0], mI), (dN, data.N, mN)):
        signs.append(np.sign(d @ _within(ref, data)) if m.any() else np.zeros(W.shape[0]))
    sI, sN = signs
    if scale == "within_sd":
        dof = max(len(data.group) - data.n_groups, 1)
        return sI * np.sqrt((dI**2).sum(-1) / dof), sN * np.sqrt((dN**2).sum(-1) / dof)
    if scale == "decision_sd":
        sizes = np.diff(np.r_[data.starts, len(data.Z)])

        def mean_sd(d: np.ndarray) -> np.ndarray:
            return np.sqrt(np.add.reduceat(d**2, data.starts, axis=-1) / sizes).mean(-1)

        return sI * mean_sd(dI), sN * mean_sd(dN)
    if scale == "range":

        def mean_range(U: np.ndarray) -> np.ndarray:
            hi = np.maximum.reduceat(U, data.starts, axis=-1)
            lo = np.minimum.reduceat(U, data.starts, axis=-1)
            return (hi - lo).mean(-1)

        return sI * mean_range(UI), sN * mean_range(UN)
    if scale in ("abs_gap", "gap_share", "signed_gap"):
        pI, pN = gap_parts(UI, UN, data)
        if scale == "abs_gap":
            return sI * np.abs(pI).mean(-1), sN * np.abs(pN).mean(-1)
        if scale == "signed_gap":
            return pI.mean(-1), pN.mean(-1)
        total = np.abs(pI) + np.abs(pN)
        with np.errstate(invalid="ignore", divide="ignore"):
            shI = np.where(total > 0, np.abs(pI) / total, np.nan)
        has = np.isfinite(shI).any(-1)
        mean_i = np.where(has, np.nanmean(np.where(has[:, None], shI, 0.0), -1), 0.0)
        mean_n = np.where(has, 1 - mean_i, 0.0)
        return sI * mean_i, sN * mean_n
    raise ValueError(f"scale: expected one of {', '.join(SCALES)}, got '{scale}'")


def gap_parts(UI: np.ndarray, UN: np.ndarray, data: ChoiceData) -> tuple[np.ndarray, np.ndarray]:
    """Per row and decision: the ideology and interest parts of U(chosen) - U(best rejected),
    the best rejected option being the rejected one of highest total utility in that row."""
    U = UI + UN
    rows = U.shape[0]
    pI = np.zeros((rows, data.n_groups))
    pN = np.zeros((rows, data.n_groups))
    sizes = np.diff(np.r_[data.starts, len(data.Z)])
    r = np.arange(rows)
    for g, (s, n) in enumerate(zip(data.starts, sizes, strict=True)):
        block = slice(s, s + n)
        chosen = data.chosen[block] == 1
        c = s + int(np.flatnonzero(chosen)[0])
        b = s + np.argmax(np.where(chosen, -np.inf, U[:, block]), axis=1)
        pI[:, g] = UI[:, c] - UI[r, b]
        pN[:, g] = UN[:, c] - UN[r, b]
    return pI, pN


QUADRATURE_LOG2 = 12


def is_linear(terms: tuple[str, ...], scale: str) -> bool:
    """Strengths are linear in the weights: one ideology and one interest term, primary scale
    (omega_I = w_I s_I and omega_N = w_N s_N)."""
    return tuple(terms) == ("ideology", "interest") and scale == PRIMARY


def quadrature_nodes(k: int) -> np.ndarray:
    """Fixed standard-normal nodes (points, k): unscrambled Sobol points 1 .. 2**12 - 1 (the
    first, all zeros, has no normal quantile) mapped through the normal quantile function."""
    from scipy.stats import qmc

    u = qmc.Sobol(k, scramble=False).random_base2(QUADRATURE_LOG2)[1:]
    return norm.ppf(u)


def normal_points(params: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """The quadrature nodes mapped to N(params, cov) (a symmetric square root of cov)."""
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    return params + quadrature_nodes(len(params)) @ root.T


def ml_summary(
    params: np.ndarray,
    cov: np.ndarray,
    data: ChoiceData,
    terms: tuple[str, ...],
    scale: str = PRIMARY,
    alpha: float = 0.1,
) -> dict[str, float]:
    """Strengths with 1 - alpha intervals and P(interest outweighs ideology) under the normal
    approximation N(w_hat, Cov): closed form where linear (Wald intervals on the strengths),
    otherwise the fixed quadrature (interval = its alpha/2 and 1 - alpha/2 quantiles)."""
    keys = ("ideology", "interest", "ideology_low", "ideology_high", "interest_low")
    out = {k: np.nan for k in (*keys, "interest_high", "p")}
    if not (np.isfinite(params).all() and np.isfinite(cov).all()):
        return out
    z = norm.ppf(1 - alpha / 2)
    if is_linear(terms, scale):
        d = delta_method(params, cov, data, terms, scale)
        for k in ("ideology", "interest"):
            out[k] = d[k]
            out[f"{k}_low"] = d[k] - z * d[f"se_{k}"]
            out[f"{k}_high"] = d[k] + z * d[f"se_{k}"]
        out["p"] = d["p"]
        return out
    pI, pN = strengths(params[None], data, terms, scale)
    sI, sN = strengths(normal_points(params, cov), data, terms, scale)
    for k, point, dr in (("ideology", pI, sI), ("interest", pN, sN)):
        out[k] = float(point[0])
        out[f"{k}_low"] = float(np.quantile(dr, alpha / 2))
        out[f"{k}_high"] = float(np.quantile(dr, 1 - alpha / 2))
    out["p"] = float(np.mean(sN > sI))
    return out


def delta_method(
    params: np.ndarray,
    cov: np.ndarray,
    data: ChoiceData,
    terms: tuple[str, ...],
    scale: str = PRIMARY,
) -> dict[str, float]:
    """Strengths, their standard errors and P(interest outweighs ideology) by the delta method
    (exact when the strengths are linear in the weights, see `is_linear`).

    The gradient of each strength with respect to the weights is taken by central differences
    (step 1e-6 (1 + |w_k|)); Var(f) = g' Cov g. P = Phi(D / se(D)), D = omega_N - omega_I
    (1 or 0 when se(D) = 0 and D differs from 0; NaN when both are 0)."""
    nan = {k: np.nan for k in ("ideology", "interest", "se_ideology", "se_interest", "p")}
    if not (np.isfinite(params).all() and np.isfinite(cov).all()):
        return nan
    k = len(params)
    h = 1e-6 * (1 + np.abs(params))
    pts = np.vstack([params, params + np.diag(h), params - np.diag(h)])
    sI, sN = strengths(pts, data, terms, scale)
    grads = []
    for f in (sI, sN, sN - sI):
        grads.append((f[1 : 1 + k] - f[1 + k :]) / (2 * h))
    var = [float(g @ cov @ g) for g in grads]
    se = [np.sqrt(max(v, 0.0)) for v in var]
    D = float(sN[0] - sI[0])
    if se[2] > 0:
        p = float(norm.cdf(D / se[2]))
    else:
        p = float(D > 0) if D != 0 else np.nan
    return {
        "ideology": float(sI[0]),
        "interest": float(sN[0]),
        "se_ideology": se[0],
        "se_interest": se[1],
        "p": p,
    }
