"""Write tidy tables by file extension (CSV, Parquet, Stata, JSON), atomically, with labels.

The file appears complete or not at all: it is written beside its target and renamed.
"""

from __future__ import annotations

import datetime as dt
import os
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


_STATA_RESERVED = frozenset(
    {
        "aggregate",
        "array",
        "boolean",
        "break",
        "byte",
        "case",
        "catch",
        "class",
        "colvector",
        "complex",
        "const",
        "continue",
        "default",
        "delegate",
        "delete",
        "do",
        "double",
        "else",
        "eltypedef",
        "end",
        "enum",
        "explicit",
        "export",
        "external",
        "float",
        "for",
        "friend",
        "function",
        "global",
        "goto",
        "if",
        "inline",
        "int",
        "local",
        "long",
        "NULL",
        "pragma",
        "protected",
        "quad",
        "rowvector",
        "short",
        "typedef",
        "typename",
        "virtual",
        "_all",
        "_N",
        "_skip",
        "_b",
        "_pi",
        "str#",
        "in",
        "_pred",
        "strL",
        "_coef",
        "_rc",
        "using",
        "_cons",
        "_se",
        "with",
        "_n",
    }
)
"""Stata's reserved words (as listed by pandas' Stata writer, which would prefix them silently)."""


def stata_name(name: object) -> str:
    """The Stata variable name `write_table` gives a column (the documented mapping).

    Stata names are at most 32 characters of letters, digits and `_`, and do not start with a
    digit, nor are a Stata reserved word. Any other character becomes `_`, a leading digit
    gets a `v_` prefix, a reserved word (`case`, `in`, `long`, `str5`, ...) a `_` prefix, and
    the name is cut to 32 characters. Names that are already valid are kept as they are.
    """
    text = str(name)
    out = "".join(ch if (ch.isascii() and ch.isalnum()) or ch == "_" else "_" for ch in text)
    if not out or out[0].isdigit():
        out = "v_" + out
    if out in _STATA_RESERVED or (out.startswith("str") and out[3:].isdigit()):
        out = "_" + out
    return out[:32]


