"""One actor's revealed weights across the cases (docs/estimation-pooled.md, "Across the cases
in the report"): each case fitted alone by maximum likelihood, and the pooled hierarchical
model of `realpolitik.estimation.pooled` with its robustness checks.

Weights are shown on each case's standardised scale (the term divided by the case's pooled
within-decision SD, as the pooled model uses it), so that one actor's weights can be set side
by side: a maximum-likelihood weight w and its interval are multiplied by that case's SD.

Both parts can be kept in the run store (`realpolitik.cache`), keyed by every case's hash, the
seed, the MCMC steps, the identity map, the checks and the estimation and model code: the
pooled fit with its checks takes minutes, the single-case fits a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.cache import code_hashes
from realpolitik.model.compiled import Compiled

CASES = (
    "east-asia-1945",
    "tito-stalin-1948",
    "sino-soviet-split",
    "sino-american-1972",
    "egypt-realignment",
)
SAME = (("CCP", "PRC"),)  # the CCP of the civil war is the PRC of the later cases
ACTORS = ("USSR", "CCP=PRC", "USA")
CHECK_LEVELS = ("all", "prior", "none")


@dataclass
class PooledSummary:
    """What is kept of a pooled fit: its verdict rows (with the checks' verdict), the check
    table, the case-level deviation scale and the convergence numbers."""

    cases: list[str]
    same: list[str]
    seed: int
    steps: int  # steps per ensemble it took to converge
    rhat_max: float
    ess_min: float
    checks_run: str  # "all", "prior" or "none"
    verdicts: pd.DataFrame
    deviations: pd.DataFrame
    checks: pd.DataFrame | None = None


@dataclass
class CrossCaseFit:
    """The single-case maximum-likelihood rows and, when available, the pooled fit."""

    cases: list[str]
    actors: list[str]
    single: pd.DataFrame  # one row per (identity, case)
    pooled: PooledSummary | None = None
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per actor, case (or "all cases") and estimate ("ml, case alone";
        "pooled"; "pooled, per case"), with the standardised weights and their 90% intervals,
        the strengths, P(interest outweighs ideology) and the verdict with the checks that
        disagree."""
        cols = [
            "actor",
            "case",
            "estimate",
            "actor_id",
            "decisions",
            "w_ideology_std",
            "w_ideology_std_low",
            "w_ideology_std_high",
            "w_interest_std",
            "w_interest_std_low",
            "w_interest_std_high",
            "ideology_strength",
            "interest_strength",
            "p_interest_outweighs",
            "verdict",
            "failed_checks",
            "checks_not_run",
        ]
        frames = [self.single.assign(estimate="ml, case alone")]
        if self.pooled is not None:
            v = self.pooled.verdicts
            v = v[v["actor"].isin(self.actors)].rename(
                columns={"scope": "case", "actor_ids": "actor_id"}
            )
            frames.append(
                v.assign(estimate=np.where(v["case"] == "all cases", "pooled", "pooled, per case"))
            )
        out = pd.concat(frames, ignore_index=True).reindex(columns=cols)
        order = {a: i for i, a in enumerate(self.actors)}
        case_order = {c: i for i, c in enumerate(["all cases", *self.cases])}
        est_order = {"pooled": 0, "ml, case alone": 1, "pooled, per case": 2}
        out = out.assign(
            _a=out["actor"].map(order),
            _c=out["case"].map(case_order),
            _e=out["estimate"].map(est_order),
        )
        return (
            out.sort_values(["_a", "_c", "_e"], kind="stable")
            .drop(columns=["_a", "_c", "_e"])
            .reset_index(drop=True)
        )


def compile_cases(cases: tuple[str, ...] | list[Any]) -> list[Compiled]:
    from realpolitik.estimation.api import as_compiled

    return [as_compiled(c) for c in cases]


def single_spec(comps: list[Compiled], same, actors, seed: int) -> dict[str, Any]:
    from realpolitik.simulation.chunked import case_hash

    return {
        "cases": [case_hash(c) for c in comps],
        "same": [list(g) for g in same],
        "actors": list(actors),
        "seed": seed,
        "code": code_hashes(),
    }


def pooled_spec(
    comps: list[Compiled], same, seed: int, steps: int, checks: str, model: str = "full"
) -> dict[str, Any]:
    from realpolitik.estimation.pooled import CHECK_STEPS, MAX_STEPS, identities
    from realpolitik.simulation.chunked import case_hash

    return {
        "cases": [case_hash(c) for c in comps],
        "identities": identities(comps, [tuple(g) for g in same]),
        "seed": seed,
        "steps": steps,
        "max_steps": MAX_STEPS,
        "check_steps": CHECK_STEPS,
        "checks": checks,
        "model": model,
        "code": code_hashes(),
    }


def single_rows(
    comps: list[Compiled], same=SAME, actors=ACTORS, seed: int = 0, alpha: float = 0.1
) -> pd.DataFrame:
    """Each case fitted alone (maximum likelihood, the default checks of `fit`): the rows of
    the named identities, weights on the case's standardised scale."""
    from realpolitik.estimation.api import fit
    from realpolitik.estimation.data import choice_data
    from realpolitik.estimation.pooled import identities

    ids = identities(comps, [tuple(g) for g in same])
    rows = []
    for comp, idmap in zip(comps, ids, strict=True):
        wanted = {a: i for a, i in idmap.items() if i in actors}
        if not wanted:
            continue
        data = choice_data(comp, "full")
        present = {comp.actor_ids[a] for a in data.actors_present()}
        if not present & set(wanted):
            continue
        sd = dict(zip(data.terms, data.within_sd(), strict=True))
        vf = fit(comp, seed=seed, alpha=alpha).verdict_frame().set_index("actor")
        for actor_id, ident in wanted.items():
            if actor_id not in vf.index:
                continue
            r = vf.loc[actor_id]
            row: dict[str, object] = {
                "actor": ident,
                "case": comp.case.id,
                "actor_id": actor_id,
                "decisions": int(r["n_decisions"]),
            }
            for t in ("ideology", "interest"):
                for suffix in ("", "_low", "_high"):
                    row[f"w_{t}_std{suffix}"] = float(r[f"w_{t}{suffix}"]) * sd[t]
            for k in ("ideology_strength", "interest_strength", "p_interest_outweighs"):
                row[k] = float(r[k])
            for k in ("verdict", "failed_checks", "checks_not_run"):
                row[k] = str(r[k])
            rows.append(row)
    return pd.DataFrame(rows)


def pooled_summary(
    comps: list[Compiled],
    same=SAME,
    *,
    seed: int = 0,
    steps: int | None = None,
    checks: str = "all",
    model: str = "full",
    progress: bool = False,
    **fit_kw: Any,
) -> PooledSummary:
    """Fit the pooled model (and its checks) and keep its tables; `fit_kw` goes to
    `fit_pooled` (e.g. the convergence limits)."""
    from realpolitik.estimation.pooled import DEFAULT_STEPS, fit_pooled, pooled_checks

    groups = [tuple(g) for g in same]
    res = fit_pooled(
        comps,
        groups,
        model=model,
        seed=seed,
        steps=steps or DEFAULT_STEPS,
        progress=progress,
        **fit_kw,
    )
    if checks != "none":
        pooled_checks(res, groups, which=checks, progress=progress)
    return PooledSummary(
        cases=res.case_ids(),
        same=["=".join(g) for g in groups],
        seed=seed,
        steps=res.steps,
        rhat_max=res.rhat_max,
        ess_min=res.ess_min,
        checks_run=checks,
        verdicts=res.verdicts(),
        deviations=res.deviations(),
        checks=res.checks,
    )


def stored_pooled(
    store: Any, comps: list[Compiled], same=SAME, seed: int = 0, steps: int | None = None
) -> PooledSummary | None:
    """The pooled fit with all its checks from the run store, or None."""
    from realpolitik.cache import lookup
    from realpolitik.estimation.pooled import DEFAULT_STEPS

    spec = pooled_spec(comps, same, seed, steps or DEFAULT_STEPS, "all")
    found, value = lookup(store, "pooled-fit", spec)
    return value if found else None


def save_pooled(
    store: Any, comps: list[Compiled], value: PooledSummary, same=SAME, steps: int | None = None
) -> bool:
    from realpolitik.cache import save
    from realpolitik.estimation.pooled import DEFAULT_STEPS

    spec = pooled_spec(comps, same, value.seed, steps or DEFAULT_STEPS, value.checks_run)
    return save(store, "pooled-fit", spec, value)


def cross_case(
    cases: tuple[str, ...] | list[Any] = CASES,
    *,
    same=SAME,
    actors=ACTORS,
    seed: int = 0,
    pooled: bool | None = True,
    steps: int | None = None,
    store: Any = None,
    progress: bool = False,
) -> CrossCaseFit:
    """The USSR's, the PRC's and the United States' weights in every case they appear in
    (each case alone, by maximum likelihood) and pooled across the cases.

    `pooled`: True fits the pooled model with all its checks (minutes; from the run store when
    `store` holds it), None takes it from the store only, False leaves it out. Same seed, same
    numbers."""
    from realpolitik.cache import cached

    comps = compile_cases(cases)
    single, _ = cached(
        store,
        "cross-case-ml",
        single_spec(comps, same, actors, seed),
        lambda: single_rows(comps, same, actors, seed),
    )
    result = CrossCaseFit([c.case.id for c in comps], list(actors), single)
    if pooled is False:
        return result
    found = stored_pooled(store, comps, same, seed, steps)
    if found is None and pooled:
        found = pooled_summary(comps, same, seed=seed, steps=steps, progress=progress)
        save_pooled(store, comps, found, same, steps)
    result.pooled = found
    return result


__all__ = ["CrossCaseFit", "PooledSummary", "cross_case", "pooled_summary", "single_rows"]
