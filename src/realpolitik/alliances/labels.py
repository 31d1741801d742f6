"""Variable labels of the alliance tables, for labelled exports (Stata `.dta`).

One label per column the panel verbs write (what it is, its source and its coding), value
labels for the 0/1 flags, and a data label naming the build. `realpolitik alliances build`
and `alliances fit --csv` pass them to `realpolitik.export.write_table`.
"""

from __future__ import annotations

import pandas as pd

YES_NO = {0: "no", 1: "yes"}

PANEL_LABELS: dict[str, str] = {
    "ccode1": "CoW state code, first state",
    "ccode2": "CoW state code, second state",
    "year": "Year",
    "atop_defense": "ATOP defence pledge in force (either direction)",
    "atop_offense": "ATOP offence pledge in force (either direction)",
    "atop_neutral": "ATOP neutrality pledge in force (either direction)",
    "atop_nonagg": "ATOP non-aggression pledge in force (either direction)",
    "atop_consul": "ATOP consultation pledge in force (either direction)",
    "atop_defense_lag": "ATOP defence pledge in force in t-1",
    "atop_offense_lag": "ATOP offence pledge in force in t-1",
    "atop_neutral_lag": "ATOP neutrality pledge in force in t-1",
    "atop_nonagg_lag": "ATOP non-aggression pledge in force in t-1",
    "atop_consul_lag": "ATOP consultation pledge in force in t-1",
    "atop_any": "Any ATOP alliance in force",
    "atop_any_lag": "Any ATOP alliance in force in t-1",
    "atop_onset": "First-alliance onset: allied in t, not in t-1",
    "atop_defense_onset": "Defence pledge in t, none in t-1",
    "atop_new_obligation": "New ATOP obligation: new pledge type or new alliance",
    "atop_peaceyears": "Years since the pair was last allied (ATOP)",
    "cinc1": "CINC share, first state (NMC 7.0)",
    "cinc2": "CINC share, second state (NMC 7.0)",
    "cap_ratio": "Capability ratio, stronger/weaker CINC",
    "cap_ratio_log": "Log capability ratio, stronger/weaker CINC",
    "joint_cinc": "Joint CINC share of the pair",
    "polity2_1": "Polity2, first state (Polity IV 2017)",
    "polity2_2": "Polity2, second state (Polity IV 2017)",
    "polyarchy1": "V-Dem polyarchy, first state (v10)",
    "polyarchy2": "V-Dem polyarchy, second state (v10)",
    "uds1": "Extended UDS, first state (QuickUDS)",
    "uds2": "Extended UDS, second state (QuickUDS)",
    "regime_distance": "|polity2_1 - polity2_2| (0-20)",
    "polyarchy_distance": "|polyarchy1 - polyarchy2|",
    "uds_distance": "|uds1 - uds2|",
    "regime_sim": "Regime similarity, Polity: 1 - |difference|/20",
    "joint_democracy": "Joint democracy, Polity: both polity2 >= 6",
    "joint_autocracy": "Joint autocracy, Polity: both polity2 <= -6",
    "regime_sim_vdem": "Regime similarity, V-Dem: 1 - |polyarchy difference|",
    "joint_democracy_vdem": "Joint democracy, V-Dem: both polyarchy >= 0.42",
    "joint_autocracy_vdem": "Joint autocracy, V-Dem: both polyarchy <= 0.18",
    "regime_sim_uds": "Regime similarity, UDS: 1 - |UDS difference|/5",
    "joint_democracy_uds": "Joint democracy, UDS: both UDS >= 0.73",
    "joint_autocracy_uds": "Joint autocracy, UDS: both UDS <= -0.20",
    "conttype": "CoW direct contiguity type (0 none, 1 land, 2-5 water)",
    "contiguous": "Directly contiguous (land or <= 400 miles of water)",
    "land_contiguous": "Contiguous by land",
    "major1": "First state a CoW major power",
    "major2": "Second state a CoW major power",
    "major_any": "At least one CoW major power in the pair",
    "major_both": "Both states CoW major powers",
    "rivals": "Strategic rivals of each other in t-1 (TSS 2021)",
    "n_shared_rivals": "Number of shared strategic rivals in t-1",
    "shared_rival": "A shared strategic rival in t-1",
    "n_shared_mid_opponents": "Shared MID opponents in t-5..t-1 (count)",
    "shared_mid_opponent": "A shared MID opponent in t-5..t-1",
    "mid_opponents": "Met each other in a MID in t-5..t-1",
    "common_threat": "Common threat: shared rival (t-1) or shared MID opponent",
    "dyadigos": "Shared IGO full memberships (CoW IGO 3.0)",
    "era": "Estimation era (missing in world-war years)",
}

FLAGS = {
    c
    for c in PANEL_LABELS
    if c.startswith(("atop_", "joint_", "major", "shared_", "land_", "mid_opp"))
    and c not in ("atop_peaceyears", "major1", "major2")
} | {"contiguous", "rivals", "common_threat", "major1", "major2"}

COEF_LABELS = {
    "era": "Era of the fit",
    "outcome": "Outcome modelled",
    "regime": "Regime measure",
    "se_type": "Standard errors (twoway, dyad, bootstrap)",
    "term": "Model term",
    "block": "Block: ideology, interest or control",
    "estimate": "Coefficient",
    "std_error": "Standard error (chosen type)",
    "std_error_dyad": "Standard error clustered by dyad only",
    "z": "z statistic",
    "p_value": "Two-sided p-value",
    "conf_low": "95% interval, lower",
    "conf_high": "95% interval, upper",
    "ame": "Average marginal effect (0->1 or +1 SD)",
    "ame_se": "AME standard error (delta method)",
    "ame_low": "AME 95% interval, lower",
    "ame_high": "AME 95% interval, upper",
    "ame_scale": "AME change: 0->1 or 1 SD",
    "n_obs": "Rows in the estimation sample",
}


def panel_labels(
    df: pd.DataFrame,
) -> tuple[dict[str, str], dict[str, dict[int, str]], str]:
    """(variable labels, value labels of the 0/1 flags, data label) for a built panel."""
    labels = {c: PANEL_LABELS[c] for c in df.columns if c in PANEL_LABELS}
    values = {c: dict(YES_NO) for c in df.columns if c in FLAGS}
    attrs = df.attrs
    kind = "directed" if attrs.get("directed") else "non-directed"
    data_label = (
        f"realpolitik CoW {kind} dyad-years {attrs.get('year_from', '')}-"
        f"{attrs.get('year_to', '')}: ATOP 5.1 + {', '.join(attrs.get('covariates', []))}"
    )
    return labels, values, data_label


def coefficient_labels(frame: pd.DataFrame) -> dict[str, str]:
    """Variable labels for `AllianceFit.to_frame()`."""
    return {c: COEF_LABELS[c] for c in frame.columns if c in COEF_LABELS}
