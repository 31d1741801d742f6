"""Run a job chunk by chunk on a backend, storing each finished chunk and resuming a run.

Shared by `simulate` and `sensitivity`: the chunks a stored run already has are read back,
only the missing ones are computed, and finished chunks are committed to the run store
together, at most every SAVE_EVERY seconds (a DuckDB commit took 5-45 ms here, as long as
a chunk of a small run), and whatever finished is committed when the run stops.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from realpolitik.limits import MAX_WORKERS, check_int
from realpolitik.model.compiled import Compiled
from realpolitik.simulation.backends import make_backend
from realpolitik.simulation.store import RunStore, run_key

SAVE_EVERY = 0.5  # seconds between commits of finished chunks

Chunk = tuple[int, int, int]  # (index, first row, rows)
Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class Execution:
    """Where and how chunks run and are kept."""

    backend: str = "local"
    workers: int = 2
    scheduler: str | None = None
    store: str | Path | bool | None = None
    progress: bool = False


class ChunkPlan(Sequence[Chunk]):
    """(chunk index, first row, rows) covering `total` rows, computed on demand: planning a
    huge run costs nothing, and the work it asks for is bounded separately (realpolitik.limits)."""

    def __init__(self, total: int, size: int):
        if total < 0 or size < 1:
            raise ValueError(f"cannot plan {total} rows in chunks of {size}")
        self.total = total
        self.size = size

    def __len__(self) -> int:
        return -(-self.total // self.size)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...
    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        start = i * self.size
        return (i, start, min(self.size, self.total - start))


def case_hash(comp: Compiled) -> str:
    return hashlib.sha256(comp.case.model_dump_json().encode()).hexdigest()[:16]


class Progress:
    """A rich progress bar on stderr when `on`, else nothing."""

    def __init__(self, on: bool, total: int, label: str):
        self.on = on and total > 1
        self.total = total
        self.label = label

    def __enter__(self) -> Callable[[int], None]:
        if not self.on:
            return lambda k: None
        from rich.progress import Progress as RichProgress

        self.bar = RichProgress(transient=True)
        self.bar.start()
        task = self.bar.add_task(self.label, total=self.total)
        return lambda k: self.bar.advance(task, k)

    def __exit__(self, *exc: object) -> None:
        if self.on:
            self.bar.stop()


def run_chunks(
    kind: str,
    comp: Compiled,
    plan: Sequence[Chunk],
    job: Callable[[Any], Arrays],
    make_args: Callable[[Chunk], Any],
    *,
    params: dict[str, Any],
    seed: int,
    execution: Execution,
    scenario_hash: str | None = None,
    label: str = "",
) -> tuple[dict[int, Arrays], str, bool]:
    """Return every chunk's arrays by index, the run key, and whether the run was reused whole.

    `make_args(chunk)` must end with the chunk tuple, so finished work can be matched to it."""
    check_int(execution.workers, "--workers", 1, MAX_WORKERS)
    scen = scenario_hash or case_hash(comp)
    key = run_key(kind, params, seed, scen)
    have: dict[int, Arrays] = {}
    store = execution.store
    db = RunStore.open(store) if store not in (None, False) else None  # type: ignore[arg-type]
    pending: dict[int, Arrays] = {}  # finished, not yet committed
    try:
        if db is not None:
            have = db.begin(key, kind, comp.case.id, scen, seed, params, len(plan))
        have = {i: a for i, a in have.items() if 0 <= i < len(plan)}
        reused = len(have) == len(plan)
        n_todo = len(plan) - len(have)
        if n_todo:
            todo = (make_args(c) for c in plan if c[0] not in have)
            with (
                make_backend(execution.backend, execution.workers, execution.scheduler) as be,
                Progress(execution.progress, n_todo, label or kind) as advance,
            ):
                flushed = time.monotonic()
                for args, result in be.map(job, todo):
                    index = args[-1][0]
                    have[index] = pending[index] = result
                    if db is not None and time.monotonic() - flushed >= SAVE_EVERY:
                        db.save_chunks(key, pending)
                        pending.clear()
                        flushed = time.monotonic()
                    advance(1)
        if db is not None:
            db.save_chunks(key, pending)
            pending.clear()
            db.finish(key)
    finally:
        if db is not None:
            try:  # chunks finished before an error or Ctrl-C are kept for a resumed run
                db.save_chunks(key, pending)
            finally:
                db.close()
    return have, key, reused
