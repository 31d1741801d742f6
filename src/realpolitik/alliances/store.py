"""The local data directory: where imported datasets live and how they get there.

Resolution order: an explicit `data_dir` argument (the CLI's `--data-dir`) >
environment variable `REALPOLITIK_DATA_DIR` > `$XDG_CACHE_HOME/realpolitik/data` >
`~/.cache/realpolitik/data`.

`import_dataset` reads one `.rda` file with pyreadr, types its columns as the catalog says,
checks its row key, and writes `<name>.parquet` plus an entry in `manifest.json` (version,
citation, source path, SHA-256 of the source file, row count, import time). Every file is
written to a temporary name in the same directory first and then renamed, so a crash never
leaves a half-written Parquet file or manifest behind. Nothing here touches the network.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.alliances.catalog import DATASETS, PEACESCIENCER_CITATION, Dataset, get
from realpolitik.errors import DataMissingError, InputError, Problem
from realpolitik.export import atomic_write

MANIFEST = "manifest.json"
ENV_DATA_DIR = "REALPOLITIK_DATA_DIR"
ENV_SHARED = "REALPOLITIK_SHARED_DATA"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory to use (not created here)."""
    if data_dir:
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    from realpolitik.userdirs import cache_root

    return cache_root() / "data"


def read_manifest(data_dir: Path) -> dict[str, Any]:
    """The manifest of `data_dir` ({} when there is none yet), checked: a JSON object whose
    `datasets` is an object of objects; anything else is a one-line InputError."""
    path = data_dir / MANIFEST
    if not os.path.lexists(path):
        return {"datasets": {}}
    from realpolitik.scenario.safe_yaml import read_text

    text = read_text(path, "data manifest (JSON)")
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            Problem(str(path), "", f"not valid JSON ({exc.msg} at line {exc.lineno})")
        ) from None
    except RecursionError:
        raise InputError(Problem(str(path), "", "not valid JSON (nested too deeply)")) from None
    if not isinstance(manifest, dict):
        raise InputError(
            Problem(
                str(path),
                "",
                f'expected a JSON object {{"datasets": {{...}}}}, got {type(manifest).__name__}',
            )
        )
    datasets = manifest.setdefault("datasets", {})
    if not isinstance(datasets, dict):
        raise InputError(
            Problem(
                str(path),
                "datasets",
                f"expected an object of datasets by name, got {type(datasets).__name__}",
            )
        )
    for name, entry in datasets.items():
        if not isinstance(entry, dict):
            raise InputError(
                Problem(
                    str(path),
                    f"datasets.{name}",
                    f"expected an object (the dataset's entry), got {type(entry).__name__}",
                )
            )
    return manifest


def _write_manifest(data_dir: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    atomic_write(data_dir / MANIFEST, lambda p: p.write_text(text, encoding="utf-8"))


# --------------------------------------------------------------------------- import


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def find_source(source_dir: Path, ds: Dataset) -> Path | None:
    """Where `ds`'s `.rda` file is under `source_dir` (package layout or flat), if anywhere."""
    for candidate in (
        source_dir / ds.path,
        source_dir / "data" / ds.file_name,
        source_dir / "data-removed" / ds.file_name,
        source_dir / ds.file_name,
    ):
        if candidate.is_file():
            return candidate
    return None


def _package_version(source_dir: Path) -> str | None:
    desc = source_dir / "docs" / "DESCRIPTION"
    if not desc.is_file():
        desc = source_dir / "DESCRIPTION"
    if not desc.is_file():
        return None
    for line in desc.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return None


def _expected_sums(source_dir: Path) -> dict[str, str]:
    sums = source_dir / "SHA256SUMS"
    if not sums.is_file():
        return {}
    out: dict[str, str] = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[1].lstrip("*")] = parts[0]
    return out


def type_columns(raw: pd.DataFrame, ds: Dataset, file: str) -> pd.DataFrame:
    """Cast `raw` to the catalog's types; every problem names the file, column and expectation."""
    problems: list[Problem] = []
    missing = [c for c in ds.columns if c not in raw.columns]
    for col in missing:
        problems.append(Problem(file, col, "column missing; expected it in the R data frame"))
    if problems:
        raise InputError(problems)
    out: dict[str, Any] = {}
    for col in ds.int16 + ds.int8:
        values = pd.to_numeric(raw[col], errors="coerce").to_numpy(dtype="float64")
        nan = np.isnan(values)
        frac = ~nan & (values != np.round(values))
        if frac.any():
            problems.append(
                Problem(file, col, f"expected whole numbers, found {int(frac.sum())} fractional")
            )
            continue
        dtype = "int16" if col in ds.int16 else "int8"
        info = np.iinfo(dtype)
        ok = values[~nan]
        if ok.size and (ok.min() < info.min or ok.max() > info.max):
            problems.append(Problem(file, col, f"values outside the {dtype} range"))
            continue
        if nan.any():
            out[col] = pd.Series(values).astype(dtype.capitalize()).array
        else:
            out[col] = values.astype(dtype)
    for col in ds.dates:
        out[col] = pd.to_datetime(raw[col], errors="coerce")
    for col in ds.strings:
        out[col] = raw[col].astype("string")
    for col in ds.floats:
        out[col] = pd.to_numeric(raw[col], errors="coerce").astype("float64")
    if problems:
        raise InputError(problems)
    frame = pd.DataFrame({c: out[c] for c in raw.columns if c in out})
    return frame


