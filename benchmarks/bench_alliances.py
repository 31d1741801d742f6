"""Speed and memory of the alliance study against its goals (issue 14, item 5).

    python benchmarks/bench_alliances.py [--data-dir DIR] [--source DIR] [--repeat N] [--quick]

Stages, each in a fresh child process so its CPU time and peak resident memory
(getrusage maxrss) are its own:

* panel: the full 1816-2018 non-directed panel with every covariate the models use.
  Goal: under 2 s of CPU.
* panel, cached: the same panel read back from the cache a previous call wrote.
* pooled fit: one pooled any-onset logit with two-way clustered errors and the block-strength
  draws, on a built panel. Goal: under 5 s of CPU.
* pooled fit, statsmodels: the baseline a competent user would write: statsmodels `Logit`
  on the same design matrix with its two-way cluster covariance
  (`cov_type="cluster"`, groups = dyad and year). Reported as the ratio of CPU times.

If the data directory lacks the datasets, they are imported first from --source
(default: $REALPOLITIK_SHARED_DATA or ../shared/data/peacesciencer). Prints a table with
the best and every CPU time, wall time and peak RSS, and whether each goal is met.
"""

from __future__ import annotations

import argparse
import atexit
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOALS = {"panel": 2.0, "pooled fit": 5.0}


def _maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def _timed(fn):  # type: ignore[no-untyped-def]
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def _stage(name: str, data_dir: str, cache_dir: str, queue: mp.Queue) -> None:
    from realpolitik.alliances import panel as P

    if name == "panel":
        df, cpu, wall = _timed(lambda: P.build_panel(1816, 2018, data_dir=data_dir))
        queue.put((name, cpu, wall, _maxrss_mb(), len(df), df.shape[1]))
        return
    if name == "panel, cached":
        P.cached_panel(1816, 2018, data_dir=data_dir, cache_dir=cache_dir)  # warm the file
        P._MEMORY.clear()
        df, cpu, wall = _timed(
            lambda: P.cached_panel(1816, 2018, data_dir=data_dir, cache_dir=cache_dir)
        )
        queue.put((name, cpu, wall, _maxrss_mb(), len(df), df.shape[1]))
        return
    from realpolitik.alliances import models as M

    panel = P.cached_panel(1816, 2018, data_dir=data_dir, cache_dir=cache_dir)
    spec = M.Spec(outcome="any-onset")
    if name == "pooled fit":
        res, cpu, wall = _timed(lambda: M.fit_era(panel, "pooled", spec))
        queue.put((name, cpu, wall, _maxrss_mb(), res.n_obs, len(res.params)))
        return
    import warnings

    import numpy as np
    import statsmodels.api as sm

    d = M.design(panel, spec, "pooled")

    def baseline():  # type: ignore[no-untyped-def]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, g1 = np.unique(d.dyad, return_inverse=True)
            _, g2 = np.unique(d.year, return_inverse=True)
            return sm.Logit(d.y, d.X).fit(
                disp=0, cov_type="cluster", cov_kwds={"groups": np.column_stack([g1, g2])}
            )

    res, cpu, wall = _timed(baseline)
    queue.put((name, cpu, wall, _maxrss_mb(), len(d.y), len(res.params)))


def run(name: str, data_dir: str, cache_dir: str, in_process: bool = False) -> tuple:
    """One stage in a fresh child process (or here, for --quick)."""
    if in_process:
        import queue

        local: queue.Queue = queue.Queue()
        _stage(name, data_dir, cache_dir, local)  # type: ignore[arg-type]
        return local.get()
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_stage, args=(name, data_dir, cache_dir, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument(
        "--source",
        default=os.environ.get("REALPOLITIK_SHARED_DATA")
        or str(REPO.parent / "shared" / "data" / "peacesciencer"),
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one run of each stage: checks it runs")
    args = ap.parse_args()
    if args.quick:
        args.repeat = 1

    from rich.console import Console
    from rich.table import Table

    from realpolitik.alliances import store

    data_dir = args.data_dir
    if data_dir is None:
        data_dir = tempfile.mkdtemp(prefix="rp-bench-")
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    st = store.status(data_dir)
    if not all(st["present"] | st["optional"]):
        t0 = time.perf_counter()
        store.import_all(args.source, data_dir)
        print(f"imported into {data_dir} in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    cache_dir = tempfile.mkdtemp(prefix="rp-bench-cache-")
    atexit.register(shutil.rmtree, cache_dir, ignore_errors=True)

    table = Table(title="realpolitik alliances benchmark (CPU seconds; best of runs)")
    for col in (
        "stage",
        "rows",
        "cols/params",
        "CPU s best",
        "CPU s all",
        "wall s best",
        "peak RSS MB",
        "goal",
    ):
        table.add_column(col, justify="right")
    best: dict[str, float] = {}
    stages = ("panel", "panel, cached", "pooled fit", "pooled fit, statsmodels")
    for name in stages:
        runs = [run(name, data_dir, cache_dir, in_process=args.quick) for _ in range(args.repeat)]
        cpus = [r[1] for r in runs]
        best[name] = min(cpus)
        goal = GOALS.get(name)
        verdict = ""
        if goal is not None:
            verdict = f"< {goal:g} s CPU " + ("met" if min(cpus) < goal else "MISSED")
        table.add_row(
            name,
            f"{runs[0][4]:,}",
            str(runs[0][5]),
            f"{min(cpus):.2f}",
            " ".join(f"{c:.2f}" for c in cpus),
            f"{min(r[2] for r in runs):.2f}",
            f"{max(r[3] for r in runs):,.0f}",
            verdict,
        )
    Console().print(table)
    print(
        f"ratios (CPU, best): cached/built panel {best['panel, cached'] / best['panel']:.2f}; "
        f"statsmodels/realpolitik pooled fit "
        f"{best['pooled fit, statsmodels'] / best['pooled fit']:.2f}"
    )
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; peak RSS includes the interpreter "
        "and, for the fits, the cached panel."
    )


if __name__ == "__main__":
    main()
