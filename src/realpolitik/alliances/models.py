"""Logit models of alliance formation and presence: ideology block vs interest block, by era.

Model (the full statement, with every formula, is in docs/alliances.md):

    Pr(y_dt = 1) = Λ(α + x_ideology·β_I + x_interest·β_N + controls·γ),  Λ(z) = 1 / (1 + e^-z)

* Outcome (`Spec.outcome`): `any-onset` (default; the dyad takes on an ATOP obligation it did
  not hold the year before: a new pledge type or a new alliance), `first-onset` (the first
  alliance after a spell without one), `<pledge>-onset` and `<pledge>-presence` for pledge in
  any, defense, offense, neutrality, nonaggression, consultation. Onset models keep the
  dyad-years at risk and add a cubic in the years since the last event (Carter and
  Signorino 2010); formation models of a pledge also control for being allied the year before.
* Regime measure (`Spec.regime`): polity, vdem or uds (cut points in `panel.REGIME_MEASURES`).
* Standard errors (`Spec.se`): `twoway` (dyad and year, default), `dyad`, or `bootstrap`
  (whole years resampled: a treaty's dyad-onsets stay together).
* Estimator (`Spec.estimator`): `logit`, `firth` or `rare-events` (King and Zeng 2001);
  `Spec.fe` = year, dyad or dyad+year fits the linear probability model with those fixed
  effects (linearmodels' PanelOLS), two-way clustered.
* Verdict: the case verdict's quantity and rule. A block's strength is the SD of its
  contribution to the linear predictor over the estimation sample, signed by whether it rises
  with the block's reference measure (regime similarity; common threat). P = Pr(interest
  strength > ideology strength) over 4000 draws from N(β̂, V̂): ≥ 0.9 "interest outweighs
  ideology", ≤ 0.1 "ideology outweighs interest", otherwise "undecided". Contiguity and major
  power are controls unless `Spec.controls_as_interest`. The verdict stands only when the
  robustness checks (other regime measures, the other onset definition, the rare-events
  correction) give the same one; otherwise it reads "undecided" and names the failed checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.alliances import inference as inf
from realpolitik.alliances.eras import ERAS, POOLED, span_of
from realpolitik.alliances.panel import years_since
from realpolitik.errors import InputError, Problem

IDEOLOGY = "ideology"
INTEREST = "interest"
CONTROL = "control"

VERDICT_INTEREST = "interest outweighs ideology"
VERDICT_IDEOLOGY = "ideology outweighs interest"
VERDICT_NONE = "undecided"
VERDICT_LEVEL = 0.9
"""The case verdict's rule (estimation/results.py): P >= 0.9 or P <= 0.1 decides."""
Z95 = 1.959963984540054
N_DRAWS = 4000


@dataclass(frozen=True)
class Term:
    name: str
    block: str
    kind: str  # "binary" or "continuous"
    label: str


TERMS: tuple[Term, ...] = (
    Term("regime_sim", IDEOLOGY, "continuous", "regime similarity (1 - |difference| / scale)"),
    Term("joint_democracy", IDEOLOGY, "binary", "joint democracy (both above the cut point)"),
    Term("joint_autocracy", IDEOLOGY, "binary", "joint autocracy (both below the cut point)"),
    Term("common_threat", INTEREST, "binary", "common threat (shared rival t-1 or MID opponent)"),
    Term("cap_ratio_log", INTEREST, "continuous", "capability ratio (log stronger/weaker CINC)"),
    Term("contiguous", CONTROL, "binary", "direct contiguity (land or <= 400 miles water)"),
    Term("major_any", CONTROL, "binary", "a major power in the dyad"),
)
COUNTABLE_CONTROLS = ("contiguous", "major_any")
"""Controls by default; counted in the interest block with `controls_as_interest`."""
REFERENCE = {IDEOLOGY: "regime_sim", INTEREST: "common_threat"}
"""The measure whose direction signs each block's strength."""
PEACE_TERMS = ("py", "py2", "py3")

PLEDGES = {
    "any": "atop_any",
    "defense": "atop_defense",
    "offense": "atop_offense",
    "neutrality": "atop_neutral",
    "nonaggression": "atop_nonagg",
    "consultation": "atop_consul",
}
OUTCOME_ALIASES = {"onset": "first-onset", "presence": "any-presence", "formation": "any-onset"}
REGIMES = ("polity", "vdem", "uds")
SE_TYPES = ("twoway", "dyad", "bootstrap")
ESTIMATORS = ("logit", "firth", "rare-events")
FIXED_EFFECTS = ("none", "year", "dyad", "dyad+year")
SE_LABEL = {
    "twoway": "clustered by dyad and year (two-way)",
    "dyad": "clustered by dyad only",
    "bootstrap": "bootstrap over whole years (treaty-years resampled together)",
}


