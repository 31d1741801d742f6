"""Write tables by file extension: .csv, .parquet, .dta (Stata).

Stata limits handled for `.dta`: names are cut to 32 characters (and made unique), pandas
string columns become plain str (NA -> ""), nullable integers become float (Stata has no
integer NA in pandas' writer), booleans become int8. Every write goes to a temporary file in
the target directory first and is renamed into place.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from realpolitik.errors import InputError, Problem
from realpolitik.export import atomic_write

FORMATS = (".csv", ".parquet", ".dta")


def stata_ready(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` that `DataFrame.to_stata` accepts."""
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


def write_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write `df` to `path`, the format chosen by extension; returns the path."""
    target = Path(path)
    ext = target.suffix.lower()
    if ext not in FORMATS:
        raise InputError(
            Problem(
                str(target),
                "extension",
                f"unsupported {ext or '(none)'}; expected one of {', '.join(FORMATS)}",
            )
        )

    def write(tmp: Path) -> None:
        if ext == ".csv":
            df.to_csv(tmp, index=False)
        elif ext == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            stata_ready(df).to_stata(tmp, write_index=False, version=118)

    return atomic_write(target, write)