def check_key(frame: pd.DataFrame, ds: Dataset, file: str) -> None:
    """Raise `InputError` unless `ds.key` identifies rows uniquely with no missing values."""
    key = list(ds.key)
    nulls = frame[key].isna().any(axis=1)
    if nulls.any():
        raise InputError(
            Problem(
                file,
                ",".join(key),
                f"{int(nulls.sum())} rows with a missing key value; expected none",
            )
        )
    dup = frame.duplicated(key)
    if dup.any():
        first = frame.loc[dup, key].iloc[0].to_dict()
        raise InputError(
            Problem(
                file,
                ",".join(key),
                f"{int(dup.sum())} duplicate rows (first: {first}); expected the key to be unique",
            )
        )


def import_dataset(
    source_dir: str | os.PathLike[str], name: str, data_dir: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Import one dataset from a peacesciencer folder into the data directory.

    Returns the manifest entry written for it.
    """
    import pyreadr

    ds = get(name)
    src_root = Path(source_dir)
    target = resolve_data_dir(data_dir)
    manifest = read_manifest(target)  # checked before anything is read or written
    src = find_source(src_root, ds)
    if src is None:
        raise DataMissingError(
            f"{src_root / ds.path}: file not found; expected {ds.where_to_get()}"
        )
    digest = sha256_of(src)
    expected = _expected_sums(src_root).get(ds.path)
    if expected and expected != digest:
        raise InputError(
            Problem(
                str(src),
                "sha256",
                f"is {digest[:12]}..., expected {expected[:12]}... "
                "from SHA256SUMS (file changed or corrupt)",
            )
        )
    try:
        objects = pyreadr.read_r(str(src))
    except Exception as exc:  # pyreadr raises its own error types
        raise InputError(Problem(str(src), "", f"could not read as R data ({exc})")) from None
    if ds.name not in objects:
        raise InputError(Problem(str(src), ds.name, f"object missing; found {sorted(objects)}"))
    frame = type_columns(objects[ds.name], ds, str(src))
    check_key(frame, ds, str(src))
    atomic_write(target / f"{ds.name}.parquet", lambda p: frame.to_parquet(p, index=False))
    entry = {
        "name": ds.name,
        "title": ds.title,
        "version": ds.version,
        "citation": ds.citation,
        "also_cite": PEACESCIENCER_CITATION,
        "source_file": ds.path,
        "source_path": str(src.resolve()),
        "source_sha256": digest,
        "package_version": _package_version(src_root),
        "rows": int(len(frame)),
        "columns": {c: str(t) for c, t in frame.dtypes.items()},
        "key": list(ds.key),
        "imported_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    manifest["datasets"][ds.name] = entry
    _write_manifest(target, manifest)
    return entry


def import_all(
    source_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    names: Iterable[str] | None = None,
    progress: Any = None,
) -> list[dict[str, Any]]:
    """Import every catalogued dataset (or `names`); `progress(name)` is called after each."""
    src_root = Path(source_dir)
    if not src_root.is_dir():
        raise DataMissingError(
            f"{src_root}: not a directory; expected a peacesciencer folder holding data/*.rda"
        )
    read_manifest(resolve_data_dir(data_dir))  # a broken manifest stops the import at once
    entries = []
    for name in list(names) if names else list(DATASETS):
        ds = get(name)
        if not names and ds.optional and find_source(src_root, ds) is None:
            continue  # optional datasets are imported when the source folder has them
        entries.append(import_dataset(src_root, name, data_dir))
        if progress is not None:
            progress(name)
    return entries


# --------------------------------------------------------------------------- load


def missing_message(ds: Dataset, data_dir: Path) -> str:
    return (
        f"{data_dir / (ds.name + '.parquet')}: dataset {ds.name} not imported; get "
        f"{ds.where_to_get()} and run `realpolitik data import DIR`"
    )


def load(
    name: str, data_dir: str | os.PathLike[str] | None = None, columns: list[str] | None = None
) -> pd.DataFrame:
    """Read an imported dataset; a one-line `DataMissingError` says what to get if absent."""
    ds = get(name)
    root = resolve_data_dir(data_dir)
    path = root / f"{ds.name}.parquet"
    if not path.is_file():
        raise DataMissingError(missing_message(ds, root))
    return pd.read_parquet(path, columns=columns)


def status(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One row per catalogued dataset: present or not, version, rows, citation."""
    root = resolve_data_dir(data_dir)
    manifest = read_manifest(root).get("datasets", {})
    rows = []
    for name, ds in DATASETS.items():
        entry = manifest.get(name)
        present = entry is not None and (root / f"{name}.parquet").is_file()
        rows.append(
            {
                "name": name,
                "present": present,
                "version": ds.version,
                "rows": entry.get("rows") if present and entry else None,
                "imported_at": entry.get("imported_at") if present and entry else None,
                "sha256": (entry.get("source_sha256") or "")[:12] if present and entry else "",
                "citation": ds.citation,
                "get": ds.where_to_get(),
                "optional": ds.optional,
            }
        )
    return pd.DataFrame(rows)
