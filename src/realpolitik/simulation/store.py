"""Runs stored in an embedded DuckDB database, chunk by chunk.

A run is keyed by a hash of what determines its numbers (kind, parameters, seed, scenario
hash, package version). Finished chunks are committed together at most half a second after
they finish (and at once when the run stops, by an error or Ctrl-C too), so a sweep that
crashes resumes from the chunks it has; a finished run is read back rather than recomputed,
and the command says so. A command holds one connection for its whole length (`held_open`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import stat
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from realpolitik import __version__

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  run_key VARCHAR PRIMARY KEY, kind VARCHAR, case_id VARCHAR, scenario_hash VARCHAR,
  version VARCHAR, seed BIGINT, params VARCHAR, n_chunks INTEGER, created TIMESTAMP,
  completed TIMESTAMP
);
CREATE TABLE IF NOT EXISTS chunks (
  run_key VARCHAR, chunk INTEGER, payload BLOB, created TIMESTAMP,
  PRIMARY KEY (run_key, chunk)
);
"""
COLUMNS = {
    "runs": [
        ("run_key", "VARCHAR"),
        ("kind", "VARCHAR"),
        ("case_id", "VARCHAR"),
        ("scenario_hash", "VARCHAR"),
        ("version", "VARCHAR"),
        ("seed", "BIGINT"),
        ("params", "VARCHAR"),
        ("n_chunks", "INTEGER"),
        ("created", "TIMESTAMP"),
        ("completed", "TIMESTAMP"),
    ],
    "chunks": [
        ("run_key", "VARCHAR"),
        ("chunk", "INTEGER"),
        ("payload", "BLOB"),
        ("created", "TIMESTAMP"),
    ],
}


def default_store_path() -> Path:
    env = os.environ.get("REALPOLITIK_STORE")
    if env:
        return Path(env)
    from realpolitik.userdirs import cache_root

    return cache_root() / "runs.duckdb"


