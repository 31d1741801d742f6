"""The recorded path in plain Python: who holds each stake and which alliances are in force
just before each decision, so the validator can check that a conditional decision's
`requires:` held in the record (the engine does the same on arrays, per simulated path).

Alliances are identified by a key: a declared alliance by its id, an ad-hoc one (an effect
that names members instead of an id) by its members and types (see `alliance_key`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from realpolitik.scenario.schema import AllianceEffect, Case, Effect, Requirement

DEFAULT_TYPES = ("defence",)


@dataclass(frozen=True)
class AllianceSpec:
    key: str
    members: tuple[str, ...]
    types: tuple[str, ...]
    since: dt.date | None = None
    until: dt.date | None = None


def alliance_key(effect: AllianceEffect) -> str:
    """The key of the alliance an effect makes or ends."""
    if effect.id is not None:
        return effect.id
    members = sorted(set(effect.members or ()))
    types = sorted(set(effect.types or DEFAULT_TYPES))
    return "+".join(members) + "|" + ",".join(types)


def _effects(case: Case) -> list[Effect]:
    out = [e for ev in case.events for e in ev.effects]
    out += [e for d in case.decisions for o in d.options for e in o.effects]
    return out


def alliance_catalogue(case: Case) -> dict[str, AllianceSpec]:
    """Every alliance a case can bring into force: the declared ones, then each ad-hoc member
    set named by an effect that makes an alliance (in order of first appearance)."""
    out = {
        a.id: AllianceSpec(a.id, tuple(a.members), tuple(a.types), a.since, a.until)
        for a in case.alliances
    }
    for e in _effects(case):
        al = e.alliance
        if al is None or al.id is not None or not al.members or not al.active:
            continue
        key = alliance_key(al)
        if key not in out:
            types = tuple(sorted(set(al.types or DEFAULT_TYPES)))
            out[key] = AllianceSpec(key, tuple(sorted(set(al.members))), types)
    return out


def ended_by(effect: AllianceEffect, catalogue: dict[str, AllianceSpec]) -> list[str]:
    """The alliances an `active: false` effect ends: the named one, or every alliance whose
    members include all the listed members (and that carries one of the listed types, when
    types are given)."""
    if effect.id is not None:
        return [effect.id]
    want = set(effect.members or ())
    types = set(effect.types or ())
    return [
        k
        for k, spec in catalogue.items()
        if want <= set(spec.members) and (not types or types & set(spec.types))
    ]


def allied(
    active: set[str], catalogue: dict[str, AllianceSpec], a: str, b: str, types=None
) -> bool:
    """Are a and b members of one alliance in force (of one of `types`, when given)?"""
    for key in active:
        spec = catalogue[key]
        if a in spec.members and b in spec.members:
            if types is None or set(types) & set(spec.types):
                return True
    return False


def superseded(case: Case, catalogue: dict[str, AllianceSpec], key: str, active: set[str]):
    """Alliances in force that a new alliance `key` ends under the case's declared
    incompatibilities: a member allied with one side ends its alliances (of the listed types)
    with the other side when it allies with the first."""
    new = catalogue[key]
    out = set()
    for inc in case.incompatible:
        if not set(inc.types) & set(new.types):
            continue
        for side, other in (inc.between, inc.between[::-1]):
            if side not in new.members:
                continue
            for member in new.members:
                for old in active:
                    spec = catalogue[old]
                    if (
                        old != key
                        and member in spec.members
                        and other in spec.members
                        and set(inc.types) & set(spec.types)
                    ):
                        out.add(old)
    return out


@dataclass
class RecordState:
    holders: dict[str, str | None]
    active: set[str]
    choices: dict[str, str]


def apply(case: Case, catalogue: dict[str, AllianceSpec], state: RecordState, e: Effect) -> None:
    if e.transfer is not None:
        state.holders[e.transfer.stake] = e.transfer.to
    elif e.alliance is not None:
        if e.alliance.active:
            key = alliance_key(e.alliance)
            state.active -= superseded(case, catalogue, key, state.active)
            state.active.add(key)
        else:
            state.active -= set(ended_by(e.alliance, catalogue))


def record_states(case: Case) -> dict[str, RecordState]:
    """The state of the record just before each decision (a copy per decision id).

    Same order as the engine: by date, events (and declared alliances' start and end dates)
    before decisions on the same day."""
    catalogue = alliance_catalogue(case)
    state = RecordState({s.id: s.holder for s in case.stakes}, set(), {})
    steps: list[tuple[dt.date, int, int, str, object]] = []
    for a in case.alliances:
        if a.since is None:
            pass  # made only by an `alliance` effect naming its id
        elif a.since <= case.span.start:
            state.active.add(a.id)
        else:
            steps.append((a.since, 0, -1, "start", a.id))
        if a.until is not None:
            steps.append((a.until, 0, -1, "end", a.id))
    for i, ev in enumerate(case.events):
        steps.append((ev.date, 0, i, "event", ev))
    for i, d in enumerate(case.decisions):
        steps.append((d.date, 1, i, "decision", d))
    steps.sort(key=lambda s: (s[0], s[1], s[2]))
    out: dict[str, RecordState] = {}
    for _date, _order, _i, kind, item in steps:
        if kind == "start":
            key = str(item)
            state.active -= superseded(case, catalogue, key, state.active)
            state.active.add(key)
        elif kind == "end":
            state.active.discard(str(item))
        elif kind == "event":
            for e in item.effects:  # type: ignore[attr-defined]
                apply(case, catalogue, state, e)
        else:
            d = item
            out[d.id] = RecordState(dict(state.holders), set(state.active), dict(state.choices))  # type: ignore[attr-defined]
            chosen = next(o for o in d.options if o.id == d.chosen)  # type: ignore[attr-defined]
            for e in chosen.effects:
                apply(case, catalogue, state, e)
            state.choices[d.id] = d.chosen  # type: ignore[attr-defined]
    return out


def requirement_holds(
    req: Requirement, state: RecordState, catalogue: dict[str, AllianceSpec]
) -> bool:
    if req.chosen is not None:
        value = state.choices.get(req.chosen.decision) in req.chosen.options
    elif req.allied is not None:
        a, b = req.allied.members
        value = allied(state.active, catalogue, a, b, req.allied.types)
    else:
        assert req.holds is not None
        value = state.holders.get(req.holds.stake) == req.holds.actor
    return value != req.negate
