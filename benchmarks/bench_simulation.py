"""Speed of replayed history, each figure a ratio measured side by side in one run.

    python benchmarks/bench_simulation.py [--case CASE] [--quick] [--reps R] [--seed S] ...

(a) Mesa. The *simplified alignment model* (the case's choice model with capabilities following
    the record scaled by aid, i.e. without an arena's balance rule) three ways:
    `realpolitik.simulation.engine.run`; the same model as a competent Mesa 3 user writes it,
    vectorised over paths with numpy inside one Mesa model (one Agent per deciding actor, the
    decider asked once per step through `model.agents.shuffle_do`): the *fair* baseline, goal
    engine >= 2x; and the same model with one Mesa model per path in plain Python (the old
    baseline, kept as a second row). Each pair is checked to give the same choice and outcome
    frequencies within Monte Carlo error.
(b) The engine on the full case: CPU ns per path-decision on one core (goal <= 40), and one
    `simulate` of 10^6 paths on the local backend with 2 processes, wall time with start-up
    (process start included; goal < 2 s).
(c) Dask: the same `simulate` job on this process (local backend, 1 process) and on a Dask
    local cluster of 1 worker (goal: within 15%), and on 1 against 2 workers (goal >= 1.7x);
    a Sobol analysis (`realpolitik.simulation.sensitivity`) of at least 100,000 evaluations on
    1 against 2 workers (goal >= 1.7x). Clusters are started before the timing. Every backend
    must give identical numbers.

Every measurement is repeated `--reps` times (default 3), interleaved, and each ratio is
reported as its median with its range over the repetitions, with the machine's load average
(1 minute) during the measurement. Times are CPU seconds where the question is the work done
(a, b-ns) and wall seconds where it is the elapsed time (b-10^6, c). On a shared machine the
wall figures move with the load; the CPU figures much less.
`--quick` shrinks every size so that the script finishes in seconds (used by the tests).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from machine_speed import describe, loop_seconds

DEFAULT_CASE = "east-asia-1945"


# ---- the case, without its balance rule --------------------------------------------------------


def load_case(ref: str | None) -> Any:
    """The compiled case, and a copy with every arena's balance rule removed (the simplified
    model)."""
    from realpolitik.estimation.api import as_compiled
    from realpolitik.model.compiled import compile_case
    from realpolitik.scenario.loader import builtin_names, load, parse, template_text

    if ref is None:
        ref = DEFAULT_CASE if DEFAULT_CASE in builtin_names() else "template"
    case = parse(template_text(), "<template>") if ref == "template" else load(ref).case
    simple = case.model_copy(
        update={"arenas": [a.model_copy(update={"dynamics": None}) for a in case.arenas]}
    )
    return as_compiled(ref if ref != "template" else case), compile_case(simple)


def feature_weights(comp: Any) -> np.ndarray:
    """Fitted full-model weights turned into weights on the five features, (actors, 5)."""
    from realpolitik.model.specs import to_feature_weights
    from realpolitik.simulation.api import fitted_weights, weight_array

    w = fitted_weights(comp)
    return to_feature_weights("full", comp, weight_array(comp, w, "full"), comp.theta())[0]


def load1() -> float:
    return os.getloadavg()[0]


def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


@dataclass
class Spread:
    """A ratio over repetitions: median and range, with the load averages seen."""

    values: list[float]
    loads: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def text(self, unit: str = "x", digits: int = 2) -> str:
        lo, hi = min(self.values), max(self.values)
        return f"{self.median:.{digits}f}{unit} [{lo:.{digits}f}-{hi:.{digits}f}]"

    def load_text(self) -> str:
        return f"{min(self.loads):.1f}-{max(self.loads):.1f}"


# ---- (a) the Mesa model ------------------------------------------------------------------------


@dataclass
class Plan:
    """The case's timeline as plain Python numbers at the default assumptions."""

    steps: list[tuple[str, int]]
    decisions: list[dict[str, Any]]
    events: list[list[tuple]]
    outcomes: list[dict[str, Any]]
    holder0: list[int]
    recurring: list[bool]
    members: list[list[int]]  # per alliance of the case
    alliance0: set[int]  # alliances in force at the start
    weights: list[list[float]]
    actors: list[int]


def _effect(e: Any, theta: np.ndarray) -> tuple:
    amount = float(e.q.of(theta)[0])
    return (e.kind, e.a, e.b, e.stake, e.arena, amount, e.active, e.alliance, tuple(e.ends))


