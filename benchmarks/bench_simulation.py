"""Speed of replayed history: the vectorised engine against Mesa, a Sobol sweep, 1 vs 2 workers.

    python benchmarks/bench_simulation.py [--case CASE] [--quick] [--sobol-draws D]

(a) The same simplified alignment model (the case's choice model with capabilities following
    the record scaled by aid, i.e. without an arena's balance rule) written the usual way with
    Mesa 3 (one Agent per deciding actor, one model step per timeline step, the decider acting
    through `model.agents.shuffle_do`) against `realpolitik.simulation.engine.run` on many rows:
    runs per second each, the speed-up (goal >= 100x), and a check that both give the same
    choice and outcome frequencies within Monte Carlo error.
(b) A Sobol analysis (`realpolitik.simulation.sensitivity`) of at least 100,000 model
    evaluations (assumption settings), on a Dask local cluster of 2 worker processes.
(c) The same `simulate` job on a Dask local cluster of 1 and of 2 worker processes (clusters
    started before timing): the speed-up, and a check that the numbers are identical.

Every measurement is taken in this one run and printed side by side in one table.
`--quick` shrinks every size so that the script finishes in seconds (used by the tests).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_CASE = "east-asia-1945"


# ---- the case, without its balance rule --------------------------------------------------------


def load_case(ref: str | None) -> Any:
    """A compiled case with every arena's balance rule removed (the simplified model)."""
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
            cap = list(record_capability(comp, theta, d.arena, d.t)[0])
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
                        )
                    )
                else:
                    self.outcomes.append(self.holder[o["stake"]] == o["actor"])

        def run(self) -> None:
            while self.cursor < len(self.plan.steps):
                self.step()

    return Actor, AlignmentModel


def bench_mesa(comp: Any, runs_mesa: int, runs_engine: int, seed: int) -> dict[str, Any]:
    from realpolitik.simulation.backends import chunk_rng
    from realpolitik.simulation.engine import run

    W = feature_weights(comp)
    plan = make_plan(comp, W)
    _, AlignmentModel = mesa_classes()
    n_dec = len(comp.decisions)
    t0 = time.perf_counter()
    m_choices = np.zeros((runs_mesa, n_dec), dtype=int)
    m_outcomes = np.zeros((runs_mesa, len(comp.outcomes)), dtype=bool)
    for i in range(runs_mesa):
        model = AlignmentModel(plan, seed=seed * 1_000_003 + i)
        model.run()
        m_choices[i] = _order(model.choices, plan)
        m_outcomes[i] = model.outcomes
    t_mesa = time.perf_counter() - t0

    chunk = min(runs_engine, 20_000)
    e_choices, e_outcomes = [], []
    t0 = time.perf_counter()
    for i, start in enumerate(range(0, runs_engine, chunk)):
        rows = min(chunk, runs_engine - start)
        path = run(comp, comp.theta(1), feature_weights=W[None], rows=rows, rng=chunk_rng(seed, i))
        e_choices.append(path.choices)
        e_outcomes.append(path.outcomes)
    t_engine = time.perf_counter() - t0
    ec, eo = np.concatenate(e_choices), np.concatenate(e_outcomes)

    z = []
    for k, d in enumerate(comp.decisions):
        for j in range(len(d.option_ids)):
            z.append(
                _z(
                    float((m_choices[:, k] == j).mean()),
                    runs_mesa,
                    float((ec[:, k] == j).mean()),
                    runs_engine,
                )
            )
    for o in range(len(comp.outcomes)):
        z.append(_z(float(m_outcomes[:, o].mean()), runs_mesa, float(eo[:, o].mean()), runs_engine))
    # one comparison per option and outcome: a Bonferroni bound at the 0.1% level overall
    from statistics import NormalDist

    limit = NormalDist().inv_cdf(1 - 0.0005 / max(len(z), 1))
    return {
        "mesa_rps": runs_mesa / t_mesa,
        "engine_rps": runs_engine / t_engine,
        "speedup": (runs_engine / t_engine) / (runs_mesa / t_mesa),
        "max_z": max(z),
        "z_limit": limit,
        "agree": max(z) < limit,
        "runs_mesa": runs_mesa,
        "runs_engine": runs_engine,
        "t_mesa": t_mesa,
        "t_engine": t_engine,
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


# ---- (b) Sobol and (c) workers -----------------------------------------------------------------


def bench_sobol(comp: Any, min_evals: int, draws: int, seed: int, address: str) -> dict[str, Any]:
    from realpolitik.simulation.sensitivity import sensitivity

    varying = int((comp.bounds[:, 1] > comp.bounds[:, 0]).sum())
    base = 2 ** math.ceil(math.log2(max(2, math.ceil(min_evals / (varying + 2)))))
    t0 = time.perf_counter()
    res = sensitivity(
        comp,
        base_samples=base,
        draws=draws,
        seed=seed,
        backend="dask",
        scheduler=address,
        store=False,
    )
    elapsed = time.perf_counter() - t0
    return {
        "evaluations": res.n_evaluations,
        "base": base,
        "assumptions": varying,
        "draws": draws,
        "seconds": elapsed,
        "eps": res.n_evaluations / elapsed,
        "matters": len(res.matters()),
    }


def bench_workers(
    comp: Any, n: int, chunk_rows: int, seed: int, addresses: dict[int, str]
) -> dict[str, Any]:
    from realpolitik.simulation.api import fitted_weights, simulate

    w = fitted_weights(comp)
    out: dict[str, Any] = {"n": n}
    frames = {}
    for workers, address in sorted(addresses.items()):
        t0 = time.perf_counter()
        res = simulate(
            comp,
            n=n,
            seed=seed,
            weights=w,
            backend="dask",
            scheduler=address,
            store=False,
            chunk_rows=chunk_rows,
        )
        out[f"t{workers}"] = time.perf_counter() - t0
        frames[workers] = (res.outcomes, res.choices)
    out["speedup"] = out["t1"] / out["t2"]
    out["identical"] = all(frames[1][i].equals(frames[2][i]) for i in range(2))
    return out


def cluster(workers: int) -> Any:
    from dask.distributed import LocalCluster

    return LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )


