"""The case as one chronological, cited timeline of decisions and events."""

from __future__ import annotations

from typing import Any

from realpolitik.scenario.schema import Case


def timeline(case: Case) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for d in case.decisions:
        chosen = next(o for o in d.options if o.id == d.chosen)
        rows.append(
            {
                "kind": "decision",
                "id": d.id,
                "date": d.date,
                "end": d.end,
                "precision": d.precision,
                "actor": d.actor,
                "actor_name": case.actor_name(d.actor, d.date),
                "title": d.question,
                "chosen": chosen.label,
                "chosen_id": chosen.id,
                "alternatives": [o.label for o in d.options if o.id != d.chosen],
                "cite": case.cite_labels(d.cite),
                "note": d.note,
            }
        )
    for e in case.events:
        rows.append(
            {
                "kind": "event",
                "id": e.id,
                "date": e.date,
                "end": None,
                "precision": "day",
                "actor": None,
                "actor_name": "",
                "title": e.label,
                "chosen": None,
                "chosen_id": None,
                "alternatives": [],
                "cite": case.cite_labels(e.cite),
                "note": e.note,
            }
        )
    order = {"event": 0, "decision": 1}
    return sorted(rows, key=lambda r: (r["date"], order[r["kind"]]))


def format_date(row: dict[str, Any]) -> str:
    d = row["date"]
    text = {"year": f"{d.year}", "month": d.strftime("%b %Y")}.get(row["precision"], d.isoformat())
    if row.get("end"):
        text += f" to {row['end'].isoformat()}"
    return text
