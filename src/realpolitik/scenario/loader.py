"""Read a scenario file: YAML with line numbers, typed by the schema, then validated.

Every problem in a file is collected and raised together as one `InputError`, one line each:
`FILE:LINE: path.to.field: what was expected`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from realpolitik.errors import InputError, Problem
from realpolitik.scenario.safe_yaml import load_yaml, read_text
from realpolitik.scenario.schema import Case

LinePath = tuple[str | int, ...]
QUANTITY_FIELDS = {"value", "amount", "level", "momentum", "decisiveness", "threshold"}
QUANTITY_FIELDS |= {"prevail", "risk", "security"}


@dataclass(frozen=True)
class LoadedCase:
    """A validated case with where it came from."""

    case: Case
    origin: str
    text: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def builtin_names() -> list[str]:
    folder = resources.files("realpolitik") / "cases"
    return sorted(
        p.name.removesuffix(".yaml")
        for p in folder.iterdir()
        if p.name.endswith(".yaml") and not p.name.startswith("_")
    )


def builtin_text(name: str) -> str:
    return (resources.files("realpolitik") / "cases" / f"{name}.yaml").read_text(encoding="utf-8")


def template_text() -> str:
    return (resources.files("realpolitik") / "cases" / "_template.yaml").read_text(encoding="utf-8")


def resolve(name_or_path: str | Path) -> tuple[str, str]:
    """Return (origin label, text) for a built-in case name or a file path."""
    key = str(name_or_path)
    if key in builtin_names():
        return f"<built-in {key}>", builtin_text(key)
    path = Path(key)
    if not os.path.lexists(path):
        known = ", ".join(builtin_names()) or "none"
        raise InputError(
            Problem(key, "", f"no such file, and not a built-in case (built-in cases: {known})")
        )
    return str(path), read_text(path, "scenario file")


def load_case(name_or_path: str | Path) -> Case:
    return load(name_or_path).case


def load(name_or_path: str | Path, *, blind_ok: bool = False) -> LoadedCase:
    origin, text = resolve(name_or_path)
    case = parse(text, origin, blind_ok=blind_ok, keep=True)
    return LoadedCase(case=case, origin=origin, text=text)


def parse(
    text: str, origin: str = "<string>", *, blind_ok: bool = False, keep: bool = False
) -> Case:
    """Parse and validate scenario text; raise InputError listing every problem. A blind
    coding file (`blind: true`, no recorded choices) is accepted only with `blind_ok`.
    `keep`: read the result from, and write it to, the parsed-case cache (`case_cache`;
    for files the user names, not for uploads to the explorer)."""
    from realpolitik.scenario import case_cache

    if keep:
        kept = case_cache.get(text)
        if kept is not None and (blind_ok or not kept.blind):
            return kept
    from realpolitik.scenario.validate import validate

    data, lines = read_yaml(text, origin)
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        raise InputError(translate(exc, data, lines, origin)) from None
    problems = validate(case, lines, origin)
    if problems:
        raise InputError(problems)
    if case.blind and not blind_ok:
        raise InputError(
            Problem(
                origin,
                "blind",
                "is a blind coding file with no recorded choices; "
                "pass it to --coding or `realpolitik case agreement`",
                lines.get(("blind",)),
            )
        )
    if keep:
        case_cache.put(text, case)
    return case


# ---- YAML with line numbers ---------------------------------------------------------------------


def read_yaml(text: str, origin: str) -> tuple[Any, dict[LinePath, int]]:
    """The data and the line of every field; the YAML is read by `safe_yaml` (see there)."""
    data, node = load_yaml(text, origin)  # no aliases, bounded depth, size and node count
    if not isinstance(data, dict):
        raise InputError(Problem(origin, "", "expected a mapping of scenario fields at the top", 1))
    lines: dict[LinePath, int] = {}
    duplicates: list[tuple[LinePath, int]] = []
    _index(node, (), lines, duplicates)
    if duplicates:
        raise InputError(
            [
                Problem(
                    origin, field_name(path), "duplicate key: a field may appear only once", line
                )
                for path, line in duplicates
            ]
        )
    return data, lines


def _index(
    node: yaml.Node | None,
    path: LinePath,
    lines: dict[LinePath, int],
    duplicates: list[tuple[LinePath, int]],
) -> None:
    """Record the line of every field (a tree: the reader refuses aliases, bounds the depth)."""
    if node is None:
        return
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            child = path + (str(key.value),)
            if child[-1] in seen and child[-1] != "<<":
                duplicates.append((child, key.start_mark.line + 1))
                continue
            seen.add(child[-1])
            lines[child] = key.start_mark.line + 1
            _index(value, child, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, path + (i,), lines, duplicates)


def line_of(lines: dict[LinePath, int], path: LinePath) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def field_name(path: LinePath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---- pydantic errors into one-line problems -----------------------------------------------------


def _data_path(loc: tuple[Any, ...], data: Any) -> LinePath:
    """Keep the part of a pydantic location that indexes into the data (drop union tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part in ("from",):
            path.append(part)
            node = None
        else:
            if isinstance(part, str) and node is not None and isinstance(node, dict):
                # a missing or unknown key: name it
                if not part[:1].isupper() and part not in ("int", "float", "str", "bool"):
                    path.append(part)
            break
    return tuple(path)


def _describe(err: dict[str, Any]) -> str:
    kind = err["type"]
    given = err.get("input")
    shown = repr(given) if not isinstance(given, dict | list) else type(given).__name__
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (see docs/scenario-format.md for the fields allowed here)"
    if kind.startswith("date"):
        return f"expected a date YYYY-MM-DD, got {shown}"
    if kind in ("int_type", "float_type", "int_from_float"):
        return f"expected a number, got {shown}"
    if kind in ("string_type",):
        return f"expected text, got {shown}"
    if kind == "bool_type":
        return f"expected true or false, got {shown}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {shown}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of fields, got {shown}"
    if kind == "string_pattern_mismatch":
        return f"expected an id (a letter, then letters, digits, '_', '.', '-'), got {shown}"
    if kind == "literal_error":
        wanted = err.get("ctx", {}).get("expected", "")
        return f"expected one of {wanted}, got {shown}"
    if kind == "too_short":
        need = err.get("ctx", {}).get("min_length", 1)
        return f"expected at least {need} item(s)"
    if kind == "too_long":
        return f"expected at most {err.get('ctx', {}).get('max_length')} item(s)"
    msg = str(err.get("msg", kind))
    return f"{msg[:1].lower()}{msg[1:]} (got {shown})"


def translate(
    exc: ValidationError, data: Any, lines: dict[LinePath, int], origin: str
) -> list[Problem]:
    grouped: dict[LinePath, list[dict[str, Any]]] = {}
    for err in exc.errors():
        grouped.setdefault(_data_path(tuple(err["loc"]), data), []).append(dict(err))
    problems = []
    for path, errs in grouped.items():
        last = path[-1] if path else ""
        if any(e["type"] == "finite_number" for e in errs):
            message = f"expected a finite number, got {errs[0].get('input')!r}"
        elif len(errs) > 1 and last in QUANTITY_FIELDS:
            shown = repr(errs[0].get("input"))
            message = f"expected a number or {{assumption: ID}}, got {shown}"
        else:
            message = _describe(errs[0])
        problems.append(Problem(origin, field_name(path), message, line_of(lines, path)))
    problems.sort(key=lambda p: (p.line or 0, p.field))
    return problems