def make_plan(comp: Any, W: np.ndarray) -> Plan:
    """Read everything exogenous (positions, record capabilities, prices) once; the state-
    dependent parts of each feature are computed by the agents as they go."""
    from realpolitik.model.features import ideology_positions, record_capability

    theta = comp.theta()
    pp, pr, ps = (float(comp.prices[k].of(theta)[0]) for k in ("prevail", "risk", "security"))
    values = comp.valuation(theta)[0]
    decisions = []
    for d in comp.decisions:
        x = ideology_positions(comp, theta, d.t)[0]
        # the signed affinity of docs/model.md: 1 - 2|x_d - x_a| / W
        aff = [1.0 - 2.0 * abs(x[d.actor] - x[a]) / comp.scale_width for a in range(comp.n_actors)]
        cap = None
        m = 1.0
        if d.arena >= 0:
            rec = record_capability(comp, theta, d.arena, d.t)[0]
            rec[~comp.present(d.t)] = np.nan  # actors outside the case do not contest
            cap = list(rec)
            m = float(comp.arenas[d.arena].decisiveness.of(theta)[0])
        options = []
        for j in range(len(d.option_ids)):
            options.append(
                {
                    "favours": [int(a) for a in d.favours[j]],  # a side: one actor or more
                    "opposes": [int(a) for a in d.opposes[j]],
                    "gains": [int(s) for s in np.flatnonzero(d.gains[j])],
                    "gives": [int(s) for s in np.flatnonzero(d.gives[j])],
                    "risk": float(d.risk[j].of(theta)[0]),
                    "rival": int(d.rival[j]),
                    "security": float(d.security[j].of(theta)[0]),
                    "effects": [_effect(e, theta) for e in d.effects[j]],
                }
            )
        decisions.append(
            {
                "actor": d.actor,
                "arena": d.arena,
                "aff": aff,
                "cap": cap,
                "m": m,
                "values": list(values[d.actor]),
                "options": options,
                "chosen": d.chosen,
                "prices": (pp, pr, ps),
            }
        )
    outcomes = []
    for o in comp.outcomes:
        out = {
            "kind": o.kind,
            "actor": o.actor,
            "stake": o.stake,
            "members": o.members,
            # the alliances that count for an alliance outcome (of its types, or any)
            "counts": {k for k, ok in enumerate(comp.alliance_typed(o.types)) if ok}
            if comp.alliances
            else set(),
            "arena": o.arena,
            "threshold": float(o.threshold.of(theta)[0]),
        }
        if o.kind == "prevails":
            out["cap"] = list(record_capability(comp, theta, o.arena, o.t)[0])
            out["m"] = float(comp.arenas[o.arena].decisiveness.of(theta)[0])
        outcomes.append(out)
    return Plan(
        steps=[(s.kind, s.index) for s in comp.steps()],
        decisions=decisions,
        events=[[_effect(e, theta) for e in ev.effects] for ev in comp.events],
        outcomes=outcomes,
        holder0=[int(h) for h in comp.holder0],
        recurring=[bool(r) for r in comp.recurring],
        members=[[int(a) for a in np.flatnonzero(al.members)] for al in comp.alliances],
        alliance0={k for k, al in enumerate(comp.alliances) if al.initially},
        weights=[list(map(float, row)) for row in W],
        actors=sorted({d.actor for d in comp.decisions}),
    )


