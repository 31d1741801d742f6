"""Bayesian hierarchical choice model, sampled with emcee (affine-invariant ensemble MCMC).

On standardised terms (each divided by its pooled within-decision SD):
    w[a, k] = mu[k] + tau[k] * z[a, k]         (non-centred)
    z ~ Normal(0, 1),  mu[k] ~ Normal(0, 2.5),  tau[k] ~ HalfNormal(1)
Several independent ensembles are run; R-hat (arviz-stats) compares the ensembles, the
effective sample size counts over all walkers, and a run that has not converged raises ConvergenceError.
"""

from __future__ import annotations

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


class Posterior:
    def __init__(self, data: ChoiceData, actors: list[int], sd: np.ndarray):
        self.A = len(actors)
        self.K = data.Z.shape[1]
        pos = {a: i for i, a in enumerate(actors)}
        self.opt_actor = np.array([pos[a] for a in data.actor])
        self.Zs = data.Z / sd
        self.chosen = data.chosen.astype(bool)
        self.starts = data.starts
        self.dim = self.A * self.K + 2 * self.K

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
        lp += -0.5 * ((mu / MU_SCALE) ** 2).sum(axis=1)
        lp += (-0.5 * (tau / TAU_SCALE) ** 2 + np.log(tau)).sum(axis=1)  # HalfNormal + Jacobian
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
) -> BayesFit:
    import emcee
    from arviz_stats.base import array_stats

    actors = data.actors_present()
    sd = data.within_sd()
    post = Posterior(data, actors, sd)
    walkers = max(2 * post.dim + 2, 32)
    walkers += walkers % 2
    seeds = np.random.SeedSequence(seed).spawn(chains)
    chunks = []
    acc = []
    for c in range(chains):
        rng = np.random.default_rng(seeds[c])
        p0 = rng.normal(0.0, 0.3, size=(walkers, post.dim))
        p0[:, -post.K :] = rng.normal(-0.5, 0.2, size=(walkers, post.K))
        sampler = emcee.EnsembleSampler(
            walkers,
            post.dim,
            post,
            vectorize=True,
            moves=[(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)],
        )
        sampler.random_state = np.random.RandomState(int(rng.integers(2**31 - 1))).get_state()
        sampler.run_mcmc(p0, steps, progress=progress)
        chain = sampler.get_chain(discard=burn, thin=thin)  # (draws, walkers, dim)
        chunks.append(np.swapaxes(chain, 0, 1))
        acc.append(float(np.mean(sampler.acceptance_fraction)))
    samples = np.concatenate(chunks, axis=0)  # (chains*walkers, draws, dim)
    flat = samples.reshape(-1, post.dim)
    w, mu, tau, _ = post.unpack(flat)
    n_chain, n_draw = samples.shape[:2]
    w_chains = w.reshape(n_chain, n_draw, post.A, post.K)
    # R-hat between the independent ensembles (each ensemble's walkers, step by step, as one
    # chain); effective sample size over all walkers, as ArviZ does for emcee.
    per_ensemble = w.reshape(chains, walkers, n_draw, post.A, post.K).transpose(0, 2, 1, 3, 4)
    per_ensemble = per_ensemble.reshape(chains, n_draw * walkers, post.A, post.K)
    rhat = np.asarray(array_stats.rhat(per_ensemble, chain_axis=0, draw_axis=1))
    ess = np.asarray(array_stats.ess(w_chains, chain_axis=0, draw_axis=1))
    hyper = np.concatenate([mu, np.log(tau)], axis=1).reshape(chains, walkers, n_draw, -1)
    hyper = hyper.transpose(0, 2, 1, 3).reshape(chains, n_draw * walkers, -1)
    rhat_hyper = np.asarray(array_stats.rhat(hyper, chain_axis=0, draw_axis=1)).reshape(2, -1)
    with warnings.catch_warnings():  # an all-NaN diagnostic is itself a failure, reported below
        warnings.simplefilter("ignore", RuntimeWarning)
        worst = float(np.nanmax(np.r_[rhat.ravel(), rhat_hyper.ravel()]))
        least = float(np.nanmin(ess))
    if not np.isfinite(worst) or worst > rhat_max or least < ess_min:
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
    )
