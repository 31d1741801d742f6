"""Cross-reference, date, range and citation checks on a typed case.

`validate` returns every problem found; it never stops at the first one.
"""

from __future__ import annotations

import datetime as dt
import difflib
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
    side_ids,
)

PSEUDO_SECTIONS = {"(introduction)", "(conclusion)"}
date_min = dt.date.min


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
        self.alliance_ids: set[str] = set()

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
            self.add(path, f"unknown {kind} id '{value}' ({closest_known(value, ids)})")


SHOW_ALL_IDS = 8  # up to this many known ids are all listed; beyond it, the closest ones


def closest_known(value: str, ids: set[str] | list[str], n: int = 5) -> str:
    """`known: a, b, c` for a short list; otherwise the ids closest to `value` (difflib's
    similarity ratio, case-insensitive), best first, and how many there are."""
    ids = sorted(set(ids))
    if not ids:
        return "known: none declared"
    if len(ids) <= SHOW_ALL_IDS:
        return "known: " + ", ".join(ids)
    matcher = difflib.SequenceMatcher(b=value.lower(), autojunk=False)

    def similarity(candidate: str) -> float:
        matcher.set_seq1(candidate.lower())
        return matcher.ratio()

    near = sorted(ids, key=lambda i: (-similarity(i), i))[:n]
    return f"closest known: {', '.join(near)}; {len(ids)} declared"