def outcome_choices() -> list[str]:
    return ["first-onset"] + [f"{k}-{m}" for k in PLEDGES for m in ("onset", "presence")]


def parse_outcome(value: str) -> str:
    """Normalise `--outcome`: 'defense' -> 'defense-onset', 'onset' -> 'first-onset', ..."""
    v = str(value).strip().lower().replace("_", "-")
    v = OUTCOME_ALIASES.get(v, v)
    if v in PLEDGES:
        v = f"{v}-onset"
    if v not in outcome_choices():
        raise InputError(
            Problem(
                "--outcome",
                "outcome",
                f"unknown outcome {value!r}; expected one of {', '.join(outcome_choices())} "
                "(or a pledge alone for its onset)",
            )
        )
    return v


def describe_outcome(outcome: str) -> str:
    if outcome == "first-onset":
        return "first-alliance onset (allied in t, not in t-1)"
    if outcome == "any-onset":
        return "formation: any new ATOP obligation (new pledge type or new alliance)"
    kind, mode = outcome.rsplit("-", 1)
    if mode == "presence":
        return f"presence of {'any alliance' if kind == 'any' else f'a {kind} pledge'}"
    return f"onset of a {kind} pledge (held in t, not in t-1)"


@dataclass(frozen=True)
class Spec:
    """One specification of the alliance model (see the module docstring)."""

    outcome: str = "any-onset"
    regime: str = "polity"
    se: str = "twoway"
    estimator: str = "logit"
    fe: str = "none"
    controls_as_interest: bool = False
    directed: bool = False
    reps: int = 99
    seed: int = 0

    def check(self) -> Spec:
        outcome = parse_outcome(self.outcome)
        for value, allowed, opt in (
            (self.regime, REGIMES, "--regime"),
            (self.se, SE_TYPES, "--se"),
            (self.estimator, ESTIMATORS, "--estimator"),
            (self.fe, FIXED_EFFECTS, "--fe"),
        ):
            if value not in allowed:
                raise InputError(
                    Problem(
                        opt, "", f"unknown value {value!r}; expected one of {', '.join(allowed)}"
                    )
                )
        if self.fe != "none" and self.estimator != "logit":
            raise InputError(
                Problem(
                    "--fe",
                    "",
                    "fixed effects use the linear probability model; "
                    "expected --estimator logit with --fe",
                )
            )
        if self.reps < 2:
            raise InputError(Problem("--reps", "", f"{self.reps}; expected at least 2"))
        return replace(self, outcome=outcome)

    def label(self) -> str:
        model = "linear probability, FE " + self.fe if self.fe != "none" else self.estimator
        parts = [
            f"outcome {self.outcome}",
            f"regime {self.regime}",
            model,
            f"SE {SE_LABEL[self.se]}",
        ]
        if self.controls_as_interest:
            parts.append("contiguity and major power counted as interest")
        if self.directed:
            parts.append("directed dyads (the pledges ccode1 gives ccode2)")
        return "; ".join(parts)


def block_of(name: str, spec: Spec | None = None) -> str:
    for t in TERMS:
        if t.name == name:
            if t.block == CONTROL and spec is not None and spec.controls_as_interest:
                return INTEREST
            return t.block
    return CONTROL


# --------------------------------------------------------------------------- design

_CLOCKS: dict[tuple[int, str], tuple[Any, np.ndarray]] = {}


def _clock(panel: pd.DataFrame, flag: str, lag: str | None) -> np.ndarray:
    """`years_since` for this panel, computed once per panel and flag (the checks reuse it)."""
    import weakref

    key = (id(panel), f"{flag}|{lag}")
    hit = _CLOCKS.get(key)
    if hit is not None and hit[0]() is panel:
        return hit[1]
    if len(_CLOCKS) > 16:
        _CLOCKS.clear()
    value = years_since(panel, flag, lag)
    _CLOCKS[key] = (weakref.ref(panel), value)
    return value


def _regime_column(term: str, regime: str) -> str:
    return term if regime == "polity" else f"{term}_{regime}"


@dataclass
class Design:
    X: pd.DataFrame
    y: np.ndarray
    dyad: np.ndarray
    year: np.ndarray
    at_risk: int
    events_at_risk: int
    missing: dict[str, tuple[int, int]]  # variable group -> (rows, events) missing


