"""Speed and memory of the alliance study: full 1816-2018 panel, and the pooled fit.

    python benchmarks/bench_alliances.py [--data-dir DIR] [--source DIR] [--repeat N]

Each stage runs in a fresh child process, so its peak resident memory (getrusage maxrss)
belongs to that stage alone; tracemalloc is not used because it slows pandas several-fold.
If the data directory lacks the datasets, they are imported first from --source
(default: $REALPOLITIK_SHARED_DATA or ../shared/data/peacesciencer). Goal: panel < 10 s and
< 2 GB. Prints a table.
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


def _maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def _stage(name: str, data_dir: str, queue: mp.Queue) -> None:
    from realpolitik.alliances.panel import build_panel

    base = _maxrss_mb()
    t0 = time.perf_counter()
    panel = build_panel(1816, 2018, data_dir=data_dir)
    t_panel = time.perf_counter() - t0
    if name == "panel":
        queue.put((name, t_panel, _maxrss_mb(), base, len(panel), panel.shape[1]))
        return
    from realpolitik.alliances.models import fit_era

    t1 = time.perf_counter()
    res = fit_era(panel, "pooled", "onset")
    queue.put(
        ("pooled fit", time.perf_counter() - t1, _maxrss_mb(), base, res.n_obs, len(res.params))
    )


def run(name: str, data_dir: str, in_process: bool = False) -> tuple:
    """One stage in a fresh child process (or here, for --quick, where memory is not reported
    per stage)."""
    if in_process:
        import queue

        local: queue.Queue = queue.Queue()
        _stage(name, data_dir, local)  # type: ignore[arg-type]
        return local.get()
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_stage, args=(name, data_dir, queue))
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
    from realpolitik.alliances.catalog import DATASETS

    data_dir = args.data_dir
    if data_dir is None:
        data_dir = tempfile.mkdtemp(prefix="rp-bench-")
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    st = store.status(data_dir)
    if not all(st["present"] | st["optional"]):
        t0 = time.perf_counter()
        store.import_all(args.source, data_dir)
        print(
            f"imported {len(DATASETS)} datasets into {data_dir} in "
            f"{time.perf_counter() - t0:.2f} s",
            file=sys.stderr,
        )

    table = Table(title="realpolitik alliances benchmark (best of runs; peak RSS of the run)")
    for col in (
        "stage",
        "rows",
        "columns/params",
        "time s (best)",
        "time s (all)",
        "peak RSS MB",
        "goal",
    ):
        table.add_column(col, justify="right")
    for name in ("panel", "pooled fit"):
        runs = [run(name, data_dir, in_process=args.quick) for _ in range(args.repeat)]
        times = [r[1] for r in runs]
        peak = max(r[2] for r in runs)
        goal = "< 10 s, < 2048 MB" if name == "panel" else ""
        ok = "" if name != "panel" else (" ok" if min(times) < 10 and peak < 2048 else " MISSED")
        table.add_row(
            name,
            f"{runs[0][4]:,}",
            str(runs[0][5]),
            f"{min(times):.2f}",
            " ".join(f"{t:.2f}" for t in times),
            f"{peak:,.0f}",
            goal + ok,
        )
    Console().print(table)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; peak RSS includes the "
        "interpreter, pandas and the panel build (pooled fit row)."
    )


if __name__ == "__main__":
    main()
