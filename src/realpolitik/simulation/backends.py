"""Where chunks of rows run: in this process, or on a Dask cluster.

Work is cut into fixed-size chunks, and chunk i always draws its random numbers from
SeedSequence(seed, spawn_key=(i,)): the same seed gives the same numbers on every backend
and for any number of workers.
"""

from __future__ import annotations

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
    name = "local"

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """Yield (item, fn(item)) as each finishes (order not guaranteed)."""
        for item in items:
            yield item, fn(item)

    def close(self) -> None:
        pass

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskBackend(Backend):
    """A Dask distributed cluster: the given scheduler address, or a local cluster of processes."""

    name = "dask"

    def __init__(self, address: str | None = None, workers: int = 2):
        try:
            from dask.distributed import Client, LocalCluster
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
            self._cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            self.client = Client(self._cluster)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        from dask.distributed import as_completed

        items = list(items)
        futures = {self.client.submit(fn, item, pure=False): item for item in items}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_backend(name: str, workers: int = 2, address: str | None = None) -> Backend:
    if name == "local":
        return Backend()
    if name == "dask":
        return DaskBackend(address, workers)
    raise InputError(f"--backend: expected one of {', '.join(BACKENDS)}, got '{name}'")
