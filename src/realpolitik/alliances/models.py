"""Logit models of alliance onset / presence: ideology block vs interest block, by era.

Model (see docs/alliances.md for the full statement):

    Pr(y_dt = 1) = Λ(α + x_ideology·β_I + x_interest·β_N + controls·γ),  Λ(z) = 1 / (1 + e^-z)

* outcome `onset`: y = 1 when a dyad is allied in year t but was not in t-1; the risk set is
  the dyad-years not allied in t-1. Temporal dependence: a cubic polynomial in the years since
  the dyad was last allied (Carter and Signorino 2010), entered as py/10, (py/10)^2, (py/10)^3.
* outcome `presence`: y = 1 when a dyad is allied in year t, every dyad-year at risk; no
  peace-years terms (an ongoing state has no duration clock), dependence is left to the
  dyad-clustered standard errors.
* Standard errors: cluster-robust by dyad (statsmodels `cov_type="cluster"`).
* AME: average marginal effect on Pr(y = 1); binary terms 0 -> 1, continuous terms one
  standard deviation (of the estimation sample). Block AME = sum of its terms' AMEs.
  Delta-method standard errors from the clustered covariance.
* Verdict: D = AME(interest block) - AME(ideology block), 95% interval D ± 1.96·se(D).
  Interval above 0: "interest outweighs ideology"; below 0: "ideology outweighs interest";
  containing 0: "no clear difference".
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.alliances.eras import ERAS, POOLED
from realpolitik.errors import InputError, Problem

IDEOLOGY = "ideology"
INTEREST = "interest"
CONTROL = "control"

VERDICT_INTEREST = "interest outweighs ideology"
VERDICT_IDEOLOGY = "ideology outweighs interest"
VERDICT_NONE = "no clear difference"
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Term:
    name: str
    block: str
    kind: str  # "binary" or "continuous"
    label: str


TERMS: tuple[Term, ...] = (
    Term("regime_sim", IDEOLOGY, "continuous", "regime similarity (1 - |Δpolity2|/20)"),
    Term("joint_democracy", IDEOLOGY, "binary", "joint democracy (both polity2 >= 6)"),
    Term("joint_autocracy", IDEOLOGY, "binary", "joint autocracy (both polity2 <= -6)"),
    Term("common_threat", INTEREST, "binary", "common threat (shared rival or MID opponent)"),
    Term("cap_ratio_log", INTEREST, "continuous", "capability ratio (log stronger/weaker CINC)"),
    Term("contiguous", INTEREST, "binary", "direct contiguity (land or <= 400 miles water)"),
    Term("major_any", INTEREST, "binary", "a major power in the dyad"),
)
PEACE_TERMS = ("py", "py2", "py3")
OUTCOMES = {"onset": "atop_onset", "presence": "atop_any"}


# --------------------------------------------------------------------------- design


def design(panel: pd.DataFrame, outcome: str, era: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Estimation sample for one era: (X with a `const` column, y). Drops rows with NaNs."""
    if outcome not in OUTCOMES:
        raise InputError(
            Problem(
                "--outcome", "outcome", f"unknown outcome {outcome!r}; expected onset or presence"
            )
        )
    needed = [t.name for t in TERMS] + [
        "atop_onset",
        "atop_any",
        "atop_any_lag",
        "atop_peaceyears",
        "era",
        "ccode1",
        "ccode2",
        "year",
    ]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise InputError(
            Problem(
                "panel",
                ",".join(missing),
                "column missing; build the panel with build_panel() (every verb) before fitting",
            )
        )
    era_col = panel["era"]
    if era == POOLED:
        mask = np.array(era_col.notna().to_numpy(), dtype=bool)
    else:
        mask = np.array((era_col == era).fillna(False).to_numpy(dtype=bool), dtype=bool)
    if outcome == "onset":
        mask &= panel["atop_any_lag"].to_numpy() == 0
    sub = panel.loc[mask]
    cols: dict[str, np.ndarray] = {"const": np.ones(len(sub))}
    for t in TERMS:
        cols[t.name] = sub[t.name].to_numpy(dtype=float)
    if outcome == "onset":
        py = sub["atop_peaceyears"].to_numpy(dtype=float) / 10.0
        cols["py"], cols["py2"], cols["py3"] = py, py**2, py**3
    if era == POOLED:
        eras = sub["era"].to_numpy(dtype=object)
        for e in ERAS[1:]:
            cols[f"era_{e.label}"] = (eras == e.label).astype(float)
    X = pd.DataFrame(cols, index=sub.index)
    ok = ~X.isna().any(axis=1).to_numpy()
    X = X.loc[ok]
    y = sub[OUTCOMES[outcome]].to_numpy(dtype=float)[ok]
    return X, y


