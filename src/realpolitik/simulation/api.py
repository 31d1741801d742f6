"""Replayed history: simulate a case forward, score it against the record, ask "what if".

A `World` says what differs from the record's world: actors' weights, events removed or
moved, assumption values, forced choices. `simulate` runs a world for n Monte Carlo paths in
seeded chunks on a backend and (optionally) stores every chunk in the run store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from realpolitik import limits
from realpolitik.errors import InputError
from realpolitik.limits import check_int
from realpolitik.model.compiled import Compiled, as_compiled, year_fraction
from realpolitik.model.specs import MODELS, to_feature_weights
from realpolitik.simulation.backends import chunk_rng
from realpolitik.simulation.chunked import ChunkPlan, Execution, run_chunks
from realpolitik.simulation.engine import run

# paths per chunk: each chunk has its own random stream (backends.chunk_rng), so this fixes the
# numbers of a run with more paths than one chunk. 100,000 paths amortise the engine's fixed
# cost per call (about 10 ms) to a few ns per path-decision (benchmarks/README.md).
CHUNK_ROWS = 100_000
Z_MC = 2.576  # 99% two-sided: differences beyond this many standard errors are reported


@dataclass
class World:
    """What a simulated world changes relative to the record's."""

    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    remove_events: list[str] = field(default_factory=list)
    move_events: dict[str, dt.date] = field(default_factory=dict)
    assumptions: dict[str, float] = field(default_factory=dict)
    force: dict[str, str] = field(default_factory=dict)
    name: str = "baseline"
    source: str | None = field(default=None, compare=False)  # the file it came from, for errors

    def describe(self) -> dict[str, Any]:
        return {
            "weights": self.weights,
            "remove_events": sorted(self.remove_events),
            "move_events": {k: str(v) for k, v in sorted(self.move_events.items())},
            "assumptions": dict(sorted(self.assumptions.items())),
            "force": dict(sorted(self.force.items())),
        }


@dataclass(repr=False)
class SimulationResult:
    """A simulated world: `outcomes` (each outcome's frequency with its Monte Carlo standard
    error), `choices` (each option's frequency per decision), the `weights` used. A result of
    `counterfactual` also carries its `baseline` (the record's world, same seed and n), and
    `compare()` sets the two side by side with the difference and its Monte Carlo error."""

    case_id: str
    world: World
    n: int
    seed: int
    outcomes: pd.DataFrame
    choices: pd.DataFrame
    run_key: str
    reused: bool
    backend: str
    weights: pd.DataFrame
    baseline: SimulationResult | None = None

    def compare(self, z: float | None = None) -> pd.DataFrame:
        """Outcomes against the baseline: baseline, counterfactual, difference, mc_se (of the
        difference), beyond_mc_error (|difference| > z x mc_se; z = 2.576, 99%)."""
        if self.baseline is None:
            raise ValueError("compare: this result has no baseline (use counterfactual())")
        z = Z_MC if z is None else z
        base = self.baseline.outcomes
        out = base[["outcome", "label", "observed"]].copy()
        out["baseline"] = base["frequency"].to_numpy()
        out["counterfactual"] = self.outcomes["frequency"].to_numpy()
        out["difference"] = out["counterfactual"] - out["baseline"]
        out["mc_se"] = np.sqrt(
            base["mc_se"].to_numpy() ** 2 + self.outcomes["mc_se"].to_numpy() ** 2
        )
        out["beyond_mc_error"] = out["difference"].abs() > z * out["mc_se"]
        out["n"] = self.n
        out.attrs["world"] = self.world.name
        out.attrs["choices"] = self.choice_shift()
        return out

    def choice_shift(self) -> pd.DataFrame:
        """Each option's frequency in the baseline and in this world."""
        if self.baseline is None:
            raise ValueError("choice_shift: this result has no baseline (use counterfactual())")
        return _choice_shift(self.baseline, self)

    def to_frame(self) -> pd.DataFrame:
        """The outcome table: `compare()` for a counterfactual, else `outcomes`."""
        return self.compare() if self.baseline is not None else self.outcomes.copy()

    def summary(self) -> Any:
        from realpolitik.summary import Summary

        facts: list[tuple[str, object]] = [
            ("Case", self.case_id),
            ("World", self.world.name),
            ("Paths", self.n),
            ("Seed", self.seed),
            ("Backend", self.backend),
        ]
        s = Summary(f"realpolitik simulation: {self.case_id}", facts)
        if self.baseline is not None:
            cols = ["outcome", "baseline", "counterfactual", "difference", "mc_se"]
            s.add_table("outcomes against the baseline", self.compare()[[*cols, "beyond_mc_error"]])
            s.notes.append(
                "mc_se is the Monte Carlo standard error of the difference; beyond_mc_error "
                f"when |difference| > {Z_MC} mc_se (99%)"
            )
        else:
            s.add_table("outcomes", self.outcomes[["outcome", "observed", "frequency", "mc_se"]])
            s.add_table("per-decision match with the record", self.match_rates())
        return s

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        kind = "counterfactual" if self.baseline is not None else "simulation"
        return (
            f"<SimulationResult {kind} case={self.case_id!r} world={self.world.name!r} "
            f"n={self.n} seed={self.seed}>"
        )

    def match_rates(self) -> pd.DataFrame:
        rec = self.choices[self.choices["recorded"]]
        return (
            rec[["decision", "actor", "option", "frequency"]]
            .rename(columns={"option": "recorded_option", "frequency": "match_rate"})
            .reset_index(drop=True)
        )


