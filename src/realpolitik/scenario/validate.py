"""Cross-reference, date, range and citation checks on a typed case.

`validate` returns every problem found; it never stops at the first one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from realpolitik.errors import Problem
from realpolitik.scenario.loader import LinePath, field_name, line_of
from realpolitik.scenario.schema import (
    Case,
    Citation,
    Effect,
    Point,
    Ref,
)

PSEUDO_SECTIONS = {"(introduction)", "(conclusion)"}


# ---- the source texts, when they are present ----------------------------------------------------


def seeds_dir() -> Path | None:
    """Where the source essays are: $REALPOLITIK_SEEDS_DIR, else a `shared/seeds` near here."""
    env = os.environ.get("REALPOLITIK_SEEDS_DIR")
    if env:
        return Path(env) if Path(env).is_dir() else None
    starts = [Path.cwd(), Path(__file__).resolve()]
    for start in starts:
        for parent in [start, *start.parents]:
            for candidate in (parent / "shared" / "seeds", parent.parent / "shared" / "seeds"):
                if candidate.is_dir():
                    return candidate
    return None


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@lru_cache(maxsize=16)
def _seed_sections(path: str, headings: tuple[str, ...]) -> dict[str, str] | None:
    """Split a source text into the declared sections; None for a heading not found in it."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    starts: dict[str, int] = {}
    for heading in headings:
        if heading in PSEUDO_SECTIONS:
            continue
        want = _norm(heading)
        for i, line in enumerate(lines):
            normed = _norm(line)
            if normed == want or (normed.startswith(want + " ") and len(want) > 8):
                starts[heading] = i
                break
    missing = [h for h in headings if h not in PSEUDO_SECTIONS and h not in starts]
    if missing:
        return {"__missing__": "\n".join(missing)}
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    body: dict[str, str] = {}
    first = ordered[0][1] if ordered else len(lines)
    body["(introduction)"] = "\n".join(lines[:first])
    for k, (heading, start) in enumerate(ordered):
        end = ordered[k + 1][1] if k + 1 < len(ordered) else len(lines)
        body[heading] = "\n".join(lines[start:end])
    # the unheaded concluding part: after the last blank-line gap that follows the last heading
    if ordered:
        last_heading, last_start = ordered[-1]
        tail = lines[last_start:]
        gap = next(
            (i for i in range(1, len(tail) - 1) if tail[i] == "" and tail[i + 1] == ""), None
        )
        if gap is not None:
            body[last_heading] = "\n".join(tail[:gap])
            body["(conclusion)"] = "\n".join(tail[gap:])
    return body


# ---- walking a model for citations and assumption references ------------------------------------


def walk(obj: Any, path: LinePath = ()) -> Iterator[tuple[LinePath, Any]]:
    yield path, obj
    if isinstance(obj, BaseModel):
        for name, field in type(obj).model_fields.items():
            key = field.alias or name
            yield from walk(getattr(obj, name), path + (key,))
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            yield from walk(item, path + (i,))
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from walk(value, path + (str(key),))


class Checker:
    def __init__(self, case: Case, lines: dict[LinePath, int], origin: str):
        self.case = case
        self.lines = lines
        self.origin = origin
        self.problems: list[Problem] = []

    def add(self, path: LinePath, message: str) -> None:
        self.problems.append(
            Problem(self.origin, field_name(path), message, line_of(self.lines, path))
        )

    # ---- ids ----
    def unique(self, collection: str, items: list[Any], path: LinePath = ()) -> set[str]:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                self.add(path + (collection, i, "id"), f"duplicate id '{item.id}' in {collection}")
            seen.add(item.id)
        return seen

    def known(self, path: LinePath, value: str | None, ids: set[str], kind: str) -> None:
        if value is not None and value not in ids:
            shown = ", ".join(sorted(ids)[:12]) or "none declared"
            self.add(path, f"unknown {kind} id '{value}' (known: {shown})")


