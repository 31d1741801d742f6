"""Validated cases kept between processes, so that a command does not parse its case again.

Reading a case means parsing its YAML twice (the safety checks of `safe_yaml`, then the tree),
typing it with the schema and running every cross-check of `validate`: about 0.13 s for the
built-in case, paid by every command. A case that passed is written here as the schema's
JSON (`$XDG_CACHE_HOME/realpolitik/cases/KEY.json`), keyed by the SHA-256 of the exact text,
of the code of the `scenario` package and `errors.py`, and of the package version; a later
read of the same text by the same code types that JSON with the schema again (pydantic,
about 3 ms) instead. Any change to the file or to the reading code is a miss. A cache file
that is missing, unreadable or not a valid case is ignored and written anew; nothing is
pickled, so a cache file cannot run code. `REALPOLITIK_NO_CASE_CACHE=1` turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from realpolitik import __version__
from realpolitik.codehash import code_hash
from realpolitik.scenario.schema import Case
from realpolitik.userdirs import cache_root

OFF_ENV = "REALPOLITIK_NO_CASE_CACHE"


def _path(text: str) -> Path | None:
    if os.environ.get(OFF_ENV, "").strip() not in ("", "0"):
        return None
    code = code_hash("scenario") + code_hash("errors.py")
    h = hashlib.sha256(f"{__version__}\0{code}\0".encode())
    h.update(text.encode("utf-8"))
    return cache_root() / "cases" / f"{h.hexdigest()[:32]}.json"


def get(text: str) -> Case | None:
    """The case this exact text was validated to before, if it is kept."""
    path = _path(text)
    if path is None:
        return None
    try:
        return Case.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError):
        return None


def put(text: str, case: Case) -> None:
    """Keep a validated case (quietly nothing when the cache folder cannot be written, or when
    its JSON would not read back as the same case: JSON has no infinities, for one)."""
    path = _path(text)
    if path is None:
        return
    blob = case.model_dump_json()
    try:
        if Case.model_validate_json(blob) != case:
            return
    except (ValidationError, ValueError):
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(blob)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return
