"""Human names for what the figures and tables show: decisions, assumptions, actors, outputs.

A case may give a decision or an assumption a `label` (docs/scenario-format.md); without
one, a decision is named by its question and an assumption by the first clause of its
rationale, both cut to a readable length.
"""

from __future__ import annotations

import re

from realpolitik.scenario.schema import Case

SHORT = 44


def clip(text: str, width: int = SHORT) -> str:
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0]
    return (cut if len(cut) > width // 2 else text[: width - 1]).rstrip(",;:") + "…"


def first_clause(text: str) -> str:
    return re.split(r"(?<=[a-z\)])[.;:]\s|[.;:]$|\s[—-]\s", text.strip(), maxsplit=1)[0]


def decision_label(case: Case, decision_id: str, width: int = SHORT) -> str:
    d = next((d for d in case.decisions if d.id == decision_id), None)
    if d is None:
        return decision_id
    if d.label:
        return clip(d.label, width)
    return clip(d.question.rstrip("?"), width)


def assumption_label(case: Case, assumption_id: str, width: int = SHORT) -> str:
    a = next((a for a in case.assumptions if a.id == assumption_id), None)
    if a is None:
        return assumption_id.replace("_", " ")
    if a.label:
        return clip(a.label, width)
    return clip(first_clause(a.rationale), width)


def option_label(case: Case, decision_id: str, option_id: str, width: int = SHORT) -> str:
    d = next((d for d in case.decisions if d.id == decision_id), None)
    o = next((o for o in d.options if o.id == option_id), None) if d else None
    return clip(o.label, width) if o else option_id


def outcome_label(case: Case, outcome_id: str, width: int = SHORT) -> str:
    o = next((o for o in case.outcomes if o.id == outcome_id), None)
    return clip(o.label, width) if o else outcome_id


def output_label(case: Case, output: str, width: int = SHORT, brief: bool = False) -> str:
    """A sensitivity output ('verdict:USSR', 'outcome:ID') in words."""
    kind, _, key = output.partition(":")
    if kind == "verdict":
        if brief:
            return f"verdict: {clip(case.actor_name(key), width - 9)}"
        return f"{case.actor_name(key)}: interest minus ideology"
    if kind == "outcome":
        return outcome_label(case, key, width)
    return output
