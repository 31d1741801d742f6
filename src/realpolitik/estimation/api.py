"""`realpolitik.fit`: estimate each actor's weights on ideology and interest from a case."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from realpolitik.errors import InputError
from realpolitik.estimation.bayes import fit_bayes
from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.estimation.mle import fit_mle
from realpolitik.estimation.results import ActorResult, FitResults
from realpolitik.model.compiled import Compiled, as_compiled
from realpolitik.scenario.schema import Case

MLE_DRAWS = 4000


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
    checks: str = "fast",
    check_steps: int = 3000,
    breaks: list[str] | tuple[str, ...] | None = None,
) -> FitResults:
    """Fit the choice model to a case's recorded decisions: each actor's weights on ideology
    and on interest, and the verdict on which moved its choices more.

    Parameters
    ----------
    case : str, Path, Case or Compiled
        A built-in case name ("east-asia-1945"), a scenario file, or a loaded case.
    model : {"full", "ideology", "interest", "components"}
        Which terms enter the utility (docs/model.md); "full" is ideology + interest.
    method : {"mle", "bayes"}
        Maximum likelihood with Firth's penalty where the record separates the options, or
        the hierarchical Bayesian model sampled with emcee.
    actor : str, optional
        Fit this actor only.
    seed : int
        Seed of the sampling draws (maximum likelihood) or of the MCMC (Bayes).
    alpha : float
        Intervals are at level 1 - alpha (default 0.1: 90%).
    penalty : {"auto", "firth", "none"}
        Maximum likelihood only: "auto" applies Firth's penalty when needed.
    assumptions : dict, optional
        Override declared assumption values by id, e.g. {"price_risk": 1.5}.
    compare : bool
        Also compute the model comparison table (`results.comparison`).
    steps, chains : int
        Bayes only: MCMC steps per chain (half are burn-in) and independent ensembles.
    progress : bool
        Show progress (the sampler's, and the leave-one-out comparison's).
    loo : {"auto", "approx", "exact", "none"}
        How the comparison's leave-one-decision-out scores are computed: exact refits, one
        Newton step from the full fit (linear in decisions), or auto (exact up to 50 decisions
        per actor).
    checks : {"all", "fast", "none"}
        Which robustness checks stand behind each verdict
        (`realpolitik.estimation.robustness`): "all" runs every check, including the Bayesian
        fit and its refits under other prior scales (`check_steps` MCMC steps per chain each;
        with method="bayes" the main fit is the prior-scale-1 run); "fast" (the default) runs
        every check but the Bayesian ones, which are then listed as not run; "none" runs none
        and keeps the probability rule alone.
    check_steps : int
        MCMC steps per chain of each Bayesian check fit.
    breaks : list of ISO dates, optional
        Split the record into periods whose weights may differ; the case's own `periods:` are
        used when it declares some and `breaks` is None.

    Returns
    -------
    FitResults
        `params`, `bse`, `pvalues`, `conf_int()`, `llf`, `nobs`, `summary()`,
        `verdict_frame()`, `robustness()`, `tests_frame()`, `strengths()`, `decomposition()`,
        `predictions()`, `to_frame()`,
        and for Bayes `to_inference_data()`.

    Examples
    --------
    >>> import realpolitik as rp
    >>> res = rp.fit("east-asia-1945", seed=0)
    >>> res.summary()  # doctest: +SKIP
    """
    comp = as_compiled(case)
    if method not in ("mle", "bayes"):
        raise InputError(f"method: expected mle or bayes, got '{method}'")
    if not 0 < alpha < 1:
        raise InputError(f"alpha: expected a number between 0 and 1, got {alpha}")
    comp.check_overrides(assumptions)
    if method == "bayes" and steps < 20:
        raise InputError(f"--steps: expected at least 20 MCMC steps per chain, got {steps}")
    if checks not in ("all", "fast", "none"):
        raise InputError(f"--checks: expected all, fast or none, got '{checks}'")
    if checks == "all" and check_steps < 20:
        raise InputError(f"--check-steps: expected at least 20 MCMC steps, got {check_steps}")
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
    bf = None
    if method == "mle":
        results = _from_mle(comp, data, model, seed, alpha, penalty)
    else:
        results, bf = _from_bayes(comp, data, model, seed, alpha, steps, chains, progress)
    results.settings = {
        "assumptions": dict(assumptions or {}),
        "penalty": penalty,
        "actor": actor,
        "checks": checks,
        "chains": chains,
        **results.settings,
    }
    for a in results.actors:
        if a.status == "unidentified":
            results.warnings.append(f"{a.actor} is not identified ({a.note}); no verdict given")
        elif a.status == "weak":
            results.warnings.append(
                f"{a.actor} is weakly identified ({a.note}); treat its verdict as indicative"
            )
    if checks != "none" and model in ("full", "components"):
        from realpolitik.estimation.checks import run_checks

        run_checks(
            results,
            comp,
            data,
            theta,
            assumptions,
            actor_index,
            full=checks == "all",
            seed=seed,
            steps=check_steps,
            chains=chains,
            main_bayes=bf,
            penalty=penalty,
            progress=progress,
        )
    dates = _breaks(comp, breaks)
    if dates:
        from realpolitik.estimation.periods import compare_periods

        results.periods = compare_periods(comp, data, dates)
        results.settings["breaks"] = [d.isoformat() for d in dates]
    if compare:
        from realpolitik.estimation.compare import compare_models

        results.comparison = compare_models(
            comp, theta, actor=actor_index, loo=loo, progress=progress
        )
        from realpolitik.estimation.audit import audit  # coding audit flags, as warnings

        results.warnings += [f"coding audit: {f}" for f in audit(comp, theta, actor_index).flags]
    return results


def _breaks(comp: Compiled, breaks: list[str] | tuple[str, ...] | None) -> list:
    """Break dates from `breaks` (ISO strings or dates) or else from the case's `periods:`."""
    import datetime as dt

    if breaks is None:
        periods = getattr(comp.case, "periods", None) or []
        return sorted({p.start for p in periods})
    out = []
    for b in breaks:
        if isinstance(b, dt.date):
            out.append(b)
            continue
        try:
            out.append(dt.date.fromisoformat(str(b)))
        except ValueError:
            raise InputError(f"--break: expected a date YYYY-MM-DD, got '{b}'") from None
    return sorted(set(out))


