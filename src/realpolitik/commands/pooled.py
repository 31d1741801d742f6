"""`realpolitik fit CASE CASE... --same A=B`: one actor across cases (the pooled model of
`realpolitik.estimation.pooled`, with its robustness checks), printed in every `--format` and
exported with `--out` like the single-case verdict. The fit with all its checks is kept in the
run store, where the report finds it (`realpolitik.estimation.crosscase`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from realpolitik.commands.common import console
from realpolitik.commands.output import Output
from realpolitik.errors import InputError

CHECKS = {"all": "all", "fast": "prior", "none": "none"}  # fit --checks -> pooled checks


def pooled_table(verdicts: pd.DataFrame, terms: tuple[str, ...], alpha: float) -> pd.DataFrame:
    rows = []
    for _, r in verdicts.iterrows():
        row = {"actor": r["actor"], "scope": r["scope"], "decisions": int(r["decisions"])}
        for t in terms:
            row[f"w {t} (std) [{100 * (1 - alpha):.0f}%]"] = (
                f"{r[f'w_{t}_std']:+.2f} [{r[f'w_{t}_std_low']:+.2f}, {r[f'w_{t}_std_high']:+.2f}]"
            )
        p = r["p_interest_outweighs"]
        row["P(interest > ideology)"] = "n/a" if not np.isfinite(p) else f"{p:.2f}"
        row["verdict"] = r["verdict"]
        row["checks that disagree"] = r.get("failed_checks", "") or ""
        rows.append(row)
    return pd.DataFrame(rows)


def checks_table(checks: pd.DataFrame) -> pd.DataFrame:
    """The check table wide: one row per check, one column per actor and scope."""
    cells = checks.assign(
        who=checks["actor"] + ", " + checks["scope"],
        cell=[
            v if not np.isfinite(x) else f"{v} ({x:.2f})"
            for x, v in zip(checks["value"], checks["verdict"], strict=True)
        ],
    )
    wide = cells.pivot(index=["family", "check"], columns="who", values="cell")
    order = list(dict.fromkeys(zip(cells["family"], cells["check"], strict=True)))
    return wide.reindex(order)[list(dict.fromkeys(cells["who"]))].reset_index().fillna("")


def run_pooled(
    case_refs: tuple[str, ...],
    same: tuple[str, ...],
    *,
    model: str,
    seed: int,
    steps: int,
    actor: str | None,
    assume: tuple[str, ...],
    fmt: str,
    as_json: bool,
    out: str | None,
    checks: str = "all",
    store: str | bool | None = True,
) -> None:
    from realpolitik.commands.common import write_option_table
    from realpolitik.estimation.crosscase import (
        pooled_spec,
        pooled_summary,
        save_pooled,
    )
    from realpolitik.estimation.pooled import parse_same

    if assume:
        raise InputError("--assume: not available when pooling several cases")
    from realpolitik.estimation.api import as_compiled

    o = Output(fmt, as_json)
    comps = [as_compiled(ref) for ref in case_refs]
    groups = parse_same(same)
    level = CHECKS[checks]
    from realpolitik.cache import lookup

    spec = pooled_spec(comps, groups, seed, steps, level, model)
    found, res = lookup(store, "pooled-fit", spec)
    if not found:
        what = {"all": " and its checks", "prior": " and its prior refits", "none": ""}[level]
        with console.status(
            f"sampling the pooled model over {len(comps)} cases{what} (minutes) ..."
        ):
            res = pooled_summary(comps, groups, seed=seed, steps=steps, checks=level, model=model)
        if model == "full":
            save_pooled(store, comps, res, groups, steps)
    verdicts = res.verdicts
    if actor is not None:
        keep = verdicts["actor"].eq(actor) | verdicts["actor_ids"].str.split(",").map(
            lambda ids: actor in ids
        )
        if not keep.any():
            pooled = sorted(set(verdicts["actor"]))
            raise InputError(
                f"--actor: '{actor}' is not pooled across these cases (pooled: {', '.join(pooled)})"
            )
        verdicts = verdicts[keep].reset_index(drop=True)
    write_option_table(
        verdicts, out, data_label=f"realpolitik fit (pooled): {', '.join(res.cases)}"
    )
    checks_frame = res.checks
    if checks_frame is not None and actor is not None:
        checks_frame = checks_frame[checks_frame["actor"].isin(set(verdicts["actor"]))]
    if o.is_json:
        o.json(
            {
                "cases": res.cases,
                "model": model,
                "method": "bayes (pooled across cases)",
                "seed": seed,
                "same": res.same,
                "pooled": sorted(set(res.verdicts["actor"])),
                "verdict": verdicts.to_dict("records"),
                "robustness": None if checks_frame is None else checks_frame.to_dict("records"),
                "case_deviation_scale": res.deviations.to_dict("records"),
                "max_rhat": res.rhat_max,
                "min_ess": res.ess_min,
                "steps": res.steps,
            }
        )
        return
    terms = tuple(res.deviations["term"])
    o.table(
        pooled_table(verdicts, terms, 0.1),
        title=(
            f"one actor across cases: {', '.join(res.cases)} "
            f"({model} model, hierarchical Bayes with case-level deviations; "
            "weights on each case's standardised terms)"
        ),
        primary=True,
    )
    if checks_frame is not None and not checks_frame.empty:
        o.table(
            checks_table(checks_frame),
            title="checks behind each pooled verdict (verdict, with P(interest > ideology))",
        )
    o.table(res.deviations, title="case-level deviation scale (sigma)")
    o.note(
        f"checks: max R-hat {res.rhat_max:.3f}, min effective sample size {res.ess_min:.0f} "
        f"after {res.steps} steps per ensemble" + ("; reused from the run store" if found else "")
    )
    if level != "all":
        o.note(
            "the pooled verdicts rest on "
            + ("the prior refits only" if level == "prior" else "the probability rule only")
            + " (--checks all adds the leave-one-case-out refits)"
        )
