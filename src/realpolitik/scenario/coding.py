"""Second codings of a case: the blind copy a second coder works from, and a coding put back
beside the record (see docs/scenario-format.md, "Coding protocol").

A blind copy keeps everything a coder needs to code the options (actors, stakes, scales,
capabilities, events, the options' wording and citations) and drops what records the outcome:
every decision's `chosen`, the notes on decisions and options (they discuss the choice made),
and the observed outcomes. Options are shuffled with a seeded generator, so the recorded
option is not recognisable by its place in the list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from realpolitik.errors import InputError, Problem
from realpolitik.scenario.loader import LoadedCase, load, read_yaml, resolve
from realpolitik.scenario.schema import Case
from realpolitik.scenario.validate import validate

BLIND_HEADER = (
    "# Blind coding copy of {origin} (seed {seed}), written by `realpolitik case blind`.\n"
    "# No decision records what was chosen; options are shuffled and notes on decisions and\n"
    "# options are removed. Code each option's favours, opposes, gains, gives, risk, rival and\n"
    "# security from what was knowable at the decision's date (docs/scenario-format.md,\n"
    '# "Coding protocol"); then compare with `realpolitik case agreement` or use it in\n'
    "# `realpolitik fit --coding`.\n"
)


def blind_text(case_ref: str | Path, seed: int) -> str:
    """The YAML text of a blind copy of a case file or built-in case."""
    origin, text = resolve(case_ref)
    load(case_ref)  # the source must be a valid case with its record
    data, _ = read_yaml(text, origin)
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"id": data["id"], "blind": True}
    out.update({k: v for k, v in data.items() if k not in ("id", "blind", "outcomes")})
    decisions = []
    for d in data.get("decisions", []):
        d = {k: v for k, v in d.items() if k not in ("chosen", "note")}
        options = [{k: v for k, v in o.items() if k != "note"} for o in d.get("options", [])]
        order = rng.permutation(len(options))
        d["options"] = [options[i] for i in order]
        decisions.append(d)
    out["decisions"] = decisions
    body = yaml.safe_dump(out, sort_keys=False, allow_unicode=True, width=100)
    return BLIND_HEADER.format(origin=origin, seed=seed) + body


def with_record(record: Case, coding: Case, origin: str) -> Case:
    """The coding's case with the record's choices put back: every decision of the record must
    be in the coding with the same option ids (in any order)."""
    problems = []
    coded = {d.id: d for d in coding.decisions}
    for d in record.decisions:
        if d.id not in coded:
            problems.append(Problem(origin, "decisions", f"decision '{d.id}' is missing"))
            continue
        ids = {o.id for o in coded[d.id].options}
        if ids != {o.id for o in d.options}:
            problems.append(
                Problem(
                    origin,
                    f"decisions.{d.id}.options",
                    f"expected the option ids {sorted(o.id for o in d.options)}, got {sorted(ids)}",
                )
            )
    extra = sorted(set(coded) - {d.id for d in record.decisions})
    if extra:
        problems.append(Problem(origin, "decisions", f"not in the record: {', '.join(extra)}"))
    if problems:
        raise InputError(problems)
    chosen = {d.id: d.chosen for d in record.decisions}
    data = coding.model_dump(by_alias=True)
    data["blind"] = False
    data["outcomes"] = record.model_dump(by_alias=True)["outcomes"]
    for d in data["decisions"]:
        d["chosen"] = chosen[d["id"]]
    order = {d.id: i for i, d in enumerate(record.decisions)}
    data["decisions"].sort(key=lambda d: order[d["id"]])
    merged = Case.model_validate(data)
    problems = validate(merged, {}, origin)
    if problems:
        raise InputError(problems)
    return merged


def load_coding(path: str | Path) -> LoadedCase:
    """A coding file: a blind copy filled in by a coder, or a whole case file."""
    return load(path, blind_ok=True)


def codings(record: Case, paths: tuple[str, ...]) -> list[tuple[str, Case]]:
    """The record's own coding first, then each --coding file with the record's choices."""
    out = [("record", record)]
    for path in paths:
        loaded = load_coding(path)
        out.append((Path(path).name, with_record(record, loaded.case, loaded.origin)))
    return out