def mesa_classes() -> tuple[type, type]:
    import mesa

    class Actor(mesa.Agent):
        """A deciding actor: when the timeline reaches one of its decisions it picks an option."""

        def __init__(self, model: Any, index: int, weights: list[float]):
            super().__init__(model)
            self.index = index
            self.weights = weights

        def features(self, d: dict[str, Any]) -> list[list[float]]:
            model = self.model
            shares = None
            if d["cap"] is not None:
                shares = model.powered(d["cap"], d["arena"], d["m"])
            rows = []
            recurring = model.plan.recurring
            for o in d["options"]:
                f, g = o["favours"], o["opposes"]
                ideo = (sum(d["aff"][a] for a in f) / len(f) if f else 0.0) - (
                    sum(d["aff"][a] for a in g) / len(g) if g else 0.0
                )
                stakes = sum(
                    d["values"][s]
                    for s in o["gains"]
                    if recurring[s] or model.holder[s] != self.index
                )
                stakes -= sum(d["values"][s] for s in o["gives"] if model.holder[s] == self.index)
                prevail = 0.0
                if shares is not None and f and g:
                    prevail = model.sides(shares, f, g, d["m"])
                hostile = (
                    model.hostility.get((self.index, o["rival"]), 0.0) if o["rival"] >= 0 else 0.0
                )
                rows.append([ideo, stakes, prevail, o["risk"] * (1.0 - hostile), o["security"]])
            return rows

        def step(self) -> None:
            model = self.model
            if model.current is None or model.current["actor"] != self.index:
                return
            d = model.current
            utils = [
                sum(w * x for w, x in zip(self.weights, row, strict=True))
                for row in self.features(d)
            ]
            top = max(utils)
            expu = [math.exp(u - top) for u in utils]
            total = sum(expu)
            draw = self.model.random.random()
            acc, pick = 0.0, 0
            for j, e in enumerate(expu):
                acc += e / total
                if acc < draw:
                    pick = j + 1
            pick = min(pick, len(expu) - 1)
            model.choices.append(pick)
            for eff in d["options"][pick]["effects"]:
                model.apply(eff)
            for eff in d["options"][d["chosen"]]["effects"]:
                model.apply(eff, sign=-1.0)  # the record is the reference for capabilities

    class AlignmentModel(mesa.Model):
        """One path of the simplified alignment model; one step per timeline step."""

        def __init__(self, plan: Plan, seed: int):
            super().__init__(seed=seed)
            self.plan = plan
            self.holder = list(plan.holder0)
            self.hostility: dict[tuple[int, int], float] = {}
            self.alliance: set[int] = set(plan.alliance0)  # alliances in force
            self.align: dict[int, int] = {}
            self.deviation: dict[tuple[int, int], float] = {}
            self.choices: list[int] = []
            self.outcomes: list[bool] = []
            self.current: dict[str, Any] | None = None
            self.cursor = 0
            for a in plan.actors:
                Actor(self, a, plan.weights[a])

        def sides(self, powered: list[float | None], f: list[int], g: list[int], m: float) -> float:
            """p_F - p_G with each side's members pooled (no allies with a capability in the
            cases benchmarked); 0 when a side has no capability."""
            raw = [None if p is None else p ** (1.0 / m) for p in powered]
            cf = sum(raw[a] for a in f if raw[a] is not None)
            cg = sum(raw[a] for a in g if raw[a] is not None)
            if cf <= 0 or cg <= 0:
                return 0.0
            rest = sum(p for a, p in enumerate(powered) if p is not None and a not in f + g)
            return (cf**m - cg**m) / (cf**m + cg**m + rest)

        def powered(self, cap: list[float], arena: int, m: float) -> list[float | None]:
            return [
                None if math.isnan(c) else (c * math.exp(self.deviation.get((arena, a), 0.0))) ** m
                for a, c in enumerate(cap)
            ]

        def contest(self, cap: list[float], arena: int, m: float) -> list[float | None]:
            powered = self.powered(cap, arena, m)
            total = sum(p for p in powered if p is not None)
            return [None if p is None else p / total for p in powered]

        def apply(self, eff: tuple, sign: float = 1.0) -> None:
            kind, a, b, stake, arena, amount, active, alliance, ends = eff
            if kind == "aid":
                self.deviation[(arena, a)] = self.deviation.get(
                    (arena, a), 0.0
                ) + sign * math.log1p(amount)
            elif sign < 0:
                return
            elif kind == "transfer":
                self.holder[stake] = b
            elif kind == "align":
                self.align[a] = b
            elif kind == "alliance":
                self.alliance -= set(ends)
                if active:
                    self.alliance.add(alliance)
            elif kind == "hostility":
                level = min(max(amount, 0.0), 1.0)
                self.hostility[(a, b)] = self.hostility[(b, a)] = level

        def step(self) -> None:
            kind, index = self.plan.steps[self.cursor]
            self.cursor += 1
            self.current = None
            if kind == "event":
                for eff in self.plan.events[index]:
                    self.apply(eff)
            elif kind == "decision":
                self.current = self.plan.decisions[index]
                self.agents.shuffle_do("step")
            else:
                o = self.plan.outcomes[index]
                if o["kind"] == "prevails":
                    share = self.contest(o["cap"], o["arena"], o["m"])[o["actor"]]
                    self.outcomes.append(share is not None and share >= o["threshold"])
                elif o["kind"] == "alliance":
                    a, b = o["members"]
                    self.outcomes.append(
                        any(
                            a in self.plan.members[k] and b in self.plan.members[k]
                            for k in self.alliance
                            if k in o["counts"]
                        )
                    )
                else:
                    self.outcomes.append(self.holder[o["stake"]] == o["actor"])

        def run(self) -> None:
            while self.cursor < len(self.plan.steps):
                self.step()

    return Actor, AlignmentModel


# ---- (a) the fair baseline: the same model vectorised over paths inside Mesa --------------------


