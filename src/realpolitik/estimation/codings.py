"""The verdict under each coding of a case, side by side (`fit --coding`)."""

from __future__ import annotations

import pandas as pd

from realpolitik.scenario.schema import Case


def verdicts_by_coding(codings: list[tuple[str, Case]], **fit_kwargs) -> pd.DataFrame:
    """One row per actor; for each coding its verdict and P(interest > ideology)."""
    from realpolitik.estimation.api import fit

    frame: pd.DataFrame | None = None
    for label, case in codings:
        vf = fit(case, **fit_kwargs).verdict_frame()
        part = pd.DataFrame(
            {
                "actor": vf["actor"],
                f"{label}: P(interest > ideology)": vf["p_interest_outweighs"],
                f"{label}: verdict": vf["verdict"],
            }
        )
        frame = part if frame is None else frame.merge(part, on="actor", how="outer")
    return frame if frame is not None else pd.DataFrame()
