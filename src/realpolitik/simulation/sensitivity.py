"""Global sensitivity analysis (Sobol, with SALib) over every declared assumption range.

The problem is the scenario's assumptions with their [low, high] ranges. For each sampled
setting the record is replayed, every identified actor's weights are refitted, and the
outputs are computed:
  verdict:ACTOR   interest strength minus ideology strength (> 0: interest outweighs ideology)
  outcome:ID      probability of each outcome in `draws` simulated paths (common random
                  numbers across settings, so differences come from the assumptions)
Sobol first-order (S1) and total (ST) indices come from SALib's Saltelli/Sobol estimator.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from realpolitik import limits
from realpolitik.errors import InputError
from realpolitik.estimation.batched import fit_rows
from realpolitik.estimation.data import choice_data
from realpolitik.model.compiled import Compiled, as_compiled
from realpolitik.model.specs import design, to_feature_weights
from realpolitik.simulation.backends import chunk_rng
from realpolitik.simulation.chunked import ChunkPlan, Execution, run_chunks
from realpolitik.simulation.engine import run

MATTERS = 0.05  # an assumption matters when its total-order index reaches this for some output
ROWS_PER_CHUNK = 20_000
MIN_SD = 0.005  # an output steadier than this is constant for practical purposes


# evaluations above which the per-output analyses run on the backend, one task per output
# (SALib's bootstrap takes about 2 s per output at 176,128 evaluations: serial, it would be a
# quarter of a large run's time on 2 workers); below it, forking costs more than it saves
PARALLEL_ANALYSIS = 50_000


def _analyse(args: tuple[Any, ...]) -> Any:
    """SALib's first- and total-order indices of one output, with bootstrap intervals."""
    from SALib.analyze import sobol as sobol_analyze

    problem, _name, Y, seed = args
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sobol_analyze.analyze(
            problem, Y, calc_second_order=False, num_resamples=200, seed=seed
        )
    return {k: np.asarray(res[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")}


def _analyse_all(
    problem: dict[str, Any], outputs: dict[str, np.ndarray], seed: int, ex: Execution
) -> dict[str, Any]:
    """Every output's indices, one task per output on the backend for a large run (the same
    numbers wherever they are computed: each analysis is seeded alike)."""
    items = [(problem, name, Y, seed) for name, Y in outputs.items()]
    big = bool(items) and len(next(iter(outputs.values()))) >= PARALLEL_ANALYSIS
    if not big or len(items) < 2:
        return {item[1]: _analyse(item) for item in items}
    from realpolitik.simulation.backends import make_backend

    # a running Dask scheduler takes them; without one (the chunks ran on a local cluster that
    # is closed by now) local processes do, rather than starting a second cluster
    backend = ex.backend if ex.scheduler else "local"
    with make_backend(backend, ex.workers, ex.scheduler) as be:
        return {args[1]: res for args, res in be.map(_analyse, items)}


@dataclass(repr=False)
class SensitivityResult:
    case_id: str
    indices: pd.DataFrame
    verdict_share: pd.DataFrame
    outputs: pd.DataFrame
    samples: np.ndarray
    names: list[str]
    base_samples: int
    draws: int
    seed: int
    run_key: str
    reused: bool
    notes: list[str] = field(default_factory=list)

    @property
    def n_evaluations(self) -> int:
        return int(self.samples.shape[0])

    def summary(self) -> Any:
        from realpolitik.summary import Summary

        s = Summary(
            f"realpolitik sensitivity: {self.case_id}",
            [
                ("Case", self.case_id),
                ("Assumption settings", self.n_evaluations),
                ("Paths per setting", self.draws),
                ("Seed", self.seed),
            ],
        )
        s.add_table("share of the assumption space where interest outweighs", self.verdict_share)
        s.add_table(f"assumptions that matter (ST >= {MATTERS})", self.matters())
        s.notes = list(self.notes)
        return s

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        return (
            f"<SensitivityResult case={self.case_id!r} settings={self.n_evaluations} "
            f"draws={self.draws} seed={self.seed}>"
        )

    def matters(self, threshold: float = MATTERS) -> pd.DataFrame:
        """Assumptions whose total-order index reaches `threshold` for at least one output, with
        its 95% interval clear of zero."""
        idx = self.indices
        top = idx[(idx["ST"] >= threshold) & (idx["ST"] - idx["ST_conf"] > 0)]
        if top.empty:
            return pd.DataFrame(columns=["assumption", "max_ST", "outputs"])
        grouped = top.groupby("assumption").agg(
            max_ST=("ST", "max"), outputs=("output", lambda s: ", ".join(sorted(s)))
        )
        return grouped.sort_values("max_ST", ascending=False).reset_index()


def _actor_blocks(comp: Compiled, actors: list[int]) -> dict[int, dict[str, Any]]:
    """Per actor: which decisions, option counts and the chosen pattern (fixed across rows)."""
    blocks = {}
    for a in actors:
        ks = [k for k, d in enumerate(comp.decisions) if d.actor == a]
        sizes = [len(comp.decisions[k].option_ids) for k in ks]
        chosen = np.concatenate(
            [np.eye(s)[comp.decisions[k].chosen] for k, s in zip(ks, sizes, strict=True)]
        )
        blocks[a] = {
            "decisions": ks,
            "starts": np.r_[0, np.cumsum(sizes)[:-1]].astype(int),
            "chosen": chosen,
        }
    return blocks


def _within_sd(V: np.ndarray, starts: np.ndarray) -> np.ndarray:
    sizes = np.diff(np.r_[starts, V.shape[1]])
    group = np.repeat(np.arange(len(starts)), sizes)
    means = np.add.reduceat(V, starts, axis=1) / sizes
    dev = V - means[:, group]
    return np.sqrt((dev**2).sum(axis=1) / max(V.shape[1] - len(starts), 1))


def _evaluate(args: tuple[Any, ...]) -> dict[str, np.ndarray]:
    comp, theta, draws, seed, actors, sd, (_, _, _) = args
    rows = theta.shape[0]
    record = run(comp, theta, record=True, keep_features=True)
    W = np.zeros((rows, comp.n_actors, 2))
    diff = np.zeros((rows, len(actors)))
    blocks = _actor_blocks(comp, actors)
    for i, a in enumerate(actors):
        b = blocks[a]
        Z = np.concatenate(
            [design("full", comp, record.features[k], theta) for k in b["decisions"]], axis=1
        )
        w = fit_rows(Z, b["chosen"], b["starts"], sd)
        W[:, a, :] = w
        strength_i = w[:, 0] * _within_sd(Z[..., 0], b["starts"])
        strength_n = w[:, 1] * _within_sd(Z[..., 1], b["starts"])
        diff[:, i] = strength_n - strength_i
    W5 = to_feature_weights("full", comp, W, theta)
    uniforms = chunk_rng(seed, 0).random((draws, len(comp.decisions)))
    sim = run(
        comp,
        np.repeat(theta, draws, axis=0),
        feature_weights=np.repeat(W5, draws, axis=0),
        uniforms=np.tile(uniforms, (rows, 1)),
        diagnostics=False,  # only outcomes are used
    )
    outcomes = sim.outcomes.reshape(rows, draws, -1).mean(axis=1)
    return {"diff": diff, "outcomes": outcomes}


def sensitivity(
    case: Any,
    *,
    base_samples: int = 128,
    draws: int = 64,
    seed: int = 0,
    backend: str = "local",
    workers: int = 2,
    scheduler: str | None = None,
    store: Any = None,
    progress: bool = False,
    scenario_hash: str | None = None,
) -> SensitivityResult:
    """Sobol sensitivity of every verdict and outcome over the declared assumption ranges.

    Parameters
    ----------
    case : str, Path, Case or Compiled
        A built-in case name, a scenario file, or a loaded case.
    base_samples : int
        Sobol base samples N, a power of two; N x (assumptions + 2) settings are evaluated.
    draws : int
        Simulated paths per assumption setting (common random numbers across settings).
    seed : int
        Seed of the Sobol sample and of the paths; same seed, same numbers.
    backend, workers, scheduler :
        Where it runs: "local" or "dask" (with `workers` processes, or an existing
        scheduler address).
    store : path, bool or None
        The run store (DuckDB): a path, True for the user cache, False or None for none.
    progress : bool
        Show progress.

    Returns
    -------
    SensitivityResult
        `indices` (S1, ST with intervals per output and assumption), `verdict_share`,
        `matters()`, `summary()`.
    """
    from SALib.sample import sobol as sobol_sample

    from realpolitik.simulation.api import fitted_weights

    comp = as_compiled(case)
    limits.check_power_of_two(base_samples, "--samples", 2, limits.MAX_SAMPLES)
    limits.check_int(draws, "--draws", 1, limits.MAX_DRAWS)
    limits.check_int(seed, "--seed", 0, limits.MAX_SEED)
    names = list(comp.assumption_ids)
    bounds = comp.bounds.copy()
    varying = bounds[:, 1] > bounds[:, 0]
    if not varying.any():
        raise InputError(f"{comp.case.id}: no assumption has a range to vary")
    problem = {
        "num_vars": int(varying.sum()),
        "names": [n for n, v in zip(names, varying, strict=True) if v],
        "bounds": bounds[varying].tolist(),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sample = sobol_sample.sample(problem, base_samples, calc_second_order=False, seed=seed)
    theta = np.tile(comp.theta0, (sample.shape[0], 1))
    theta[:, varying] = sample

    # the actors the record identifies (the others have no verdict to vary)
    baseline = fitted_weights(comp, "full", store=store)
    actors = [comp.actor_ids.index(a) for a in baseline["actor"][baseline["source"] == "fitted"]]
    sd = choice_data(comp, "full").within_sd()

    per_chunk = max(1, ROWS_PER_CHUNK // draws)
    plan = ChunkPlan(theta.shape[0], per_chunk)
    params = {
        "base_samples": base_samples,
        "draws": draws,
        "names": problem["names"],
        "rows": per_chunk,
    }
    have, key, reused = run_chunks(
        "sensitivity",
        comp,
        plan,
        _evaluate,
        lambda c: (comp, theta[c[1] : c[1] + c[2]], draws, seed, actors, sd, c),
        params=params,
        seed=seed,
        execution=Execution(backend, workers, scheduler, store, progress),
        scenario_hash=scenario_hash,
        label="sensitivity",
    )
    diff = np.concatenate([have[i]["diff"] for i in sorted(have)])
    outs = np.concatenate([have[i]["outcomes"] for i in sorted(have)])

    columns: dict[str, np.ndarray] = {}
    for i, a in enumerate(actors):
        columns[f"verdict:{comp.actor_ids[a]}"] = diff[:, i]
    for j, o in enumerate(comp.outcomes):
        columns[f"outcome:{o.id}"] = outs[:, j]
    rows = []
    notes = []
    varied = {}
    for name, Y in columns.items():
        if np.std(Y) < MIN_SD:
            notes.append(
                f"{name} barely varies over the assumption ranges (mean {Y.mean():.4g}, "
                f"sd {np.std(Y):.2g} < {MIN_SD}); no indices computed"
            )
            continue
        varied[name] = Y
    analysed = _analyse_all(problem, varied, seed, Execution(backend, workers, scheduler))
    for name in varied:
        res = analysed[name]
        for k, assumption in enumerate(problem["names"]):
            rows.append(
                {
                    "output": name,
                    "assumption": assumption,
                    "S1": float(res["S1"][k]),
                    "S1_conf": float(res["S1_conf"][k]),
                    "ST": float(res["ST"][k]),
                    "ST_conf": float(res["ST_conf"][k]),
                }
            )
    indices = pd.DataFrame(rows, columns=["output", "assumption", "S1", "S1_conf", "ST", "ST_conf"])
    share = pd.DataFrame(
        [
            {
                "actor": comp.actor_ids[a],
                "share_interest_outweighs": float(np.mean(diff[:, i] > 0)),
                "settings": diff.shape[0],
            }
            for i, a in enumerate(actors)
        ]
    )
    outputs = pd.DataFrame(theta, columns=names)
    for name, Y in columns.items():
        outputs[name] = Y
    return SensitivityResult(
        comp.case.id,
        indices,
        share,
        outputs,
        theta,
        names,
        base_samples,
        draws,
        seed,
        key,
        reused,
        notes,
    )
