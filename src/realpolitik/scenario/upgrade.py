"""`realpolitik case upgrade`: bring a scenario file written for an earlier format up to date.

Files valid at commit 32df88e stay valid except in one respect: a decision's `precision: month`
now needs the first day of the month and `precision: year` the first of January. An upgrade
rewrites such a decision's precision to `day` (the written date, and so the model, stay as they
were; `end` carries a range), editing only that line so comments and layout survive. It also
lists, without rewriting anything, the options whose features the issue-12 model computes
differently from the earlier one: options with one side only (signed ideology) and stakes given
up that the decider does not hold on the recorded path (they now count nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from realpolitik.errors import InputError, Problem
from realpolitik.scenario.loader import LinePath, field_name, line_of, read_yaml, translate
from realpolitik.scenario.schema import Case


@dataclass
class Upgrade:
    text: str  # the upgraded text (the input when nothing needed rewriting)
    changes: list[Problem] = field(default_factory=list)  # rewrites, one line each
    notes: list[Problem] = field(default_factory=list)  # model changes, nothing rewritten

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def upgrade_text(text: str, origin: str) -> Upgrade:
    """Upgrade scenario text; raise InputError when it cannot be read as a scenario at all, or
    when problems remain that an upgrade does not fix (listing them)."""
    from realpolitik.scenario.loader import parse

    data, lines = read_yaml(text, origin)
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        raise InputError(translate(exc, data, lines, origin)) from None
    out = text.splitlines(keepends=True)
    changes: list[Problem] = []
    for i, d in enumerate(case.decisions):
        wrong_month = d.precision == "month" and d.date.day != 1
        wrong_year = d.precision == "year" and (d.date.month, d.date.day) != (1, 1)
        if not (wrong_month or wrong_year):
            continue
        path: LinePath = ("decisions", i, "precision")
        line = lines.get(path)
        if line is None:
            continue
        new, n = re.subn(
            rf"(\bprecision\s*:\s*)['\"]?{d.precision}['\"]?", r"\1day", out[line - 1], count=1
        )
        if n != 1:
            continue
        out[line - 1] = new
        span = f"; the range stays {d.date}..{d.end}" if d.end else ""
        changes.append(
            Problem(
                origin,
                field_name(path),
                f"{d.precision} -> day: the date {d.date} is not the first of its "
                f"{d.precision}, so it is kept and read as exact (the model's date is "
                f"unchanged{span})",
                line,
            )
        )
    upgraded = "".join(out)
    case = parse(upgraded, origin)  # raises with whatever an upgrade cannot fix
    return Upgrade(upgraded, changes, model_notes(case, lines, origin))


def model_notes(case: Case, lines: dict[LinePath, int], origin: str) -> list[Problem]:
    """Options whose features differ under the issue-12 model (nothing is rewritten)."""
    from realpolitik.scenario.replay import record_states

    notes = []
    states = record_states(case)
    for i, d in enumerate(case.decisions):
        held = states[d.id].holders
        for j, o in enumerate(d.options):
            path: LinePath = ("decisions", i, "options", j)
            if bool(o.favoured) != bool(o.opposed):
                side = "favours" if o.favoured else "opposes"
                notes.append(
                    Problem(
                        origin,
                        field_name(path + (side,)),
                        "one side only: its ideology feature is now the signed affinity "
                        "(opposing an ideological opposite counts for ideology)",
                        line_of(lines, path + (side,)),
                    )
                )
            lost = [s for s in o.gives if held.get(s) != d.actor]
            if lost:
                notes.append(
                    Problem(
                        origin,
                        field_name(path + ("gives",)),
                        f"gives {', '.join(lost)}, which {d.actor} does not hold on the "
                        "recorded path: it now counts nothing (give the stake a holder if the "
                        "actor held a claim to it)",
                        line_of(lines, path + ("gives",)),
                    )
                )
    return notes