def validate(case: Case, lines: dict[LinePath, int], origin: str) -> list[Problem]:
    ck = Checker(case, lines, origin)
    c = case
    sources = ck.unique("sources", c.sources)
    assumptions = ck.unique("assumptions", c.assumptions)
    actors = ck.unique("actors", c.actors)
    arenas = ck.unique("arenas", c.arenas)
    stakes = ck.unique("stakes", c.stakes)
    ck.unique("decisions", c.decisions)
    ck.unique("events", c.events)
    ck.unique("outcomes", c.outcomes)
    ck.unique("figures", c.figures)

    if c.span.start >= c.span.end:
        ck.add(
            ("span", "end"), f"expected a date after span.start {c.span.start}, got {c.span.end}"
        )
    if c.ideology_scale.low >= c.ideology_scale.high:
        ck.add(("ideology_scale", "high"), "expected ideology_scale.high above ideology_scale.low")

    _check_assumptions(ck)
    _check_sources(ck)
    _check_citations(ck, sources)
    _check_quantities(ck, assumptions)

    # scales name assumptions
    for scale in ("value", "risk", "security"):
        for word, ref in getattr(c.scales, scale).items():
            ck.known(("scales", scale, word), ref, assumptions, "assumption")

    lo, hi = c.ideology_scale.low, c.ideology_scale.high
    amap = c.assumption_map()
    for i, actor in enumerate(c.actors):
        _check_series(ck, ("actors", i, "ideology"), actor.ideology)
        if actor.ideology and actor.ideology[0].date > c.span.start:
            ck.add(
                ("actors", i, "ideology", 0, "date"),
                f"expected the first ideology position on or before span.start {c.span.start}",
            )
        for j, point in enumerate(actor.ideology):
            value = _value(point.value, amap)
            if value is not None and not lo <= value <= hi:
                ck.add(
                    ("actors", i, "ideology", j, "value"),
                    f"expected a position within the ideology scale [{lo}, {hi}], got {value}",
                )
            if isinstance(point.value, Ref) and point.value.assumption in amap:
                a_lo, a_hi = amap[point.value.assumption].range
                if a_lo < lo or a_hi > hi:
                    ck.add(
                        ("actors", i, "ideology", j, "value"),
                        f"assumption '{point.value.assumption}' range [{a_lo}, {a_hi}] "
                        f"leaves the ideology scale [{lo}, {hi}]",
                    )

    for i, arena in enumerate(c.arenas):
        if arena.dynamics:
            for actor_id in arena.dynamics.drift:
                ck.known(("arenas", i, "dynamics", "drift", actor_id), actor_id, actors, "actor")
    for i, cap in enumerate(c.capabilities):
        ck.known(("capabilities", i, "actor"), cap.actor, actors, "actor")
        ck.known(("capabilities", i, "arena"), cap.arena, arenas, "arena")
        _check_series(ck, ("capabilities", i, "points"), cap.points)
        for j, point in enumerate(cap.points):
            value = _value(point.value, amap)
            if value is not None and value <= 0:
                ck.add(
                    ("capabilities", i, "points", j, "value"),
                    f"expected a positive capability, got {value}",
                )

    for i, stake in enumerate(c.stakes):
        ck.known(("stakes", i, "holder"), stake.holder, actors, "actor")
        for actor_id, level in stake.valuations.items():
            path = ("stakes", i, "valuations", actor_id)
            ck.known(path, actor_id, actors, "actor")
            if isinstance(level, str) and level != "none" and level not in c.scales.value:
                ck.add(
                    path,
                    f"expected a level from scales.value {_levels(c.scales.value)}, got '{level}'",
                )

    _check_decisions(ck, actors, arenas, stakes)

    for i, event in enumerate(c.events):
        path = ("events", i)
        _in_span(ck, path + ("date",), event.date)
        if not event.cite:
            ck.add(path + ("cite",), "expected at least one citation for an event")
        for k, effect in enumerate(event.effects):
            _check_effect(ck, path + ("effects", k), effect, actors, arenas, stakes)

    for i, outcome in enumerate(c.outcomes):
        path = ("outcomes", i)
        _in_span(ck, path + ("date",), outcome.date)
        ck.known(path + ("actor",), outcome.actor, actors, "actor")
        ck.known(path + ("arena",), outcome.arena, arenas, "arena")
        ck.known(path + ("stake",), outcome.stake, stakes, "stake")
        for k, member in enumerate(outcome.members or ()):
            ck.known(path + ("members", k), member, actors, "actor")
        need = {
            "prevails": ("actor", "arena"),
            "alliance": ("members",),
            "holds": ("actor", "stake"),
        }
        for key in need[outcome.kind]:
            if getattr(outcome, key) is None:
                ck.add(path + (key,), f"required for an outcome of kind '{outcome.kind}'")
        if not outcome.cite:
            ck.add(path + ("cite",), "expected at least one citation for the observed outcome")

    for i, fig in enumerate(c.figures):
        if not (c.span.start.year - 20 <= fig.date.year <= c.span.end.year):
            ck.add(("figures", i, "date"), f"expected a date near the span, got {fig.date}")
    return ck.problems


def _levels(scale: dict[str, str]) -> str:
    return "(" + ", ".join(["none", *scale]) + ")"