# ---- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--case", default=None, help="case name or path (default: the built-in case)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mesa-runs", type=int, default=None)
    ap.add_argument("--engine-runs", type=int, default=None)
    ap.add_argument("--sobol-evals", type=int, default=None, help="minimum evaluations (100000)")
    ap.add_argument("--sobol-draws", type=int, default=None, help="paths per setting (8)")
    ap.add_argument("--sim-n", type=int, default=None, help="paths in the 1-vs-2-workers job")
    args = ap.parse_args(argv)
    q = args.quick
    mesa_runs = args.mesa_runs or (200 if q else 2000)
    engine_runs = args.engine_runs or (5_000 if q else 200_000)
    sobol_evals = args.sobol_evals or (200 if q else 100_000)
    sobol_draws = args.sobol_draws or (2 if q else 8)
    sim_n = args.sim_n or (20_000 if q else 400_000)

    from rich.console import Console
    from rich.table import Table

    full, simple = load_case(args.case)
    results: dict[str, Any] = {"case": full.case.id}
    results["mesa"] = a = bench_mesa(simple, mesa_runs, engine_runs, args.seed)
    two = cluster(2)
    one = cluster(1)
    try:
        results["sobol"] = b = bench_sobol(
            full, sobol_evals, sobol_draws, args.seed, two.scheduler_address
        )
        results["workers"] = c = bench_workers(
            full,
            sim_n,
            20_000 if not q else 5_000,
            args.seed,
            {1: one.scheduler_address, 2: two.scheduler_address},
        )
    finally:
        one.close()
        two.close()

    table = Table(
        title=f"realpolitik simulation benchmark ({full.case.id}, seed {args.seed}"
        f"{', quick' if q else ''})",
        title_justify="left",
    )
    for col in ("benchmark", "realpolitik", "baseline", "ratio", "goal", "check"):
        table.add_column(col, justify="right" if col in ("ratio",) else "left")
    table.add_row(
        "(a) runs/s: engine vs Mesa 3",
        f"{a['engine_rps']:,.0f} runs/s ({a['runs_engine']:,} runs)",
        f"{a['mesa_rps']:,.0f} runs/s ({a['runs_mesa']:,} runs)",
        f"{a['speedup']:,.0f}x",
        ">= 100x " + ("met" if a["speedup"] >= 100 else "MISSED"),
        f"frequencies agree: {'yes' if a['agree'] else 'NO'} "
        f"(max |z| {a['max_z']:.2f} < {a['z_limit']:.2f})",
    )
    table.add_row(
        "(b) Sobol on 2 dask workers",
        f"{b['evaluations']:,} evaluations in {b['seconds']:.1f} s",
        f"N={b['base']:,} x ({b['assumptions']} assumptions + 2), {b['draws']} paths each",
        f"{b['eps']:,.0f} evals/s",
        ">= 100,000 evaluations " + ("met" if b["evaluations"] >= 100_000 else "MISSED"),
        f"{b['matters']} assumptions matter",
    )
    table.add_row(
        "(c) simulate: 2 vs 1 dask workers",
        f"2 workers {c['t2']:.2f} s",
        f"1 worker {c['t1']:.2f} s",
        f"{c['speedup']:.2f}x",
        "close to 2x on 2 cores",
        f"{c['n']:,} paths; identical numbers: {'yes' if c['identical'] else 'NO'}",
    )
    Console(width=200).print(table)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; (a) uses the case without its "
        "balance rule (the simplified model), (b) and (c) the full case; cluster start-up is "
        "not timed."
    )
    return results


if __name__ == "__main__":
    main()
