"""Write tidy tables by file extension (CSV, Parquet, Stata, JSON), atomically.

The file appears complete or not at all: it is written beside its target and renamed.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
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


def for_stata(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` that `DataFrame.to_stata` accepts: names cut to 32 characters and made
    unique, strings as plain str (NA -> ""), nullable integers and integers too large for Stata
    as float, booleans as int8."""
    out = pd.DataFrame(index=range(len(df)))
    used: set[str] = set()
    for col in df.columns:
        name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in str(col))[:32]
        if not name or name[0].isdigit():
            name = ("v_" + name)[:32]
        base, i = name, 1
        while name in used:
            suffix = f"_{i}"
            name = base[: 32 - len(suffix)] + suffix
            i += 1
        used.add(name)
        s = df[col].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(s):
            s = s.astype("float64" if s.isna().any() else "int8")
        elif pd.api.types.is_string_dtype(s) or s.dtype == object:
            s = s.astype("object").where(s.notna(), "").astype(str)
        elif pd.api.types.is_extension_array_dtype(s):
            s = s.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(s):
            pass
        elif s.dtype == np.int64 and (s.abs().max() if len(s) else 0) > 2_147_483_620:
            s = s.astype("float64")
        out[name] = s.to_numpy() if not pd.api.types.is_datetime64_any_dtype(s) else s
    return out


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    target = Path(path)
    ext = target.suffix.lower()
    if ext not in FORMATS:
        raise InputError(
            f"{target}: expected a file ending in {', '.join(FORMATS)}, got '{ext or 'no extension'}'"
        )

    def write(tmp: Path) -> None:
        if ext == ".csv":
            frame.to_csv(tmp, index=False)
        elif ext == ".parquet":
            frame.to_parquet(tmp, index=False)
        elif ext == ".dta":
            from pandas.io.stata import InvalidColumnName

            with (
                warnings.catch_warnings()
            ):  # pandas prefixes Stata reserved words ("case" -> "_case")
                warnings.simplefilter("ignore", InvalidColumnName)
                for_stata(frame).to_stata(tmp, write_index=False, version=118)
        else:
            frame.to_json(tmp, orient="records", indent=2, date_format="iso")

    return atomic_write(target, write)
