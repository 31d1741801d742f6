"""Finished results kept in the run store, keyed by everything that determines them.

`realpolitik run` asks for results that take long and rarely change (the alliance study's era
fits and networks, the hierarchical Bayesian fit). `cached` keeps them in the run store's DuckDB
file (table `results`) under a key hashed from: the kind of result, what it was computed from
(for the alliance study the data version, i.e. the SHA-256 of the data directory's
`manifest.json`, which records every dataset's source checksum; for a case fit the case's
hash and seed), the model specification (options and a hash of the source code of the modules
that define the model) and the package version. A change to any of them is a miss.

Results are stored as JSON, tables as Parquet (base64); nothing is pickled, so a store file
from elsewhere cannot run code, and only dataclasses of the named realpolitik packages are
rebuilt. A result that cannot be stored this way is simply not cached.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import importlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from realpolitik import __version__
from realpolitik.codehash import code_hash

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
  key VARCHAR PRIMARY KEY, kind VARCHAR, version VARCHAR, spec VARCHAR, payload VARCHAR,
  created TIMESTAMP
);
"""
# only dataclasses defined in these packages are rebuilt from a stored result
REBUILDABLE = ("realpolitik.alliances.", "realpolitik.estimation.")


# the packages whose source determines a fit of a case (and, with "simulation", a run's results)
FIT_CODE = ("estimation", "model", "scenario")


def code_hashes(packages: tuple[str, ...] = FIT_CODE) -> dict[str, str]:
    """`code_hash` of each package: the part of a cache key that says which code computed it."""
    return {p: code_hash(p) for p in packages}


def case_spec(comp: Any, packages: tuple[str, ...] = FIT_CODE, **extra: Any) -> dict[str, Any]:
    """A cache key's spec for a result computed from one case: the case's hash, the code that
    computes it (`packages`) and whatever else determines it (`extra`: seed, model, ...)."""
    from realpolitik.simulation.chunked import case_hash

    return {"case": case_hash(comp), **extra, "code": code_hashes(packages)}


def file_hash(path: Path) -> str:
    """SHA-256 of a file ('missing' when there is none)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "missing"


def result_key(kind: str, spec: dict[str, Any]) -> str:
    blob = json.dumps({"kind": kind, "spec": spec, "version": __version__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _open(store: str | Path | bool) -> Any:
    from realpolitik.simulation.store import RunStore

    db = RunStore.open(store)
    if "results" not in db.made:
        db.con.execute(SCHEMA)
        db.made.add("results")
    return db


def lookup(
    store: str | Path | bool | None,
    kind: str,
    spec: dict[str, Any],
    refs: dict[str, Any] | None = None,
) -> tuple[bool, Any]:
    """(True, the stored result) for this kind and spec, or (False, None). `refs` names the
    objects that `save` was told to store by name (see `encode`)."""
    if store in (None, False):
        return False, None
    db = _open(store)  # type: ignore[arg-type]
    try:
        row = db.con.execute(
            "SELECT payload FROM results WHERE key = ?", [result_key(kind, spec)]
        ).fetchone()
    finally:
        db.close()
    if row is None:
        return False, None
    try:
        return True, decode(json.loads(row[0]), refs)
    except (TypeError, ValueError, KeyError, AttributeError, ImportError):
        return False, None  # unreadable (an older layout): compute it again


def save(
    store: str | Path | bool | None,
    kind: str,
    spec: dict[str, Any],
    value: Any,
    refs: dict[str, Any] | None = None,
) -> bool:
    """Store a result under this kind and spec; False when it cannot be stored as JSON.
    `refs` {name: object}: objects inside the result that the spec already determines (e.g.
    the compiled case) are stored by name and given back by `lookup`."""
    if store in (None, False):
        return False
    try:
        payload = json.dumps(encode(value, {id(v): k for k, v in (refs or {}).items()}))
    except (TypeError, ValueError):
        return False
    db = _open(store)  # type: ignore[arg-type]
    try:
        db.con.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
            [
                result_key(kind, spec),
                kind,
                __version__,
                json.dumps(spec, sort_keys=True),
                payload,
                dt.datetime.now(),
            ],
        )
    finally:
        db.close()
    return True


def cached(
    store: str | Path | bool | None,
    kind: str,
    spec: dict[str, Any],
    compute: Callable[[], T],
) -> tuple[T, bool]:
    """`compute()`, or its stored answer for the same kind and spec; and whether it was reused.
    `store` is the run store (True: the default one; None or False: no caching)."""
    found, value = lookup(store, kind, spec)
    if found:
        return value, True
    value = compute()
    save(store, kind, spec, value)
    return value, False


# ---- serialisation -----------------------------------------------------------------------------


def _parquet(frame: pd.DataFrame) -> str:
    buf = io.BytesIO()
    frame.to_parquet(buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _frame(text: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(base64.b64decode(text)))


def encode(x: Any, refs: dict[int, str] | None = None) -> Any:
    """A JSON-ready form of dataclasses, tables, arrays, containers and scalars; an object
    whose id is in `refs` is stored as its name."""
    refs = refs or {}
    if id(x) in refs:
        return {"$ref": refs[id(x)]}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        cls = type(x)
        if not cls.__module__.startswith(REBUILDABLE):
            raise TypeError(f"{cls.__module__}.{cls.__qualname__} is not rebuildable")
        fields = {f.name: encode(getattr(x, f.name), refs) for f in dataclasses.fields(x) if f.init}
        return {"$dc": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    if isinstance(x, pd.DataFrame):
        return {"$df": _parquet(x)}
    if isinstance(x, pd.Series):
        return {"$s": _parquet(x.to_frame(name="value")), "name": encode(x.name, refs)}
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            raise TypeError("object arrays are not stored")
        buf = io.BytesIO()
        np.save(buf, x, allow_pickle=False)
        return {"$a": base64.b64encode(buf.getvalue()).decode("ascii")}
    if isinstance(x, dict):
        if not all(isinstance(k, str) for k in x):
            raise TypeError("only string keys are stored")
        return {"$d": {k: encode(v, refs) for k, v in x.items()}}
    if isinstance(x, list | tuple):
        return {"$l": [encode(v, refs) for v in x], "tuple": isinstance(x, tuple)}
    if isinstance(x, np.generic):
        x = x.item()
    if x is None or isinstance(x, bool | int | float | str):
        return x
    raise TypeError(f"{type(x).__name__} is not stored")


def decode(x: Any, refs: dict[str, Any] | None = None) -> Any:
    if not isinstance(x, dict):
        return x
    if "$ref" in x:
        return (refs or {})[x["$ref"]]
    if "$dc" in x:
        module, _, name = x["$dc"].partition(":")
        if not module.startswith(REBUILDABLE):
            raise TypeError(f"{module} is not rebuildable")
        cls = importlib.import_module(module)
        for part in name.split("."):
            cls = getattr(cls, part)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise TypeError(f"{x['$dc']} is not a dataclass")
        return cls(**{k: decode(v, refs) for k, v in x["fields"].items()})
    if "$df" in x:
        return _frame(x["$df"])
    if "$s" in x:
        return _frame(x["$s"])["value"].rename(decode(x["name"], refs))
    if "$a" in x:
        return np.load(io.BytesIO(base64.b64decode(x["$a"])), allow_pickle=False)
    if "$d" in x:
        return {k: decode(v, refs) for k, v in x["$d"].items()}
    if "$l" in x:
        items = [decode(v, refs) for v in x["$l"]]
        return tuple(items) if x.get("tuple") else items
    raise ValueError("unknown stored form")
