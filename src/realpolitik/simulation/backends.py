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

import itertools
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


def shared_positions(items: list[Any]) -> list[int]:
    """Items are argument tuples: the positions holding the same object in every item (not a
    plain number or string), i.e. what all chunks share."""
    if len(items) < 2 or not all(isinstance(it, tuple) for it in items):
        return []
    width = len(items[0])
    return [
        i
        for i in range(width)
        if all(len(it) == width and it[i] is items[0][i] for it in items)
        and not isinstance(items[0][i], int | float | str | bool | type(None))
    ]


def with_shared(items: list[Any], stand_ins: dict[int, Any]) -> list[Any]:
    """The argument tuples with each shared position replaced by its stand-in (a marker the
    forked worker resolves, or a Dask future)."""
    return [tuple(stand_ins.get(i, x) for i, x in enumerate(it)) for it in items]


# what forked workers inherit from the process that forked them: {map call: {position:
# object}}; one entry per running `Backend.map`, so that maps in several threads (the
# explorer's requests) do not mix
_INHERITED: dict[int, dict[int, Any]] = {}
_CALLS = itertools.count()


class _Inherited:
    """Stands for the argument at `position` of map call `call`, taken from `_INHERITED` in
    the worker."""

    __slots__ = ("call", "position")

    def __init__(self, call: int, position: int):
        self.call, self.position = call, position


def _fork_shared(items: list[Any], call: int) -> list[Any]:
    shared = shared_positions(items)
    if not shared:
        return items
    _INHERITED[call] = {i: items[0][i] for i in shared}
    return with_shared(items, {i: _Inherited(call, i) for i in shared})


def _with_inherited(fn: Callable[[Any], Any], item: Any) -> Any:
    if isinstance(item, tuple):
        item = tuple(
            _INHERITED[x.call][x.position] if isinstance(x, _Inherited) else x for x in item
        )
    return fn(item)


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

        # Arguments that every item shares (the compiled case, the weights) are not pickled
        # for each chunk: they are left in this module for the forked workers to inherit,
        # and each worker's chunks then use one copy (and what the engine keeps for it).
        call = next(_CALLS)
        slim = _fork_shared(items, call)
        # fork: the workers start at once with everything this process has imported
        pool = ProcessPoolExecutor(procs, mp_context=multiprocessing.get_context("fork"))
        try:
            futures = {
                pool.submit(_with_inherited, fn, s): item
                for s, item in zip(slim, items, strict=True)
            }
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:  # a caller that stops early (an error, Ctrl-C) leaves no queued work behind
            pool.shutdown(wait=True, cancel_futures=True)
            _INHERITED.pop(call, None)

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


# Clients of schedulers named by address (`--scheduler`), kept for the life of the process:
# connecting costs a round trip per run, and a kept client keeps what was scattered.
_CLIENTS: dict[str, Any] = {}
# (scheduler address, id(object)) -> (object, future on the workers); the object is held, so
# its id is not reused while it is here; the least recently used is dropped beyond
# SCATTERED_KEPT (a run's own arrays come and go, the compiled case stays).
_SCATTERED: dict[tuple[str, int], tuple[Any, Any]] = {}
SCATTERED_KEPT = 8


class DaskBackend(Backend):
    """A Dask distributed cluster: the given scheduler address, or a local cluster of processes."""

    name = "dask"

    def __init__(self, address: str | None = None, workers: int = 2):
        try:
            from dask.distributed import Client
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise InputError(f"--backend dask: dask.distributed is not installed ({exc})") from None
        self._cluster = None
        self.address = address
        if address:
            self.client = _CLIENTS.get(address)
            if self.client is None or self.client.status != "running":
                try:
                    self.client = Client(address, timeout="10s", set_as_default=False)
                except OSError as exc:
                    raise InputError(
                        f"--scheduler: cannot reach a Dask scheduler at {address} ({exc})"
                    ) from None
                _CLIENTS[address] = self.client
        else:
            self._cluster = local_cluster(workers)
            self.client = Client(self._cluster)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        from dask.distributed import as_completed

        items = list(items)
        sent = self._scatter_shared(items)
        # one message for every task, and each result comes with its future (no round trip
        # per chunk to fetch it)
        futures = self.client.map(fn, sent, pure=False)
        item_of = {fut.key: item for fut, item in zip(futures, items, strict=True)}
        for fut, result in as_completed(futures, with_results=True, loop=self.client.loop):
            yield item_of[fut.key], result

    def _scatter_shared(self, items: list[Any]) -> list[Any]:
        """Items are argument tuples; an argument that is the same object in every item (the
        compiled case, the weights) is sent to every worker once, not once per chunk, and each
        worker's tasks then share that one copy (with what the engine keeps per case)."""
        shared = shared_positions(items)
        if not shared:
            return items
        futures = self._scattered([items[0][i] for i in shared])
        return with_shared(items, dict(zip(shared, futures, strict=True)))

    def _scattered(self, objs: list[Any]) -> list[Any]:
        """Futures of `objs` on every worker, sent in one round trip. On a scheduler of one's
        own (`--scheduler`, whose client is kept for the process) an object already sent is
        not sent again, so the workers keep one copy and what the engine keeps for it
        (`model.kept`) between runs: sending and the per-case set-up were a fixed cost of
        every run (a fifth of a 10^6-path simulation on two workers)."""
        out: list[Any] = [None] * len(objs)
        missing = []
        for j, obj in enumerate(objs):
            hit = _SCATTERED.pop((self.address, id(obj)), None) if self.address else None
            if hit is not None and hit[0] is obj and hit[1].status == "finished":
                out[j] = hit[1]
                _SCATTERED[(self.address, id(obj))] = hit  # the most recently used is kept
            else:
                missing.append(j)
        if missing:
            # (given as a list: each element, a tuple or dict too, is sent as one object)
            sent = self.client.scatter([objs[j] for j in missing], broadcast=True, hash=False)
            for j, fut in zip(missing, sent, strict=True):
                out[j] = fut
                if self.address:
                    if len(_SCATTERED) >= SCATTERED_KEPT:
                        _SCATTERED.pop(next(iter(_SCATTERED)))
                    _SCATTERED[(self.address, id(objs[j]))] = (objs[j], fut)
        return out

    def close(self) -> None:
        if self._cluster is not None:  # a cluster of this run's own: gone with it
            self.client.close()
            self._cluster.close()


def make_backend(name: str, workers: int = 2, address: str | None = None) -> Backend:
    if name == "local":
        return Backend(workers)
    if name == "dask":
        return DaskBackend(address, workers)
    raise InputError(f"--backend: expected one of {', '.join(BACKENDS)}, got '{name}'")
