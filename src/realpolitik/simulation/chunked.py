"""Run a job chunk by chunk on a backend, storing each finished chunk and resuming a run.

Shared by `simulate` and `sensitivity`: the chunks a stored run already has are read back,
only the missing ones are computed, and each is committed to the run store as it finishes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from realpolitik.model.compiled import Compiled
from realpolitik.simulation.backends import make_backend
from realpolitik.simulation.store import RunStore, default_store_path, run_key

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
    plan: list[Chunk],
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
    scen = scenario_hash or case_hash(comp)
    key = run_key(kind, params, seed, scen)
    have: dict[int, Arrays] = {}
    store = execution.store
    db = (
        RunStore(default_store_path() if store is True else store)
        if store not in (None, False)
        else None
    )
    try:
        if db is not None:
            have = db.begin(key, kind, comp.case.id, scen, seed, params, len(plan))
        reused = len(have) == len(plan)
        todo = [c for c in plan if c[0] not in have]
        if todo:
            with (
                make_backend(execution.backend, execution.workers, execution.scheduler) as be,
                Progress(execution.progress, len(todo), label or kind) as advance,
            ):
                for args, result in be.map(job, [make_args(c) for c in todo]):
                    index = args[-1][0]
                    have[index] = result
                    if db is not None:
                        db.save_chunk(key, index, result)
                    advance(1)
        if db is not None:
            db.finish(key)
    finally:
        if db is not None:
            db.close()
    return have, key, reused