def design(panel: pd.DataFrame, spec: Spec | str, era: str) -> Design:
    """The estimation sample for one era: X (with `const`), y, cluster ids, what was dropped."""
    if isinstance(spec, str):
        spec = Spec(outcome=spec)
    spec = spec.check()
    outcome = spec.outcome
    kind, mode = ("any", "onset") if outcome == "first-onset" else outcome.rsplit("-", 1)
    sfx = "_dir" if spec.directed else ""  # directed: the pledges ccode1 gives ccode2
    flag = PLEDGES[kind] + sfx
    new_col = "atop_new_obligation" + sfx
    regime_cols = [
        _regime_column(t, spec.regime) for t in ("regime_sim", "joint_democracy", "joint_autocracy")
    ]
    needed = [
        *regime_cols,
        "common_threat",
        "cap_ratio_log",
        "contiguous",
        "major_any",
        flag,
        f"{flag}_lag",
        new_col,
        "era",
        "ccode1",
        "ccode2",
        "year",
    ]
    missing_cols = [c for c in needed if c not in panel.columns]
    if missing_cols:
        raise InputError(
            Problem(
                "panel",
                ",".join(missing_cols),
                "column missing; build the panel with build_panel() (the models' covariates"
                + (", directed=True" if spec.directed else "")
                + ") before fitting",
            )
        )
    era_col = panel["era"]
    if era == POOLED:
        mask = np.array(era_col.notna().to_numpy(dtype=bool), dtype=bool)  # writable copy
    elif any(e.label == era for e in ERAS):
        mask = np.array((era_col == era).fillna(False).to_numpy(dtype=bool), dtype=bool)
    else:  # a custom span of years: every year in it, world-war years included
        start, end = span_of(era)
        year_all = panel["year"].to_numpy()
        mask = (year_all >= start) & (year_all <= end)
    now = panel[flag].to_numpy()
    lag = panel[f"{flag}_lag"].to_numpy()
    clock = None
    if outcome == "first-onset":
        y_all = (now == 1) & (lag == 0)
        mask &= lag == 0
        clock = _clock(panel, flag, f"{flag}_lag")
    elif outcome == "any-onset":
        y_all = panel[new_col].to_numpy() == 1
        held = np.ones(len(panel), dtype=bool)
        for col in PLEDGES.values():
            if col != "atop_any":
                held &= panel[f"{col}{sfx}_lag"].to_numpy() == 1
        mask &= ~held  # a pair holding all five pledges cannot take on a new one
        clock = _clock(panel, new_col, None)
    elif mode == "onset":
        y_all = (now == 1) & (lag == 0)
        mask &= lag == 0
        clock = _clock(panel, flag, f"{flag}_lag")
    else:
        y_all = now == 1
    idx = np.flatnonzero(mask)
    y = y_all[idx].astype(float)
    cols: dict[str, np.ndarray] = {"const": np.ones(len(idx))}
    for t, src in zip(
        TERMS,
        [*regime_cols, "common_threat", "cap_ratio_log", "contiguous", "major_any"],
        strict=True,
    ):
        cols[t.name] = panel[src].to_numpy(dtype=float)[idx]
    if clock is not None:
        py = clock[idx].astype(float) / 10.0
        cols["py"], cols["py2"], cols["py3"] = py, py**2, py**3
    if outcome != "first-onset" and mode == "onset":
        cols["allied_lag"] = panel[f"atop_any{sfx}_lag"].to_numpy(dtype=float)[idx]
    if era == POOLED:
        era_s = panel["era"]
        if isinstance(era_s.dtype, pd.CategoricalDtype):
            codes = era_s.cat.codes.to_numpy()[idx]
            cats = list(era_s.cat.categories)
            for e in ERAS[1:]:
                code = cats.index(e.label) if e.label in cats else -2
                cols[f"era_{e.label}"] = (codes == code).astype(float)
        else:
            eras = era_s.to_numpy(dtype=object)[idx]
            for e in ERAS[1:]:
                cols[f"era_{e.label}"] = (eras == e.label).astype(float)
    names = list(cols)
    A = np.column_stack([cols[c] for c in names])
    groups = {
        f"regime ({spec.regime})": [t.name for t in TERMS if t.block == IDEOLOGY],
        "common threat": ["common_threat"],
        "capabilities": ["cap_ratio_log"],
    }
    nan = np.isnan(A)
    missing: dict[str, tuple[int, int]] = {}
    for label, group in groups.items():
        miss = nan[:, [names.index(c) for c in group]].any(axis=1)
        missing[label] = (int(miss.sum()), int(y[miss].sum()))
    ok = ~nan.any(axis=1)
    X = pd.DataFrame(A[ok], index=idx[ok], columns=names)
    c1 = panel["ccode1"].to_numpy(dtype=np.int64)[idx]
    c2 = panel["ccode2"].to_numpy(dtype=np.int64)[idx]
    dyad = np.minimum(c1, c2) * 1000 + np.maximum(c1, c2)  # (a,b) and (b,a) share a cluster
    year = panel["year"].to_numpy(dtype=np.int64)[idx]
    return Design(
        X=X,
        y=y[ok],
        dyad=dyad[ok],
        year=year[ok],
        at_risk=len(idx),
        events_at_risk=int(y.sum()),
        missing=missing,
    )


