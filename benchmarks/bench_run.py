"""The main job and start-up as a user meets them (issue 14, items 2 and 4): fresh processes.

Measures, each in a new process started the way a user starts it (the `realpolitik` command
of this environment), with wall time and the CPU time of the process and its children:

* `realpolitik --help` (goal: under 0.5 s wall);
* `realpolitik simulate -n 1000000` of the built-in case, start-up included (goal: under 2 s
  wall on 2 cores), twice: with the fitted weights already in the run store (a user's second
  simulation: a new seed each time, so no stored simulation is read back; the case comes
  from the parsed-case cache as it does for a user) and with `--no-store` (the weights
  fitted in the process, which loads the estimation libraries);
* `realpolitik run` (goal: under 15 s wall on 2 cores): a first run with an empty run store
  and an empty cache folder (nothing computed before: the Bayesian fit, the alliance study
  and the panel are computed), then a second run with the same store (the fits, the
  alliance study and the sensitivity analysis come from the store; the simulations are
  stored runs too; the figures and the page are drawn again).

Every measurement is repeated (`--reps`, default 3; a first run needs a new store each time)
and printed with its median, range and the 1-minute load average before it, so that a reader
can judge figures taken on a shared machine. `--quick` runs `--help` and a 1,000-path
simulation once (a smoke test: no goal is judged).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from machine_speed import describe, loop_seconds

GOALS = {"--help": 0.5, "simulate 10^6, weights stored": 2.0, "run, second": 15.0}


def command() -> list[str]:
    """The `realpolitik` entry point of this interpreter's environment."""
    exe = Path(sys.executable).with_name("realpolitik")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "realpolitik.cli"]


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the process and its children, load before)."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([*command(), *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise SystemExit(f"realpolitik {' '.join(args)} failed: {' | '.join(tail)}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, load


def row(name: str, samples: list[tuple[float, float, float]]) -> dict[str, Any]:
    walls = [s[0] for s in samples]
    cpus = [s[1] for s in samples]
    loads = [s[2] for s in samples]
    goal = GOALS.get(name)
    med = statistics.median(walls)
    return {
        "what": name,
        "wall_s": med,
        "wall_range": (min(walls), max(walls)),
        "cpu_s": statistics.median(cpus),
        "load": (min(loads), max(loads)),
        "goal": f"< {goal:g} s wall: " + ("met" if med < goal else "missed") if goal else "-",
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smoke test: tiny sizes, no goals")
    ap.add_argument("--case", default="east-asia-1945")
    ap.add_argument("--no-run", action="store_true", help="skip the `realpolitik run` rows")
    a = ap.parse_args(argv)
    reps = 1 if a.quick else a.reps
    speed_before = loop_seconds()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        base = Path(tmp)
        env = dict(os.environ, XDG_CACHE_HOME=str(base / "cache"), COLUMNS="100")
        rows.append(row("--help", [timed(["--help"], env) for _ in range(max(reps, 3))]))
        n = "1000" if a.quick else "1000000"
        store = str(base / "sim.duckdb")
        timed(["simulate", a.case, "-n", "1000", "--store", store], env)  # weights stored
        label = "simulate 10^3 (quick)" if a.quick else "simulate 10^6, weights stored"
        sims = [
            timed(["simulate", a.case, "-n", n, "--seed", str(100 + i), "--store", store], env)
            for i in range(reps)
        ]
        rows.append(row(label, sims))
        if not a.quick:
            rows.append(
                row(
                    "simulate 10^6, --no-store",
                    [timed(["simulate", a.case, "-n", n, "--no-store"], env) for _ in range(reps)],
                )
            )
        if not a.quick and not a.no_run:
            first, second = [], []
            for i in range(reps):
                run_env = dict(env, XDG_CACHE_HOME=str(base / f"cache-{i}"))
                st = str(base / f"run-{i}.duckdb")
                args = ["run", a.case, "--store", st]
                first.append(timed([*args, "--out", str(base / f"first-{i}")], run_env))
                second.append(timed([*args, "--out", str(base / f"second-{i}")], run_env))
                shutil.rmtree(base / f"cache-{i}", ignore_errors=True)
            rows.append(row("run, first (empty store and cache)", first))
            rows.append(row("run, second", second))
    from rich.console import Console
    from rich.table import Table

    table = Table(title="realpolitik as a user starts it (fresh processes)")
    for col in ("what", "wall s, median [range]", "CPU s", "load", "goal"):
        table.add_column(col)
    for r in rows:
        lo, hi = r["wall_range"]
        table.add_row(
            r["what"],
            f"{r['wall_s']:.2f} [{lo:.2f}-{hi:.2f}]",
            f"{r['cpu_s']:.2f}",
            f"{r['load'][0]:.1f}-{r['load'][1]:.1f}",
            r["goal"],
        )
    Console(width=140).print(table)
    print(f"cores: {os.cpu_count()}; Python {sys.version.split()[0]}")
    print(describe(speed_before, loop_seconds()))
    return rows


if __name__ == "__main__":
    main()