def mesa_vector_classes() -> tuple[type, type]:
    """The simplified model as a competent Mesa user writes it for many paths: one Mesa model
    holds numpy arrays with one entry per path, one Agent per deciding actor computes its
    options' utilities for all paths at once and draws every path's choice, and the model's
    step walks the timeline. Exogenous inputs come from the same `Plan` as the per-path model.

    Written for speed the way a numpy user would: one array per option (no 2-D scatter),
    state that is the same for every path kept as a number until paths differ, C^m computed
    once and scaled by exp(m x deviation), masked assignment for effects."""
    import mesa

    class VectorActor(mesa.Agent):
        def __init__(self, model: Any, index: int, weights: list[float]):
            super().__init__(model)
            self.index = index
            self.w = [float(x) for x in weights]

        def step(self) -> None:
            model = self.model
            d = model.current
            if d is None or d["actor"] != self.index:
                return
            w = self.w
            recurring = model.plan.recurring
            utils: list[Any] = []
            for o in d["options"]:
                f, g = o["favours"], o["opposes"]  # sides: lists of actors
                ideo = (sum(d["aff"][a] for a in f) / len(f) if f else 0.0) - (
                    sum(d["aff"][a] for a in g) / len(g) if g else 0.0
                )
                stakes = sum(d["values"][s] for s in o["gains"]) - sum(
                    d["values"][s] for s in o["gives"]
                )
                u: Any = w[0] * ideo + w[1] * stakes + w[3] * o["risk"] + w[4] * o["security"]
                for s in o["gains"]:  # a stake already held is not gained again (unless recurring)
                    if recurring[s]:
                        continue
                    held = model.holder[:, s] == self.index
                    if held.any():
                        u = u - (w[1] * d["values"][s]) * held
                for s in o["gives"]:  # a stake is given up only where it is held
                    not_held = model.holder[:, s] != self.index
                    if not_held.any():
                        u = u + (w[1] * d["values"][s]) * not_held
                if d["cap"] is not None and f and g:
                    u = u + w[2] * model.sides(d["cap"], d["arena"], d["m"], f, g)
                if o["rival"] >= 0:
                    hostile = model.hostility.get((self.index, o["rival"]))
                    if hostile is not None:
                        u = u - (w[3] * o["risk"]) * hostile
                utils.append(u)
            top = utils[0]
            for u in utils[1:]:
                top = np.maximum(top, u)
            e = [np.exp(u - top) for u in utils]
            total = sum(e)
            draw = model.rng.random(model.n)
            pick = np.zeros(model.n, dtype=np.int8)
            acc: Any = 0.0
            for x in e[:-1]:
                acc = acc + x
                pick += acc < draw * total
            model.choices.append(pick)
            for j, o in enumerate(d["options"]):
                if o["effects"]:
                    mask = pick == j
                    for eff in o["effects"]:
                        model.apply(eff, mask)
            for eff in d["options"][d["chosen"]]["effects"]:
                model.apply(eff, None, sign=-1.0)  # the record is the reference for capabilities

    class VectorModel(mesa.Model):
        """n paths of the simplified alignment model; one step per timeline step."""

        def __init__(self, plan: Plan, n: int, seed: int):
            super().__init__(seed=seed)
            self.rng = np.random.default_rng(seed)
            self.plan = plan
            self.n = n
            self.holder = np.tile(np.asarray(plan.holder0, dtype=np.int16), (n, 1)).T.copy().T
            self.hostility: dict[tuple[int, int], np.ndarray] = {}
            # alliances in force: a number while every path has the same flag, then an array
            self.alliance: dict[int, Any] = {k: True for k in plan.alliance0}
            self.align: dict[int, np.ndarray] = {}
            # log-deviation from the record: a number while every path has the same one
            self.deviation: dict[tuple[int, int], Any] = {}
            self.choices: list[np.ndarray] = []
            self.outcomes: list[np.ndarray] = []
            self.current: dict[str, Any] | None = None
            self.cursor = 0
            for a in plan.actors:
                VectorActor(self, a, plan.weights[a])

        def sides(self, cap: list[float], arena: int, m: float, f: list[int], g: list[int]) -> Any:
            """p_F - p_G with each side's members pooled (no allies with a capability in the
            cases benchmarked); 0 when a side has no capability."""
            raw: list[Any] = []
            for a, c in enumerate(cap):
                raw.append(
                    None if math.isnan(c) else c * np.exp(self.deviation.get((arena, a), 0.0))
                )
            cf = [raw[a] for a in f if raw[a] is not None]
            cg = [raw[a] for a in g if raw[a] is not None]
            if not cf or not cg:
                return 0.0
            pf, pg = sum(cf) ** m, sum(cg) ** m
            rest = sum(
                r**m for a, r in enumerate(raw) if r is not None and a not in f and a not in g
            )
            return (pf - pg) / (pf + pg + rest)

        def contest(self, cap: list[float], arena: int, m: float) -> list[Any]:
            powered: list[Any] = []
            for a, c in enumerate(cap):
                if math.isnan(c):
                    powered.append(None)
                else:
                    dev = self.deviation.get((arena, a), 0.0)
                    powered.append(c**m * np.exp(m * dev))
            total = sum(p for p in powered if p is not None)
            return [None if p is None else p / total for p in powered]

        def apply(self, eff: tuple, mask: np.ndarray | None, sign: float = 1.0) -> None:
            kind, a, b, stake, arena, amount, active, alliance, ends = eff
            if kind == "aid":
                step = sign * math.log1p(amount)
                dev = self.deviation.get((arena, a), 0.0)
                if mask is None:
                    self.deviation[(arena, a)] = dev + step
                else:
                    dev = np.full(self.n, dev) if np.isscalar(dev) else dev
                    dev[mask] += step
                    self.deviation[(arena, a)] = dev
            elif sign < 0:
                return
            elif kind == "transfer":
                self.holder[mask if mask is not None else slice(None), stake] = b
            elif kind == "align":
                col = self.align.setdefault(a, np.full(self.n, -1, dtype=np.int16))
                col[mask if mask is not None else slice(None)] = b
            elif kind == "alliance":  # ends the alliances it names or supersedes, then starts
                for k, on in [(k, False) for k in ends] + ([(alliance, True)] if active else []):
                    if mask is None:
                        self.alliance[k] = on
                    else:
                        col = self.alliance.get(k, False)
                        col = np.full(self.n, col) if np.isscalar(col) else col
                        col[mask] = on
                        self.alliance[k] = col
            elif kind == "hostility":
                col = self.hostility.setdefault((a, b), np.zeros(self.n))
                col[mask if mask is not None else slice(None)] = min(max(amount, 0.0), 1.0)
                self.hostility[(b, a)] = col

        def step(self) -> None:
            kind, index = self.plan.steps[self.cursor]
            self.cursor += 1
            self.current = None
            if kind == "event":
                for eff in self.plan.events[index]:
                    self.apply(eff, None)
            elif kind == "decision":
                self.current = self.plan.decisions[index]
                self.agents.shuffle_do("step")
            else:
                o = self.plan.outcomes[index]
                if o["kind"] == "prevails":
                    share = self.contest(o["cap"], o["arena"], o["m"])[o["actor"]]
                    met = share >= o["threshold"] if share is not None else False
                    self.outcomes.append(np.broadcast_to(met, self.n))
                elif o["kind"] == "alliance":
                    a, b = o["members"]
                    met: Any = False
                    for k, on in self.alliance.items():
                        if (
                            k in o["counts"]
                            and a in self.plan.members[k]
                            and b in self.plan.members[k]
                        ):
                            met = met | on
                    self.outcomes.append(np.array(np.broadcast_to(met, self.n)))
                else:
                    self.outcomes.append(self.holder[:, o["stake"]] == o["actor"])

        def run(self) -> None:
            while self.cursor < len(self.plan.steps):
                self.step()

    return VectorActor, VectorModel