# --------------------------------------------------------------------------- strength


def block_strengths(draws: np.ndarray, X: pd.DataFrame, spec: Spec) -> dict[str, np.ndarray]:
    """Signed strength of each block for every row of `draws` (coefficient vectors).

    strength_b = sqrt(β_b' S_b β_b) · sign(β_b' c_b), where S_b is the sample covariance of
    the block's columns and c_b their covariance with the block's reference measure: the SD
    of the block's linear-predictor contribution, signed by whether it rises with regime
    similarity (ideology) or common threat (interest).
    """
    cols = list(X.columns)
    out: dict[str, np.ndarray] = {}
    for block in (IDEOLOGY, INTEREST):
        names = [c for c in cols if block_of(c, spec) == block]
        if not names:
            out[block] = np.zeros(draws.shape[0])
            continue
        pos = [cols.index(c) for c in names]
        Z = X[names].to_numpy()
        ref = X[REFERENCE[block]].to_numpy()
        S = np.atleast_2d(np.cov(Z, rowvar=False))
        c = np.array([np.cov(Z[:, j], ref)[0, 1] for j in range(Z.shape[1])])
        B = draws[:, pos]
        sd = np.sqrt(np.maximum(np.einsum("dj,jk,dk->d", B, S, B), 0.0))
        sign = np.sign(B @ c)
        sign[sign == 0] = 1.0
        out[block] = sign * sd
    return out


def verdict_word(p: float) -> str:
    if not np.isfinite(p):
        return VERDICT_NONE
    if p >= VERDICT_LEVEL:
        return VERDICT_INTEREST
    if p <= 1 - VERDICT_LEVEL:
        return VERDICT_IDEOLOGY
    return VERDICT_NONE


# --------------------------------------------------------------------------- one era


@dataclass
class Check:
    """One robustness check: the specification changed, its P and verdict."""

    name: str
    p_interest: float
    verdict: str
    n_obs: int
    n_events: int


@dataclass
class EraResult:
    """One fitted era: coefficients, covariances, strengths, verdict and its robustness."""

    era: str
    spec: Spec
    n_obs: int
    n_events: int
    n_dyads: int
    n_years: int
    year_min: int
    year_max: int
    params: pd.Series
    cov: pd.DataFrame
    cov_dyad: pd.DataFrame
    llf: float
    llnull: float
    ame: pd.DataFrame
    strengths: dict[str, float]
    p_interest: float
    converged: bool
    at_risk: int
    events_at_risk: int
    missing: dict[str, tuple[int, int]]
    dropped: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    bootstrap_reps: int = 0

    @property
    def outcome(self) -> str:
        return self.spec.outcome

    @property
    def pseudo_r2(self) -> float:
        return 1.0 - self.llf / self.llnull if self.llnull else float("nan")

    @property
    def rows_dropped(self) -> int:
        return self.at_risk - self.n_obs

    @property
    def events_dropped(self) -> int:
        return self.events_at_risk - self.n_events

    @property
    def spec_verdict(self) -> str:
        """The verdict of this specification alone."""
        return verdict_word(self.p_interest)

    @property
    def failed_checks(self) -> list[str]:
        return [c.name for c in self.checks if c.verdict != self.spec_verdict]

    @property
    def verdict(self) -> str:
        """The verdict, printed only when every robustness check agrees."""
        if not self.checks:
            return f"{self.spec_verdict} (robustness checks not run)"
        failed = [c for c in self.checks if c.verdict != self.spec_verdict]
        if not failed:
            return self.spec_verdict
        said = "; ".join(f"{c.name} gives {c.verdict}" for c in failed)
        return f"{VERDICT_NONE} (checks disagree with {self.spec_verdict}: {said})"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _ames(params: np.ndarray, X: pd.DataFrame, linear: bool) -> dict[str, tuple[float, np.ndarray]]:
    """AME and its gradient (w.r.t. params) for every substantive term (one-SD or 0->1)."""
    b = params
    Xv = X.to_numpy()
    cols = list(X.columns)
    out: dict[str, tuple[float, np.ndarray]] = {}
    if linear:
        for t in TERMS:
            if t.name in cols:
                k = cols.index(t.name)
                scale = float(X[t.name].std()) if t.kind == "continuous" else 1.0
                grad = np.zeros(len(b))
                grad[k] = scale
                out[t.name] = (scale * b[k], grad)
        return out
    xb = Xv @ b
    p = _sigmoid(xb)
    dens = p * (1.0 - p)
    n = len(p)
    for t in TERMS:
        if t.name not in cols:
            continue
        k = cols.index(t.name)
        if t.kind == "continuous":
            sd = float(X[t.name].std())
            m = dens.mean()
            ame = sd * b[k] * m
            grad = sd * b[k] * ((dens * (1.0 - 2.0 * p)) @ Xv) / n
            grad[k] += sd * m
        else:
            xk = Xv[:, k]
            p1 = _sigmoid(xb + b[k] * (1.0 - xk))
            p0 = _sigmoid(xb - b[k] * xk)
            ame = float((p1 - p0).mean())
            grad = ((p1 * (1 - p1) - p0 * (1 - p0)) @ Xv) / n
            grad[k] = (p1 * (1 - p1)).mean()
        out[t.name] = (float(ame), grad)
    return out


