"""Agreement between two codings of the same decisions (docs/evaluation.md, "Agreement").

The units are the options, matched by decision id and option id. For each, each coding gives
its labels (favours, opposes, rival: nominal; gains and gives: nominal, as the set of stakes;
risk and security: ordinal, ordered by the level's default price) and the five features the
model computes from them at the decision's date before the record's own effects (stakes
already held and hostility come from what was chosen earlier, which a blind coder does not
code): interval. Krippendorff's alpha (the `krippendorff` package) per label and feature:
1 is perfect agreement, 0 is agreement at chance level. Every disagreement is listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from realpolitik.errors import InputError
from realpolitik.model.compiled import FEATURES, compile_case
from realpolitik.model.features import option_features
from realpolitik.model.state import State
from realpolitik.scenario.schema import Case

NOMINAL = ("favours", "opposes", "rival", "gains", "gives")
ORDINAL = ("risk", "security")
TOLERANCE = 1e-9


@dataclass
class Agreement:
    alpha: pd.DataFrame  # one row per label or feature
    disagreements: pd.DataFrame  # one row per (decision, option, field) that differs

    def to_dict(self) -> dict:
        return {
            "alpha": self.alpha.to_dict("records"),
            "disagreements": self.disagreements.to_dict("records"),
        }


def _level_price(case: Case, scale: str, word: str) -> float:
    if word == "none":
        return 0.0
    ref = getattr(case.scales, scale).get(word)
    amap = case.assumption_map()
    return float(amap[ref].value) if ref in amap else np.nan


def _units(case: Case) -> dict[tuple[str, str], dict]:
    """Labels and static features of every option, keyed by (decision, option)."""
    comp = compile_case(case)
    theta = comp.theta()
    state = State.initial(comp, 1)
    out: dict[tuple[str, str], dict] = {}
    for d, cd in zip(case.decisions, comp.decisions, strict=True):
        X = option_features(comp, cd, theta, state, record=True)[0]
        for j, o in enumerate(d.options):
            row: dict = {
                "favours": o.favours or "-",
                "opposes": o.opposes or "-",
                "rival": o.rival or "-",
                "gains": ",".join(sorted(o.gains)) or "-",
                "gives": ",".join(sorted(o.gives)) or "-",
                "risk": o.risk,
                "security": o.security,
                "risk_price": _level_price(case, "risk", o.risk),
                "security_price": _level_price(case, "security", o.security),
            }
            row.update({f: float(X[j, i]) for i, f in enumerate(FEATURES)})
            out[(d.id, o.id)] = row
    return out


def _alpha(a: list, b: list, level: str) -> float:
    import krippendorff

    if level == "nominal":
        codes = {v: i for i, v in enumerate(sorted(set(a) | set(b)))}
        data = np.array([[codes[v] for v in a], [codes[v] for v in b]], dtype=float)
    else:
        data = np.array([a, b], dtype=float)
    if len(np.unique(data[~np.isnan(data)])) < 2:
        return np.nan  # no variation: alpha is undefined
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def _shown(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def agreement(a: Case, b: Case) -> Agreement:
    ua, ub = _units(a), _units(b)
    shared = [k for k in ua if k in ub]
    if not shared:
        raise InputError("case agreement: the two files share no (decision, option) ids")
    rows, diffs = [], []
    fields = [(f, "nominal") for f in NOMINAL] + [(f, "ordinal") for f in ORDINAL]
    fields += [(f, "interval") for f in FEATURES]
    for name, level in fields:
        key = f"{name}_price" if level == "ordinal" else name
        va = [ua[k][key] for k in shared]
        vb = [ub[k][key] for k in shared]
        if level == "interval":
            same = [abs(x - y) <= TOLERANCE for x, y in zip(va, vb, strict=True)]
        else:
            same = [ua[k][name] == ub[k][name] for k in shared]
        rows.append(
            {
                "field": name,
                "kind": "feature" if level == "interval" else "label",
                "level": level,
                "options": len(shared),
                "agree": int(sum(same)),
                "alpha": _alpha(va, vb, level),
            }
        )
        for k, ok in zip(shared, same, strict=True):
            if not ok:
                diffs.append(
                    {
                        "decision": k[0],
                        "option": k[1],
                        "field": name,
                        "a": _shown(ua[k][name]),
                        "b": _shown(ub[k][name]),
                    }
                )
    only = sorted(set(ua) ^ set(ub))
    for d, o in only:
        diffs.append(
            {
                "decision": d,
                "option": o,
                "field": "(option)",
                "a": "present" if (d, o) in ua else "missing",
                "b": "present" if (d, o) in ub else "missing",
            }
        )
    return Agreement(
        pd.DataFrame(rows), pd.DataFrame(diffs, columns=["decision", "option", "field", "a", "b"])
    )
