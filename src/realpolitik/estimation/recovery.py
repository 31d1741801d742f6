"""Parameter recovery: simulate choices from known weights on a case's own structure and refit.

The case's recorded decisions fix everything but the choices: the options that were open and
their model terms Z (from `choice_data`, i.e. the record replayed). For each replication the
choices are drawn afresh from the conditional logit with known weights (one softmax draw per
decision, from a seeded numpy Generator), the model is refitted, and each nominal
(1 - alpha) interval is checked against the truth. Over many replications the share of
intervals that cover the truth should be close to 1 - alpha; a systematic shortfall means the
intervals are too narrow (over-confident), an excess that they are too wide.

`copies` repeats every decision that many times (each copy with its own simulated choice), as
if the record had been observed `copies` times over: it shows how the procedure behaves as the
evidence grows, which is where Wald intervals are expected to become exact.

Maximum likelihood (`method='mle'`): per actor (`realpolitik.estimation.mle.fit_mle`, Firth
where a simulated record separates) or one weight vector for all actors (`pooled=True`), with
the same Wald intervals as `realpolitik.fit`. Bayes (`method='bayes'`): simulation-based
calibration; each replication draws its weights from the hierarchical prior of
`realpolitik.estimation.bayes` and refits with `fit_bayes`, so that averaged over the prior the
posterior intervals must cover at exactly the nominal rate if the sampler is right.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom, norm

from realpolitik.errors import InputError
from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.model.compiled import Compiled
from realpolitik.scenario.schema import Case

COLUMNS = [
    "method",
    "pooled",
    "copies",
    "replication",
    "actor",
    "term",
    "true",
    "estimate",
    "se",
    "lower",
    "upper",
    "level",
    "covered",
    "status",
    "penalty",
    "rank",
    "rhat",
]

Weights = np.ndarray | Mapping[str, Iterable[float]] | Iterable[float]


# ---- the data ----------------------------------------------------------------------------------
def base_data(case: str | Path | Case | Compiled | ChoiceData, model: str = "full") -> ChoiceData:
    """The choice structure of a case (a ChoiceData is passed through unchanged)."""
    if isinstance(case, ChoiceData):
        return case
    from realpolitik.estimation.api import as_compiled

    return choice_data(as_compiled(case), model)


def replicate(data: ChoiceData, copies: int) -> ChoiceData:
    """The same decisions stacked `copies` times, each copy a separate decision."""
    if copies < 1:
        raise InputError(f"copies: expected a positive integer, got {copies}")
    if copies == 1:
        return data
    n_opt, n_grp = len(data.Z), data.n_groups
    group = np.concatenate([data.group + c * n_grp for c in range(copies)])
    return dataclasses.replace(
        data,
        Z=np.tile(data.Z, (copies, 1)),
        X5=np.tile(data.X5, (copies, 1)),
        N=np.tile(data.N, copies),
        chosen=np.tile(data.chosen, copies),
        group=group,
        actor=np.tile(data.actor, copies),
        decisions=list(data.decisions) * copies,
        starts=np.concatenate([data.starts + c * n_opt for c in range(copies)]),
    )


def actor_names(data: ChoiceData) -> list[str]:
    comp = data.comp
    ids = getattr(comp, "actor_ids", None)
    n = int(data.actor.max()) + 1 if len(data.actor) else 0
    return list(ids) if ids is not None else [f"actor{i}" for i in range(n)]


def standardised(data: ChoiceData, values: Iterable[float]) -> np.ndarray:
    """Raw weights whose effect is `values` log-odds per within-decision SD of each term."""
    v = np.asarray(list(values), dtype=float)
    return v / data.within_sd()


def weight_matrix(data: ChoiceData, true_weights: Weights) -> np.ndarray:
    """True weights W[actor index, term] for every actor of the case (rows of absent actors 0).

    Accepts one vector for every actor, a (actors present, terms) array in the order of
    `data.actors_present()`, or a mapping from actor id to vector."""
    names = actor_names(data)
    k = data.Z.shape[1]
    present = data.actors_present()
    W = np.zeros((max(len(names), 1 + max(present, default=0)), k))
    if isinstance(true_weights, Mapping):
        missing = [names[a] for a in present if names[a] not in true_weights]
        if missing:
            raise InputError(f"true_weights: no weights for actor(s) {', '.join(missing)}")
        for a in present:
            W[a] = np.asarray(list(true_weights[names[a]]), dtype=float)
        return W
    arr = np.asarray(true_weights, dtype=float)
    if arr.ndim == 1 and arr.shape == (k,):
        W[:] = arr
    elif arr.ndim == 2 and arr.shape == (len(present), k):
        W[present] = arr
    else:
        raise InputError(
            f"true_weights: expected {k} weight(s) ({', '.join(data.terms)}) or one row per actor "
            f"({len(present)} x {k}), got shape {arr.shape}"
        )
    return W


def simulate_choices(data: ChoiceData, W: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per decision from the conditional logit: chosen[option] in {0, 1}.

    Gumbel-max: the option with the largest U + Gumbel noise is an exact softmax draw."""
    U = np.einsum("ok,ok->o", data.Z, W[data.actor]) + rng.gumbel(size=len(data.Z))
    best = np.maximum.reduceat(U, data.starts)
    sizes = np.diff(np.r_[data.starts, len(U)])
    chosen = (U == np.repeat(best, sizes)).astype(float)
    return chosen