def _fit_lpm_fe(d: Design, fe: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Linear probability model with dyad and/or year fixed effects (linearmodels PanelOLS),
    two-way clustered (and dyad-clustered) covariances. Returns (params, V2, Vdyad, names)."""
    from linearmodels.panel import PanelOLS

    X = d.X.drop(columns=["const"])
    X = X[[c for c in X.columns if not c.startswith("era_")]] if "year" in fe else X
    index = pd.MultiIndex.from_arrays([d.dyad, d.year], names=["dyad", "year"])
    exog = pd.DataFrame(X.to_numpy(), index=index, columns=X.columns)
    dep = pd.Series(d.y, index=index, name="y")
    model = PanelOLS(
        dep,
        exog,
        entity_effects="dyad" in fe,
        time_effects="year" in fe,
        drop_absorbed=True,
        check_rank=False,
    )
    two = model.fit(cov_type="clustered", cluster_entity=True, cluster_time=True)
    one = model.fit(cov_type="clustered", cluster_entity=True)
    names = list(two.params.index)
    return (
        two.params.to_numpy(),
        two.cov.loc[names, names].to_numpy(),
        one.cov.loc[names, names].to_numpy(),
        names,
    )


def fit_era(
    panel: pd.DataFrame,
    era: str,
    spec: Spec | str = "any-onset",
    draws_seed: int = 0,
    *,
    start: pd.Series | None = None,
    ames: bool = True,
) -> EraResult:
    """Fit one era (or `pooled`) under `spec`; no robustness checks (see `fit_models`).

    `start`: coefficients to start Newton-Raphson from (terms matched by name; the estimate
    is the same, reached in fewer steps). `ames=False` skips the average marginal effects
    (a robustness refit needs only the strengths and P(interest > ideology))."""
    spec = (Spec(outcome=spec) if isinstance(spec, str) else spec).check()
    d = design(panel, spec, era)
    y = d.y
    if len(y) == 0 or y.sum() == 0 or y.sum() == len(y):
        raise InputError(
            Problem(
                "panel",
                spec.outcome,
                f"era {era}: {len(y)} usable rows with {int(y.sum())} events; expected both "
                "outcomes to occur (is the era inside the panel's years?)",
            )
        )
    X = d.X
    dropped = [c for c in X.columns if c != "const" and np.ptp(X[c].to_numpy()) == 0]
    X = X.drop(columns=dropped)
    Xv = X.to_numpy()
    boot_reps = 0
    if spec.fe != "none":
        b, V, Vd, names = _fit_lpm_fe(replace(d, X=X), spec.fe)
        X = X[names]
        resid = y - X.to_numpy() @ b
        llf = llnull = float("nan")
        converged = True
        del resid
        linear = True
    else:
        b0 = None
        if start is not None and set(X.columns) <= set(start.index):
            b0 = start.reindex(X.columns).to_numpy(dtype=float)
        fit = inf.fit_logit(Xv, y, start=b0, firth=spec.estimator == "firth")
        b = fit.params
        factor = 1.0
        if spec.estimator == "rare-events":
            b, factor = inf.king_zeng(Xv, fit)
        bread = fit.bread
        S = inf.scores(Xv, y, fit.p)
        _, dyad_ids = np.unique(d.dyad, return_inverse=True)
        Vd = inf.cluster_cov(bread, S, dyad_ids) * factor
        if spec.se == "bootstrap":
            V, boot_reps = inf.year_bootstrap_cov(
                Xv, y, d.year, fit.params, spec.reps, spec.seed, firth=spec.estimator == "firth"
            )
            V = V * factor
        elif spec.se == "dyad":
            V = Vd
        else:
            V = inf.twoway_cov(bread, S, d.dyad, d.year) * factor
        if spec.se == "dyad":
            pass
        llf, llnull, converged = fit.llf, fit.llnull, fit.converged
        names = list(X.columns)
        linear = False
    params = pd.Series(b, index=names)
    cov = pd.DataFrame(V, index=names, columns=names)
    cov_dyad = pd.DataFrame(Vd, index=names, columns=names)
    # AMEs per term (probability scale), delta-method SEs from the chosen covariance
    ames = _ames(b, X, linear) if ames else {}
    rows = []
    for t in TERMS:
        if t.name not in ames:
            continue
        a, g = ames[t.name]
        se = float(math.sqrt(max(g @ V @ g, 0.0))) if np.all(np.isfinite(V)) else float("nan")
        rows.append(
            {
                "term": t.name,
                "ame": a,
                "ame_se": se,
                "ame_low": a - Z95 * se,
                "ame_high": a + Z95 * se,
                "scale": "1 SD" if t.kind == "continuous" else "0->1",
            }
        )
    # block strengths and P(interest > ideology)
    point = block_strengths(b[None, :], X, spec)
    p_int = float("nan")
    if np.all(np.isfinite(V)):
        rng = np.random.default_rng(draws_seed)
        L = np.linalg.cholesky(inf._psd(V) + 1e-14 * np.eye(len(b)))
        draws = b + rng.standard_normal((N_DRAWS, len(b))) @ L.T
        s = block_strengths(draws, X, spec)
        p_int = float(np.mean(s[INTEREST] > s[IDEOLOGY]))
    return EraResult(
        era=era,
        spec=spec,
        n_obs=int(len(y)),
        n_events=int(y.sum()),
        n_dyads=int(len(np.unique(d.dyad))),
        n_years=int(len(np.unique(d.year))),
        year_min=int(d.year.min()),
        year_max=int(d.year.max()),
        params=params,
        cov=cov,
        cov_dyad=cov_dyad,
        llf=float(llf),
        llnull=float(llnull),
        ame=pd.DataFrame(
            rows, columns=["term", "ame", "ame_se", "ame_low", "ame_high", "scale"]
        ).set_index("term"),
        strengths={k: float(v[0]) for k, v in point.items()},
        p_interest=p_int,
        converged=bool(converged),
        at_risk=d.at_risk,
        events_at_risk=d.events_at_risk,
        missing=d.missing,
        dropped=dropped,
        bootstrap_reps=boot_reps,
    )


def robustness_specs(spec: Spec) -> list[tuple[str, Spec]]:
    """The checks behind a verdict: the other regime measures, the other onset definition,
    the other estimator (rare-events correction, or plain logit when it was asked for)."""
    out: list[tuple[str, Spec]] = []
    for regime in REGIMES:
        if regime != spec.regime:
            out.append((f"regime {regime}", replace(spec, regime=regime)))
    if spec.outcome == "first-onset":
        out.append(("outcome any-onset", replace(spec, outcome="any-onset")))
    elif spec.outcome.endswith("-onset"):
        out.append(("outcome first-onset", replace(spec, outcome="first-onset")))
    if spec.fe == "none":
        alt = "rare-events" if spec.estimator != "rare-events" else "logit"
        out.append((f"estimator {alt}", replace(spec, estimator=alt)))
    return out


# --------------------------------------------------------------------------- results


@dataclass
class AllianceFit:
    """Fitted alliance models by era; tidy frames for notebooks, dicts for JSON."""

    spec: Spec
    results: dict[str, EraResult]

    @property
    def outcome(self) -> str:
        return self.spec.outcome

    @property
    def eras(self) -> list[str]:
        return list(self.results)

    @property
    def params(self) -> pd.DataFrame:
        """Coefficients: one row per term, one column per era."""
        return pd.DataFrame({e: r.params for e, r in self.results.items()})

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Normal-approximation intervals of the coefficients (the chosen SEs), tidy."""
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
            se_d = pd.Series(np.sqrt(np.diag(r.cov_dyad.to_numpy())), index=r.params.index)
            for term, b in r.params.items():
                s = float(se[term])
                z = b / s if s > 0 else np.nan
                a = r.ame.loc[term] if term in r.ame.index else None
                rows.append(
                    {
                        "era": e,
                        "outcome": r.outcome,
                        "regime": r.spec.regime,
                        "se_type": r.spec.se,
                        "term": term,
                        "block": block_of(term, r.spec),
                        "estimate": float(b),
                        "std_error": s,
                        "std_error_dyad": float(se_d[term]),
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
        """One row per era: data used and dropped, block strengths, P, verdict, checks."""
        rows = []
        for e, r in self.results.items():
            rows.append(
                {
                    "era": e,
                    "outcome": r.outcome,
                    "regime": r.spec.regime,
                    "se_type": r.spec.se,
                    "estimator": r.spec.estimator if r.spec.fe == "none" else f"lpm-fe-{r.spec.fe}",
                    "years": f"{r.year_min}-{r.year_max}",
                    "n_obs": r.n_obs,
                    "n_events": r.n_events,
                    "n_dyads": r.n_dyads,
                    "rows_dropped": r.rows_dropped,
                    "events_dropped": r.events_dropped,
                    "share_events_dropped": r.events_dropped / r.events_at_risk
                    if r.events_at_risk
                    else np.nan,
                    "jd_minus_ja": term_contrast(r, "joint_democracy", "joint_autocracy")[
                        "estimate"
                    ],
                    "jd_minus_ja_se": term_contrast(r, "joint_democracy", "joint_autocracy")[
                        "std_error"
                    ],
                    "ideology_strength": r.strengths[IDEOLOGY],
                    "interest_strength": r.strengths[INTEREST],
                    "p_interest_outweighs": r.p_interest,
                    "spec_verdict": r.spec_verdict,
                    "checks": "; ".join(
                        f"{c.name}: {c.verdict} (P={c.p_interest:.2f})" for c in r.checks
                    ),
                    "failed_checks": ", ".join(r.failed_checks),
                    "verdict": r.verdict,
                }
            )
        return pd.DataFrame(rows)

    def contrast(self, term_a: str, term_b: str) -> pd.DataFrame:
        """b_a - b_b per era with its standard error (the chosen covariance), z and p."""
        rows = []
        for e, r in self.results.items():
            rows.append({"era": e, **term_contrast(r, term_a, term_b)})
        return pd.DataFrame(rows)

    def robustness_frame(self) -> pd.DataFrame:
        """One row per era and specification (the main one first): P and verdict."""
        rows = []
        for e, r in self.results.items():
            rows.append(
                {
                    "era": e,
                    "check": "main",
                    "p_interest_outweighs": r.p_interest,
                    "verdict": r.spec_verdict,
                    "agrees": True,
                    "n_obs": r.n_obs,
                    "n_events": r.n_events,
                }
            )
            for c in r.checks:
                rows.append(
                    {
                        "era": e,
                        "check": c.name,
                        "p_interest_outweighs": c.p_interest,
                        "verdict": c.verdict,
                        "agrees": c.verdict == r.spec_verdict,
                        "n_obs": c.n_obs,
                        "n_events": c.n_events,
                    }
                )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Plain text: the header of each era, its terms and the verdict with its checks."""
        lines = [f"Alliance models: {self.spec.label()}"]
        tf = self.to_frame()
        for e, r in self.results.items():
            lines.append("")
            lines.extend(header_lines(r))
            for _, row in tf[(tf["era"] == e)].iterrows():
                if row["term"] in PEACE_TERMS or str(row["term"]).startswith("era_"):
                    continue
                lines.append(
                    f"  {row['block']:<8} {row['term']:<16} b={row['estimate']:+.3f} "
                    f"(se {row['std_error']:.3f}; dyad-only {row['std_error_dyad']:.3f})"
                )
            lines.append("  " + verdict_line(r))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return float(v) if np.isfinite(v) else None
            if isinstance(v, np.integer):
                return int(v)
            if isinstance(v, np.bool_):
                return bool(v)
            return v

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: clean(v) for k, v in row.items()} for row in frame.to_dict("records")]

        return {
            "outcome": self.outcome,
            "specification": {
                "outcome": self.spec.outcome,
                "regime": self.spec.regime,
                "se": self.spec.se,
                "estimator": self.spec.estimator,
                "fe": self.spec.fe,
                "controls_as_interest": self.spec.controls_as_interest,
                "directed": self.spec.directed,
            },
            "coefficients": records(self.to_frame()),
            "verdicts": records(self.verdict_frame()),
            "robustness": records(self.robustness_frame()),
            "missing": [
                {"era": e, "variable": k, "rows": v[0], "events": v[1]}
                for e, r in self.results.items()
                for k, v in r.missing.items()
            ],
        }


def term_contrast(r: EraResult, term_a: str, term_b: str) -> dict[str, float]:
    """b_a - b_b in one era, its standard error from the chosen covariance, z and p."""
    names = list(r.params.index)
    if term_a not in names or term_b not in names:
        return {"estimate": np.nan, "std_error": np.nan, "z": np.nan, "p_value": np.nan}
    g = np.zeros(len(names))
    g[names.index(term_a)], g[names.index(term_b)] = 1.0, -1.0
    est = float(g @ r.params.to_numpy())
    se = float(math.sqrt(max(g @ r.cov.to_numpy() @ g, 0.0)))
    z = est / se if se > 0 else np.nan
    return {
        "estimate": est,
        "std_error": se,
        "z": z,
        "p_value": float(2 * _norm_sf(abs(z))) if np.isfinite(z) else np.nan,
    }


def header_lines(r: EraResult) -> list[str]:
    """What an era's fit used: outcome, measure, estimator, errors, sample and what dropped."""
    share = r.events_dropped / r.events_at_risk if r.events_at_risk else float("nan")
    miss = "; ".join(
        f"{k}: {rows:,} rows, {ev:,} events" for k, (rows, ev) in r.missing.items() if rows
    )
    est = r.spec.estimator if r.spec.fe == "none" else f"linear probability, FE {r.spec.fe}"
    boot = (
        f", {r.bootstrap_reps} replicates, seed {r.spec.seed}" if r.spec.se == "bootstrap" else ""
    )
    return [
        f"[{r.era}] outcome {r.outcome}: {describe_outcome(r.outcome)}",
        f"  regime measure {r.spec.regime}; estimator {est}; standard errors "
        f"{SE_LABEL[r.spec.se]}{boot}"
        + (
            "; directed dyads (ccode1's pledges to ccode2), clustered on the pair"
            if r.spec.directed
            else ""
        ),
        f"  years {r.year_min}-{r.year_max}, n={r.n_obs:,}, events={r.n_events:,}, "
        f"dyads={r.n_dyads:,}, years={r.n_years}",
        f"  dropped for missing data: {r.rows_dropped:,} of {r.at_risk:,} rows, "
        f"{r.events_dropped:,} of {r.events_at_risk:,} events ({share:.1%})"
        + (f" [{miss}]" if miss else ""),
    ]


def verdict_line(r: EraResult) -> str:
    s = r.strengths
    checks = ", ".join(f"{c.name} -> {c.verdict}" for c in r.checks) or "none run"
    scope = (
        "contiguity and major power counted as interest"
        if r.spec.controls_as_interest
        else ("contiguity and major power as controls")
    )
    return (
        f"{r.era}: {r.verdict} (strength on the linear predictor: interest {s[INTEREST]:+.3f}, "
        f"ideology {s[IDEOLOGY]:+.3f}; P(interest > ideology) = {r.p_interest:.2f}; rule "
        f">= {VERDICT_LEVEL} / <= {1 - VERDICT_LEVEL:.1f}; {scope}; checks: {checks})"
    )


def _norm_sf(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def fit_models(
    panel: pd.DataFrame,
    eras: list[str],
    spec: Spec | str = "any-onset",
    progress: Any = None,
    robustness: bool = True,
) -> AllianceFit:
    """Fit every requested era on a built panel, with the robustness checks of each verdict."""
    spec = (Spec(outcome=spec) if isinstance(spec, str) else spec).check()
    results: dict[str, EraResult] = {}
    for era in eras:
        r = fit_era(panel, era, spec)
        if robustness:
            for name, alt in robustness_specs(spec):
                try:
                    a = fit_era(
                        panel,
                        era,
                        replace(alt, se=spec.se if spec.se != "bootstrap" else "twoway"),
                        start=r.params,  # the same estimate, in fewer Newton steps
                        ames=False,
                    )
                    r.checks.append(Check(name, a.p_interest, a.spec_verdict, a.n_obs, a.n_events))
                except InputError:
                    r.checks.append(Check(name, float("nan"), "not estimable", 0, 0))
        results[era] = r
        if progress is not None:
            progress(era)
    return AllianceFit(spec=spec, results=results)