# fitted_weights' recent answers, so that `run` (fidelity, the headline world, the
# counterfactual's baseline) fits each model once: (comp, model, assumptions) -> (comp, frame).
# The compiled case is held, so its id is not reused while the entry lives.
_FITTED: dict[tuple[int, str, tuple[tuple[str, float], ...]], tuple[Compiled, pd.DataFrame]] = {}
_FITTED_MAX = 16


def fitted_weights(
    comp: Compiled,
    model: str = "full",
    assumptions: dict[str, float] | None = None,
    store: Any = None,
) -> pd.DataFrame:
    """Point weights per actor from a maximum-likelihood fit; 0 (a coin toss among options) for
    actors the record cannot identify or who made no decision. The same question asked again
    of the same compiled case is answered without refitting; with a run `store` (True: the
    default one), the answer is also kept there, keyed by the case's hash, the model, the
    assumptions and the estimation code, so that a later process need not load the estimation
    libraries at all."""
    key = (id(comp), model, tuple(sorted((assumptions or {}).items())))
    hit = _FITTED.get(key)
    if hit is not None and hit[0] is comp:
        return hit[1].copy()
    frame = _stored_weights(comp, model, assumptions, store)
    if len(_FITTED) >= _FITTED_MAX:
        _FITTED.pop(next(iter(_FITTED)))
    _FITTED[key] = (comp, frame)
    return frame.copy()


def _stored_weights(
    comp: Compiled, model: str, assumptions: dict[str, float] | None, store: Any
) -> pd.DataFrame:
    if store in (None, False):
        return _fitted_weights(comp, model, assumptions)
    from realpolitik.cache import case_spec, lookup, save

    spec = case_spec(comp, model=model, assumptions=sorted((assumptions or {}).items()))
    found, frame = lookup(store, "fitted-weights", spec)
    if found and isinstance(frame, pd.DataFrame):
        return frame
    frame = _fitted_weights(comp, model, assumptions)
    save(store, "fitted-weights", spec, frame)
    return frame


def _fitted_weights(
    comp: Compiled, model: str, assumptions: dict[str, float] | None
) -> pd.DataFrame:
    from realpolitik.estimation.api import fit

    res = fit(comp, model=model, assumptions=assumptions, checks="none")  # point weights only
    terms = MODELS[model]
    rows = []
    fitted = {a.actor: a for a in res.actors}
    for actor in comp.actor_ids:
        a = fitted.get(actor)
        ok = a is not None and a.status != "unidentified" and np.isfinite(a.params).all()
        row = {"actor": actor, "source": "fitted" if ok else "none (coin toss)"}
        for k, t in enumerate(terms):
            row[t] = float(a.params[k]) if ok else 0.0  # type: ignore[union-attr]
        rows.append(row)
    return pd.DataFrame(rows)


