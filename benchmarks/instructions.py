"""Instruction counts (valgrind callgrind) of the engine and of the fair Mesa baseline.

    python benchmarks/instructions.py [--paths N] [--batch B]

On a machine shared with other work, wall and even CPU times move with the load; the number
of instructions a piece of work executes does not. This script runs row (a) of
bench_simulation.py (the simplified model, N paths in models/chunks of B) under
`valgrind --tool=callgrind`, once for `realpolitik.simulation.engine.run` and once for the
vectorised Mesa model, counting only the timed part (instrumentation is switched on and off
around it with `callgrind_control`), and prints both counts per path-decision and their ratio.
It needs valgrind; it takes minutes (callgrind runs code about 50 times slower). Instructions
are not time: an exponential or a cache miss costs more than an add, so this is a second
opinion beside the CPU times, not a replacement.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(which: str, paths: int, batch: int) -> None:
    sys.path.insert(0, str(HERE))
    import bench_simulation as bench

    _, simple = bench.load_case(None)
    weights = bench.feature_weights(simple)
    plan = bench.make_plan(simple, weights)

    def work() -> object:
        if which == "engine":
            return bench.run_engine(simple, weights, paths, batch, 1)
        return bench.run_vector(plan, paths, batch, 1)

    work()  # warm: imports, caches
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], capture_output=True, check=False)
    work()
    subprocess.run(["callgrind_control", "-i", "off", pid], capture_output=True, check=False)
    print(f"decisions={len(simple.decisions)}")


def count(which: str, paths: int, batch: int) -> tuple[int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={tmp}/cg.%p",
                sys.executable,
                __file__,
                "--child",
                which,
                "--paths",
                str(paths),
                "--batch",
                str(batch),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    collected = re.search(r"Collected : (\d+)", out.stderr)
    decisions = re.search(r"decisions=(\d+)", out.stdout)
    if not collected or not decisions:
        raise SystemExit(f"could not read callgrind's output:\n{out.stderr[-2000:]}")
    return int(collected.group(1)), int(decisions.group(1))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--child", choices=("engine", "vector"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.paths, args.batch)
        return
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        raise SystemExit("instructions.py needs valgrind (callgrind) on the PATH")
    engine, decisions = count("engine", args.paths, args.batch)
    vector, _ = count("vector", args.paths, args.batch)
    per = args.paths * decisions
    print(
        f"simplified model, {args.paths:,} paths x {decisions} decisions, batches of {args.batch:,}"
    )
    print(
        f"  engine.run             {engine:>14,} instructions  {engine / per:7.1f} per path-decision"
    )
    print(
        f"  Mesa, vectorised       {vector:>14,} instructions  {vector / per:7.1f} per path-decision"
    )
    print(f"  ratio (baseline/engine) {vector / engine:.2f}x")


if __name__ == "__main__":
    main()
