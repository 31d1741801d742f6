"""Timing of the estimation on the built-in case, against the goals of issue 3.

    .venv/bin/python benchmarks/bench_fit.py [--repeat 5] [--seed 0]

Prints one table: the maximum-likelihood fit (goal < 1 s), the Bayesian fit at the default
settings of `realpolitik.fit` (goal < 60 s on 2 cores) and, if that run does not pass the
convergence rule, longer runs until one does (the time a usable posterior costs); plus, for
context, one evaluation of our conditional-logit log-likelihood against statsmodels'.
Uses the template case when `east-asia-1945` is absent.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np

from realpolitik.errors import ConvergenceError
from realpolitik.estimation.api import as_compiled, fit
from realpolitik.estimation.data import choice_data
from realpolitik.estimation.likelihood import loglik
from realpolitik.scenario.loader import builtin_names, parse, template_text


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def per_call(fn: Callable[[], object], min_time: float = 0.5) -> float:
    n, total = 0, 0.0
    t = time.perf_counter()
    while total < min_time:
        fn()
        n += 1
        total = time.perf_counter() - t
    return total / n


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=5, help="MLE timings: best of this many")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="one short run of each: checks it runs")
    args = ap.parse_args()
    if args.quick:
        args.repeat = 1

    name = "east-asia-1945" if "east-asia-1945" in builtin_names() else None
    comp = as_compiled(name) if name else as_compiled(parse(template_text()))
    data = choice_data(comp, "full")
    print(
        f"case {comp.case.id}: {data.n_groups} decisions, {len(data.Z)} options, "
        f"{len(data.actors_present())} actors; {os.cpu_count()} CPU(s)"
    )
    rows: list[tuple[str, float, float | None, str]] = []

    fit(comp, seed=args.seed)  # warm imports and caches
    t_mle = best_of(lambda: fit(comp, seed=args.seed), args.repeat)
    rows.append(("MLE fit (all actors, Wald + draws)", t_mle, 1.0, f"best of {args.repeat}"))
    t_cmp = best_of(lambda: fit(comp, seed=args.seed, compare=True), 1)
    rows.append(("MLE fit + model comparison (LOO)", t_cmp, None, "one run"))

    steps = 300 if args.quick else 3000
    while True:
        t = time.perf_counter()
        try:
            fit(comp, method="bayes", seed=args.seed, steps=steps)
            note = "converged"
        except ConvergenceError as exc:
            note = "NOT converged: " + str(exc).split(";")[0].removeprefix(
                "MCMC did not converge: "
            )
        elapsed = time.perf_counter() - t
        label = f"Bayes fit, {steps} steps x 4 chains" + (" (default)" if steps == 3000 else "")
        rows.append((label, elapsed, 60.0, note))
        if note == "converged" or steps >= 24000 or args.quick:
            break
        steps *= 2

    w = np.array([0.5, 0.5])
    t_ours = per_call(lambda: loglik(w, data.Z, data.chosen, data.starts))
    from statsmodels.discrete.conditional_models import ConditionalLogit

    sm = ConditionalLogit(data.chosen, data.Z, groups=data.group)
    assert np.isclose(sm.loglike(w), loglik(w, data.Z, data.chosen, data.starts))
    t_sm = per_call(lambda: sm.loglike(w))
    rows.append(
        (
            "log-likelihood, ours (one evaluation)",
            t_ours,
            None,
            f"{t_sm / t_ours:.1f}x faster than statsmodels",
        )
    )
    rows.append(("log-likelihood, statsmodels ConditionalLogit", t_sm, None, "reference"))

    width = max(len(r[0]) for r in rows)
    print(f"{'task':<{width}} | {'seconds':>10} | {'goal':>6} | {'time/goal':>9} | note")
    for label, sec, goal, note in rows:
        g = f"{goal:.0f} s" if goal else ""
        ratio = f"{sec / goal:.2f}" if goal else ""
        shown = f"{sec:.3f}" if sec >= 1e-3 else f"{sec * 1e6:.1f} us"
        print(f"{label:<{width}} | {shown:>10} | {g:>6} | {ratio:>9} | {note}")


if __name__ == "__main__":
    main()