def weight_array(comp: Compiled, weights: pd.DataFrame, model: str) -> np.ndarray:
    terms = MODELS[model]
    w = np.zeros((1, comp.n_actors, len(terms)))
    for _, r in weights.iterrows():
        i = comp.actor_ids.index(r["actor"])
        w[0, i] = [r[t] for t in terms]
    return w


def resolve_world(
    comp: Compiled, world: World, base_weights: pd.DataFrame, model: str
) -> dict[str, Any]:
    """Check a world against the case and turn it into engine arguments; errors name the
    counterfactual file the world came from."""
    try:
        return _resolve_world(comp, world, base_weights, model)
    except InputError as exc:
        if world.source is None:
            raise
        raise InputError(f"{world.source}: {exc}") from None


def _resolve_world(
    comp: Compiled, world: World, base_weights: pd.DataFrame, model: str
) -> dict[str, Any]:
    ids = {e.id: e for e in comp.case.events}
    for e in world.remove_events:
        if e not in ids:
            raise InputError(f"remove_events: unknown event '{e}' (events: {', '.join(ids)})")
    moved = {}
    for e, date in world.move_events.items():
        if e not in ids:
            raise InputError(f"move_events: unknown event '{e}' (events: {', '.join(ids)})")
        span = comp.case.span
        if not span.start <= date <= span.end:
            raise InputError(
                f"move_events.{e}: {date} is outside the case's span ({span.start} to {span.end})"
            )
        moved[e] = year_fraction(date)
    forced = {}
    dec = {d.id: (k, d) for k, d in enumerate(comp.decisions)}
    for d_id, opt in world.force.items():
        if d_id not in dec:
            raise InputError(f"force: unknown decision '{d_id}'")
        k, d = dec[d_id]
        if opt not in d.option_ids:
            raise InputError(
                f"force.{d_id}: unknown option '{opt}' (options: {', '.join(d.option_ids)})"
            )
        forced[k] = d.option_ids.index(opt)
    comp.check_overrides(world.assumptions)
    weights = base_weights.copy()
    terms = MODELS[model]
    for actor, ws in world.weights.items():
        if actor not in comp.actor_ids:
            raise InputError(
                f"weights: unknown actor '{actor}' (actors: {', '.join(comp.actor_ids)})"
            )
        for term, value in ws.items():
            if term not in terms:
                raise InputError(
                    f"weights.{actor}: unknown term '{term}' for model {model} (terms: {', '.join(terms)})"
                )
            if not np.isfinite(float(value)):
                raise InputError(f"weights.{actor}.{term}: expected a finite number, got {value}")
            weights.loc[weights["actor"] == actor, term] = float(value)
            weights.loc[weights["actor"] == actor, "source"] = "set by the world"
    theta = comp.theta(1, world.assumptions)
    W5 = to_feature_weights(model, comp, weight_array(comp, weights, model), theta)
    return {
        "theta": theta,
        "W5": W5,
        "skip": frozenset(world.remove_events),
        "moved": moved,
        "forced": forced,
        "weights": weights,
    }


def _job(args: tuple[Any, ...]) -> dict[str, np.ndarray]:
    comp, theta, W5, skip, moved, forced, seed, (index, _start, rows) = args
    rng = chunk_rng(seed, index)
    path = run(
        comp,
        theta,
        feature_weights=W5,
        rows=rows,
        rng=rng,
        forced=forced,
        skip_events=skip,
        moved_events=moved,
        diagnostics=False,  # only choices and outcomes are counted
    )
    max_opt = max(len(d.option_ids) for d in comp.decisions)
    counts = np.zeros((len(comp.decisions), max_opt), dtype=np.int64)
    for k in range(len(comp.decisions)):
        # shifted by one: a conditional decision that did not arise (-1) falls in bin 0 and
        # counts nowhere (no filtering pass)
        counts[k] = np.bincount(path.choices[:, k] + 1, minlength=max_opt + 1)[1 : max_opt + 1]
    return {
        "rows": np.array([rows]),
        "outcomes": path.outcomes.sum(axis=0).astype(np.int64),
        "choices": counts,
    }


