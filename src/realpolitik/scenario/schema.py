"""Typed objects of a scenario file (see docs/scenario-format.md).

The schema checks shapes and types only; cross-references, dates, ranges and citations are
checked in `realpolitik.scenario.validate`, so every problem in a file is reported at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

Id = Annotated[StrictStr, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=64)]
Number = StrictInt | Annotated[StrictFloat, Field(allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Citation(Strict):
    """A source id plus the section heading and footnote number where one exists, and a
    locator (page, chapter) for books and articles cited by page."""

    source: Id
    section: StrictStr | None = None
    note: StrictInt | None = None
    page: StrictInt | Annotated[StrictStr, Field(min_length=1, max_length=32)] | None = None
    chapter: StrictInt | Annotated[StrictStr, Field(min_length=1, max_length=120)] | None = None

    def label(self, sources: dict[str, Source] | None = None) -> str:
        short = self.source
        if sources and self.source in sources:
            s = sources[self.source]
            short = f"{s.short or s.author.split(',')[0]} {s.year}"
        parts = [short]
        if self.chapter is not None:
            parts.append(f"ch. {self.chapter}")
        if self.section:
            parts.append(f'"{self.section}"')
        if self.page is not None:
            page = str(self.page)
            parts.append(f"{'pp' if '-' in page or ',' in page else 'p'}. {page}")
        if self.note is not None:
            parts.append(f"n. {self.note}")
        return ", ".join(parts)


class Ref(Strict):
    """A value that is a judgment: it names a declared assumption."""

    assumption: Id


Quantity = Number | Ref


class Source(Strict):
    id: Id
    author: StrictStr
    year: StrictInt
    title: StrictStr
    venue: StrictStr
    short: StrictStr | None = None
    sections: list[StrictStr] = []
    notes: StrictInt | None = Field(default=None, description="highest footnote number")
    seed: StrictStr | None = Field(
        default=None, description="file name of the source text in shared/seeds, if any"
    )


class Assumption(Strict):
    id: Id
    value: Number
    range: tuple[Number, Number]
    rationale: StrictStr
    unit: StrictStr | None = None
    cite: list[Citation] = []
    label: StrictStr | None = Field(
        default=None, description="a short human name for figures and tables"
    )


class Point(Strict):
    """A dated value in a time series: cited, or an assumption."""

    date: dt.date
    value: Quantity
    cite: list[Citation] = []
    note: StrictStr | None = None


class NameChange(Strict):
    since: dt.date = Field(alias="from")
    name: StrictStr


class Actor(Strict):
    id: Id
    name: StrictStr
    kind: Literal["state", "party", "leader", "organisation"]
    leader: StrictStr | None = None
    names: list[NameChange] = []
    ideology: list[Point] = Field(min_length=1)
    since: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    identity: Id | None = Field(
        default=None, description="the same actor in other cases (pooled by `fit --same`)"
    )
    cite: list[Citation] = []
    note: StrictStr | None = None

    def present(self, on: dt.date) -> bool:
        """Is the actor part of the case on this date (from `from` through `until`)?"""
        return (self.since is None or self.since <= on) and (self.until is None or on <= self.until)


class Dynamics(Strict):
    """How an arena's balance evolves between steps once the record stops driving it."""

    since: dt.date = Field(alias="from")
    drift: dict[Id, Quantity] = {}
    momentum: Quantity = 0


class Arena(Strict):
    id: Id
    name: StrictStr
    measure: StrictStr
    decisiveness: Quantity
    dynamics: Dynamics | None = None
    note: StrictStr | None = None


class Capability(Strict):
    actor: Id
    arena: Id
    points: list[Point] = Field(min_length=1)


class Stake(Strict):
    id: Id
    name: StrictStr
    holder: Id | None = None
    recurring: StrictBool = False
    valuations: dict[Id, StrictStr | Ref] = {}
    cite: list[Citation] = []
    note: StrictStr | None = None


