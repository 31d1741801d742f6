"""Bounds on every number a user can ask for, checked before any work starts.

The command line turns these into click types (realpolitik.commands.common); the Python API
calls `check_int`. Documented in README ("Limits").
"""

from __future__ import annotations

import math
from typing import Any

from realpolitik.errors import InputError

MAX_SEED = 2**32 - 1  # numpy's SeedSequence takes any non-negative integer; 32 bits is plenty
MAX_PATHS = 1_000_000_000  # Monte Carlo paths per world (-n)
MAX_SAMPLES = 2**16  # Sobol base samples (--samples), a power of two
MAX_DRAWS = 100_000  # simulated paths per assumption setting (--draws)
MAX_WORKERS = 256  # Dask worker processes (--workers)
MAX_STEPS = 1_000_000  # MCMC steps per chain (--steps)
MAX_WEIGHT = 100.0  # |weight| a user may set on a utility term (--weight, the explorer)


def check_int(value: Any, name: str, lo: int, hi: int) -> int:
    """`value` as an int in [lo, hi], else an InputError naming the option."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name}: expected a whole number from {lo:,} to {hi:,}, got {value!r}")
    if not lo <= value <= hi:
        raise InputError(f"{name}: expected a whole number from {lo:,} to {hi:,}, got {value:,}")
    return value


def check_power_of_two(value: int, name: str, lo: int, hi: int) -> int:
    check_int(value, name, lo, hi)
    if value & (value - 1):
        raise InputError(f"{name}: expected a power of two (Sobol sequences), got {value:,}")
    return value


def check_weight(value: Any, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or abs(value) > MAX_WEIGHT
    ):
        raise InputError(
            f"{name}: expected a number between -{MAX_WEIGHT:g} and {MAX_WEIGHT:g}, got {value!r}"
        )
    return float(value)
