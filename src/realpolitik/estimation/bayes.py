"""Bayesian hierarchical choice model, sampled with emcee (affine-invariant ensemble MCMC).

On standardised terms (each divided by its pooled within-decision SD):
    w[a, k] = mu[k] + tau[k] * z[a, k]         (non-centred)
    z ~ Normal(0, 1),  mu[k] ~ Normal(0, 2.5 c),  tau[k] ~ HalfNormal(c)
with c = `prior_scale` (1 by default; the robustness checks refit at other values).
Several independent ensembles are run; R-hat (arviz-stats) compares the ensembles, the
effective sample size comes from emcee's integrated autocorrelation time of each ensemble, and
a run that has not converged raises ConvergenceError.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from realpolitik.errors import ConvergenceError
from realpolitik.estimation.data import ChoiceData
from realpolitik.estimation.likelihood import group_log_softmax

MU_SCALE = 2.5
TAU_SCALE = 1.0


@dataclass
class BayesFit:
    actors: list[int]
    draws: np.ndarray  # (draws, actors, terms) weights on the raw scale
    mu: np.ndarray  # (draws, terms) standardised population means
    tau: np.ndarray  # (draws, terms)
    rhat: np.ndarray  # (actors, terms)
    ess: np.ndarray  # (actors, terms)
    rhat_hyper: np.ndarray  # (2, terms)
    acceptance: float
    sd: np.ndarray  # standardising scale per term
    tau_autocorr: np.ndarray | None = None  # (actors, terms) integrated autocorrelation time
    prior_scale: float = 1.0


class Posterior:
    def __init__(
        self, data: ChoiceData, actors: list[int], sd: np.ndarray, prior_scale: float = 1.0
    ):
        self.A = len(actors)
        self.K = data.Z.shape[1]
        pos = {a: i for i, a in enumerate(actors)}
        self.opt_actor = np.array([pos[a] for a in data.actor])
        self.Zs = data.Z / sd
        self.chosen = data.chosen.astype(bool)
        self.starts = data.starts
        self.dim = self.A * self.K + 2 * self.K
        self.mu_scale = MU_SCALE * prior_scale
        self.tau_scale = TAU_SCALE * prior_scale

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        AK = self.A * self.K
        z = theta[:, :AK].reshape(-1, self.A, self.K)
        mu = theta[:, AK : AK + self.K]
        log_tau = theta[:, AK + self.K :]
        tau = np.exp(log_tau)
        w = mu[:, None, :] + tau[:, None, :] * z
        return w, mu, tau, z

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        w, mu, tau, z = self.unpack(np.atleast_2d(theta))
        U = np.einsum("wok,ok->wo", w[:, self.opt_actor, :], self.Zs)
        ll = group_log_softmax(U, self.starts)[:, self.chosen].sum(axis=1)
        lp = -0.5 * (z**2).sum(axis=(1, 2))
        lp += -0.5 * ((mu / self.mu_scale) ** 2).sum(axis=1)
        lp += (-0.5 * (tau / self.tau_scale) ** 2 + np.log(tau)).sum(
            axis=1
        )  # HalfNormal + Jacobian
        out = ll + lp
        return np.where(np.isfinite(out), out, -np.inf)


def fit_bayes(
    data: ChoiceData,
    seed: int,
    *,
    chains: int = 4,
    steps: int = 3000,
    burn: int = 1500,
    thin: int = 10,
    rhat_max: float = 1.01,
    ess_min: float = 400.0,
    progress: bool = False,
    prior_scale: float = 1.0,
) -> BayesFit:
    from arviz_stats.base import array_stats

    from realpolitik.estimation.ensemble import Ensembles

    actors = data.actors_present()
    sd = data.within_sd()
    post = Posterior(data, actors, sd, prior_scale)
    ens = Ensembles(post, post.dim, seed, chains=chains, n_log_scales=post.K)
    walkers = ens.walkers
    ens.run(steps, progress=progress)
    chunks = []
    taus = []
    for c in range(chains):
        full = ens.chain(c, discard=burn)  # (steps, walkers, dim), unthinned
        taus.append(_autocorr_time(post, full))
        chain = full[::thin]  # (draws, walkers, dim)
        chunks.append(np.swapaxes(chain, 0, 1))
    acc = ens.acceptance()
    samples = np.concatenate(chunks, axis=0)  # (chains*walkers, draws, dim)
    flat = samples.reshape(-1, post.dim)
    w, mu, tau, _ = post.unpack(flat)
    n_draw = samples.shape[1]
    # R-hat between the independent ensembles (each ensemble's walkers, step by step, as one
    # chain); effective sample size from emcee's integrated autocorrelation time tau of each
    # ensemble: an ensemble of W walkers run for S kept steps yields about S W / tau
    # independent draws (emcee's own rule; Goodman & Weare 2010), summed over the ensembles.
    per_ensemble = w.reshape(chains, walkers, n_draw, post.A, post.K).transpose(0, 2, 1, 3, 4)
    per_ensemble = per_ensemble.reshape(chains, n_draw * walkers, post.A, post.K)
    rhat = np.asarray(array_stats.rhat(per_ensemble, chain_axis=0, draw_axis=1))
    tau_ac = np.max(taus, axis=0)  # the slowest ensemble, per weight
    kept = max(steps - burn, 0)
    ess = np.sum([kept * walkers / t for t in taus], axis=0)
    hyper = np.concatenate([mu, np.log(tau)], axis=1).reshape(chains, walkers, n_draw, -1)
    hyper = hyper.transpose(0, 2, 1, 3).reshape(chains, n_draw * walkers, -1)
    rhat_hyper = np.asarray(array_stats.rhat(hyper, chain_axis=0, draw_axis=1)).reshape(2, -1)
    with warnings.catch_warnings():  # an all-NaN diagnostic is itself a failure, reported below
        warnings.simplefilter("ignore", RuntimeWarning)
        worst = float(np.nanmax(np.r_[rhat.ravel(), rhat_hyper.ravel()]))
        least = float(np.min(ess)) if np.isfinite(ess).all() else np.nan
    if not np.isfinite(worst) or worst > rhat_max or (ess_min > 0 and not least >= ess_min):
        raise ConvergenceError(
            f"MCMC did not converge: max R-hat {worst:.3f} (limit {rhat_max}), "
            f"min effective sample size {least:.0f} (limit {ess_min:.0f}); "
            "run longer (--steps) and do not use these numbers"
        )
    return BayesFit(
        actors=actors,
        draws=w / sd,
        mu=mu,
        tau=tau,
        rhat=rhat,
        ess=ess,
        rhat_hyper=rhat_hyper,
        acceptance=float(np.mean(acc)),
        sd=sd,
        tau_autocorr=tau_ac,
        prior_scale=prior_scale,
    )


def _autocorr_time(post: Posterior, chain: np.ndarray) -> np.ndarray:
    """emcee's integrated autocorrelation time of every actor weight (actors, terms), from one
    ensemble's unthinned kept chain (steps, walkers, dim); `quiet` so that a short chain gives
    its (under-)estimate with a warning instead of failing: the ESS rule then judges it."""
    from emcee.autocorr import integrated_time
    from emcee.autocorr import logger as emcee_log

    steps, walkers, _ = chain.shape
    w, _, _, _ = post.unpack(chain.reshape(-1, post.dim))
    w = w.reshape(steps, walkers, post.A * post.K)
    level = emcee_log.level
    emcee_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():  # a constant chain gives NaN, failing the ESS rule
            warnings.simplefilter("ignore", RuntimeWarning)
            tau = integrated_time(w, quiet=True)
    finally:
        emcee_log.setLevel(level)
    return np.asarray(tau).reshape(post.A, post.K)
