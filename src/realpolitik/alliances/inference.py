"""Binary-outcome estimators and dependence-aware covariances for the alliance models.

Everything here works on plain arrays: a design matrix X (n x k), a 0/1 outcome y and
integer cluster ids. The formulas are written out in docs/alliances.md ("Estimation" and
"Standard errors"); this module is the code beside them.

* `fit_logit`: maximum likelihood by Newton-Raphson; `firth=True` maximises Firth's (1993)
  penalised likelihood instead (modified score X'(y - p + h(1/2 - p)), h the hat values).
* `king_zeng`: the King and Zeng (2001) small-sample bias correction of logit coefficients
  for rare events (McCullagh and Nelder's bias term), with their variance factor.
* `cluster_cov`: the cluster-robust sandwich with Stata's small-sample factor;
  `twoway_cov`: Cameron, Gelbach and Miller (2011) two-way clustering,
  V = V_dyad + V_year - V_dyad-year, with negative eigenvalues set to zero.
* `year_bootstrap_cov`: a bootstrap over whole years (every treaty signed in a year is
  resampled together), refitting from the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _expit(z: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return expit(z)


@dataclass
class LogitFit:
    params: np.ndarray
    hessian: np.ndarray  # X'WX at the estimate (Fisher information)
    p: np.ndarray  # fitted probabilities
    llf: float
    llnull: float
    converged: bool
    iterations: int

    @property
    def bread(self) -> np.ndarray:
        return np.linalg.inv(self.hessian)


def _loglik(y: np.ndarray, z: np.ndarray) -> float:
    # y log Λ(z) + (1 - y) log(1 - Λ(z)) = y z - log(1 + e^z), computed stably
    return float(y @ z - np.logaddexp(0.0, z).sum())


def hat_values(X: np.ndarray, w: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Diagonal of W^1/2 X (X'WX)^-1 X' W^1/2: h_i = w_i x_i' H^-1 x_i."""
    Hi = np.linalg.inv(H)
    return w * np.einsum("ij,jk,ik->i", X, Hi, X, optimize=True)