def decision_order(plan: Plan) -> list[int]:
    return [index for kind, index in plan.steps if kind == "decision"]


# ---- (a) the three implementations, side by side ------------------------------------------------


def run_engine(comp: Any, W: np.ndarray, n: int, batch: int, seed: int) -> tuple[Any, Any]:
    from realpolitik.simulation.backends import chunk_rng
    from realpolitik.simulation.engine import run

    ch, out = [], []
    for i, start in enumerate(range(0, n, batch)):
        rows = min(batch, n - start)
        path = run(
            comp,
            comp.theta(1),
            feature_weights=W[None],
            rows=rows,
            rng=chunk_rng(seed, i),
            diagnostics=False,
        )
        ch.append(path.choices)
        out.append(path.outcomes)
    return np.concatenate(ch), np.concatenate(out)


def run_vector(plan: Plan, n: int, batch: int, seed: int) -> tuple[Any, Any]:
    _, VectorModel = mesa_vector_classes()
    order = decision_order(plan)
    ch, out = [], []
    for i, start in enumerate(range(0, n, batch)):
        model = VectorModel(plan, min(batch, n - start), seed=seed * 1_000_003 + i)
        model.run()
        picks = np.empty((model.n, len(order)), dtype=np.int16)
        for k, pick in zip(order, model.choices, strict=True):
            picks[:, k] = pick
        ch.append(picks)
        out.append(np.stack(model.outcomes, axis=1))
    return np.concatenate(ch), np.concatenate(out)


def run_per_path(plan: Plan, n: int, seed: int) -> tuple[Any, Any]:
    _, AlignmentModel = mesa_classes()
    ch = np.zeros((n, len(plan.decisions)), dtype=int)
    out = np.zeros((n, len(plan.outcomes)), dtype=bool)
    for i in range(n):
        model = AlignmentModel(plan, seed=seed * 1_000_003 + i)
        model.run()
        ch[i] = _order(model.choices, plan)
        out[i] = model.outcomes
    return ch, out


def agree(comp: Any, a: tuple[Any, Any], b: tuple[Any, Any]) -> tuple[float, float]:
    """Largest two-sample |z| over every option's choice frequency and every outcome's
    frequency, and its Bonferroni bound at the 0.1% level overall."""
    from statistics import NormalDist

    (ca, oa), (cb, ob) = a, b
    z = []
    for k, d in enumerate(comp.decisions):
        for j in range(len(d.option_ids)):
            z.append(
                _z(float((ca[:, k] == j).mean()), len(ca), float((cb[:, k] == j).mean()), len(cb))
            )
    for o in range(oa.shape[1]):
        z.append(_z(float(oa[:, o].mean()), len(oa), float(ob[:, o].mean()), len(ob)))
    return max(z), NormalDist().inv_cdf(1 - 0.0005 / max(len(z), 1))


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def bench_mesa(
    comp: Any, n_engine: int, n_vector: int, n_path: int, batch: int, reps: int, seed: int
) -> dict[str, Any]:
    W = feature_weights(comp)
    plan = make_plan(comp, W)
    n_dec = len(comp.decisions)
    rate: dict[str, list[float]] = {"engine": [], "vector": [], "path": []}
    fair, old, loads = [], [], []
    results: dict[str, Any] = {}
    for r in range(reps):
        loads.append(load1())
        s = seed + r
        t_e, results["engine"] = cpu(lambda s=s: run_engine(comp, W, n_engine, batch, s))
        t_v, results["vector"] = cpu(lambda s=s: run_vector(plan, n_vector, batch, s))
        t_p, results["path"] = cpu(lambda s=s: run_per_path(plan, n_path, s))
        rate["engine"].append(n_engine / t_e)
        rate["vector"].append(n_vector / t_v)
        rate["path"].append(n_path / t_p)
        fair.append(rate["engine"][-1] / rate["vector"][-1])
        old.append(rate["engine"][-1] / rate["path"][-1])
    z_vec, limit = agree(comp, results["engine"], results["vector"])
    z_path, limit_path = agree(comp, results["engine"], results["path"])
    return {
        "rate": {k: statistics.median(v) for k, v in rate.items()},
        "ns_engine": 1e9 / (statistics.median(rate["engine"]) * n_dec),
        "ns_vector": 1e9 / (statistics.median(rate["vector"]) * n_dec),
        "fair": Spread(fair, loads),
        "old": Spread(old, loads),
        "n": {"engine": n_engine, "vector": n_vector, "path": n_path},
        "z_vector": z_vec,
        "z_path": z_path,
        "z_limit": limit,
        "z_limit_path": limit_path,
        "agree": z_vec < limit and z_path < limit_path,
        "batch": batch,
    }


