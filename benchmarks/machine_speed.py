"""How fast this machine is right now: one fixed piece of plain Python, timed in CPU seconds.

On a shared virtual machine the same work can take several times as long from one hour to
the next (the host's other guests; the load average does not show it, since the guest's own
CPU time grows too): on 30 November 2026 this loop took 0.16-0.18 s in the morning and
0.63-0.67 s in the afternoon on the same idle machine. `bench_run.py` and
`bench_simulation.py` print it before and after their measurements, so that a reader can tell
whether a table was taken at the machine's usual speed and compare tables taken at
different times.
"""

from __future__ import annotations

import time

USUAL = 0.17  # seconds, this project's 2-core machine at its usual speed


def loop_seconds(reps: int = 3) -> float:
    """The fastest of `reps` CPU timings of a fixed loop of 3,000,000 multiply-adds."""
    best = float("inf")
    for _ in range(reps):
        t0 = time.process_time()
        s = 0
        for i in range(3_000_000):
            s += i * i
        best = min(best, time.process_time() - t0)
    return best


def describe(before: float, after: float) -> str:
    return (
        f"machine speed: a fixed Python loop took {before:.2f} s before and {after:.2f} s "
        f"after the measurements (about {USUAL:.2f} s at this machine's usual speed; "
        "larger means a slower host, and every time above slower with it)"
    )