def fit_logit(
    X: np.ndarray,
    y: np.ndarray,
    start: np.ndarray | None = None,
    firth: bool = False,
    maxiter: int = 100,
    tol: float = 1e-9,
) -> LogitFit:
    """Logit by Newton-Raphson (step-halving on the (penalised) log-likelihood)."""
    n, k = X.shape
    b = np.zeros(k) if start is None else np.asarray(start, dtype=float).copy()
    if start is None:
        ybar = min(max(float(y.mean()), 1e-6), 1 - 1e-6)
        const = np.flatnonzero(np.all(X == 1.0, axis=0))
        if len(const):
            b[const[0]] = np.log(ybar / (1 - ybar))

    def objective(beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        # one exponential serves p, the weights and the log-likelihood: with e = exp(-|z|),
        # p = 1/(1+e) for z >= 0 and e/(1+e) below, p(1-p) = e/(1+e)^2 either way, and
        # log(1 + e^z) = max(z, 0) + log1p(e)
        z = X @ beta
        e = np.exp(-np.abs(z))
        r = 1.0 / (1.0 + e)
        p = np.where(z >= 0, r, e * r)
        w = e * r * r
        Xw = X * np.sqrt(w)[:, None]
        H = Xw.T @ Xw  # X'WX as a symmetric product of one array with itself
        ll = float(y @ z - (np.maximum(z, 0.0) + np.log1p(e)).sum())
        if firth:
            sign, logdet = np.linalg.slogdet(H)
            ll += 0.5 * logdet if sign > 0 else -np.inf
        return ll, p, w, H

    ll, p, w, H = objective(b)
    converged = False
    it = 0
    while it < maxiter:
        it += 1
        resid = y - p
        if firth:
            resid = resid + hat_values(X, w, H) * (0.5 - p)
        g = X.T @ resid
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        t = 1.0
        while True:
            nb = b + t * step
            nll, np_, nw, nH = objective(nb)
            if np.isfinite(nll) and nll >= ll - 1e-10 * abs(ll) or t < 1e-6:
                break
            t /= 2
        b, ll, p, w, H = nb, nll, np_, nw, nH
        if np.max(np.abs(t * step)) < tol * max(1.0, float(np.max(np.abs(b)))):
            converged = True
            break
    ybar = float(y.mean())
    llnull = float(len(y) * (ybar * np.log(ybar) + (1 - ybar) * np.log(1 - ybar)))
    return LogitFit(b, H, p, _loglik(y, X @ b), llnull, converged, it)


def king_zeng(X: np.ndarray, fit: LogitFit) -> tuple[np.ndarray, float]:
    """King and Zeng's (2001) bias-corrected coefficients and variance factor (n/(n+k))^2.

    bias = (X'WX)^-1 X'W xi with xi_i = Q_ii (p_i - 1/2), Q_ii = x_i'(X'WX)^-1 x_i
    (the unweighted case of their eq. 11); the corrected estimate is beta - bias.
    """
    n, k = X.shape
    p = fit.p
    w = p * (1 - p)
    Hi = np.linalg.inv(fit.hessian)
    q = np.einsum("ij,jk,ik->i", X, Hi, X, optimize=True)
    xi = q * (p - 0.5)
    bias = Hi @ (X.T @ (w * xi))
    return fit.params - bias, (n / (n + k)) ** 2


def scores(X: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per-observation score contributions x_i (y_i - p_i)."""
    return X * (y - p)[:, None]


def _group_sums(S: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Row sums of S within each group id (a sparse indicator product: one pass, no sort)."""
    from scipy.sparse import csr_matrix

    g = np.asarray(groups)
    n_groups = int(g.max()) + 1 if len(g) else 0
    ind = csr_matrix((np.ones(len(g)), (g, np.arange(len(g)))), shape=(n_groups, len(g)))
    return np.asarray(ind @ S)


def cluster_cov(bread: np.ndarray, S: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cluster-robust covariance B (sum_g s_g s_g') B * G/(G-1) * (n-1)/(n-k).

    `groups` are integer ids 0..G-1 (e.g. from np.unique(..., return_inverse=True)).
    """
    n, k = S.shape
    G = int(np.max(groups)) + 1
    sg = _group_sums(S, groups)
    meat = sg.T @ sg
    c = (G / max(G - 1, 1)) * ((n - 1) / max(n - k, 1))
    return c * bread @ meat @ bread


def _psd(V: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((V + V.T) / 2)
    if vals.min() >= 0:
        return V
    return (vecs * np.clip(vals, 0, None)) @ vecs.T


def twoway_cov(bread: np.ndarray, S: np.ndarray, dyad: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Two-way clustered covariance (Cameron, Gelbach and Miller 2011)."""
    _, d = np.unique(dyad, return_inverse=True)
    _, t = np.unique(year, return_inverse=True)
    _, dt = np.unique(
        np.asarray(dyad, np.int64) * 10_000 + np.asarray(year, np.int64), return_inverse=True
    )
    V = cluster_cov(bread, S, d) + cluster_cov(bread, S, t) - cluster_cov(bread, S, dt)
    return _psd(V)


def year_bootstrap_cov(
    X: np.ndarray,
    y: np.ndarray,
    year: np.ndarray,
    start: np.ndarray,
    reps: int,
    seed: int,
    firth: bool = False,
) -> tuple[np.ndarray, int]:
    """Covariance of the estimate over `reps` bootstrap samples of whole years.

    Each replicate draws as many years as the sample has, with replacement, keeps every row of
    each drawn year (so all dyad-onsets created by one treaty stay together), and refits from
    `start`. Replicates whose outcome does not vary are skipped; returns (cov, replicates used).
    """
    rng = np.random.default_rng(seed)
    years, inv = np.unique(year, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(inv, minlength=len(years)))]
    draws = []
    for _ in range(reps):
        pick = rng.integers(0, len(years), len(years))
        idx = np.concatenate([order[bounds[j] : bounds[j + 1]] for j in pick])
        yy = y[idx]
        if yy.min() == yy.max():
            continue
        fit = fit_logit(X[idx], yy, start=start, firth=firth, maxiter=25, tol=1e-7)
        if np.all(np.isfinite(fit.params)):
            draws.append(fit.params)
    if len(draws) < 2:
        return np.full((X.shape[1], X.shape[1]), np.nan), len(draws)
    return np.cov(np.array(draws), rowvar=False), len(draws)
