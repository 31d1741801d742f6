"""The report's limitations section, generated from the case and the fits: how many decisions
and from which sources, which actors the record cannot pin down, how many numbers are
judgments, and what the counterfactuals hold fixed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from realpolitik.scenario.schema import Case


def limitation_sentences(
    case: Case, fit: Any | None = None, sensitivity: Any | None = None
) -> list[str]:
    out = []
    n = len(case.decisions)
    by_actor = Counter(d.actor for d in case.decisions)
    per = ", ".join(f"{case.actor_name(a)} {k}" for a, k in by_actor.most_common())
    out.append(
        f"The evidence is {n} recorded decisions ({per}). Every estimate rests on them: a "
        "handful of decisions per actor gives wide intervals, and one differently coded "
        "decision can move an actor's verdict."
    )
    cited: Counter[str] = Counter()
    for d in case.decisions:
        for s in {c.source for c in d.cite}:
            cited[s] += 1
    sources = {s.id: s for s in case.sources}
    named = [
        f"{sources[s].short or sources[s].author.split(',')[0]} {sources[s].year} "
        f"({k} decision{'s' if k != 1 else ''})"
        for s, k in cited.most_common()
        if s in sources
    ]
    uncited = sum(1 for d in case.decisions if not d.cite)
    text = (
        f"The decisions are coded from {len(cited)} source{'s' if len(cited) != 1 else ''}: "
        + "; ".join(named)
        + ". The options open at each decision, and how each is scored on ideology and "
        "interest, are the case author's reading of those sources."
    )
    if uncited:
        text += f" {uncited} decision{'s' if uncited != 1 else ''} cite no source."
    out.append(text)
    out.append(
        f"{len(case.assumptions)} numbers in the case are declared judgments (assumptions) "
        "rather than cited facts, each with a range; the sensitivity analysis varies them "
        "over those ranges"
        + (", but it was not run for this report." if sensitivity is None else ".")
    )
    if fit is not None:
        weak = [case.actor_name(a.actor) for a in fit.actors if a.status == "weak"]
        none = [case.actor_name(a.actor) for a in fit.actors if a.status == "unidentified"]
        if weak:
            out.append(
                f"Weakly identified: {', '.join(weak)}. Their records are small (or separate "
                "the options perfectly, when Firth's penalty keeps the estimates finite), so "
                "their weights are uncertain; read their verdicts as indications."
            )
        if none:
            out.append(
                f"Not identified: {', '.join(none)}. Too few decisions to estimate; in "
                f"simulations {'they choose' if len(none) > 1 else 'it chooses'} among "
                "the options at random."
            )
    out.append(
        "The counterfactuals change one thing and hold the rest fixed: the other actors keep "
        "the weights fitted to the record, nobody learns or re-plans because the world "
        "changed, and options that history never offered are not invented. Their differences "
        "are model statements about this case, with Monte Carlo error only; they do not "
        "carry the uncertainty of the fitted weights."
    )
    out.append(
        "The model says which motive fits the choices better, not why the actors held it: "
        "interest and ideology are measured as the case codes them, and a choice that served "
        "both counts towards whichever the fitted weights favour."
    )
    return out


def limitations_section(case: Case, res: Any, run: Any) -> Any:
    from realpolitik.reports.html import Section, command, esc, given

    lines = limitation_sentences(
        case,
        res.fit if given(res.fit) else None,
        res.sensitivity if given(res.sensitivity) else None,
    )
    body = (
        '<p class="lead">What these findings cannot show, from this case and these fits.</p>'
        '<ul class="limits">'
        + "".join(f"<li>{esc(s)}</li>" for s in lines)
        + "</ul>"
        + command("realpolitik", "case", "show", run.case_arg)
    )
    return Section("limitations", "Limitations", body)
