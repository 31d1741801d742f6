"""`realpolitik fit CASE CASE... --same A=B`: one actor across cases (the pooled model of
`realpolitik.estimation.pooled`), printed and exported like the single-case verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd

from realpolitik.commands.common import console, dump_json, rich_table, write_option_table
from realpolitik.errors import InputError


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
        rows.append(row)
    return pd.DataFrame(rows)


def run_pooled(
    case_refs: tuple[str, ...],
    same: tuple[str, ...],
    *,
    model: str,
    seed: int,
    steps: int,
    actor: str | None,
    assume: tuple[str, ...],
    as_json: bool,
    csv: str | None,
) -> None:
    from realpolitik.estimation.api import as_compiled
    from realpolitik.estimation.pooled import fit_pooled, parse_same

    if assume:
        raise InputError("--assume: not available when pooling several cases")
    comps = [as_compiled(ref) for ref in case_refs]
    groups = parse_same(same)
    with console.status(f"sampling the pooled model over {len(comps)} cases ..."):
        res = fit_pooled(comps, groups, model=model, seed=seed, steps=steps)
    verdicts = res.verdicts()
    if actor is not None:
        keep = verdicts["actor"].eq(actor) | verdicts["actor_ids"].str.split(",").map(
            lambda ids: actor in ids
        )
        if not keep.any():
            raise InputError(
                f"--actor: '{actor}' is not pooled across these cases "
                f"(pooled: {', '.join(res.data.pooled)})"
            )
        verdicts = verdicts[keep].reset_index(drop=True)
    write_option_table(verdicts, csv)
    if as_json:
        dump_json(
            {
                "cases": [c.case.id for c in comps],
                "model": model,
                "method": "bayes (pooled across cases)",
                "seed": seed,
                "pooled": res.data.pooled,
                "verdict": verdicts.to_dict("records"),
                "case_deviation_scale": res.deviations().to_dict("records"),
                "max_rhat": res.rhat_max,
                "min_ess": res.ess_min,
            }
        )
        return
    console.print(
        rich_table(
            pooled_table(verdicts, res.data.terms, res.alpha),
            title=(
                f"one actor across cases: {', '.join(c.case.id for c in comps)} "
                f"({model} model, hierarchical Bayes with case-level deviations; "
                "weights on each case's standardised terms)"
            ),
        )
    )
    console.print(rich_table(res.deviations(), title="case-level deviation scale (sigma)"))
    console.print(
        f"checks: max R-hat {res.rhat_max:.3f}, min effective sample size {res.ess_min:.0f}; "
        f"actors fitted in one case only: {', '.join(res.data.singles) or 'none'}"
    )