# ---- one replication ---------------------------------------------------------------------------
def _rows(
    common: dict[str, Any],
    actor: str,
    terms: tuple[str, ...],
    true: np.ndarray,
    est: np.ndarray,
    se: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    status: str,
    penalty: str,
    rank: np.ndarray | None = None,
    rhat: float = np.nan,
) -> list[dict[str, Any]]:
    out = []
    for j, term in enumerate(terms):
        has = bool(np.isfinite(lower[j]) and np.isfinite(upper[j]))
        out.append(
            {
                **common,
                "actor": actor,
                "term": term,
                "true": float(true[j]),
                "estimate": float(est[j]),
                "se": float(se[j]),
                "lower": float(lower[j]),
                "upper": float(upper[j]),
                "covered": bool(has and lower[j] <= true[j] <= upper[j]),
                "status": status,
                "penalty": penalty,
                "rank": float(rank[j]) if rank is not None else np.nan,
                "rhat": rhat,
            }
        )
    return out


def _mle_replication(
    data: ChoiceData,
    W: np.ndarray,
    seed: np.random.SeedSequence,
    pooled: bool,
    alpha: float,
    common: dict[str, Any],
) -> list[dict[str, Any]]:
    from realpolitik.estimation.mle import fit_actor, fit_mle

    rng = np.random.default_rng(seed)
    sim = dataclasses.replace(data, chosen=simulate_choices(data, W, rng))
    z = norm.ppf(1 - alpha / 2)
    names = actor_names(data)
    fits = [fit_actor(sim, -1)] if pooled else fit_mle(sim)
    rows: list[dict[str, Any]] = []
    for f in fits:
        truth = W[data.actors_present()[0]] if pooled else W[f.actor]
        if np.isfinite(f.cov).all():
            se = np.sqrt(np.clip(np.diag(f.cov), 0.0, None))
        else:
            se = np.full(len(f.params), np.nan)
        rows += _rows(
            common,
            "pooled" if pooled else names[f.actor],
            data.terms,
            truth,
            f.params,
            se,
            f.params - z * se,
            f.params + z * se,
            f.status,
            f.penalty,
        )
    return rows


def prior_weights(data: ChoiceData, rng: np.random.Generator) -> np.ndarray:
    """Weights W[actor, term] (raw scale) drawn from the hierarchical prior of `bayes.py`."""
    from realpolitik.estimation.bayes import MU_SCALE, TAU_SCALE

    present = data.actors_present()
    k = data.Z.shape[1]
    mu = rng.normal(0.0, MU_SCALE, size=k)
    tau = np.abs(rng.normal(0.0, TAU_SCALE, size=k))
    w_std = mu + tau * rng.normal(size=(len(present), k))
    W = np.zeros((len(actor_names(data)), k))
    W[present] = w_std / data.within_sd()
    return W


