"""Results kept per compiled case in this process, for work that does not depend on the path.

The engine runs a case chunk after chunk with the same parameter row; what depends only on the
case and that row (the options' fixed features, the coalition shares of a capability class) is
computed once and kept here. A kept array is read only: it is handed to every later caller.
Bounded (first in, first out) and safe to use from several threads (Dask workers)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np


class Kept:
    """`get(comp, key, make)`: make()'s array for (comp, key), made once and kept read only.

    Cases are told apart by identity (a compiled case is never changed after compiling), and
    at most `cases` cases and `entries` keys per case are kept."""

    def __init__(self, cases: int, entries: int):
        self.cases = cases
        self.entries = entries
        self._store: dict[int, tuple[Any, dict[Hashable, np.ndarray]]] = {}
        self._lock = threading.Lock()

    def get(self, comp: Any, key: Hashable, make: Callable[[], np.ndarray]) -> np.ndarray:
        with self._lock:
            hit = self._store.get(id(comp))
            if hit is not None and hit[0] is comp and key in hit[1]:
                return hit[1][key]
        out = make()
        out.setflags(write=False)
        with self._lock:
            hit = self._store.get(id(comp))
            if hit is None or hit[0] is not comp:
                if len(self._store) >= self.cases:
                    self._store.pop(next(iter(self._store)))
                hit = self._store[id(comp)] = (comp, {})
            memo = hit[1]
            if len(memo) >= self.entries:
                memo.pop(next(iter(memo)))
            memo[key] = out
        return out

    def clear(self) -> None:
        with self._lock:
            self._store.clear()