def _order(picks: list[int], plan: Plan) -> list[int]:
    """Mesa's picks come in timeline order; put them in decision order."""
    order = [index for kind, index in plan.steps if kind == "decision"]
    out = [0] * len(order)
    for k, pick in zip(order, picks, strict=True):
        out[k] = pick
    return out


def _z(p1: float, n1: int, p2: float, n2: int) -> float:
    p = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(max(p * (1 - p), 1e-12) * (1 / n1 + 1 / n2))
    return abs(p1 - p2) / se


# ---- (b) the engine on the full case -------------------------------------------------------------


def bench_engine(full: Any, n_core: int, n_big: int, reps: int, seed: int) -> dict[str, Any]:
    """CPU ns per path-decision in this process, and 10^6 paths on 2 local processes."""
    from realpolitik.simulation.api import fitted_weights, simulate

    w = fitted_weights(full)
    n_dec = len(full.decisions)
    ns, walls, cpus, loads, freqs = [], [], [], [], []
    for _ in range(reps):
        loads.append(load1())
        # workers=1: every chunk in this process, so that its CPU time is all the work (with
        # the default 2 workers, 2 chunks or more run in forked children, not counted here)
        t, _ = cpu(lambda: simulate(full, n=n_core, seed=seed, weights=w, store=False, workers=1))
        ns.append(t / (n_core * n_dec) * 1e9)
        c0 = cpu_children() + time.process_time()
        t0 = time.perf_counter()
        res = simulate(full, n=n_big, seed=seed, weights=w, store=False, workers=2)
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_children() + time.process_time() - c0)
        freqs.append(res.outcomes["frequency"].tolist())
    return {
        "ns": Spread(ns, loads),
        "wall": Spread(walls, loads),
        "cpu": statistics.median(cpus),
        "n_core": n_core,
        "n_big": n_big,
        "same": all(f == freqs[0] for f in freqs),
    }


# ---- (c) Dask -----------------------------------------------------------------------------------

# the engine's work for the two-process ceiling: (job, shared arguments), set before forking
_CEILING: dict[str, Any] = {}


def _ceiling_work(chunks: int) -> float:
    """CPU seconds of `chunks` chunks of 100,000 paths of the engine in this process."""
    from realpolitik.simulation.api import _job

    t0 = time.process_time()
    for i in range(chunks):
        _job((*_CEILING["payload"], (i, 0, 100_000)))
    return time.process_time() - t0


def bench_ceiling(full: Any, reps: int, chunks: int = 4) -> Spread:
    """What two processes can give on this machine: the same engine work in one process
    alone, then in two forked processes at once; the ratio of their CPU time to the one
    alone (1.0 on two free cores; above 1 when the two cores slow each other, e.g. by
    sharing a physical core or memory bandwidth). Two workers cannot beat 2 / this ratio."""
    import multiprocessing

    from realpolitik.simulation.api import World, fitted_weights, resolve_world

    a = resolve_world(full, World(), fitted_weights(full), "full")
    _CEILING["payload"] = (full, a["theta"], a["W5"], a["skip"], a["moved"], a["forced"], 1)
    _ceiling_work(1)  # warm: what the engine keeps per case
    ctx = multiprocessing.get_context("fork")
    ratios, loads = [], []
    for _ in range(reps):
        loads.append(load1())
        alone = _ceiling_work(chunks)
        with ctx.Pool(2) as pool:
            both = pool.map(_ceiling_work, [chunks, chunks])
        ratios.append(statistics.mean(both) / alone)
    return Spread(ratios, loads)


def worker_cpu(address: str) -> float:
    """CPU seconds used so far by every worker of a cluster."""
    from dask.distributed import Client

    def usage() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    with Client(address) as client:
        return float(sum(client.run(usage).values()))