def _bayes_replication(
    data: ChoiceData,
    seed: np.random.SeedSequence,
    alpha: float,
    steps: int,
    chains: int,
    rhat_max: float,
    ess_min: float,
    common: dict[str, Any],
) -> list[dict[str, Any]]:
    """One simulation-based-calibration draw. The fit runs with its convergence check off and
    the check is applied here, so that a run the rule rejects is still recorded (status
    'not_converged', with its max R-hat) rather than silently dropped."""
    from realpolitik.estimation.bayes import fit_bayes

    sim_seed, fit_seed = seed.spawn(2)
    rng = np.random.default_rng(sim_seed)
    W = prior_weights(data, rng)
    sim = dataclasses.replace(data, chosen=simulate_choices(data, W, rng))
    names = actor_names(data)
    bf = fit_bayes(
        sim,
        int(fit_seed.generate_state(1)[0]),
        steps=steps,
        burn=steps // 2,
        chains=chains,
        rhat_max=np.inf,
        ess_min=0.0,
    )
    worst = float(np.nanmax(np.r_[bf.rhat.ravel(), bf.rhat_hyper.ravel()]))
    least = float(np.nanmin(bf.ess))
    status = (
        "ok" if np.isfinite(worst) and worst <= rhat_max and least >= ess_min else "not_converged"
    )
    rows: list[dict[str, Any]] = []
    for i, a in enumerate(bf.actors):
        d = bf.draws[:, i, :]
        rows += _rows(
            common,
            names[a],
            data.terms,
            W[a],
            d.mean(axis=0),
            d.std(axis=0, ddof=1),
            np.quantile(d, alpha / 2, axis=0),
            np.quantile(d, 1 - alpha / 2, axis=0),
            status,
            "none",
            rank=(d < W[a]).mean(axis=0),
            rhat=worst,
        )
    return rows


