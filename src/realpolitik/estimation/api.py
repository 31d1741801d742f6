"""`realpolitik.fit`: estimate each actor's weights on ideology and interest from a case."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from realpolitik.errors import InputError
from realpolitik.estimation.bayes import fit_bayes
from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.estimation.mle import fit_mle
from realpolitik.estimation.results import ActorResult, FitResults
from realpolitik.model.compiled import Compiled, compile_case
from realpolitik.scenario.loader import load
from realpolitik.scenario.schema import Case

MLE_DRAWS = 4000


def as_compiled(case: str | Path | Case | Compiled) -> Compiled:
    if isinstance(case, Compiled):
        return case
    if isinstance(case, Case):
        return compile_case(case)
    return compile_case(load(case).case)


def fit(
    case: str | Path | Case | Compiled,
    *,
    model: str = "full",
    method: str = "mle",
    actor: str | None = None,
    seed: int = 0,
    alpha: float = 0.1,
    penalty: str = "auto",
    assumptions: dict[str, float] | None = None,
    compare: bool = False,
    loo: str = "auto",
    steps: int = 3000,
    chains: int = 4,
    progress: bool = False,
) -> FitResults:
    """Fit the choice model to a case's recorded decisions.

    model: full | ideology | interest | components; method: mle | bayes.
    `assumptions` overrides declared assumption defaults by id. With `compare=True` the
    results carry the model comparison table (see `realpolitik.estimation.compare`), its
    leave-one-out scores computed as `loo` says (auto | approx | exact | none).
    """
    comp = as_compiled(case)
    if method not in ("mle", "bayes"):
        raise InputError(f"method: expected mle or bayes, got '{method}'")
    if not 0 < alpha < 1:
        raise InputError(f"alpha: expected a number between 0 and 1, got {alpha}")
    comp.check_overrides(assumptions)
    if method == "bayes" and steps < 20:
        raise InputError(f"--steps: expected at least 20 MCMC steps per chain, got {steps}")
    actor_index = None
    if actor is not None:
        if actor not in comp.actor_ids:
            raise InputError(
                f"--actor: unknown actor '{actor}' (actors: {', '.join(comp.actor_ids)})"
            )
        actor_index = comp.actor_ids.index(actor)
    theta = comp.theta(1, assumptions)
    data = choice_data(comp, model, theta, actor=actor_index)
    if data.n_groups == 0:
        raise InputError(f"--actor: '{actor}' made no recorded decision in case {comp.case.id}")
    if method == "mle":
        results = _from_mle(comp, data, model, seed, alpha, penalty)
    else:
        results = _from_bayes(comp, data, model, seed, alpha, steps, chains, progress)
    results.settings = {"assumptions": dict(assumptions or {}), "penalty": penalty, "actor": actor}
    for a in results.actors:
        if a.status == "unidentified":
            results.warnings.append(f"{a.actor} is not identified ({a.note}); no verdict given")
        elif a.status == "weak":
            results.warnings.append(
                f"{a.actor} is weakly identified ({a.note}); treat its verdict as indicative"
            )
    if compare:
        from realpolitik.estimation.compare import compare_models

        results.comparison = compare_models(
            comp, theta, actor=actor_index, loo=loo, progress=progress
        )
    return results


def _from_mle(
    comp: Compiled, data: ChoiceData, model: str, seed: int, alpha: float, penalty: str
) -> FitResults:
    from scipy.stats import norm

    fits = fit_mle(data, penalty=penalty)
    rng = np.random.default_rng(seed)
    z = norm.ppf(1 - alpha / 2)
    actors = []
    for f in fits:
        se = (
            np.sqrt(np.clip(np.diag(f.cov), 0, None))
            if np.isfinite(f.cov).all()
            else np.full(len(f.params), np.nan)
        )
        if np.isfinite(f.params).all():
            draws = rng.multivariate_normal(f.params, f.cov, size=MLE_DRAWS, method="svd")
        else:
            draws = np.full((MLE_DRAWS, len(f.params)), np.nan)
        actors.append(
            ActorResult(
                actor=comp.actor_ids[f.actor],
                params=f.params,
                draws=draws,
                lower=f.params - z * se,
                upper=f.params + z * se,
                status=f.status,
                note=f.note,
                n_decisions=f.n_decisions,
                data=data.for_actor(f.actor),
                se=se,
                penalty=f.penalty,
            )
        )
    ll = float(np.nansum([f.loglik for f in fits]))
    return FitResults(comp.case.id, model, "mle", data.terms, alpha, actors, seed, ll)


def _from_bayes(
    comp: Compiled,
    data: ChoiceData,
    model: str,
    seed: int,
    alpha: float,
    steps: int,
    chains: int,
    progress: bool,
) -> FitResults:
    from realpolitik.estimation.likelihood import loglik
    from realpolitik.estimation.mle import identification

    bf = fit_bayes(data, seed, steps=steps, burn=steps // 2, chains=chains, progress=progress)
    actors = []
    ll = 0.0
    for i, a in enumerate(bf.actors):
        sub = data.for_actor(a)
        draws = bf.draws[:, i, :]
        mean = draws.mean(axis=0)
        status, note = identification(sub)
        if status == "unidentified":
            note += "; its posterior only echoes the other actors through the common prior"
        ll += loglik(mean, sub.Z, sub.chosen, sub.starts)
        actors.append(
            ActorResult(
                actor=comp.actor_ids[a],
                params=mean,
                draws=draws,
                lower=np.quantile(draws, alpha / 2, axis=0),
                upper=np.quantile(draws, 1 - alpha / 2, axis=0),
                status=status,
                note=note,
                n_decisions=sub.n_groups,
                data=sub,
                se=draws.std(axis=0, ddof=1),
                rhat=bf.rhat[i],
                ess=bf.ess[i],
            )
        )
    res = FitResults(comp.case.id, model, "bayes", data.terms, alpha, actors, seed, ll)
    res.settings["acceptance"] = bf.acceptance
    return res
