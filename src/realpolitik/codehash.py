"""Which code computed a kept result: a hash of the source of a realpolitik package.

Kept results (the run store's `results`, the parsed-case cache) are keyed by what they were
computed from and by the code that computed them, so that a changed module is a miss."""

from __future__ import annotations

import functools
import hashlib
from importlib import resources


@functools.cache
def code_hash(package: str) -> str:
    """SHA-256 of the source of every module of a realpolitik package (e.g. 'alliances'),
    or of one module given as 'errors.py'. Read once per process: every cache key asks for
    it, and the installed sources do not change under a running command."""
    h = hashlib.sha256()
    root = resources.files("realpolitik")
    if package.endswith(".py"):
        h.update((root / package).read_bytes())
        return h.hexdigest()[:16]
    folder = root / package
    for name in sorted(p.name for p in folder.iterdir() if p.name.endswith(".py")):
        h.update(name.encode())
        h.update((folder / name).read_bytes())
    return h.hexdigest()[:16]