# ---- the driver --------------------------------------------------------------------------------
def recover(
    comp: str | Path | Case | Compiled | ChoiceData,
    *,
    true_weights: Weights | None = None,
    model: str = "full",
    replications: int = 200,
    copies: int = 1,
    seed: int = 0,
    alpha: float = 0.1,
    method: str = "mle",
    pooled: bool = False,
    progress: bool = False,
    steps: int = 3000,
    chains: int = 4,
    rhat_max: float | None = None,
    ess_min: float | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Simulate-and-refit `replications` times; one row per replication x actor x term.

    Columns: method, pooled, copies, replication, actor ('pooled' for the pooled fit), term,
    true, estimate, se, lower, upper (the 1 - alpha interval), level, covered, status (ok | weak |
    unidentified; for Bayes ok | not_converged), penalty (none | firth), and for Bayes only rank
    (the share of posterior draws below the truth: uniform on [0, 1] when the posterior is
    calibrated) and rhat (the fit's largest R-hat).

    `true_weights` (MLE): one vector for every actor, one row per actor present, or a mapping
    actor id -> vector; Bayes draws the weights from the prior instead and ignores it.
    `steps`/`chains` are the MCMC settings of the Bayesian refits and `rhat_max`/`ess_min` the
    convergence rule applied to them (None: the defaults of `fit_bayes`); `workers` > 1 runs the
    replications in that many processes (results do not depend on it: every replication has its
    own seed, spawned from `seed`).
    """
    if method not in ("mle", "bayes"):
        raise InputError(f"method: expected mle or bayes, got '{method}'")
    if not 0 < alpha < 1:
        raise InputError(f"alpha: expected a number between 0 and 1, got {alpha}")
    if replications < 1:
        raise InputError(f"replications: expected a positive integer, got {replications}")
    data = replicate(base_data(comp, model), copies)
    if data.n_groups == 0:
        raise InputError("recover: the case has no recorded decisions")
    seeds = np.random.SeedSequence(seed).spawn(replications)
    common = {"method": method, "pooled": pooled, "copies": copies, "level": 1 - alpha}
    jobs: list[tuple[Callable[..., list[dict[str, Any]]], tuple[Any, ...]]] = []
    if method == "mle":
        if true_weights is None:
            raise InputError("true_weights: maximum-likelihood recovery needs the true weights")
        W = weight_matrix(data, true_weights)
        if pooled and not np.allclose(W[data.actors_present()], W[data.actors_present()[0]]):
            raise InputError("true_weights: a pooled fit needs one weight vector for every actor")
        for r, s in enumerate(seeds):
            jobs.append(
                (_mle_replication, (data, W, s, pooled, alpha, {**common, "replication": r}))
            )
    else:
        if pooled:
            raise InputError("pooled: the Bayesian model is hierarchical; use pooled=False")
        import inspect

        from realpolitik.estimation.bayes import fit_bayes

        defaults = inspect.signature(fit_bayes).parameters
        rhat_max = defaults["rhat_max"].default if rhat_max is None else rhat_max
        ess_min = defaults["ess_min"].default if ess_min is None else ess_min
        for r, s in enumerate(seeds):
            jobs.append(
                (
                    _bayes_replication,
                    (
                        data,
                        s,
                        alpha,
                        steps,
                        chains,
                        rhat_max,
                        ess_min,
                        {**common, "replication": r},
                    ),
                )
            )
    rows: list[dict[str, Any]] = []
    for chunk in _run(jobs, workers, progress, f"recovery {method} x{copies}"):
        rows += chunk
    return pd.DataFrame(rows, columns=COLUMNS)


def _call(job: tuple[Callable[..., list[dict[str, Any]]], tuple[Any, ...]]) -> list[dict[str, Any]]:
    fn, args = job
    return fn(*args)


def _run(
    jobs: list[tuple[Callable[..., list[dict[str, Any]]], tuple[Any, ...]]],
    workers: int,
    progress: bool,
    label: str,
) -> Iterable[list[dict[str, Any]]]:
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = pool.map(_call, jobs)
            yield from _progress(results, len(jobs), progress, label)
    else:
        yield from _progress(map(_call, jobs), len(jobs), progress, label)


def _progress(
    it: Iterable[list[dict[str, Any]]], total: int, show: bool, label: str
) -> Iterable[list[dict[str, Any]]]:
    if not show:
        yield from it
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=total)
        for item in it:
            yield item
            bar.advance(task)


# ---- summaries ---------------------------------------------------------------------------------
def binomial_band(n: int | np.ndarray, level: float, prob: float = 0.95) -> tuple[Any, Any]:
    """Central `prob` band for the coverage share of n independent intervals of level `level`."""
    n = np.asarray(n)
    lo = binom.ppf((1 - prob) / 2, n, level) / np.maximum(n, 1)
    hi = binom.ppf(1 - (1 - prob) / 2, n, level) / np.maximum(n, 1)
    return lo, hi


def coverage_summary(
    frame: pd.DataFrame,
    by: tuple[str, ...] = ("method", "pooled", "copies", "actor", "term"),
    band: float = 0.95,
) -> pd.DataFrame:
    """Coverage per group.

    `coverage`: over replications with a usable interval (not unidentified, and for Bayes
    passing the convergence rule), with the central `band` binomial band it should fall in
    under exact calibration; `coverage_all`: over every replication, counting a missing
    interval as a miss (a non-converged Bayesian run counts with whatever interval it had);
    bias, RMSE and median width over the usable intervals."""
    rows = []
    keys = [k for k in by if k in frame.columns]
    for key, g in frame.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        has = (
            np.isfinite(g["lower"].to_numpy())
            & np.isfinite(g["upper"].to_numpy())
            & (g["status"] != "not_converged").to_numpy()
        )
        n = int(has.sum())
        level = float(g["level"].iloc[0])
        lo, hi = binomial_band(n, level, band)
        cov = float(g["covered"][has].mean()) if n else np.nan
        err = (g["estimate"] - g["true"])[has]
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "replications": len(g),
                "n_intervals": n,
                "level": level,
                "coverage": cov,
                "band_low": float(lo) if n else np.nan,
                "band_high": float(hi) if n else np.nan,
                "within_band": bool(n and lo <= cov <= hi),
                "coverage_all": float(g["covered"].mean()),
                "share_firth": float((g["penalty"] == "firth").mean()),
                "share_unidentified": float((g["status"] == "unidentified").mean()),
                "share_not_converged": float((g["status"] == "not_converged").mean()),
                "bias": float(err.mean()) if n else np.nan,
                "rmse": float(np.sqrt((err**2).mean())) if n else np.nan,
                "median_width": float((g["upper"] - g["lower"])[has].median()) if n else np.nan,
            }
        )
    return pd.DataFrame(rows)
