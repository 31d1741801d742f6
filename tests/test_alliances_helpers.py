"""Shared helpers for the alliance tests: locate the shared data, import it once per session.

Named `test_alliances_*` so it sits with the alliance suite; it holds no tests itself.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """$REALPOLITIK_SHARED_DATA, else ../shared/data/peacesciencer relative to the repo root."""
    env = os.environ.get("REALPOLITIK_SHARED_DATA")
    if env:
        return Path(env)
    return (REPO / ".." / "shared" / "data" / "peacesciencer").resolve()


def require_shared() -> Path:
    path = shared_dir()
    if not (path / "data" / "cow_ddy.rda").is_file():
        pytest.skip(f"shared peacesciencer data not found at {path} (set REALPOLITIK_SHARED_DATA)")
    return path


@functools.cache
def _imported() -> Path:
    from realpolitik.alliances import store

    tmp = Path(tempfile.mkdtemp(prefix="rp-alliances-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    store.import_all(shared_dir(), tmp)
    return tmp


def imported_data_dir() -> Path:
    """A data directory holding every catalogued dataset, imported once per test session."""
    require_shared()
    return _imported()


@functools.cache
def _panel(year_from: int, year_to: int) -> pd.DataFrame:
    from realpolitik.alliances.panel import build_panel

    return build_panel(year_from, year_to, data_dir=_imported())


def full_panel() -> pd.DataFrame:
    """The non-directed 1816-2018 panel with every covariate (built once per session)."""
    require_shared()
    return _panel(1816, 2018)


def read_raw(name: str) -> pd.DataFrame:
    """A dataset read straight from the shared .rda file (independent of realpolitik's import)."""
    import pyreadr

    from realpolitik.alliances.catalog import DATASETS

    return pyreadr.read_r(str(require_shared() / DATASETS[name].path))[name]