def simulate(
    case: Any,
    *,
    n: int = 10_000,
    seed: int = 0,
    world: World | None = None,
    model: str = "full",
    weights: pd.DataFrame | None = None,
    backend: str = "local",
    workers: int = 2,
    scheduler: str | None = None,
    store: str | Path | bool | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: bool = False,
    scenario_hash: str | None = None,
) -> SimulationResult:
    """Simulate n paths of a case's world; the same seed gives the same numbers anywhere.

    Parameters
    ----------
    case : str, Path, Case or Compiled
        A built-in case name, a scenario file, or a loaded case.
    n : int
        Monte Carlo paths.
    seed : int
        Seed; each chunk of paths draws from its own stream, so backends agree.
    world : World, optional
        What differs from the record's world (default: nothing).
    model : {"full", "ideology", "interest", "components"}
        The choice model whose fitted weights drive the actors.
    weights : DataFrame, optional
        Weights per actor (columns actor and the model's terms); default: fitted by maximum
        likelihood under the world's assumptions.
    backend : {"local", "dask"}
        Where the chunks run; `workers` processes, or an existing Dask `scheduler`.
    store : path, bool or None
        The run store (DuckDB): a path, True for the user cache, False or None for none. A
        stored run is read back, not recomputed.
    chunk_rows : int
        Paths per chunk.
    progress : bool
        Show progress.

    Returns
    -------
    SimulationResult
        `outcomes`, `choices`, `match_rates()`, `summary()`.
    """
    check_int(n, "-n", 1, limits.MAX_PATHS)
    check_int(seed, "--seed", 0, limits.MAX_SEED)
    comp = as_compiled(case)
    world = world or World()
    if model not in MODELS:
        raise InputError(f"--model: expected one of {', '.join(MODELS)}, got '{model}'")
    base = (
        weights
        if weights is not None
        else fitted_weights(comp, model, world.assumptions or None, store=store)
    )
    args = resolve_world(comp, world, base, model)
    plan = ChunkPlan(n, chunk_rows)
    params = {
        "n": n,
        "model": model,
        "world": world.describe(),
        "chunk_rows": chunk_rows,
        "weights": args["weights"].to_dict("records"),
    }
    payload = (comp, args["theta"], args["W5"], args["skip"], args["moved"], args["forced"], seed)
    have, key, reused = run_chunks(
        "simulate",
        comp,
        plan,
        _job,
        lambda c: (*payload, c),
        params=params,
        seed=seed,
        execution=Execution(backend, workers, scheduler, store, progress),
        scenario_hash=scenario_hash,
        label=f"simulating {world.name}",
    )
    return _collect(comp, world, n, seed, have, key, reused, backend, args["weights"])


def _collect(
    comp: Compiled,
    world: World,
    n: int,
    seed: int,
    have: dict[int, dict[str, np.ndarray]],
    key: str,
    reused: bool,
    backend: str,
    weights: pd.DataFrame,
) -> SimulationResult:
    order = sorted(have)
    rows = int(sum(int(have[i]["rows"][0]) for i in order))
    outcome_sum = np.sum([have[i]["outcomes"] for i in order], axis=0)
    choice_sum = np.sum([have[i]["choices"] for i in order], axis=0)
    freq = outcome_sum / rows
    outcomes = pd.DataFrame(
        {
            "outcome": [o.id for o in comp.case.outcomes],
            "label": [o.label for o in comp.case.outcomes],
            "observed": [o.observed for o in comp.case.outcomes],
            "frequency": freq,
            "mc_se": np.sqrt(freq * (1 - freq) / rows),
            "n": rows,
        }
    )
    recs = []
    for k, d in enumerate(comp.decisions):
        for j, opt in enumerate(d.option_ids):
            recs.append(
                {
                    "decision": d.id,
                    "date": comp.case.decisions[k].date,
                    "actor": comp.actor_ids[d.actor],
                    "option": opt,
                    "recorded": j == d.chosen,
                    "frequency": choice_sum[k, j] / rows,
                }
            )
    return SimulationResult(
        comp.case.id, world, rows, seed, outcomes, pd.DataFrame(recs), key, reused, backend, weights
    )