def _block(name: str) -> str:
    for t in TERMS:
        if t.name == name:
            return t.block
    return CONTROL


# --------------------------------------------------------------------------- fitting


def _logit(y: np.ndarray, X: pd.DataFrame, groups: np.ndarray | None) -> Any:
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.Logit(y, X)
        kwargs: dict[str, Any] = {"method": "newton", "maxiter": 100, "disp": 0}
        if groups is not None:
            kwargs.update(cov_type="cluster", cov_kwds={"groups": groups})
        return model.fit(**kwargs)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _ames(
    params: pd.Series, X: pd.DataFrame, sds: dict[str, float]
) -> dict[str, tuple[float, np.ndarray]]:
    """AME and its gradient (w.r.t. params) for every substantive term."""
    b = params.to_numpy()
    Xv = X.to_numpy()
    xb = Xv @ b
    p = _sigmoid(xb)
    dens = p * (1.0 - p)
    n = len(p)
    out: dict[str, tuple[float, np.ndarray]] = {}
    cols = list(X.columns)
    for t in TERMS:
        if t.name not in cols:
            continue
        k = cols.index(t.name)
        if t.kind == "continuous":
            sd = sds[t.name]
            m = dens.mean()
            ame = sd * b[k] * m
            grad = sd * b[k] * ((dens * (1.0 - 2.0 * p)) @ Xv) / n
            grad[k] += sd * m
        else:
            xk = Xv[:, k]
            z1 = xb + b[k] * (1.0 - xk)
            z0 = xb - b[k] * xk
            p1, p0 = _sigmoid(z1), _sigmoid(z0)
            l1, l0 = p1 * (1 - p1), p0 * (1 - p0)
            ame = float((p1 - p0).mean())
            grad = ((l1 - l0) @ Xv) / n
            grad[k] = l1.mean()
        out[t.name] = (float(ame), grad)
    return out


@dataclass
class EraResult:
    """One fitted era: coefficients, clustered covariance, AMEs, block comparison, verdict."""

    era: str
    outcome: str
    n_obs: int
    n_events: int
    n_dyads: int
    year_min: int
    year_max: int
    params: pd.Series
    cov: pd.DataFrame
    llf: float
    llnull: float
    ll_without: dict[str, float]
    ame: pd.DataFrame
    blocks: dict[str, float]
    converged: bool
    dropped: list[str] = field(default_factory=list)

    @property
    def pseudo_r2(self) -> float:
        return 1.0 - self.llf / self.llnull

    def r2_drop(self, block: str) -> float:
        """Fall in McFadden's pseudo-R2 when `block`'s terms are removed and the model refit."""
        return (self.llf - self.ll_without[block]) / -self.llnull

    @property
    def verdict(self) -> str:
        return verdict_from_interval(self.blocks["diff_low"], self.blocks["diff_high"])