def for_stata(
    df: pd.DataFrame, value_labels: Mapping[str, Mapping[int, str]] | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """A copy of `df` that `DataFrame.to_stata` accepts, and the renames it made.

    Columns are renamed by `stata_name` (two columns mapping to one name are an error, never
    a silent suffix); strings become plain str (NA -> ""); booleans int8; nullable integers
    stay nullable (Stata missing); int64 beyond Stata's long range becomes float; a float
    column that holds only 0, 1 and NaN and has value labels becomes a nullable byte.
    Returns (frame, {original name: Stata name} for every renamed column).
    """
    value_labels = value_labels or {}
    out = pd.DataFrame(index=range(len(df)))
    renamed: dict[str, str] = {}
    seen: dict[str, str] = {}
    for col in df.columns:
        name = stata_name(col)
        if name in seen:
            raise InputError(
                f"columns {seen[name]!r} and {col!r} both become the Stata name {name!r}; "
                "expected column names that differ within their first 32 letters, digits or _"
            )
        seen[name] = str(col)
        if name != str(col):
            renamed[str(col)] = name
        s = df[col].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(s):
            s = s.astype("Int8" if s.isna().any() else "int8")
        elif s.dtype == object and len(s) and s.map(lambda v: isinstance(v, dt.date)).all():
            s = pd.to_datetime(s)
        elif pd.api.types.is_string_dtype(s) or s.dtype == object:
            s = s.astype("object").where(s.notna(), "").astype(str)
        elif pd.api.types.is_datetime64_any_dtype(s):
            pass
        elif isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("object").where(s.notna(), "").astype(str)
        elif pd.api.types.is_extension_array_dtype(s):
            if not pd.api.types.is_integer_dtype(s):
                s = s.astype("float64")
        elif s.dtype == np.int64 and (s.abs().max() if len(s) else 0) > 2_147_483_620:
            s = s.astype("float64")
        elif str(col) in value_labels and pd.api.types.is_float_dtype(s):
            v = s.to_numpy()
            ok = np.isnan(v) | np.isin(v, list(value_labels[str(col)]))
            if ok.all():
                s = s.astype("Int8" if np.nanmax(np.abs(v), initial=0) < 100 else "Int32")
        out[name] = s.array if pd.api.types.is_extension_array_dtype(s) else s.to_numpy()
    return out, renamed


def _stata_label(text: str) -> str:
    """Stata labels hold at most 80 characters (latin-1 for older readers; we keep UTF-8)."""
    text = " ".join(str(text).split())
    return text if len(text) <= 80 else text[:79] + "…"


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    labels: Mapping[str, str] | None = None,
    value_labels: Mapping[str, Mapping[int, str]] | None = None,
    data_label: str | None = None,
) -> Path:
    """Write `frame` by the extension of `path` (.csv .parquet .dta .json), atomically.

    `.dta` (Stata 14+, format 118) carries `labels` as variable labels, `value_labels` as
    value labels (e.g. {"atop_any": {0: "no", 1: "yes"}}; a boolean column gets
    {0: "no", 1: "yes"} unless given) and `data_label` as the data label, each cut to
    Stata's 80 characters. A column whose name Stata cannot hold is renamed by `stata_name`
    and its original name is put in front of its variable label, so the mapping travels with
    the file; two columns that would share a name are an error. Parquet keeps the labels as
    file metadata (`realpolitik.labels`); CSV and JSON hold the data only.
    """
    target = Path(path)
    ext = target.suffix.lower()
    if ext not in FORMATS:
        raise InputError(
            f"{target}: expected a file ending in {', '.join(FORMATS)}, got '{ext or 'no extension'}'"
        )
    labels = dict(labels or {})
    vlabels = {str(k): dict(v) for k, v in (value_labels or {}).items()}
    unknown = [c for c in [*labels, *vlabels] if c not in {str(x) for x in frame.columns}]
    if unknown:
        raise InputError(
            f"{target}: labels for columns not in the table ({', '.join(sorted(set(unknown)))}); "
            "expected labels only for existing columns"
        )
    for col in frame.columns:
        if pd.api.types.is_bool_dtype(frame[col]) and str(col) not in vlabels:
            vlabels[str(col)] = {0: "no", 1: "yes"}

    def write(tmp: Path) -> None:
        if ext == ".csv":
            frame.to_csv(tmp, index=False)
        elif ext == ".parquet":
            if labels or data_label:
                import json

                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(frame, preserve_index=False)
                meta = dict(table.schema.metadata or {})
                meta[b"realpolitik.labels"] = json.dumps(
                    {"data_label": data_label, "labels": labels}
                ).encode()
                pq.write_table(table.replace_schema_metadata(meta), tmp)
            else:
                frame.to_parquet(tmp, index=False)
        elif ext == ".dta":
            from realpolitik.labels import column_labels

            data, renamed = for_stata(frame, vlabels)
            if renamed:
                pairs = ", ".join(f"'{old}' -> {new}" for old, new in renamed.items())
                warnings.warn(
                    f"{target}: Stata names for {pairs} (see docs/export.md)", stacklevel=3
                )
            every = column_labels(frame, labels)  # a label for every column
            var_labels: dict[str, str] = {}
            for col in frame.columns:
                name = renamed.get(str(col), str(col))
                text = every.get(str(col), "")
                if str(col) in renamed:
                    text = f"[{col}] {text}".strip()
                if text:
                    var_labels[name] = _stata_label(text)
            vl = {
                renamed.get(c, c): {int(k): _stata_label(v) for k, v in m.items()}
                for c, m in vlabels.items()
                if pd.api.types.is_integer_dtype(data[renamed.get(c, c)])
                or pd.api.types.is_float_dtype(data[renamed.get(c, c)])
            }
            dates = {c: "td" for c in data if pd.api.types.is_datetime64_any_dtype(data[c])}
            data.to_stata(
                tmp,
                write_index=False,
                version=118,
                variable_labels=var_labels or None,
                value_labels=vl or None,
                data_label=_stata_label(data_label) if data_label else None,
                convert_dates=dates or None,
            )
        else:
            frame.to_json(tmp, orient="records", indent=2, date_format="iso")

    return atomic_write(target, write)
