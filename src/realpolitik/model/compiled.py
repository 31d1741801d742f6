"""A case compiled into index arrays, with every judgment resolved against a parameter vector.

Each assumption is one column of `theta` (rows x assumptions). A number in the scenario is a
`Q`: either a cited constant or a column of theta, so the whole model can be evaluated for many
assumption settings (rows) at once: the baseline is one row of defaults; a sensitivity analysis
is thousands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from realpolitik.scenario.replay import alliance_catalogue, alliance_key, ended_by, superseded
from realpolitik.scenario.schema import Case, Effect, Ref

FEATURES = ("ideology", "stakes", "prevail", "risk", "security")
CONTEST_TYPES = ("defence", "offence")  # alliances whose members pool strength in a contest


def year_fraction(d: dt.date) -> float:
    start = dt.date(d.year, 1, 1)
    days = (dt.date(d.year + 1, 1, 1) - start).days
    return d.year + (d - start).days / days


@dataclass(frozen=True)
class Q:
    """A resolved quantity: a constant, or column `idx` of theta."""

    const: float = 0.0
    idx: int = -1

    def of(self, theta: np.ndarray) -> np.ndarray:
        if self.idx >= 0:
            return theta[:, self.idx]
        return np.full(theta.shape[0], self.const)


@dataclass(frozen=True)
class CEffect:
    kind: str  # aid | transfer | align | alliance | hostility
    a: int = -1  # actor (aid: recipient; align: actor; alliance/hostility: first)
    b: int = -1  # second actor (align: side; alliance/hostility: second; transfer: new holder)
    stake: int = -1
    arena: int = -1
    q: Q = Q()
    active: bool = True
    alliance: int = -1  # the alliance made (active) ...
    ends: tuple[int, ...] = ()  # ... and the alliances ended (by `active: false` or supersession)


@dataclass(frozen=True)
class CAlliance:
    key: str
    members: np.ndarray  # (actors,) bool
    types: frozenset[str]
    initially: bool = False  # in force at the start of the span


@dataclass(frozen=True)
class CRequirement:
    """One condition for a decision to arise on a path (see docs/model.md, section 3)."""

    kind: str  # chosen | allied | holds
    negate: bool = False
    decision: int = -1
    options: tuple[int, ...] = ()
    a: int = -1
    b: int = -1
    types: frozenset[str] | None = None
    stake: int = -1


@dataclass
class CDecision:
    id: str
    t: float
    actor: int
    arena: int
    option_ids: list[str]
    favours: list[tuple[int, ...]]  # per option: the favoured coalition (empty: nobody)
    opposes: list[tuple[int, ...]]
    gains: np.ndarray  # (options, stakes) 0/1
    gives: np.ndarray
    risk: list[Q]
    rival: np.ndarray
    security: list[Q]
    effects: list[list[CEffect]]
    chosen: int
    requires: list[CRequirement] = field(default_factory=list)


@dataclass
class CEvent:
    id: str
    t: float
    effects: list[CEffect]


@dataclass
class COutcome:
    id: str
    kind: str
    t: float
    actor: int = -1
    arena: int = -1
    members: tuple[int, int] = (-1, -1)
    stake: int = -1
    threshold: Q = Q(0.5)
    observed: bool = True
    types: frozenset[str] | None = None  # alliance outcomes: of these types (None: any)


@dataclass
class Series:
    """A time series of an actor: points (t, Q)."""

    t: np.ndarray
    q: list[Q]

    def step(self, theta: np.ndarray, t: float) -> np.ndarray:
        """Piecewise-constant value at time t (last point on or before t; first point before)."""
        k = max(int(np.searchsorted(self.t, t, side="right")) - 1, 0)
        return self.q[k].of(theta)

    def known(self, theta: np.ndarray, t: float) -> np.ndarray:
        """The last point dated on or before t, nan before the first point: what was on record
        at t, never a value pulled towards a later figure (docs/model.md, "no hindsight")."""
        k = int(np.searchsorted(self.t, t, side="right")) - 1
        if k < 0:
            return np.full(theta.shape[0], np.nan)
        return self.q[k].of(theta)


@dataclass
class CArena:
    id: str
    decisiveness: Q
    series: dict[int, Series]
    since: float | None = None
    drift: dict[int, Q] = field(default_factory=dict)
    momentum: Q = Q()


@dataclass
class Step:
    t: float
    kind: str  # event | decision | outcome
    index: int


@dataclass
class Compiled:
    case: Case
    assumption_ids: list[str]
    theta0: np.ndarray
    bounds: np.ndarray  # (assumptions, 2)
    actor_ids: list[str]
    stake_ids: list[str]
    holder0: np.ndarray
    ideology: list[Series]
    scale_width: float
    valuations: dict[tuple[int, int], Q]
    prices: dict[str, Q]
    arenas: list[CArena]
    decisions: list[CDecision]
    events: list[CEvent]
    outcomes: list[COutcome]
    start: float
    end: float
    recurring: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    alliances: list[CAlliance] = field(default_factory=list)
    breach: dict[str, Q] = field(default_factory=dict)  # price of acting against an ally
    enters: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per actor, -inf: always
    leaves: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per actor, +inf: never

    @property
    def n_actors(self) -> int:
        return len(self.actor_ids)

    def present(self, t: float) -> np.ndarray:
        """Which actors are part of the case at time t (their `from`..`until`)."""
        if len(self.enters) != self.n_actors:
            return np.ones(self.n_actors, dtype=bool)
        return (self.enters <= t) & (t <= self.leaves)

    def alliance_members(self) -> np.ndarray:
        """Membership M[alliance, actor] (bool)."""
        if not self.alliances:
            return np.zeros((0, self.n_actors), dtype=bool)
        return np.stack([a.members for a in self.alliances])

    def alliance_typed(self, types: frozenset[str] | tuple[str, ...] | None) -> np.ndarray:
        """Which alliances carry one of `types` (all alliances when None)."""
        return np.array(
            [types is None or bool(a.types & set(types)) for a in self.alliances], dtype=bool
        )

    def breach_price(self, theta: np.ndarray) -> np.ndarray:
        """B[row, alliance]: the cost of acting against a fellow member of each alliance, the
        highest price among the alliance's types (0 for types the case does not price)."""
        out = np.zeros((theta.shape[0], len(self.alliances)))
        for k, a in enumerate(self.alliances):
            for t in a.types:
                if t in self.breach:
                    out[:, k] = np.maximum(out[:, k], self.breach[t].of(theta))
        return out

    def theta(self, rows: int = 1, overrides: dict[str, float] | None = None) -> np.ndarray:
        """Parameter matrix: `rows` copies of the defaults, with named overrides."""
        th = np.tile(self.theta0, (rows, 1))
        for key, value in (overrides or {}).items():
            th[:, self.assumption_ids.index(key)] = value
        return th

    def check_overrides(self, overrides: dict[str, float] | None) -> None:
        """Raise InputError unless every override names a declared assumption and is a finite
        number inside that assumption's declared range."""
        from realpolitik.errors import InputError

        for key, value in (overrides or {}).items():
            if key not in self.assumption_ids:
                raise InputError(
                    f"assumptions: unknown assumption '{key}' (see `realpolitik case show`)"
                )
            lo, hi = self.bounds[self.assumption_ids.index(key)]
            if not lo <= value <= hi:
                raise InputError(
                    f"assumptions.{key}: {value} is outside its declared range [{lo}, {hi}]"
                )

    def steps(
        self,
        skip_events: set[str] | frozenset[str] = frozenset(),
        moved: dict[str, float] | None = None,
    ) -> list[Step]:
        moved = moved or {}
        out = [
            Step(moved.get(e.id, e.t), "event", i)
            for i, e in enumerate(self.events)
            if e.id not in skip_events
        ]
        out += [Step(d.t, "decision", i) for i, d in enumerate(self.decisions)]
        out += [Step(o.t, "outcome", i) for i, o in enumerate(self.outcomes)]
        order = {"event": 0, "decision": 1, "outcome": 2}
        return sorted(out, key=lambda s: (s.t, order[s.kind], s.index))

    def valuation(self, theta: np.ndarray) -> np.ndarray:
        """Valuations V[row, actor, stake]."""
        v = np.zeros((theta.shape[0], self.n_actors, len(self.stake_ids)))
        for (a, s), q in self.valuations.items():
            v[:, a, s] = q.of(theta)
        return v


