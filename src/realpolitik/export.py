"""Write tidy tables by file extension (CSV, Parquet, Stata, JSON), atomically.

The file appears complete or not at all: it is written beside its target and renamed.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from realpolitik.errors import InputError

FORMATS = (".csv", ".parquet", ".dta", ".json")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp_path), then move the finished file onto `path`."""
    target = Path(path)
    try:
        if not target.parent.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise InputError(f"{target}: cannot write here ({exc.strerror or exc})") from None
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"{target}: cannot write here ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def for_stata(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.astype("int8")
        elif pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            out[col] = s.map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)).astype(object)
    out.columns = [str(c)[:32].replace(".", "_") for c in out.columns]
    return out


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    target = Path(path)
    ext = target.suffix.lower()
    if ext not in FORMATS:
        raise InputError(f"{target}: expected a file ending in {', '.join(FORMATS)}, got '{ext or 'no extension'}'")

    def write(tmp: Path) -> None:
        if ext == ".csv":
            frame.to_csv(tmp, index=False)
        elif ext == ".parquet":
            frame.to_parquet(tmp, index=False)
        elif ext == ".dta":
            from pandas.io.stata import InvalidColumnName

            with warnings.catch_warnings():  # pandas prefixes Stata reserved words ("case" -> "_case")
                warnings.simplefilter("ignore", InvalidColumnName)
                for_stata(frame).to_stata(tmp, write_index=False, version=118)
        else:
            frame.to_json(tmp, orient="records", indent=2, date_format="iso")

    return atomic_write(target, write)
