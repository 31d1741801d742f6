"""Independent emcee ensembles (affine-invariant ensemble MCMC), as both hierarchical models use
them (`bayes` for one case, `pooled` across cases).

Each ensemble has its own seed (spawned from the fit's seed with numpy's SeedSequence), starts
its walkers at Normal(0, 0.3) with the trailing log-scale parameters at Normal(-0.5, 0.2), and
moves with differential evolution (80%) and its snooker variant (20%). `Ensembles.run` can be
called again to continue every chain from where it stopped: running 3,000 steps and then 3,000
more gives the same chain as 6,000 at once, so a fit that extends itself until it converges
stays a function of its seed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def walkers_for(dim: int) -> int:
    """Walkers per ensemble: twice the dimension plus two, at least 32, even."""
    walkers = max(2 * dim + 2, 32)
    return walkers + walkers % 2


class Ensembles:
    """`chains` independent ensembles sampling one vectorised log density."""

    def __init__(
        self,
        log_prob: Callable[[np.ndarray], np.ndarray],
        dim: int,
        seed: int,
        *,
        chains: int = 4,
        n_log_scales: int = 0,
    ):
        import emcee

        self.dim, self.chains = dim, chains
        self.walkers = walkers_for(dim)
        self.samplers = []
        self._start: list[np.ndarray | None] = []
        for ss in np.random.SeedSequence(seed).spawn(chains):
            rng = np.random.default_rng(ss)
            p0 = rng.normal(0.0, 0.3, size=(self.walkers, dim))
            if n_log_scales:
                p0[:, -n_log_scales:] = rng.normal(-0.5, 0.2, size=(self.walkers, n_log_scales))
            sampler = emcee.EnsembleSampler(
                self.walkers,
                dim,
                log_prob,
                vectorize=True,
                moves=[(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)],
            )
            state = np.random.RandomState(int(rng.integers(2**31 - 1))).get_state()
            sampler.random_state = state
            self.samplers.append(sampler)
            self._start.append(p0)
        self.steps = 0

    def run(self, steps: int, progress: bool = False) -> None:
        """Advance every ensemble by `steps` (from its start, or from where it stopped)."""
        for i, sampler in enumerate(self.samplers):
            start = self._start[i]
            sampler.run_mcmc(start, steps, progress=progress)
            self._start[i] = None
        self.steps += steps

    def chain(self, i: int, discard: int, thin: int = 1) -> np.ndarray:
        """Ensemble i's kept chain (draws, walkers, dim)."""
        return self.samplers[i].get_chain(discard=discard, thin=thin)

    def acceptance(self) -> list[float]:
        return [float(np.mean(s.acceptance_fraction)) for s in self.samplers]