class AidEffect(Strict):
    to: Id
    arena: Id
    amount: Quantity


class TransferEffect(Strict):
    stake: Id
    to: Id | None


class AlignEffect(Strict):
    actor: Id
    side: Id | None = Field(alias="with")


ALLIANCE_TYPES = ("defence", "offence", "neutrality", "non-aggression", "consultation")
AllianceType = Literal["defence", "offence", "neutrality", "non-aggression", "consultation"]


class AllianceEffect(Strict):
    """Make or end an alliance: a declared one by `id`, or an ad-hoc one by its members (two
    or more) and types (default: defence)."""

    id: Id | None = None
    members: list[Id] | None = Field(default=None, min_length=2)
    types: list[AllianceType] | None = Field(default=None, min_length=1)
    active: StrictBool = True


class HostilityEffect(Strict):
    between: tuple[Id, Id]
    level: Quantity


class Effect(Strict):
    """Exactly one of the keys below."""

    aid: AidEffect | None = None
    transfer: TransferEffect | None = None
    align: AlignEffect | None = None
    alliance: AllianceEffect | None = None
    hostility: HostilityEffect | None = None

    def kind(self) -> str:
        kinds = [
            k for k in ("aid", "transfer", "align", "alliance", "hostility") if getattr(self, k)
        ]
        return kinds[0] if len(kinds) == 1 else ""


Side = Id | Annotated[list[Id], Field(min_length=1)]


def side_ids(side: str | list[str] | None) -> list[str]:
    """The actors of a side: none, one, or a coalition (a list)."""
    if side is None:
        return []
    return [side] if isinstance(side, str) else list(side)


class Option(Strict):
    id: Id
    label: StrictStr
    favours: Side | None = None
    opposes: Side | None = None
    gains: list[Id] = []
    gives: list[Id] = []
    risk: StrictStr = "none"
    rival: Id | None = None
    security: StrictStr = "none"
    effects: list[Effect] = []
    note: StrictStr | None = None

    @property
    def favoured(self) -> list[str]:
        return side_ids(self.favours)

    @property
    def opposed(self) -> list[str]:
        return side_ids(self.opposes)


class ChosenCondition(Strict):
    decision: Id
    option: Id | Annotated[list[Id], Field(min_length=1)]

    @property
    def options(self) -> list[str]:
        return side_ids(self.option)


class AlliedCondition(Strict):
    members: tuple[Id, Id]
    types: list[AllianceType] | None = Field(default=None, min_length=1)


class HoldsCondition(Strict):
    actor: Id
    stake: Id


class Requirement(Strict):
    """A condition for a decision to arise on a path: exactly one of the keys below (negated
    with `not: true`)."""

    chosen: ChosenCondition | None = None
    allied: AlliedCondition | None = None
    holds: HoldsCondition | None = None
    negate: StrictBool = Field(default=False, alias="not")

    def kind(self) -> str:
        kinds = [k for k in ("chosen", "allied", "holds") if getattr(self, k)]
        return kinds[0] if len(kinds) == 1 else ""


class Decision(Strict):
    id: Id
    date: dt.date
    end: dt.date | None = None
    precision: Literal["day", "month", "year"] = "day"
    actor: Id
    question: StrictStr
    arena: Id | None = None
    options: list[Option] = Field(min_length=2)
    chosen: Id | None = None  # required unless the case is a blind coding file
    requires: list[Requirement] = []
    cite: list[Citation] = []
    note: StrictStr | None = None
    label: StrictStr | None = Field(
        default=None, description="a short title for figures and tables"
    )


class Event(Strict):
    id: Id
    date: dt.date
    label: StrictStr
    effects: list[Effect] = []
    cite: list[Citation] = []
    note: StrictStr | None = None


