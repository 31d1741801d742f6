"""Run every robustness check behind a fit's verdicts and attach them to its results.

The checks themselves and the rule combining them live in `robustness`; the non-nested tests
in `nonnested`. This module only wires them to a fit (`realpolitik.fit(checks=...)`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from realpolitik.estimation import robustness as rb
from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.estimation.nonnested import nonnested_tests
from realpolitik.estimation.results import FitResults
from realpolitik.estimation.strength import ml_summary
from realpolitik.model.compiled import Compiled


def run_checks(
    res: FitResults,
    comp: Compiled,
    data: ChoiceData,
    theta: np.ndarray,
    assumptions: dict[str, float] | None,
    actor_index: int | None,
    *,
    full: bool,
    seed: int,
    steps: int,
    chains: int,
    main_bayes=None,
    penalty: str = "auto",
    progress: bool = False,
) -> None:
    from realpolitik.estimation.mle import fit_mle

    terms = res.terms
    index = {comp.actor_ids[a]: a for a in data.actors_present()}
    status = {a.actor: a.status for a in res.actors}
    tested = {index[n]: n for n in index if status[n] != "unidentified"}
    subs = {a: data.for_actor(a) for a in tested}
    rows: list[dict[str, object]] = []

    # maximum likelihood: the estimator check (delta method) and, for an ML fit, the scales
    ml = {f.actor: f for f in fit_mle(data, penalty=penalty)} if res.method == "bayes" else None
    for a_res in res.actors:
        a = index[a_res.actor]
        if a not in tested:
            continue
        sub = subs[a]
        params, cov = (a_res.params, a_res.cov) if ml is None else (ml[a].params, ml[a].cov)
        d = ml_summary(params, cov, sub, terms)
        rows.append(
            rb.row(
                a_res.actor,
                "mle",
                "estimator",
                d["p"],
                rb.word(d["p"]),
                d["ideology"],
                d["interest"],
            )
        )
        if res.method == "mle":
            rows += rb.scale_rows_ml(a_res.actor, params, cov, sub, terms)
        else:
            rows += rb.scale_rows_draws(a_res.actor, a_res.draws, sub, terms)

    # Bayes at the default prior and refitted at other prior scales
    if full or main_bayes is not None:
        scales = rb.PRIOR_SCALES if full else ()
        runs = rb.bayes_runs(data, seed, steps, chains, scales, main_bayes, progress)
        for a, name in tested.items():
            rows += rb.bayes_rows(name, a, runs, subs[a], terms)
            if not full:
                rows += rb.not_run_rows(name)[1:]
    else:
        for name in tested.values():
            rows += rb.not_run_rows(name)

    # the assumption space
    if tested:
        rows += rb.assumption_rows(comp, res.model, assumptions, tested, actor_index, terms)

    # the scale-free tests
    ideo = choice_data(comp, "ideology", theta, actor=actor_index)
    inter = choice_data(comp, "interest", theta, actor=actor_index)
    names = {a: comp.actor_ids[a] for a in data.actors_present()}
    skip = {a for a in names if a not in tested}
    tests = nonnested_tests(ideo, inter, names, skip)
    rows += rb.nonnested_rows(tests)

    frame = pd.DataFrame(rows, columns=list(rb.row("", "", "", 0, "").keys()))
    family_order = {"estimator": 0, "scale": 1, "prior": 2, "assumptions": 3, "non-nested": 4}
    order = {n: i for i, n in enumerate(a.actor for a in res.actors)}
    frame = (
        frame.assign(_a=frame["actor"].map(order), _f=frame["family"].map(family_order))
        .sort_values(["_a", "_f"], kind="stable")
        .drop(columns=["_a", "_f"])
        .reset_index(drop=True)
    )
    res.checks = frame
    res.tests = tests
    res.family = {
        "actors_tested": len(tested),
        "adjustment": "holm",
        "test_level": 0.10,
        "expected_false_verdicts_under_tie": _expected_false(len(tested)),
    }


def _expected_false(n: int) -> float:
    """Under a true tie, each actor's probability rule alone gives a verdict either way with
    probability 2 (1 - VERDICT_LEVEL) when P is uniform: n actors give n times that."""
    return float(n * 2 * (1 - rb.VERDICT_LEVEL))
