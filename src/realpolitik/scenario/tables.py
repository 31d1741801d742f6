"""Tidy tables of a case for notebooks and export: actors, decisions, options, events,
alliances, assumptions, sources, figures (one row per thing, one column per attribute)."""

from __future__ import annotations

import pandas as pd

from realpolitik.scenario.schema import Case, Ref, Requirement


def _q(value: object, case: Case) -> tuple[float | None, str | None]:
    if isinstance(value, Ref):
        a = case.assumption_map().get(value.assumption)
        return (float(a.value) if a else None), value.assumption
    return (float(value) if value is not None else None), None  # type: ignore[arg-type]


def actors_table(case: Case) -> pd.DataFrame:
    rows = []
    for a in case.actors:
        for p in a.ideology:
            value, assumption = _q(p.value, case)
            rows.append(
                {
                    "actor": a.id,
                    "name": a.name,
                    "kind": a.kind,
                    "leader": a.leader,
                    "from": a.since,
                    "until": a.until,
                    "identity": a.identity or a.id,
                    "date": p.date,
                    "ideology": value,
                    "assumption": assumption,
                    "cite": "; ".join(case.cite_labels(p.cite)),
                }
            )
    return pd.DataFrame(rows)


def decisions_table(case: Case) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "decision": d.id,
                "date": d.date,
                "end": d.end,
                "precision": d.precision,
                "actor": d.actor,
                "question": d.question,
                "chosen": d.chosen,
                "n_options": len(d.options),
                "requires": "; ".join(_requirement(r) for r in d.requires) or None,
                "cite": "; ".join(case.cite_labels(d.cite)),
            }
            for d in case.decisions
        ]
    )


def options_table(case: Case) -> pd.DataFrame:
    rows = []
    for d in case.decisions:
        for o in d.options:
            rows.append(
                {
                    "decision": d.id,
                    "date": d.date,
                    "actor": d.actor,
                    "option": o.id,
                    "label": o.label,
                    "chosen": o.id == d.chosen,
                    "favours": ",".join(o.favoured) or None,  # a coalition: ids joined by ","
                    "opposes": ",".join(o.opposed) or None,
                    "gains": ",".join(o.gains),
                    "gives": ",".join(o.gives),
                    "risk": o.risk,
                    "rival": o.rival,
                    "security": o.security,
                    "effects": ",".join(e.kind() for e in o.effects),
                }
            )
    return pd.DataFrame(rows)


def events_table(case: Case) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "event": e.id,
                "date": e.date,
                "label": e.label,
                "effects": ",".join(x.kind() for x in e.effects),
                "cite": "; ".join(case.cite_labels(e.cite)),
            }
            for e in case.events
        ]
    )


def assumptions_table(case: Case) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "assumption": a.id,
                "value": a.value,
                "low": a.range[0],
                "high": a.range[1],
                "unit": a.unit,
                "rationale": a.rationale,
            }
            for a in case.assumptions
        ]
    )


def _requirement(r: Requirement) -> str:
    if r.chosen is not None:
        text = f"chosen {r.chosen.decision}={'|'.join(r.chosen.options)}"
    elif r.allied is not None:
        types = f" ({', '.join(r.allied.types)})" if r.allied.types else ""
        text = f"allied {'+'.join(r.allied.members)}{types}"
    else:
        assert r.holds is not None
        text = f"holds {r.holds.actor} {r.holds.stake}"
    return f"not {text}" if r.negate else text


def alliances_table(case: Case) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "alliance": a.id,
                "name": a.name,
                "members": ",".join(a.members),
                "types": ",".join(a.types),
                "from": a.since,
                "until": a.until,
                "cite": "; ".join(case.cite_labels(a.cite)),
            }
            for a in case.alliances
        ],
        columns=["alliance", "name", "members", "types", "from", "until", "cite"],
    )


def sources_table(case: Case) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"source": s.id, "author": s.author, "year": s.year, "title": s.title, "venue": s.venue}
            for s in case.sources
        ]
    )


def figures_table(case: Case) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "figure": f.id,
                "label": f.label,
                "value": f.value,
                "unit": f.unit,
                "date": f.date,
                "doubted": f.doubted,
                "cite": "; ".join(case.cite_labels(f.cite)),
            }
            for f in case.figures
        ]
    )


TABLES = {
    "actors": actors_table,
    "decisions": decisions_table,
    "options": options_table,
    "events": events_table,
    "alliances": alliances_table,
    "assumptions": assumptions_table,
    "sources": sources_table,
    "figures": figures_table,
}


def tables(case: Case | str) -> dict[str, pd.DataFrame]:
    """The case as tidy pandas frames, by name: actors, decisions, options, events,
    assumptions, sources, figures. `case` is a loaded `Case`, a built-in name or a file."""
    if not isinstance(case, Case):
        from realpolitik.scenario.loader import load_case

        case = load_case(case)
    return {name: fn(case) for name, fn in TABLES.items()}
