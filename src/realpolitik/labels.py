"""Human labels of the columns of every table realpolitik writes (Stata variable labels, the
report's headers), and the value labels of its yes/no flags.

`column_labels(frame)` gives every column a label: the one below, a pattern (`w_TERM_low`),
or the name itself with underscores as spaces. Stata allows 80 characters; labels are cut
there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

STATA_LABEL_MAX = 80

LABELS: dict[str, str] = {
    # fits
    "case_id": "Case identifier",
    "model": "Choice model",
    "method": "Estimation method",
    "actor": "Actor",
    "term": "Term of the utility",
    "estimate": "Estimated weight",
    "std_error": "Standard error",
    "conf_low": "Lower bound of the interval",
    "conf_high": "Upper bound of the interval",
    "level": "Interval level (share)",
    "status": "Identification status",
    "rhat": "R-hat (between ensembles)",
    "ess": "Effective sample size",
    "n_decisions": "Recorded decisions of the actor",
    "ideology_strength": "Ideology strength (signed standardised SD of utility)",
    "interest_strength": "Interest strength (signed standardised SD of utility)",
    "p_interest_outweighs": "P(interest strength > ideology strength)",
    "predicted": "Recorded choices predicted",
    "verdict": "Verdict: ideology or interest",
    "failed_checks": "Robustness checks that disagree",
    "note": "Note",
    "decision": "Decision identifier",
    "date": "Date of the decision",
    "chosen": "Option chosen in the record",
    "p_chosen": "Model probability of the recorded choice",
    "correct": "Model's top option is the recorded one",
    "best_rejected": "Best rejected option",
    "gap": "Utility gap: chosen minus best rejected",
    "ideology_part": "Part of the gap due to ideology",
    "interest_part": "Part of the gap due to interest",
    "ideology_share": "Share of the gap due to ideology",
    "interest_share": "Share of the gap due to interest",
    "motive": "Motive that explains the choice",
    # model comparison
    "loglik": "Log-likelihood",
    "n_params": "Number of weights",
    "aic": "Akaike information criterion",
    "bic": "Bayesian information criterion",
    "loo_log_score": "Leave-one-out log score",
    "loo_accuracy": "Leave-one-out accuracy",
    "decisions": "Recorded decisions",
    "loo_weight": "Leave-one-out stacking weight",
    "bayes_factor_full_vs": "Bayes factor, full model against this one",
    # simulation
    "outcome": "Outcome identifier",
    "label": "Outcome",
    "observed": "Observed in history",
    "frequency": "Share of simulated paths",
    "mc_se": "Monte Carlo standard error",
    "n": "Simulated paths",
    "option": "Option identifier",
    "recorded": "Option chosen in the record",
    "recorded_option": "Option chosen in the record",
    "match_rate": "Share of paths matching the record",
    "baseline": "Probability in the baseline world",
    "counterfactual": "Probability in the changed world",
    "difference": "Counterfactual minus baseline",
    "beyond_mc_error": "Difference beyond 99% Monte Carlo error",
    "agent": "Agent",
    "record_logp": "Log-probability of the recorded path",
    "mean_p_recorded": "Mean probability of the recorded choices",
    "mean_match_rate": "Mean share of paths matching the record",
    # sensitivity
    "output": "Output of the model",
    "assumption": "Assumption",
    "S1": "First-order Sobol index",
    "S1_conf": "First-order index, 95% half-width",
    "ST": "Total-order Sobol index",
    "ST_conf": "Total-order index, 95% half-width",
    "max_ST": "Largest total-order index",
    "outputs": "Outputs it matters for",
    "share_interest": "Share of settings where interest outweighs",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^w_(\w+)_low$"), "Weight on {0}: lower bound"),
    (re.compile(r"^w_(\w+)_high$"), "Weight on {0}: upper bound"),
    (re.compile(r"^w_(\w+)$"), "Weight on {0}"),
    (re.compile(r"^p_(\w+)$"), "P(outcome {0} as recorded)"),
]


def column_label(name: str) -> str:
    if name in LABELS:
        text = LABELS[name]
    else:
        for pattern, template in _PATTERNS:
            m = pattern.match(name)
            if m:
                text = template.format(*(g.replace("_", " ") for g in m.groups()))
                break
        else:
            text = name.replace("_", " ")
    return text[:STATA_LABEL_MAX]


def column_labels(frame: pd.DataFrame, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A label for every column of `frame` (`extra` first)."""
    extra = extra or {}
    return {str(c): (extra.get(str(c)) or column_label(str(c)))[:STATA_LABEL_MAX] for c in frame}


def flag_value_labels(frame: pd.DataFrame) -> dict[str, dict[int, str]]:
    """Value labels (0 no, 1 yes) for every yes/no column."""
    return {
        str(c): {0: "no", 1: "yes"} for c in frame if pd.api.types.is_bool_dtype(frame[c].dtype)
    }
