"""The commented world (counterfactual) file that `realpolitik counterfactual new` writes.

Its examples use the ids of a real case (the built-in one by default) so that the file runs
as written; every key is optional (docs/world-format.md).
"""

from __future__ import annotations

from realpolitik.scenario.schema import Case


def world_template(case: Case | None = None) -> str:
    if case is None:
        from realpolitik.scenario.loader import load_case

        case = load_case("east-asia-1945")
    deciders = [d.actor for d in case.decisions]
    actor = max(set(deciders), key=deciders.count) if deciders else case.actors[0].id
    event = case.events[0] if case.events else None
    decision = case.decisions[-1] if case.decisions else None
    assumption = case.assumptions[0] if case.assumptions else None
    lines = [
        "# A world for `realpolitik counterfactual --file THIS_FILE`: what differs from the",
        f"# record's world in case {case.id}. Every key is optional; leave out what stays as in",
        "# history. The baseline is always the record's world with the weights fitted to it,",
        "# simulated with the same seed. Format: docs/world-format.md.",
        "",
        "# A name for tables and figures.",
        f"name: {actor} weighs ideology strongly",
        "",
        "# Weights per actor on the standardised utility terms (ideology, interest).",
        "# Unnamed actors and terms keep their fitted weights.",
        "weights:",
        f"  {actor}:",
        "    ideology: 3.0",
        "    interest: 0.0",
        "",
        "# Events left out of history (event ids of the case).",
        "remove_events: []",
    ]
    if event is not None:
        lines.append(f"# remove_events: [{event.id}]")
    lines += [
        "",
        "# Events moved to another date (YYYY-MM-DD, within the case's span).",
        "move_events: {}",
    ]
    if event is not None:
        lines.append(f"# move_events: {{{event.id}: {event.date.isoformat()}}}")
    lines += [
        "",
        "# Assumptions set to another value within their declared range; the weights are",
        "# refitted under them.",
        "assumptions: {}",
    ]
    if assumption is not None:
        lo, hi = assumption.range
        lines.append(
            f"# assumptions: {{{assumption.id}: {assumption.value}}}   # range [{lo}, {hi}]"
        )
    lines += [
        "",
        "# Decisions forced to an option in every simulated path (DECISION: OPTION).",
        "force: {}",
    ]
    if decision is not None:
        lines.append(f"# force: {{{decision.id}: {decision.options[0].id}}}")
    return "\n".join(lines) + "\n"