def bench_dask(
    full: Any, n: int, sobol_evals: int, draws: int, reps: int, seed: int, addresses: dict[int, str]
) -> dict[str, Any]:
    from realpolitik.simulation.api import fitted_weights, simulate
    from realpolitik.simulation.sensitivity import sensitivity

    w = fitted_weights(full)
    varying = int((full.bounds[:, 1] > full.bounds[:, 0]).sum())
    base = 2 ** math.ceil(math.log2(max(2, math.ceil(sobol_evals / (varying + 2)))))
    t: dict[str, list[float]] = {k: [] for k in ("local", "d1", "d2", "s1", "s2")}
    wcpu: dict[str, list[float]] = {k: [] for k in ("d1", "d2", "s1", "s2")}
    loads: list[float] = []
    frames = []
    evaluations = 0

    def timed(key: str, fn: Callable[[], Any], address: str | None = None) -> Any:
        c0 = worker_cpu(address) if address else 0.0
        t0 = time.perf_counter()
        out = fn()
        t[key].append(time.perf_counter() - t0)
        if address:
            wcpu[key].append(worker_cpu(address) - c0)
        return out

    kw = {"n": n, "seed": seed, "weights": w, "store": False}
    # warm up: each worker imports the project and SALib's dependencies at its first task
    for address in addresses.values():
        small = {"backend": "dask", "scheduler": address, "store": False}
        simulate(full, n=1000, seed=seed, weights=w, chunk_rows=500, **small)
        sensitivity(full, base_samples=2, draws=2, seed=seed, **small)
    for _ in range(reps):
        loads.append(load1())
        res = timed("local", lambda: simulate(full, **kw, workers=1))
        frames.append(res.outcomes)
        for k in (1, 2):
            res = timed(
                f"d{k}",
                lambda k=k: simulate(full, **kw, backend="dask", scheduler=addresses[k]),
                addresses[k],
            )
            frames.append(res.outcomes)
        for k in (1, 2):
            sres = timed(
                f"s{k}",
                lambda k=k: sensitivity(
                    full,
                    base_samples=base,
                    draws=draws,
                    seed=seed,
                    backend="dask",
                    scheduler=addresses[k],
                    store=False,
                ),
                addresses[k],
            )
            evaluations = sres.n_evaluations
    ratio = lambda a, b: Spread([x / y for x, y in zip(t[a], t[b], strict=True)], loads)  # noqa: E731
    return {
        "n": n,
        "t": {k: statistics.median(v) for k, v in t.items()},
        "wcpu": {k: statistics.median(v) for k, v in wcpu.items() if v},
        "one_vs_local": ratio("d1", "local"),
        "sim_speedup": ratio("d1", "d2"),
        "sobol_speedup": ratio("s1", "s2"),
        "identical": all(f.equals(frames[0]) for f in frames),
        "evaluations": evaluations,
        "base": base,
        "assumptions": varying,
        "draws": draws,
    }


