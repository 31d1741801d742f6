"""Where chunks of rows run: in local processes, or on a Dask cluster.

Work is cut into fixed-size chunks, and chunk i always draws its random numbers from
SeedSequence(seed, spawn_key=(i,)): the same seed gives the same numbers on every backend
and for any number of workers.

The local backend runs a job of one chunk in this process, and a job of several chunks on up
to `workers` forked processes (where the platform can fork; otherwise in this process).

Dask workers and memory: Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536
(`distributed.nanny.pre-spawn-environ`). Setting it turns off glibc's adaptive mmap threshold,
so every array over 128 KB is mapped from and returned to the operating system at each
allocation: a chunk of paths then spends more time in page faults than in the engine (about
a million faults per 200,000 paths instead of ten thousand). The local cluster started here
leaves the variable unset, so workers allocate as this process does. Workers started by hand
for `--scheduler` should be given the same setting (docs in benchmarks/README.md).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from realpolitik.errors import InputError

BACKENDS = ("local", "dask")


def chunk_rng(seed: int, chunk: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk,)))


def chunks(total: int, size: int) -> list[tuple[int, int, int]]:
    """(chunk index, first row, rows) covering `total` rows."""
    return [(i, start, min(size, total - start)) for i, start in enumerate(range(0, total, size))]


class Backend:
    """This machine: one chunk runs in this process, several on up to `workers` processes."""

    name = "local"

    def __init__(self, workers: int = 1):
        self.workers = workers

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """Yield (item, fn(item)) as each finishes (order not guaranteed)."""
        items = list(items)
        procs = min(self.workers, len(items))
        if procs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for item in items:
                yield item, fn(item)
            return
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # fork: the workers start at once with everything this process has imported
        pool = ProcessPoolExecutor(procs, mp_context=multiprocessing.get_context("fork"))
        try:
            futures = {pool.submit(fn, item): item for item in items}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:  # a caller that stops early (an error, Ctrl-C) leaves no queued work behind
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        pass

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def local_cluster(workers: int) -> Any:
    """A Dask local cluster of `workers` single-threaded processes, without Dask's
    MALLOC_TRIM_THRESHOLD_ (see the module docstring)."""
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        return LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )


class DaskBackend(Backend):
    """A Dask distributed cluster: the given scheduler address, or a local cluster of processes."""

    name = "dask"

    def __init__(self, address: str | None = None, workers: int = 2):
        try:
            from dask.distributed import Client
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise InputError(f"--backend dask: dask.distributed is not installed ({exc})") from None
        self._cluster = None
        if address:
            try:
                self.client = Client(address, timeout="10s")
            except OSError as exc:
                raise InputError(
                    f"--scheduler: cannot reach a Dask scheduler at {address} ({exc})"
                ) from None
        else:
            self._cluster = local_cluster(workers)
            self.client = Client(self._cluster)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        from dask.distributed import as_completed

        items = list(items)
        sent = self._scatter_shared(items)
        futures = {
            self.client.submit(fn, s, pure=False): item for s, item in zip(sent, items, strict=True)
        }
        for fut in as_completed(futures):
            yield futures[fut], fut.result()

    def _scatter_shared(self, items: list[Any]) -> list[Any]:
        """Items are argument tuples; an argument that is the same object in every item (the
        compiled case, the weights) is sent to every worker once, not once per chunk, and each
        worker's tasks then share that one copy (with what the engine keeps per case)."""
        if len(items) < 2 or not all(isinstance(it, tuple) for it in items):
            return items
        width = len(items[0])
        shared = [
            i
            for i in range(width)
            if all(len(it) == width and it[i] is items[0][i] for it in items)
            and not isinstance(items[0][i], int | float | str | bool | type(None))
        ]
        if not shared:
            return items
        # (a one-element list, so that a tuple or dict is sent as one object, not its parts)
        sent = {
            i: self.client.scatter([items[0][i]], broadcast=True, hash=False)[0] for i in shared
        }
        return [tuple(sent.get(i, x) for i, x in enumerate(it)) for it in items]

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_backend(name: str, workers: int = 2, address: str | None = None) -> Backend:
    if name == "local":
        return Backend(workers)
    if name == "dask":
        return DaskBackend(address, workers)
    raise InputError(f"--backend: expected one of {', '.join(BACKENDS)}, got '{name}'")