def run_key(kind: str, params: dict[str, Any], seed: int, scenario_hash: str) -> str:
    blob = json.dumps(
        {
            "kind": kind,
            "params": params,
            "seed": seed,
            "scenario": scenario_hash,
            "version": __version__,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


MAGIC = b"RPCHUNK1"  # payload = MAGIC + sha256(npz) + npz


class CorruptChunk(ValueError):
    """A stored chunk whose payload does not unpack."""


def pack(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    body = buf.getvalue()
    return MAGIC + hashlib.sha256(body).digest() + body


def unpack(blob: bytes) -> dict[str, np.ndarray]:
    """The arrays of a payload; CorruptChunk if it was altered, truncated or is not one."""
    head = len(MAGIC) + 32
    if len(blob) < head or not blob.startswith(MAGIC):
        raise CorruptChunk("not a chunk payload of this version")
    body = blob[head:]
    if hashlib.sha256(body).digest() != blob[len(MAGIC) : head]:
        raise CorruptChunk("checksum mismatch")
    try:
        with np.load(io.BytesIO(body), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise CorruptChunk(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def store_path(store: str | Path | bool) -> Path:
    """The file of a `store` argument: a path, or True for the default run store."""
    return default_store_path() if store is True else Path(store)  # type: ignore[arg-type]


# Stores held open by `held_open`: {absolute path: the store}
_HELD: dict[str, RunStore] = {}


def _held_here(store: str | Path | bool) -> RunStore | None:
    """The store held open for this file by this process (a forked child's inherited entry is
    its parent's connection, not its own)."""
    held = _HELD.get(os.path.abspath(store_path(store)))
    return held if held is not None and held.pid == os.getpid() else None


@contextlib.contextmanager
def held_open(store: str | Path | bool | None) -> Iterator[None]:
    """Within the block, every `RunStore.open` of this store in this process gets one
    connection, opened here (so a wrong file fails before any work) and closed at the end.
    A command asks the store several times (fitted weights, the run's chunks, cached
    results); opening a DuckDB file costs tens of milliseconds each time. Blocks nest."""
    if store in (None, False):
        yield
        return
    path = store_path(store)  # type: ignore[arg-type]
    db = _held_here(path)
    if db is None:
        db = _HELD[os.path.abspath(path)] = RunStore(path)
    db.holders += 1
    try:
        yield
    finally:
        db.holders -= 1
        if not db.held:
            if _HELD.get(os.path.abspath(path)) is db:
                del _HELD[os.path.abspath(path)]
            db.close()


class RunStore:
    @classmethod
    def open(cls, store: str | Path | bool) -> RunStore:
        """The store held open in this process for this file (see `held_open`), or a new
        connection. `close()` on a held store leaves it open for the rest of the block."""
        return _held_here(store) or cls(store_path(store))

    @property
    def held(self) -> bool:
        return self.holders > 0

    def __init__(self, path: str | Path):
        import duckdb

        from realpolitik.errors import InputError

        self.path = Path(path)
        self.pid = os.getpid()
        self.holders = 0  # `held_open` blocks holding this connection
        self.made: set[str] = set()  # tables other modules created on this connection
        try:
            kind = os.stat(self.path).st_mode
        except OSError:
            kind = None  # not there yet (or unreadable: duckdb says why below)
        if kind is not None and not stat.S_ISREG(kind):
            raise InputError(
                f"{self.path}: --store: not a regular file (a folder, pipe or device); "
                "expected a DuckDB run store"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.con = duckdb.connect(str(self.path))
            self.con.execute(SCHEMA)
            wrong = self._wrong_tables()
        except (OSError, duckdb.Error) as exc:
            reason = (
                getattr(exc, "strerror", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
            )
            raise InputError(
                f"{self.path}: --store: cannot open the run store ({reason})"
            ) from None
        if wrong:
            self.con.close()
            raise InputError(
                f"{self.path}: --store: table {wrong} does not have a run store's columns; "
                "nothing was changed (give another --store, or --no-store)"
            )

    def _wrong_tables(self) -> str | None:
        """The first table whose columns are not the run store's, if any."""
        for table, expected in COLUMNS.items():
            got = self.con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
                [table],
            ).fetchall()
            if [(str(n), str(t).upper()) for n, t in got] != expected:
                return table
        return None

    def close(self) -> None:
        if not self.held:
            self.con.close()

    def begin(
        self,
        key: str,
        kind: str,
        case_id: str,
        scenario_hash: str,
        seed: int,
        params: dict[str, Any],
        n_chunks: int,
    ) -> dict[int, dict[str, np.ndarray]]:
        """Register a run (if new) and return the chunks it already has."""
        row = self.con.execute("SELECT run_key FROM runs WHERE run_key = ?", [key]).fetchone()
        if row is None:
            self.con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [
                    key,
                    kind,
                    case_id,
                    scenario_hash,
                    __version__,
                    seed,
                    json.dumps(params, sort_keys=True, default=str),
                    n_chunks,
                    dt.datetime.now(),
                ],
            )
            return {}
        got = self.con.execute(
            "SELECT chunk, payload FROM chunks WHERE run_key = ?", [key]
        ).fetchall()
        have: dict[int, dict[str, np.ndarray]] = {}
        bad: list[int] = []
        for c, p in got:
            try:
                have[int(c)] = unpack(bytes(p))
            except CorruptChunk:
                bad.append(int(c))
        if bad:
            # drop only this run's broken chunks: they are recomputed, other runs are untouched
            self.con.execute(
                f"DELETE FROM chunks WHERE run_key = ? AND chunk IN ({', '.join('?' * len(bad))})",
                [key, *bad],
            )
            sys.stderr.write(
                f"warning: {self.path}: run {key}: {len(bad)} stored chunk(s) would not unpack "
                f"(chunk {', '.join(map(str, bad[:5]))}{', ...' if len(bad) > 5 else ''}); "
                "recomputing them\n"
            )
        return have

    def save_chunks(self, key: str, chunks: dict[int, dict[str, np.ndarray]]) -> None:
        """Store finished chunks in one transaction (one commit, not one per chunk)."""
        if not chunks:
            return
        now = dt.datetime.now()
        rows = [[key, c, pack(arrays), now] for c, arrays in chunks.items()]
        self.con.begin()
        try:
            self.con.executemany("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?)", rows)
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    def finish(self, key: str) -> None:
        self.con.execute(
            "UPDATE runs SET completed = ? WHERE run_key = ?", [dt.datetime.now(), key]
        )

    def runs(self) -> Any:
        return self.con.execute(
            "SELECT run_key, kind, case_id, seed, version, created, completed FROM runs ORDER BY created"
        ).df()