def validate(case: Case, lines: dict[LinePath, int], origin: str) -> list[Problem]:
    ck = Checker(case, lines, origin)
    c = case
    sources = ck.unique("sources", c.sources)
    assumptions = ck.unique("assumptions", c.assumptions)
    actors = ck.unique("actors", c.actors)
    arenas = ck.unique("arenas", c.arenas)
    stakes = ck.unique("stakes", c.stakes)
    ck.alliance_ids = ck.unique("alliances", c.alliances)
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
        _check_presence(ck, ("actors", i), actor.since, actor.until)
        enters = max(c.span.start, actor.since or c.span.start)
        if actor.ideology and actor.ideology[0].date > enters:
            where = (
                f"span.start {c.span.start}"
                if actor.since is None or actor.since <= c.span.start
                else f"the actor's entry ('from') {actor.since}"
            )
            ck.add(
                ("actors", i, "ideology", 0, "date"),
                f"expected the first ideology position on or before {where}",
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

    for word, ref in c.scales.breach.items():
        ck.known(("scales", "breach", word), ref, assumptions, "assumption")
    _check_alliances(ck, actors)
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
        if outcome.types is not None and outcome.kind != "alliance":
            ck.add(path + ("types",), "types apply to an outcome of kind 'alliance' only")
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
    if not ck.problems:
        _check_requirements_on_record(ck)
    return ck.problems


def _check_presence(
    ck: Checker, path: LinePath, since: Any, until: Any, earlier_ok: bool = False
) -> None:
    """`from` and `until` inside the span (`from` may precede it when `earlier_ok`: a treaty
    signed before the case opens is in force from its start)."""
    span = ck.case.span
    low = date_min if earlier_ok else span.start
    if since is not None and not low <= since <= span.end:
        ck.add(
            path + ("from",),
            f"expected a date within the span {span.start}..{span.end}, got {since}",
        )
    if until is not None and not span.start <= until <= span.end:
        ck.add(
            path + ("until",),
            f"expected a date within the span {span.start}..{span.end}, got {until}",
        )
    if since is not None and until is not None and until < since:
        ck.add(path + ("until",), f"dates out of order: until {until} is before from {since}")


def _present(ck: Checker, actor_id: str | None, on: Any) -> bool:
    actor = next((a for a in ck.case.actors if a.id == actor_id), None)
    return actor is None or actor.present(on)


def _absent_message(ck: Checker, actor_id: str, on: Any) -> str:
    actor = ck.case.actor(actor_id)
    return (
        f"actor '{actor_id}' is not part of the case on {on} "
        f"(from {actor.since or ck.case.span.start} until {actor.until or ck.case.span.end})"
    )


def _check_alliances(ck: Checker, actors: set[str]) -> None:
    c = ck.case
    for i, a in enumerate(c.alliances):
        path = ("alliances", i)
        for k, m in enumerate(a.members):
            ck.known(path + ("members", k), m, actors, "actor")
        if len(set(a.members)) != len(a.members):
            ck.add(path + ("members",), "an actor appears twice among the members")
        if len(set(a.types)) != len(a.types):
            ck.add(path + ("types",), "a type appears twice")
        _check_presence(ck, path, a.since, a.until, earlier_ok=True)
        if not a.cite:
            ck.add(path + ("cite",), "expected at least one citation for an alliance")
    for i, inc in enumerate(c.incompatible):
        path = ("incompatible", i)
        for k, m in enumerate(inc.between):
            ck.known(path + ("between", k), m, actors, "actor")
        if inc.between[0] == inc.between[1]:
            ck.add(path + ("between",), "expected two different actors")
        for j, a in enumerate(c.alliances):
            if set(inc.between) <= set(a.members) and set(inc.types) & set(a.types):
                ck.add(
                    ("alliances", j, "members"),
                    f"allies both sides of a declared incompatibility "
                    f"({inc.between[0]}, {inc.between[1]}; incompatible[{i}])",
                )


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
        _check_precision(ck, path, d.date, d.precision)
        if d.actor in actors and not _present(ck, d.actor, d.date):
            ck.add(path + ("actor",), _absent_message(ck, d.actor, d.date))
        option_ids = set()
        for j, o in enumerate(d.options):
            opath = path + ("options", j)
            if o.id in option_ids:
                ck.add(opath + ("id",), f"duplicate option id '{o.id}' in decision '{d.id}'")
            option_ids.add(o.id)
            for key in ("favours", "opposes"):
                side = getattr(o, key)
                listed = isinstance(side, list)
                for k, who in enumerate(side_ids(side)):
                    where = opath + ((key, k) if listed else (key,))
                    ck.known(where, who, actors, "actor")
                    if who in actors and not _present(ck, who, d.date):
                        ck.add(where, _absent_message(ck, who, d.date))
                if len(set(side_ids(side))) != len(side_ids(side)):
                    ck.add(opath + (key,), "an actor appears twice in the coalition")
            ck.known(opath + ("rival",), o.rival, actors, "actor")
            if set(o.favoured) & set(o.opposed):
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
        if d.chosen not in option_ids:
            ck.add(
                path + ("chosen",),
                f"chosen option '{d.chosen}' is not among the options {sorted(option_ids)}",
            )
        if d.arena is None and len(c.arenas) > 1 and any(o.favours or o.opposes for o in d.options):
            ck.add(
                path + ("arena",),
                "several arenas are declared: name the arena this decision is about",
            )
        _check_requirements(ck, path, i, stakes, actors)


def _check_precision(ck: Checker, path: LinePath, date: Any, precision: str) -> None:
    if precision == "month" and date.day != 1:
        ck.add(
            path + ("date",),
            f"precision: month expects the first day of the month "
            f"({date.replace(day=1)}), got {date}",
        )
    elif precision == "year" and (date.month, date.day) != (1, 1):
        ck.add(
            path + ("date",),
            f"precision: year expects the first of January ({date.year}-01-01), got {date}",
        )


def _check_requirements(
    ck: Checker, path: LinePath, index: int, stakes: set[str], actors: set[str]
) -> None:
    c = ck.case
    earlier = {d.id: d for d in c.decisions[:index]}
    for r, req in enumerate(c.decisions[index].requires):
        rpath = path + ("requires", r)
        kind = req.kind()
        if not kind:
            ck.add(rpath, "expected exactly one of: chosen, allied, holds")
            continue
        if req.chosen is not None:
            prior = earlier.get(req.chosen.decision)
            if prior is None:
                if req.chosen.decision in {d.id for d in c.decisions}:
                    ck.add(
                        rpath + ("chosen", "decision"),
                        f"decision '{req.chosen.decision}' does not come before this one",
                    )
                else:
                    ck.known(
                        rpath + ("chosen", "decision"),
                        req.chosen.decision,
                        set(earlier),
                        "earlier decision",
                    )
                continue
            options = {o.id for o in prior.options}
            for k, opt in enumerate(req.chosen.options):
                listed = isinstance(req.chosen.option, list)
                where = rpath + (("chosen", "option", k) if listed else ("chosen", "option"))
                if opt not in options:
                    ck.add(
                        where,
                        f"option '{opt}' is not among the options of '{prior.id}' "
                        f"{sorted(options)}",
                    )
        elif req.allied is not None:
            for k, m in enumerate(req.allied.members):
                ck.known(rpath + ("allied", "members", k), m, actors, "actor")
        elif req.holds is not None:
            ck.known(rpath + ("holds", "actor"), req.holds.actor, actors, "actor")
            ck.known(rpath + ("holds", "stake"), req.holds.stake, stakes, "stake")


def _check_requirements_on_record(ck: Checker) -> None:
    """A conditional decision happened, so its conditions held on the recorded path."""
    from realpolitik.scenario.replay import alliance_catalogue, record_states, requirement_holds

    if not any(d.requires for d in ck.case.decisions):
        return
    catalogue = alliance_catalogue(ck.case)
    states = record_states(ck.case)
    for i, d in enumerate(ck.case.decisions):
        for r, req in enumerate(d.requires):
            if not requirement_holds(req, states[d.id], catalogue):
                ck.add(
                    ("decisions", i, "requires", r),
                    f"the condition does not hold on the recorded path before '{d.id}' "
                    f"(a recorded decision must meet its own requirements)",
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
        al = e.alliance
        if (al.id is None) == (al.members is None):
            ck.add(path + ("alliance",), "expected either id (a declared alliance) or members")
        if al.id is not None:
            ck.known(path + ("alliance", "id"), al.id, ck.alliance_ids, "alliance")
            if al.types is not None:
                ck.add(
                    path + ("alliance", "types"),
                    "a declared alliance carries its own types; remove types here",
                )
        for k, m in enumerate(al.members or ()):
            ck.known(path + ("alliance", "members", k), m, actors, "actor")
        if al.members is not None and len(set(al.members)) != len(al.members):
            ck.add(path + ("alliance", "members"), "an actor appears twice among the members")
        types = set(al.types or ("defence",))
        for n, inc in enumerate(ck.case.incompatible):
            if al.members and set(inc.between) <= set(al.members) and set(inc.types) & types:
                ck.add(
                    path + ("alliance", "members"),
                    f"allies both sides of a declared incompatibility "
                    f"({inc.between[0]}, {inc.between[1]}; incompatible[{n}])",
                )
    if e.hostility:
        for k, m in enumerate(e.hostility.between):
            ck.known(path + ("hostility", "between", k), m, actors, "actor")