class Alliance(Strict):
    """A treaty as ATOP codes it: members (two or more) and the obligations it carries. In
    force from `from` (when given) until `until` or an effect that ends it; otherwise made by
    an `alliance` effect naming its id."""

    id: Id
    name: StrictStr
    members: list[Id] = Field(min_length=2)
    types: list[AllianceType] = Field(min_length=1)
    since: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    cite: list[Citation] = []
    note: StrictStr | None = None


class Incompatibility(Strict):
    """Two sides no actor may be allied with at once (for example the two sides of a civil
    war); an alliance with one ends the actor's alliances of the listed types with the other."""

    between: tuple[Id, Id]
    types: list[AllianceType] = ["defence", "offence"]
    cite: list[Citation] = []
    note: StrictStr | None = None


class Outcome(Strict):
    id: Id
    label: StrictStr
    kind: Literal["prevails", "alliance", "holds"]
    date: dt.date
    actor: Id | None = None
    arena: Id | None = None
    members: tuple[Id, Id] | None = None
    types: list[AllianceType] | None = Field(default=None, min_length=1)
    stake: Id | None = None
    threshold: Quantity | None = None
    observed: StrictBool
    cite: list[Citation] = []


class Figure(Strict):
    """A cited number the essays report, carried as data (not used by the choice model)."""

    id: Id
    label: StrictStr
    value: Number
    unit: StrictStr
    date: dt.date
    cite: list[Citation] = Field(min_length=1)
    doubted: StrictBool = False
    note: StrictStr | None = None


class Period(Strict):
    """A period whose weights may differ from the one before (optional; `fit` compares
    constant against changing weights at each period's start)."""

    id: Id
    start: dt.date
    note: StrictStr | None = None
    cite: list[Citation] = []


class Span(Strict):
    start: dt.date
    end: dt.date


class IdeologyScale(Strict):
    low: Number = -1
    high: Number = 1
    low_label: StrictStr
    high_label: StrictStr


class Scales(Strict):
    """Qualitative levels used by options and stakes, each priced by an assumption."""

    value: dict[StrictStr, Id] = {}
    risk: dict[StrictStr, Id] = {}
    security: dict[StrictStr, Id] = {}
    breach: dict[AllianceType, Id] = Field(
        default={}, description="the cost of acting against an ally, per alliance type"
    )


class InterestPrices(Strict):
    """Relative prices that fold the interest components into one interest index."""

    prevail: Quantity
    risk: Quantity
    security: Quantity = 1


class Case(Strict):
    id: Id
    blind: StrictBool = False  # a copy for a second coder: no decision records its choice
    title: StrictStr
    summary: StrictStr
    span: Span
    ideology_scale: IdeologyScale
    sources: list[Source] = Field(min_length=1)
    assumptions: list[Assumption] = []
    scales: Scales = Scales()
    interest: InterestPrices
    actors: list[Actor] = Field(min_length=2)
    arenas: list[Arena] = []
    capabilities: list[Capability] = []
    stakes: list[Stake] = []
    alliances: list[Alliance] = []
    incompatible: list[Incompatibility] = []
    decisions: list[Decision] = Field(min_length=1)
    events: list[Event] = []
    outcomes: list[Outcome] = []
    figures: list[Figure] = []
    periods: list[Period] = []

    # --- lookups -----------------------------------------------------------------------------
    def actor(self, actor_id: str) -> Actor:
        return next(a for a in self.actors if a.id == actor_id)

    def source_map(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}

    def assumption_map(self) -> dict[str, Assumption]:
        return {a.id: a for a in self.assumptions}

    def actor_name(self, actor_id: str | None, on: dt.date | None = None) -> str:
        if actor_id is None:
            return "-"
        actor = self.actor(actor_id)
        name = actor.name
        for change in sorted(actor.names, key=lambda c: c.since):
            if on is not None and change.since <= on:
                name = change.name
        return name

    def cite_labels(self, cites: list[Citation]) -> list[str]:
        sources = self.source_map()
        return [c.label(sources) for c in cites]