# ---- fidelity -----------------------------------------------------------------------------------


def record_logp(comp: Compiled, weights: pd.DataFrame, model: str) -> tuple[float, np.ndarray]:
    """Log-probability of the recorded path and each recorded choice's probability."""
    theta = comp.theta()
    W5 = to_feature_weights(model, comp, weight_array(comp, weights, model), theta)
    path = run(comp, theta, feature_weights=W5, record=True)
    return float(np.log(path.chosen_prob[0]).sum()), path.chosen_prob[0]


def fidelity(
    case: Any,
    *,
    n: int = 10_000,
    seed: int = 0,
    backend: str = "local",
    workers: int = 2,
    store: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Score three agents against the record: the fitted full model, an ideology-only agent
    and an interest-only agent (each fitted to the record), by the log-probability of the
    recorded path, the mean per-decision match rate in simulation, and the share of paths
    that reproduce each observed outcome."""
    comp = as_compiled(case)
    rows = []
    for label, model in (
        ("fitted (full)", "full"),
        ("ideology-only", "ideology"),
        ("interest-only", "interest"),
    ):
        w = fitted_weights(comp, model, store=store)
        logp, probs = record_logp(comp, w, model)
        sim = simulate(
            comp,
            n=n,
            seed=seed,
            model=model,
            weights=w,
            backend=backend,
            workers=workers,
            store=store,
            progress=progress,
        )
        match = sim.match_rates()
        row = {
            "agent": label,
            "model": model,
            "record_logp": logp,
            "mean_p_recorded": float(np.mean(probs)),
            "mean_match_rate": float(match["match_rate"].mean()),
        }
        for _, o in sim.outcomes.iterrows():
            row[f"p_{o['outcome']}"] = float(
                o["frequency"] if o["observed"] else 1 - o["frequency"]
            )
        rows.append(row)
    return pd.DataFrame(rows)


# ---- counterfactuals ----------------------------------------------------------------------------


def ideological(comp: Compiled, actor: str, base: pd.DataFrame) -> World:
    """An actor who weighs ideology as strongly as the fitted actor weighed interest, and
    interest not at all (strengths on the standardised scale of docs/model.md)."""
    from realpolitik.estimation.data import choice_data

    if actor not in comp.actor_ids:
        raise InputError(
            f"--ideological: unknown actor '{actor}' (actors: {', '.join(comp.actor_ids)})"
        )
    data = choice_data(comp, "full")
    mine = data.for_actor(comp.actor_ids.index(actor))
    # the actor's own within-decision SDs, as in its standardised strengths (results.py);
    # the pooled ones for an actor that made no recorded decision
    sd = mine.within_sd() if mine.n_groups else data.within_sd()
    row = base[base["actor"] == actor].iloc[0]
    strength = abs(float(row["interest"])) * sd[1]
    if strength < 1e-6:
        strength = 1.0 * sd[0]  # an unidentified actor: one standard deviation of ideology
    return World(
        weights={actor: {"ideology": strength / sd[0], "interest": 0.0}},
        name=f"ideological {actor}",
    )


def counterfactual(
    case: Any,
    world: World,
    *,
    n: int = 10_000,
    seed: int = 0,
    backend: str = "local",
    workers: int = 2,
    scheduler: str | None = None,
    store: Any = None,
    progress: bool = False,
) -> SimulationResult:
    """Simulate a changed world against the baseline (the record's world), same seed.

    Parameters
    ----------
    case : str, Path, Case or Compiled
        A built-in case name, a scenario file, or a loaded case.
    world : World
        What differs: actors' weights, events removed or moved, assumption values, forced
        choices (see docs/world-format.md; `load_world(FILE)` reads one from YAML).
    n : int
        Monte Carlo paths per world.
    seed : int
        The same seed drives both worlds (common random numbers).
    backend, workers, scheduler, store, progress :
        As for `simulate`.

    Returns
    -------
    SimulationResult
        The changed world, with `.baseline`; `.compare()` gives each outcome's baseline and
        counterfactual probability, the difference and its Monte Carlo standard error.
    """
    comp = as_compiled(case)
    if world.name == "baseline":  # a World() with changes and no name of its own
        world = replace(world, name="counterfactual")
    # the baseline is the record's world (weights fitted at the default assumptions); a world
    # that changes assumptions refits the weights under them, as `simulate` does
    base_w = fitted_weights(comp, "full", store=store)
    alt_w = (
        fitted_weights(comp, "full", world.assumptions, store=store)
        if world.assumptions
        else base_w
    )
    common = {
        "n": n,
        "seed": seed,
        "backend": backend,
        "workers": workers,
        "scheduler": scheduler,
        "store": store,
        "progress": progress,
    }
    base = simulate(comp, world=World(), weights=base_w, **common)
    alt = simulate(comp, world=world, weights=alt_w, **common)
    alt.baseline = base
    return alt


def _choice_shift(base: SimulationResult, alt: SimulationResult) -> pd.DataFrame:
    b = base.choices.set_index(["decision", "option"])
    a = alt.choices.set_index(["decision", "option"])
    frame = b[["actor", "recorded"]].copy()
    frame["baseline"] = b["frequency"]
    frame["counterfactual"] = a["frequency"]
    return frame.reset_index()


def load_world(path: str | Path) -> World:
    """Read a counterfactual file (YAML): name, weights, remove_events, move_events,
    assumptions, force."""
    from realpolitik.scenario.safe_yaml import load_yaml, read_text

    p = Path(path)
    data, _ = load_yaml(read_text(p, "counterfactual file"), str(p))
    if not isinstance(data, dict):
        raise InputError(
            f"{p}: expected a mapping with weights/remove_events/move_events/assumptions/force"
        )
    allowed = {"name", "weights", "remove_events", "move_events", "assumptions", "force"}
    extra = sorted(set(data) - allowed)
    if extra:
        raise InputError(
            f"{p}: {extra[0]}: unknown field (expected one of {', '.join(sorted(allowed))})"
        )

    def mapping(key: str, expected: str) -> dict[Any, Any]:
        value = data.get(key) or {}
        if not isinstance(value, dict):
            raise InputError(f"{p}: {key}: expected {expected}, got {type(value).__name__}")
        return value

    def number(where: str, value: Any) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool) or not np.isfinite(value):
            raise InputError(f"{p}: {where}: expected a number, got {value!r}")
        return float(value)

    moves = {}
    for k, v in mapping("move_events", "{EVENT: YYYY-MM-DD}").items():
        try:
            moves[k] = v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))
        except ValueError as exc:
            raise InputError(f"{p}: move_events.{k}: expected a date YYYY-MM-DD ({exc})") from None
    weights = mapping("weights", "{ACTOR: {TERM: NUMBER}}")
    if not all(isinstance(v, dict) for v in weights.values()):
        raise InputError(f"{p}: weights: expected {{ACTOR: {{TERM: NUMBER}}}}")
    for actor, ws in weights.items():
        for term, value in ws.items():
            number(f"weights.{actor}.{term}", value)
    assumptions = mapping("assumptions", "{ASSUMPTION: NUMBER}")
    for k, v in assumptions.items():
        number(f"assumptions.{k}", v)
    force = mapping("force", "{DECISION: OPTION}")
    for k, v in force.items():
        if not isinstance(v, str | int | float) or isinstance(v, bool):
            raise InputError(f"{p}: force.{k}: expected an option id, got {v!r}")
    removed = data.get("remove_events") or []
    if not isinstance(removed, list) or not all(isinstance(e, str) for e in removed):
        raise InputError(f"{p}: remove_events: expected a list of event ids, got {removed!r}")
    return World(
        weights={str(a): {str(t): float(v) for t, v in ws.items()} for a, ws in weights.items()},
        remove_events=list(removed),
        move_events=moves,
        assumptions={str(k): float(v) for k, v in assumptions.items()},
        force={str(k): str(v) for k, v in force.items()},
        name=str(data.get("name") or p.stem),
        source=str(p),
    )