def _value(q: Any, amap: dict[str, Any]) -> float | None:
    if isinstance(q, Ref):
        a = amap.get(q.assumption)
        return float(a.value) if a else None
    return float(q) if q is not None else None


def _in_span(ck: Checker, path: LinePath, date: Any) -> None:
    span = ck.case.span
    if not span.start <= date <= span.end:
        ck.add(path, f"expected a date within the span {span.start}..{span.end}, got {date}")


def _check_series(ck: Checker, path: LinePath, points: list[Point]) -> None:
    for j in range(1, len(points)):
        if points[j].date <= points[j - 1].date:
            ck.add(
                path + (j, "date"),
                f"dates out of order: expected after {points[j - 1].date}, got {points[j].date}",
            )
        if points[j].date > ck.case.span.end:
            ck.add(path + (j, "date"), f"expected a date on or before span.end {ck.case.span.end}")


def _check_assumptions(ck: Checker) -> None:
    for i, a in enumerate(ck.case.assumptions):
        low, high = a.range
        if low > high:
            ck.add(
                ("assumptions", i, "range"),
                f"expected [low, high] with low <= high, got [{low}, {high}]",
            )
        elif not low <= a.value <= high:
            ck.add(
                ("assumptions", i, "value"),
                f"value {a.value} is outside its range [{low}, {high}]",
            )
        if not a.rationale.strip():
            ck.add(("assumptions", i, "rationale"), "expected a one-line rationale")


def _check_sources(ck: Checker) -> None:
    folder = seeds_dir()
    for i, s in enumerate(ck.case.sources):
        if len(set(s.sections)) != len(s.sections):
            ck.add(("sources", i, "sections"), "duplicate section heading")
        if s.seed and folder is not None:
            path = folder / s.seed
            if not path.is_file():
                ck.add(("sources", i, "seed"), f"no file '{s.seed}' in {folder}")
                continue
            body = _seed_sections(str(path), tuple(s.sections))
            if body and "__missing__" in body:
                for heading in body["__missing__"].splitlines():
                    k = s.sections.index(heading)
                    ck.add(
                        ("sources", i, "sections", k),
                        f"heading '{heading}' does not occur in {s.seed}",
                    )


def _check_citations(ck: Checker, sources: set[str]) -> None:
    smap = ck.case.source_map()
    folder = seeds_dir()
    for path, obj in walk(ck.case):
        if not isinstance(obj, Citation):
            continue
        if obj.source not in sources:
            ck.known(path + ("source",), obj.source, sources, "source")
            continue
        src = smap[obj.source]
        if src.sections:
            if obj.section is None:
                ck.add(
                    path + ("section",), f"expected a section heading of '{src.id}': {src.sections}"
                )
                continue
            if obj.section not in src.sections:
                ck.add(
                    path + ("section",),
                    f"section '{obj.section}' does not exist in source '{src.id}' "
                    f"(sections: {'; '.join(src.sections)})",
                )
                continue
        elif obj.section is not None:
            ck.add(
                path + ("section",),
                f"section '{obj.section}' does not exist in source '{src.id}' (it declares no sections)",
            )
            continue
        if obj.note is not None:
            if src.notes is None or not 1 <= obj.note <= src.notes:
                ck.add(path + ("note",), f"footnote {obj.note} does not exist in source '{src.id}'")
                continue
            if src.seed and folder is not None and (folder / src.seed).is_file() and obj.section:
                body = _seed_sections(str(folder / src.seed), tuple(src.sections))
                if body and "__missing__" not in body:
                    if f"[{obj.note}]" not in body.get(obj.section, ""):
                        ck.add(
                            path + ("note",),
                            f"footnote {obj.note} is not in section '{obj.section}' of '{src.id}'",
                        )


def _check_quantities(ck: Checker, assumptions: set[str]) -> None:
    for path, obj in walk(ck.case):
        if isinstance(obj, Ref):
            ck.known(path + ("assumption",), obj.assumption, assumptions, "assumption")
        if isinstance(obj, Point):
            if not isinstance(obj.value, Ref) and not obj.cite:
                ck.add(
                    path + ("value",),
                    "a number needs a citation (cite:) or must name an assumption ({assumption: ID})",
                )
            continue
        if isinstance(obj, BaseModel) and not isinstance(obj, Point):
            for name, field in type(obj).model_fields.items():
                value = getattr(obj, name)
                key = field.alias or name
                if _is_judgment_number(obj, name, value):
                    ck.add(
                        path + (key,),
                        f"a judgment must be a declared assumption: write {{assumption: ID}} instead of {value}",
                    )
            if isinstance(obj, BaseModel) and type(obj).__name__ == "Dynamics":
                for actor_id, q in obj.drift.items():
                    if isinstance(q, int | float) and q != 0:
                        ck.add(
                            path + ("drift", actor_id),
                            f"a judgment must be a declared assumption: write {{assumption: ID}} instead of {q}",
                        )


