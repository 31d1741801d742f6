"""Where realpolitik keeps things for the user between runs."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """`$XDG_CACHE_HOME/realpolitik` (else ~/.cache/realpolitik): the run store, panels, fits,
    parsed cases and imported data live under it."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "realpolitik"