def compile_case(case: Case) -> Compiled:
    assumption_ids = [a.id for a in case.assumptions]
    aidx = {k: i for i, k in enumerate(assumption_ids)}
    theta0 = np.array([float(a.value) for a in case.assumptions], dtype=float)
    bounds = np.array([[float(a.range[0]), float(a.range[1])] for a in case.assumptions]).reshape(
        -1, 2
    )
    actor_ids = [a.id for a in case.actors]
    act = {k: i for i, k in enumerate(actor_ids)}
    stake_ids = [s.id for s in case.stakes]
    stk = {k: i for i, k in enumerate(stake_ids)}
    arena_ids = [a.id for a in case.arenas]
    arn = {k: i for i, k in enumerate(arena_ids)}

    def q(value: object) -> Q:
        if isinstance(value, Ref):
            return Q(idx=aidx[value.assumption])
        return Q(const=float(value))  # type: ignore[arg-type]

    def level(word: str, scale: dict[str, str]) -> Q:
        return Q(0.0) if word == "none" else Q(idx=aidx[scale[word]])

    def series(points: list) -> Series:
        return Series(
            np.array([year_fraction(p.date) for p in points]), [q(p.value) for p in points]
        )

    def a_or(x: str | None) -> int:
        return act[x] if x is not None else -1

    catalogue = alliance_catalogue(case)
    akeys = list(catalogue)
    aidx_of = {k: i for i, k in enumerate(akeys)}
    alliances = []
    for key, spec in catalogue.items():
        members = np.zeros(len(actor_ids), dtype=bool)
        members[[act[m] for m in spec.members]] = True
        # a declared treaty is in force from the start only when its `from` is at or before
        # the span's start; without `from`, only an `alliance` effect naming its id makes it
        initially = (
            key in {a.id for a in case.alliances}
            and spec.since is not None
            and spec.since <= case.span.start
        )
        alliances.append(CAlliance(key, members, frozenset(spec.types), initially))

    def alliance_effect(key: str, active: bool, ended: list[str] | None = None) -> CEffect:
        if active:
            gone = superseded(case, catalogue, key, set(akeys))
            return CEffect(
                "alliance",
                alliance=aidx_of[key],
                ends=tuple(sorted(aidx_of[g] for g in gone)),
            )
        return CEffect(
            "alliance", active=False, ends=tuple(sorted(aidx_of[g] for g in ended or []))
        )

    def effect(e: Effect) -> CEffect:
        if e.aid:
            return CEffect("aid", a=act[e.aid.to], arena=arn[e.aid.arena], q=q(e.aid.amount))
        if e.transfer:
            return CEffect("transfer", stake=stk[e.transfer.stake], b=a_or(e.transfer.to))
        if e.align:
            return CEffect("align", a=act[e.align.actor], b=a_or(e.align.side))
        if e.alliance:
            al = e.alliance
            if al.active:
                return alliance_effect(alliance_key(al), True)
            return alliance_effect("", False, ended_by(al, catalogue))
        assert e.hostility is not None
        h = e.hostility.between
        return CEffect("hostility", a=act[h[0]], b=act[h[1]], q=q(e.hostility.level))

    valuations: dict[tuple[int, int], Q] = {}
    for s in case.stakes:
        for actor_id, val in s.valuations.items():
            valuations[(act[actor_id], stk[s.id])] = (
                q(val) if isinstance(val, Ref) else level(val, case.scales.value)
            )

    arenas = []
    for a in case.arenas:
        dyn = a.dynamics
        arenas.append(
            CArena(
                id=a.id,
                decisiveness=q(a.decisiveness),
                series={
                    act[c.actor]: series(c.points) for c in case.capabilities if c.arena == a.id
                },
                since=year_fraction(dyn.since) if dyn else None,
                drift={act[k]: q(v) for k, v in dyn.drift.items()} if dyn else {},
                momentum=q(dyn.momentum) if dyn else Q(),
            )
        )

    dec_index = {d.id: k for k, d in enumerate(case.decisions)}

    def requirement(r) -> CRequirement:  # type: ignore[no-untyped-def]
        if r.chosen is not None:
            prior = case.decisions[dec_index[r.chosen.decision]]
            opts = [o.id for o in prior.options]
            return CRequirement(
                "chosen",
                r.negate,
                decision=dec_index[prior.id],
                options=tuple(opts.index(o) for o in r.chosen.options),
            )
        if r.allied is not None:
            a, b = r.allied.members
            types = frozenset(r.allied.types) if r.allied.types else None
            return CRequirement("allied", r.negate, a=act[a], b=act[b], types=types)
        return CRequirement("holds", r.negate, a=act[r.holds.actor], stake=stk[r.holds.stake])

    decisions = []
    for d in case.decisions:
        n = len(d.options)
        gains = np.zeros((n, len(stake_ids)))
        gives = np.zeros((n, len(stake_ids)))
        for j, o in enumerate(d.options):
            for s in o.gains:
                gains[j, stk[s]] = 1
            for s in o.gives:
                gives[j, stk[s]] = 1
        arena = arn[d.arena] if d.arena else (0 if len(arenas) == 1 else -1)
        decisions.append(
            CDecision(
                id=d.id,
                t=year_fraction(d.date),
                actor=act[d.actor],
                arena=arena,
                option_ids=[o.id for o in d.options],
                favours=[tuple(act[x] for x in o.favoured) for o in d.options],
                opposes=[tuple(act[x] for x in o.opposed) for o in d.options],
                gains=gains,
                gives=gives,
                risk=[level(o.risk, case.scales.risk) for o in d.options],
                rival=np.array([a_or(o.rival) for o in d.options]),
                security=[level(o.security, case.scales.security) for o in d.options],
                effects=[[effect(e) for e in o.effects] for o in d.options],
                chosen=(
                    [o.id for o in d.options].index(d.chosen) if d.chosen is not None else -1
                ),  # -1: a blind coding file
                requires=[requirement(r) for r in d.requires],
            )
        )
    events = [
        CEvent(e.id, year_fraction(e.date), [effect(x) for x in e.effects]) for e in case.events
    ]
    # declared alliances that start or end inside the span: exogenous steps, like events
    for a in case.alliances:
        if a.since is not None and a.since > case.span.start:
            events.append(
                CEvent(
                    f"alliance:{a.id}:from", year_fraction(a.since), [alliance_effect(a.id, True)]
                )
            )
        if a.until is not None:
            events.append(
                CEvent(
                    f"alliance:{a.id}:until",
                    year_fraction(a.until),
                    [alliance_effect(a.id, False, [a.id])],
                )
            )
    outcomes = [
        COutcome(
            id=o.id,
            kind=o.kind,
            t=year_fraction(o.date),
            actor=a_or(o.actor),
            arena=arn[o.arena] if o.arena else -1,
            members=(act[o.members[0]], act[o.members[1]]) if o.members else (-1, -1),
            stake=stk[o.stake] if o.stake else -1,
            threshold=q(o.threshold) if o.threshold is not None else Q(0.5),
            observed=o.observed,
            types=frozenset(o.types) if o.types else None,
        )
        for o in case.outcomes
    ]
    return Compiled(
        case=case,
        assumption_ids=assumption_ids,
        theta0=theta0,
        bounds=bounds,
        actor_ids=actor_ids,
        stake_ids=stake_ids,
        holder0=np.array([a_or(s.holder) for s in case.stakes], dtype=int),
        ideology=[series(a.ideology) for a in case.actors],
        scale_width=float(case.ideology_scale.high - case.ideology_scale.low),
        valuations=valuations,
        prices={
            "prevail": q(case.interest.prevail),
            "risk": q(case.interest.risk),
            "security": q(case.interest.security),
        },
        arenas=arenas,
        decisions=decisions,
        events=events,
        outcomes=outcomes,
        start=year_fraction(case.span.start),
        end=year_fraction(case.span.end),
        recurring=np.array([s.recurring for s in case.stakes], dtype=bool),
        alliances=alliances,
        breach={t: Q(idx=aidx[ref]) for t, ref in case.scales.breach.items()},
        enters=np.array(
            [year_fraction(a.since) if a.since else -np.inf for a in case.actors], dtype=float
        ),
        leaves=np.array(
            [year_fraction(a.until) if a.until else np.inf for a in case.actors], dtype=float
        ),
    )


def as_compiled(case: Any) -> Compiled:
    """A compiled case from a built-in case name, a scenario file path, a `Case` or a
    `Compiled` (returned as it is)."""
    if isinstance(case, Compiled):
        return case
    if isinstance(case, Case):
        return compile_case(case)
    from realpolitik.scenario.loader import load

    return compile_case(load(case).case)
