"""Many small conditional-logit fits at once, one per assumption setting (row).

Used by the sensitivity analysis, which refits every actor's weights at thousands of
assumption settings. Newton's method on the log-likelihood with a weak ridge penalty
(lambda/2 * |w * sd|^2 on the standardised scale) keeps separated records finite; the main
fit (`realpolitik.estimation.mle`) uses Firth's penalty instead.
"""

from __future__ import annotations

import numpy as np

RIDGE = 0.1


def fit_rows(
    Z: np.ndarray,
    chosen: np.ndarray,
    starts: np.ndarray,
    sd: np.ndarray,
    ridge: float = RIDGE,
    iterations: int = 30,
) -> np.ndarray:
    """Weights w[row, term] maximising the penalised likelihood for each row's data Z[row]."""
    rows, n_opt, k = Z.shape
    sizes = np.diff(np.r_[starts, n_opt])
    group = np.repeat(np.arange(len(starts)), sizes)
    w = np.zeros((rows, k))
    pen = ridge * sd**2
    for _ in range(iterations):
        U = np.einsum("rok,rk->ro", Z, w)
        gmax = np.maximum.reduceat(U, starts, axis=1)
        e = np.exp(U - gmax[:, group])
        p = e / np.add.reduceat(e, starts, axis=1)[:, group]
        zbar = np.zeros((rows, len(starts), k))
        np.add.at(zbar, (slice(None), group), p[..., None] * Z)
        dev = Z - zbar[:, group, :]
        grad = ((chosen - p)[..., None] * Z).sum(axis=1) - pen * w
        hess = np.einsum("ro,rok,rol->rkl", p, dev, dev) + np.diag(pen)[None]
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        w += step
        if np.abs(step).max() < 1e-8:
            break
    return w