def verdict_from_interval(low: float, high: float) -> str:
    """The verdict rule: the 95% interval of D = interest AME - ideology AME."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return VERDICT_NONE
    if low > 0:
        return VERDICT_INTEREST
    if high < 0:
        return VERDICT_IDEOLOGY
    return VERDICT_NONE


def fit_era(panel: pd.DataFrame, era: str, outcome: str = "onset") -> EraResult:
    """Fit the full model and the two block-deleted models for one era (or `pooled`)."""
    X, y = design(panel, outcome, era)
    if len(y) == 0 or y.sum() == 0 or y.sum() == len(y):
        raise InputError(
            Problem(
                "panel",
                OUTCOMES.get(outcome, outcome),
                f"era {era}: {len(y)} usable rows with {int(y.sum())} events; expected both "
                "outcomes to occur (is the era inside the panel's years?)",
            )
        )
    dropped = [c for c in X.columns if c != "const" and np.ptp(X[c].to_numpy()) == 0]
    X = X.drop(columns=dropped)
    idx = X.index
    dyad = panel.loc[idx, "ccode1"].to_numpy(dtype=np.int64) * 1000 + panel.loc[
        idx, "ccode2"
    ].to_numpy(dtype=np.int64)
    dyad = np.minimum(dyad, (dyad % 1000) * 1000 + dyad // 1000)  # same id for (a,b), (b,a)
    _, groups = np.unique(dyad, return_inverse=True)
    res = _logit(y, X, groups)
    params = pd.Series(np.asarray(res.params), index=X.columns)
    cov = pd.DataFrame(np.asarray(res.cov_params()), index=X.columns, columns=X.columns)
    ll_without: dict[str, float] = {}
    for block in (IDEOLOGY, INTEREST):
        keep = [c for c in X.columns if _block(c) != block]
        ll_without[block] = float(_logit(y, X[keep], None).llf)
    sds = {t.name: float(X[t.name].std()) for t in TERMS if t.name in X.columns}
    ames = _ames(params, X, sds)
    V = cov.to_numpy()
    rows = []
    block_grad = {IDEOLOGY: np.zeros(len(params)), INTEREST: np.zeros(len(params))}
    block_ame = {IDEOLOGY: 0.0, INTEREST: 0.0}
    for t in TERMS:
        if t.name not in ames:
            continue
        a, g = ames[t.name]
        se = float(math.sqrt(max(g @ V @ g, 0.0)))
        rows.append(
            {
                "term": t.name,
                "ame": a,
                "ame_se": se,
                "ame_low": a - Z95 * se,
                "ame_high": a + Z95 * se,
                "scale": "1 SD" if t.kind == "continuous" else "0->1",
                "sd": sds[t.name] if t.kind == "continuous" else np.nan,
            }
        )
        block_ame[t.block] += a
        block_grad[t.block] = block_grad[t.block] + g
    blocks: dict[str, float] = {}
    for b in (IDEOLOGY, INTEREST):
        g = block_grad[b]
        se = float(math.sqrt(max(g @ V @ g, 0.0)))
        blocks[f"{b}_ame"] = block_ame[b]
        blocks[f"{b}_se"] = se
        blocks[f"{b}_low"] = block_ame[b] - Z95 * se
        blocks[f"{b}_high"] = block_ame[b] + Z95 * se
    gd = block_grad[INTEREST] - block_grad[IDEOLOGY]
    d = block_ame[INTEREST] - block_ame[IDEOLOGY]
    dse = float(math.sqrt(max(gd @ V @ gd, 0.0)))
    blocks.update(diff=d, diff_se=dse, diff_low=d - Z95 * dse, diff_high=d + Z95 * dse)
    years = panel.loc[idx, "year"].to_numpy()
    return EraResult(
        era=era,
        outcome=outcome,
        n_obs=int(len(y)),
        n_events=int(y.sum()),
        n_dyads=int(groups.max() + 1),
        year_min=int(years.min()),
        year_max=int(years.max()),
        params=params,
        cov=cov,
        llf=float(res.llf),
        llnull=float(res.llnull),
        ll_without=ll_without,
        ame=pd.DataFrame(rows).set_index("term"),
        blocks=blocks,
        converged=bool(res.mle_retvals.get("converged", True)),
        dropped=dropped,
    )


# --------------------------------------------------------------------------- results


@dataclass
class AllianceFit:
    """Fitted alliance models by era; tidy frames for notebooks, dicts for JSON."""

    outcome: str
    results: dict[str, EraResult]

    @property
    def eras(self) -> list[str]:
        return list(self.results)

    @property
    def params(self) -> pd.DataFrame:
        """Coefficients: one row per term, one column per era."""
        return pd.DataFrame({e: r.params for e, r in self.results.items()})

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Normal-approximation intervals of the coefficients (dyad-clustered SEs), tidy."""
        from scipy.stats import norm

        z = float(norm.ppf(1 - alpha / 2))
        rows = []
        for e, r in self.results.items():
            se = np.sqrt(np.diag(r.cov.to_numpy()))
            for term, b, s in zip(r.params.index, r.params.to_numpy(), se, strict=True):
                rows.append({"era": e, "term": term, "conf_low": b - z * s, "conf_high": b + z * s})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Tidy coefficient/AME table: one row per era and term."""
        rows = []
        for e, r in self.results.items():
            se = pd.Series(np.sqrt(np.diag(r.cov.to_numpy())), index=r.params.index)
            for term, b in r.params.items():
                s = float(se[term])
                z = b / s if s > 0 else np.nan
                a = r.ame.loc[term] if term in r.ame.index else None
                rows.append(
                    {
                        "era": e,
                        "outcome": r.outcome,
                        "term": term,
                        "block": _block(term),
                        "estimate": float(b),
                        "std_error": s,
                        "z": z,
                        "p_value": float(2 * _norm_sf(abs(z))) if np.isfinite(z) else np.nan,
                        "conf_low": float(b - Z95 * s),
                        "conf_high": float(b + Z95 * s),
                        "ame": float(a["ame"]) if a is not None else np.nan,
                        "ame_se": float(a["ame_se"]) if a is not None else np.nan,
                        "ame_low": float(a["ame_low"]) if a is not None else np.nan,
                        "ame_high": float(a["ame_high"]) if a is not None else np.nan,
                        "ame_scale": a["scale"] if a is not None else "",
                        "n_obs": r.n_obs,
                    }
                )
        return pd.DataFrame(rows)

    def verdict_frame(self) -> pd.DataFrame:
        """One row per era: block AMEs side by side, explained variation, verdict."""
        rows = []
        for e, r in self.results.items():
            b = r.blocks
            rows.append(
                {
                    "era": e,
                    "outcome": r.outcome,
                    "years": f"{r.year_min}-{r.year_max}",
                    "n_obs": r.n_obs,
                    "n_events": r.n_events,
                    "n_dyads": r.n_dyads,
                    "ideology_ame": b["ideology_ame"],
                    "ideology_low": b["ideology_low"],
                    "ideology_high": b["ideology_high"],
                    "interest_ame": b["interest_ame"],
                    "interest_low": b["interest_low"],
                    "interest_high": b["interest_high"],
                    "diff": b["diff"],
                    "diff_low": b["diff_low"],
                    "diff_high": b["diff_high"],
                    "pseudo_r2": r.pseudo_r2,
                    "ideology_r2_drop": r.r2_drop(IDEOLOGY),
                    "interest_r2_drop": r.r2_drop(INTEREST),
                    "ideology_lr": 2 * (r.llf - r.ll_without[IDEOLOGY]),
                    "interest_lr": 2 * (r.llf - r.ll_without[INTEREST]),
                    "verdict": r.verdict,
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Plain-text summary: AMEs by era and the verdict lines."""
        lines = [f"Alliance {self.outcome} logit, dyad-clustered SEs; AMEs on Pr({self.outcome})"]
        tf = self.to_frame()
        for e, r in self.results.items():
            lines.append(
                f"\n[{e}] years {r.year_min}-{r.year_max}, n={r.n_obs:,}, events={r.n_events:,}, "
                f"dyads={r.n_dyads:,}, pseudo-R2={r.pseudo_r2:.3f}"
            )
            for _, row in tf[(tf["era"] == e) & (tf["block"] != CONTROL)].iterrows():
                lines.append(
                    f"  {row['block']:<8} {row['term']:<16} b={row['estimate']:+.3f} "
                    f"(se {row['std_error']:.3f})  AME={row['ame']:+.5f} "
                    f"[{row['ame_low']:+.5f}, {row['ame_high']:+.5f}]"
                )
            lines.append("  " + verdict_line(r))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return float(v) if np.isfinite(v) else None
            if isinstance(v, np.integer):
                return int(v)
            return v

        return {
            "outcome": self.outcome,
            "coefficients": [
                {k: clean(v) for k, v in row.items()} for row in self.to_frame().to_dict("records")
            ],
            "verdicts": [
                {k: clean(v) for k, v in row.items()}
                for row in self.verdict_frame().to_dict("records")
            ],
        }


def verdict_line(r: EraResult) -> str:
    b = r.blocks
    return (
        f"{r.era}: {r.verdict} (interest AME {b['interest_ame']:+.4f} vs ideology AME "
        f"{b['ideology_ame']:+.4f}; difference {b['diff']:+.4f}, 95% CI "
        f"[{b['diff_low']:+.4f}, {b['diff_high']:+.4f}])"
    )


def _norm_sf(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def fit_models(
    panel: pd.DataFrame, eras: list[str], outcome: str = "onset", progress: Any = None
) -> AllianceFit:
    """Fit every requested era on a built panel."""
    results: dict[str, EraResult] = {}
    for era in eras:
        results[era] = fit_era(panel, era, outcome)
        if progress is not None:
            progress(era)
    return AllianceFit(outcome=outcome, results=results)