# ---- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--case", default=None, help="case name or path (default: the built-in case)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=None, help="repetitions of each measurement (3)")
    ap.add_argument("--engine-runs", type=int, default=None, help="(a) engine paths (10^6)")
    ap.add_argument("--vector-runs", type=int, default=None, help="(a) fair Mesa paths (10^6)")
    ap.add_argument("--mesa-runs", type=int, default=None, help="(a) per-path Mesa paths (2000)")
    ap.add_argument("--batch", type=int, default=None, help="(a) paths per model/chunk (100000)")
    ap.add_argument("--core-n", type=int, default=None, help="(b) paths on one core (400000)")
    ap.add_argument("--sim-n", type=int, default=None, help="(b, c) paths of a big job (10^6)")
    ap.add_argument("--sobol-evals", type=int, default=None, help="minimum evaluations (100000)")
    ap.add_argument("--sobol-draws", type=int, default=None, help="paths per setting (8)")
    ap.add_argument("--skip-dask", action="store_true", help="leave out (c)")
    args = ap.parse_args(argv)
    q = args.quick
    reps = args.reps or (1 if q else 3)
    engine_runs = args.engine_runs or (5_000 if q else 1_000_000)
    vector_runs = args.vector_runs or (5_000 if q else 1_000_000)
    mesa_runs = args.mesa_runs or (200 if q else 2_000)
    batch = args.batch or (2_500 if q else 100_000)
    core_n = args.core_n or (5_000 if q else 400_000)
    sim_n = args.sim_n or (10_000 if q else 1_000_000)
    sobol_evals = args.sobol_evals or (200 if q else 100_000)
    sobol_draws = args.sobol_draws or (2 if q else 8)

    from rich.console import Console
    from rich.table import Table

    from realpolitik.simulation.backends import local_cluster

    speed_before = loop_seconds()
    full, simple = load_case(args.case)
    results: dict[str, Any] = {"case": full.case.id, "reps": reps}
    results["mesa"] = a = bench_mesa(
        simple, engine_runs, vector_runs, mesa_runs, batch, reps, args.seed
    )
    results["engine"] = b = bench_engine(full, core_n, sim_n, reps, args.seed)
    c = None
    if not args.skip_dask:
        t0 = time.perf_counter()
        two = local_cluster(2)
        one = local_cluster(1)
        startup = time.perf_counter() - t0
        try:
            results["dask"] = c = bench_dask(
                full,
                sim_n,
                sobol_evals,
                sobol_draws,
                reps,
                args.seed,
                {1: one.scheduler_address, 2: two.scheduler_address},
            )
            c["startup"] = startup
            c["ceiling"] = bench_ceiling(full, reps)
        finally:
            one.close()
            two.close()

    table = Table(
        title=f"realpolitik simulation benchmark ({full.case.id}, seed {args.seed}, "
        f"{reps} repetition{'s' if reps > 1 else ''}{', quick' if q else ''})",
        title_justify="left",
    )
    for col in ("benchmark", "realpolitik", "baseline", "ratio [range]", "goal", "check", "load"):
        table.add_column(
            col,
            justify="right" if col == "ratio [range]" else "left",
            no_wrap=col in ("benchmark", "ratio [range]", "load"),
        )
    r = a["rate"]
    table.add_row(
        "(a) engine vs fair Mesa (vectorised)",
        f"{r['engine']:,.0f} runs/s ({a['ns_engine']:.1f} ns/path-decision, CPU)",
        f"{r['vector']:,.0f} runs/s ({a['ns_vector']:.1f} ns/path-decision, CPU)",
        a["fair"].text(),
        ">= 2x " + ("met" if a["fair"].median >= 2 else "MISSED"),
        f"same frequencies: {'yes' if a['z_vector'] < a['z_limit'] else 'NO'} "
        f"(max |z| {a['z_vector']:.2f} < {a['z_limit']:.2f})",
        a["fair"].load_text(),
    )
    table.add_row(
        "(a') engine vs per-path Mesa",
        f"{r['engine']:,.0f} runs/s",
        f"{r['path']:,.0f} runs/s ({a['n']['path']:,} runs)",
        a["old"].text(digits=0),
        "(plain Python per path)",
        f"same frequencies: {'yes' if a['z_path'] < a['z_limit_path'] else 'NO'} "
        f"(max |z| {a['z_path']:.2f} < {a['z_limit_path']:.2f})",
        a["old"].load_text(),
    )
    table.add_row(
        "(b) engine, full case, one core",
        f"{b['n_core']:,} paths, CPU time",
        "-",
        b["ns"].text(" ns", 1),
        "<= 40 ns/path-decision " + ("met" if b["ns"].median <= 40 else "MISSED"),
        "",
        b["ns"].load_text(),
    )
    table.add_row(
        "(b') big simulate, 2 local processes",
        f"{b['n_big']:,} paths, wall with start-up",
        f"CPU {b['cpu']:.2f} s (all processes)",
        b["wall"].text(" s"),
        "< 2 s wall " + ("met" if b["wall"].median < 2 else "MISSED"),
        f"same numbers each time: {'yes' if b['same'] else 'NO'}",
        b["wall"].load_text(),
    )
    if c is not None:
        tt, wc = c["t"], c["wcpu"]
        table.add_row(
            "(c) simulate: 1 dask worker vs local",
            f"dask {tt['d1']:.2f} s (worker CPU {wc['d1']:.2f} s)",
            f"local {tt['local']:.2f} s",
            c["one_vs_local"].text(),
            "<= 1.15x " + ("met" if c["one_vs_local"].median <= 1.15 else "MISSED"),
            f"{c['n']:,} paths; identical numbers on every backend: "
            f"{'yes' if c['identical'] else 'NO'}",
            c["one_vs_local"].load_text(),
        )
        ceil = c["ceiling"]
        table.add_row(
            "(c0) this machine: 2 processes at once",
            "CPU time of the engine's work in each of 2 processes at once",
            "the same work in 1 process alone",
            ceil.text(),
            f"(2 workers at most {2 / ceil.median:.2f}x)",
            "1.00x on two free cores",
            ceil.load_text(),
        )
        table.add_row(
            "(c') simulate: 2 vs 1 dask workers",
            f"2 workers {tt['d2']:.2f} s (worker CPU {wc['d2']:.2f} s)",
            f"1 worker {tt['d1']:.2f} s",
            c["sim_speedup"].text(),
            ">= 1.7x " + ("met" if c["sim_speedup"].median >= 1.7 else "MISSED"),
            f"{c['n']:,} paths",
            c["sim_speedup"].load_text(),
        )
        table.add_row(
            "(c'') Sobol: 2 vs 1 dask workers",
            f"2 workers {tt['s2']:.1f} s (worker CPU {wc['s2']:.1f} s)",
            f"1 worker {tt['s1']:.1f} s",
            c["sobol_speedup"].text(),
            ">= 1.7x " + ("met" if c["sobol_speedup"].median >= 1.7 else "MISSED"),
            f"{c['evaluations']:,} evaluations (N={c['base']:,} x ({c['assumptions']} + 2), "
            f"{c['draws']} paths each)",
            c["sobol_speedup"].load_text(),
        )
    Console(width=240).print(table)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average now "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; (a) uses the case without its balance "
        f"rule (the simplified model), chunks/models of {a['batch']:,} paths; (b) and (c) the full "
        "case" + (f"; Dask clusters started in {c['startup']:.1f} s (not timed)" if c else "")
    )
    print(describe(speed_before, loop_seconds()))
    return results


if __name__ == "__main__":
    main()