def _is_judgment_number(obj: BaseModel, name: str, value: Any) -> bool:
    kind = type(obj).__name__
    if kind in ("Assumption", "Figure", "Source", "IdeologyScale", "Citation", "Point"):
        return False
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if kind == "InterestPrices" and name == "security" and value == 1:
        return False  # the numeraire
    return value != 0


def _check_decisions(ck: Checker, actors: set[str], arenas: set[str], stakes: set[str]) -> None:
    c = ck.case
    previous = None
    for i, d in enumerate(c.decisions):
        path = ("decisions", i)
        ck.known(path + ("actor",), d.actor, actors, "actor")
        ck.known(path + ("arena",), d.arena, arenas, "arena")
        _in_span(ck, path + ("date",), d.date)
        if d.end is not None:
            if d.end < d.date:
                ck.add(path + ("end",), f"dates out of order: end {d.end} is before date {d.date}")
            _in_span(ck, path + ("end",), d.end)
        if previous is not None and d.date < previous:
            ck.add(
                path + ("date",),
                f"dates out of order: decisions must be chronological; {d.date} follows {previous}",
            )
        previous = d.date
        if not d.cite:
            ck.add(path + ("cite",), "expected at least one citation for a decision")
        option_ids = set()
        for j, o in enumerate(d.options):
            opath = path + ("options", j)
            if o.id in option_ids:
                ck.add(opath + ("id",), f"duplicate option id '{o.id}' in decision '{d.id}'")
            option_ids.add(o.id)
            ck.known(opath + ("favours",), o.favours, actors, "actor")
            ck.known(opath + ("opposes",), o.opposes, actors, "actor")
            ck.known(opath + ("rival",), o.rival, actors, "actor")
            if o.favours is not None and o.favours == o.opposes:
                ck.add(opath + ("opposes",), "an option cannot favour and oppose the same actor")
            for key in ("gains", "gives"):
                for k, s in enumerate(getattr(o, key)):
                    ck.known(opath + (key, k), s, stakes, "stake")
            if o.risk != "none" and o.risk not in c.scales.risk:
                ck.add(
                    opath + ("risk",),
                    f"expected a level from scales.risk {_levels(c.scales.risk)}, got '{o.risk}'",
                )
            if o.risk != "none" and o.rival is None:
                ck.add(
                    opath + ("rival",),
                    "an option with a risk of confrontation must name the rival power",
                )
            if o.security != "none" and o.security not in c.scales.security:
                ck.add(
                    opath + ("security",),
                    f"expected a level from scales.security {_levels(c.scales.security)}, got '{o.security}'",
                )
            for k, effect in enumerate(o.effects):
                _check_effect(ck, opath + ("effects", k), effect, actors, arenas, stakes)
        if c.blind:
            if d.chosen is not None:
                ck.add(path + ("chosen",), "a blind coding file must not record the choice")
        elif d.chosen is None:
            ck.add(path + ("chosen",), "required field is missing")
        elif d.chosen not in option_ids:
            ck.add(
                path + ("chosen",),
                f"chosen option '{d.chosen}' is not among the options {sorted(option_ids)}",
            )
        if d.arena is None and len(c.arenas) > 1 and any(o.favours or o.opposes for o in d.options):
            ck.add(
                path + ("arena",),
                "several arenas are declared: name the arena this decision is about",
            )


def _check_effect(
    ck: Checker, path: LinePath, e: Effect, actors: set[str], arenas: set[str], stakes: set[str]
) -> None:
    if not e.kind():
        ck.add(path, "expected exactly one of: aid, transfer, align, alliance, hostility")
        return
    if e.aid:
        ck.known(path + ("aid", "to"), e.aid.to, actors, "actor")
        ck.known(path + ("aid", "arena"), e.aid.arena, arenas, "arena")
    if e.transfer:
        ck.known(path + ("transfer", "stake"), e.transfer.stake, stakes, "stake")
        ck.known(path + ("transfer", "to"), e.transfer.to, actors, "actor")
    if e.align:
        ck.known(path + ("align", "actor"), e.align.actor, actors, "actor")
        ck.known(path + ("align", "with"), e.align.side, actors, "actor")
    if e.alliance:
        for k, m in enumerate(e.alliance.members):
            ck.known(path + ("alliance", "members", k), m, actors, "actor")
    if e.hostility:
        for k, m in enumerate(e.hostility.between):
            ck.known(path + ("hostility", "between", k), m, actors, "actor")