def _from_mle(
    comp: Compiled, data: ChoiceData, model: str, seed: int, alpha: float, penalty: str
) -> FitResults:
    from scipy.stats import norm

    fits = fit_mle(data, penalty=penalty)
    # draws from the normal approximation feed figures only; probabilities and the verdict
    # use the delta method (realpolitik.estimation.strength), so they do not move with `seed`
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
                cov=f.cov,
            )
        )
    res = FitResults(comp.case.id, model, "mle", data.terms, alpha, actors, seed, 0.0)
    _label_loglik(res, data, fits)
    return res


def _label_loglik(res: FitResults, data: ChoiceData, fits) -> None:
    """`loglik`/`llf`: unpenalised log-likelihood at the estimates, unidentified actors at chance
    (as the comparison table counts them); `llf_penalised`: Firth's penalised value."""
    from realpolitik.estimation.likelihood import score_and_information

    llf, pen = 0.0, 0.0
    for f in fits:
        sub = data.for_actor(f.actor)
        if f.status == "unidentified":
            sizes = np.diff(np.r_[sub.starts, len(sub.Z)])
            chance = float(-np.log(sizes).sum())
            llf += chance
            pen += chance
            continue
        llf += f.loglik
        if f.penalty == "firth":
            _, info = score_and_information(f.params, sub.Z, sub.chosen, sub.starts)
            pen += f.loglik + 0.5 * float(np.linalg.slogdet(info)[1])
        else:
            pen += f.loglik
    res.loglik = llf
    res.llf_penalised = pen


def _from_bayes(
    comp: Compiled,
    data: ChoiceData,
    model: str,
    seed: int,
    alpha: float,
    steps: int,
    chains: int,
    progress: bool,
):
    from realpolitik.estimation.likelihood import loglik
    from realpolitik.estimation.mle import identification

    bf = fit_bayes(data, seed, steps=steps, burn=steps // 2, chains=chains, progress=progress)
    actors = []
    ll = 0.0
    for i, a in enumerate(bf.actors):  # loglik: unpenalised, at the posterior means
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
                cov=np.cov(draws, rowvar=False).reshape(len(mean), len(mean)),
            )
        )
    res = FitResults(comp.case.id, model, "bayes", data.terms, alpha, actors, seed, ll)
    res.llf_penalised = np.nan
    res.settings["acceptance"] = bf.acceptance
    res.settings["loglik_at"] = "posterior mean"
    return res, bf


def fit_pooled(
    cases: list[str | Path | Case | Compiled] | tuple[str | Path | Case | Compiled, ...],
    same: list[str] | list[tuple[str, ...]] | tuple = (),
    *,
    model: str = "full",
    seed: int = 0,
    steps: int = 3000,
    checks: str = "all",
    progress: bool = False,
):
    """One actor across cases: the pooled hierarchical model (docs/estimation-pooled.md).

    `same` names actor ids that are one actor, as strings ("CCP=PRC") or tuples; `checks`
    "all" (prior x0.2 and x2 refits and leaving out each case), "prior" or "none". Returns a
    `PooledFit`: `.verdicts()` (the verdict of each actor across cases and per case, with the
    checks that disagree), `.checks`, `.deviations()`, `.to_frame()` (tidy). Same seed, same
    numbers."""
    from realpolitik.estimation.pooled import fit_pooled as _fit
    from realpolitik.estimation.pooled import parse_same, pooled_checks

    if checks not in ("all", "prior", "none"):
        raise InputError(f"checks: expected all, prior or none, got '{checks}'")
    groups = parse_same([g if isinstance(g, str) else "=".join(g) for g in same])
    res = _fit(
        [as_compiled(c) for c in cases],
        groups,
        model=model,
        seed=seed,
        steps=steps,
        progress=progress,
    )
    if checks != "none":
        pooled_checks(res, groups, which=checks, progress=progress)
    return res
