"""Write tidy tables by file extension (CSV, Parquet, Stata, JSON), atomically.

The file appears complete or not at all: it is written beside its target and renamed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Mapping
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


STATA_RESERVED = frozenset(
    "aggregate array boolean break byte case catch class colvector complex const continue "
    "default delegate delete do double else eltypedef end enum explicit export external float "
    "for friend function global goto if in inline int local long NULL pragma protected quad "
    "rowvector short typedef typename virtual _all _N _skip _b _pi str# _pred strL _coef _cons "
    "_se with _n".split()
)
_STATA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")


def stata_name(name: str) -> str:
    """The Stata name of a column: itself when valid, else the documented mapping (see
    docs/export.md): characters other than letters, digits and _ become _, a leading digit
    gets v_, a reserved word gets a trailing _, and the result is cut to 32 characters."""
    if _STATA_NAME.match(name) and name not in STATA_RESERVED:
        return name
    out = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in name)
    if not out or out[0].isdigit():
        out = "v_" + out
    if out in STATA_RESERVED:
        out += "_"
    return out[:32]


def for_stata(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` that `DataFrame.to_stata` accepts: names by `stata_name` (made unique),
    strings as plain str (NA -> ""), nullable integers and integers too large for Stata as
    float, booleans as int8, dates as datetimes."""
    out = pd.DataFrame(index=range(len(df)))
    used: set[str] = set()
    for col in df.columns:
        name = stata_name(str(col))
        base, i = name, 1
        while name in used:
            suffix = f"_{i}"
            name = base[: 32 - len(suffix)] + suffix
            i += 1
        used.add(name)
        s = df[col].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(s):
            s = s.astype("float64" if s.isna().any() else "int8")
        elif s.dtype == object and len(s) and s.map(lambda v: isinstance(v, dt.date)).all():
            s = pd.to_datetime(s)
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


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    labels: Mapping[str, str] | None = None,
    value_labels: Mapping[str, Mapping[int, str]] | None = None,
    data_label: str | None = None,
) -> Path:
    """Write `frame` by the file's extension (.csv .parquet .dta .json), atomically.

    A `.dta` carries a variable label for every column (`labels`, else
    `realpolitik.labels.column_label`), value labels (`value_labels`, and 0 no / 1 yes for every
    yes/no column) and `data_label`. A column name Stata cannot take is mapped by `stata_name`
    and the label says so (with a warning): nothing is renamed silently."""
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
            _write_stata(frame, tmp, labels, value_labels, data_label, target)
        else:
            frame.to_json(tmp, orient="records", indent=2, date_format="iso")

    return atomic_write(target, write)


def _write_stata(
    frame: pd.DataFrame,
    tmp: Path,
    labels: Mapping[str, str] | None,
    value_labels: Mapping[str, Mapping[int, str]] | None,
    data_label: str | None,
    target: Path,
) -> None:
    from realpolitik.labels import STATA_LABEL_MAX, column_labels, flag_value_labels

    data = for_stata(frame)
    names = dict(zip(map(str, frame.columns), data.columns, strict=True))
    given = column_labels(frame, labels)
    renamed = [f"'{old}' -> {new}" for old, new in names.items() if old != new]
    if renamed:
        warnings.warn(
            f"{target}: Stata names for {', '.join(renamed)} (see docs/export.md)", stacklevel=3
        )
    var_labels = {}
    for old, new in names.items():
        text = given[old] if old == new else f"{given[old]} [column {old}]"
        var_labels[new] = text[:STATA_LABEL_MAX]
    vlabels = {names[c]: dict(v) for c, v in flag_value_labels(frame).items()}
    for col, mapping in (value_labels or {}).items():
        if col in names:
            vlabels[names[col]] = {int(k): str(v) for k, v in mapping.items()}
    dates = {c: "td" for c in data if pd.api.types.is_datetime64_any_dtype(data[c])}
    with warnings.catch_warnings():
        from pandas.io.stata import InvalidColumnName

        warnings.simplefilter("error", InvalidColumnName)  # names are already valid
        data.to_stata(
            tmp,
            write_index=False,
            version=118,
            variable_labels=var_labels,
            value_labels=vlabels or None,
            data_label=(data_label or "")[:STATA_LABEL_MAX] or None,
            convert_dates=dates or None,
        )
