"""Estimation: each test checks a number against an independent computation or a known truth.

Synthetic data only (the built-in case changes as it is written): either ChoiceData built
directly from random option terms, or a small valid scenario whose choices are simulated from
known weights. Every random draw is seeded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import io
import json

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import expit, logsumexp
from scipy.stats import binom, norm

from realpolitik.errors import ConvergenceError
from realpolitik.estimation.api import as_compiled, fit
from realpolitik.estimation.bayes import fit_bayes
from realpolitik.estimation.compare import compare_models
from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.estimation.likelihood import separated
from realpolitik.estimation.mle import fit_actor
from realpolitik.estimation.recovery import (
    COLUMNS,
    coverage_summary,
    recover,
    replicate,
    simulate_choices,
)
from realpolitik.scenario.schema import Case
from synthetic_case import CITE, synthetic_case

TRUE_W = np.array([0.5, 2.5])  # ideology, interest: interest clearly dominant
N_DECISIONS = 60


# ---- synthetic data -----------------------------------------------------------------------------
def synthetic_data(
    n_groups: int, n_opt: int, w: np.ndarray, seed: int, n_actors: int = 1
) -> ChoiceData:
    """ChoiceData with random standard-normal terms and choices drawn from softmax(Z w)."""
    rng = np.random.default_rng(seed)
    k = len(w)
    Z = rng.normal(size=(n_groups * n_opt, k))
    group = np.repeat(np.arange(n_groups), n_opt)
    data = ChoiceData(
        comp=None,  # type: ignore[arg-type]
        model="full",
        terms=("ideology", "interest")[:k] if k <= 2 else tuple(f"t{i}" for i in range(k)),
        Z=Z,
        X5=np.zeros((len(Z), 5)),
        N=Z[:, -1].copy(),
        chosen=np.zeros(len(Z)),
        group=group,
        actor=np.repeat(np.arange(n_groups) % n_actors, n_opt),
        decisions=list(range(n_groups)),
        starts=np.arange(0, len(Z), n_opt),
    )
    W = np.tile(w, (n_actors, 1))
    return dataclasses.replace(data, chosen=simulate_choices(data, W, rng))


def scenario(n: int, seed: int, chosen: list[int] | None = None, lone: bool = False) -> Case:
    """A valid scenario (tests/synthetic_case.py) with two more stakes, each option gaining a
    stake with probability 0.35, the USSR choosing `chosen` (else its first option); `lone`
    adds a single decision by the GMD."""
    return synthetic_case(
        n,
        seed,
        gain_p=0.35,
        chosen=chosen if chosen is not None else [0] * n,
        extra_stakes=EXTRA_STAKES,
        extra_decisions=[LONE] if lone else [],
    )


EXTRA_STAKES = [
    {
        "id": "port",
        "name": "a port",
        "holder": "GMD",
        "valuations": {"USSR": "medium"},
        "cite": CITE,
    },
    {
        "id": "credit",
        "name": "a loan",
        "holder": "USA",
        "valuations": {"USSR": "high"},
        "cite": CITE,
    },
]
LONE = {
    "id": "lone",
    "date": dt.date(1945, 12, 1),
    "actor": "GMD",
    "question": "whom to court",
    "options": [
        {"id": "a", "label": "court the USA", "favours": "USA", "opposes": "CCP"},
        {
            "id": "b",
            "label": "court the CCP",
            "favours": "CCP",
            "opposes": "USA",
            "risk": "high",
            "rival": "USA",
        },
    ],
    "chosen": "a",
    "cite": CITE,
}


def simulated_case(n: int, w: np.ndarray, seed: int, lone: bool = False) -> Case:
    """Two passes: build the structure, draw the USSR's choices from softmax(Z w), rebuild."""
    comp = as_compiled(scenario(n, seed))
    data = choice_data(comp, "full", actor=comp.actor_ids.index("USSR"))
    W = np.zeros((comp.n_actors, 2))
    W[comp.actor_ids.index("USSR")] = w
    chosen = simulate_choices(data, W, np.random.default_rng(seed + 1000))
    picks = [int(np.flatnonzero(chosen[s : s + 3])[0]) for s in data.starts]
    return scenario(n, seed, chosen=picks, lone=lone)


@pytest.fixture(scope="module")
def case() -> Case:
    return simulated_case(N_DECISIONS, TRUE_W, seed=11)


@pytest.fixture(scope="module")
def lone_case() -> Case:
    return simulated_case(40, TRUE_W, seed=12, lone=True)


@pytest.fixture(scope="module")
def results(case: Case):
    return fit(case, seed=0)


def independent_loglik(w: np.ndarray, data: ChoiceData) -> float:
    """Conditional-logit log-likelihood written out decision by decision."""
    total = 0.0
    for g in range(data.n_groups):
        rows = data.group == g
        u = data.Z[rows] @ w
        total += float(u[data.chosen[rows] == 1][0] - logsumexp(u))
    return total


# ---- (a) maximum likelihood against two references ------------------------------------------------
def test_mle_equals_statsmodels_and_scipy() -> None:
    from statsmodels.discrete.conditional_models import ConditionalLogit

    data = synthetic_data(120, 3, np.array([1.0, -0.7]), seed=1)
    ours = fit_actor(data, -1)
    assert ours.penalty == "none" and ours.status == "ok"

    sm = ConditionalLogit(data.chosen, data.Z, groups=data.group).fit(disp=0, method="newton")
    np.testing.assert_allclose(ours.params, sm.params, atol=1e-4)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.cov)), sm.bse, rtol=1e-3)

    ref = minimize(
        lambda w: -independent_loglik(w, data),
        np.zeros(2),
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 5000},
    )
    np.testing.assert_allclose(ours.params, ref.x, atol=1e-4)
    assert ours.loglik == pytest.approx(-ref.fun, abs=1e-6)

    # standard errors: inverse of the numerical Hessian of the independent log-likelihood
    h, k = 1e-4, 2
    hess = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            hess[i, j] = (
                independent_loglik(ref.x + ei + ej, data)
                - independent_loglik(ref.x + ei - ej, data)
                - independent_loglik(ref.x - ei + ej, data)
                + independent_loglik(ref.x - ei - ej, data)
            ) / (4 * h * h)
    np.testing.assert_allclose(ours.cov, np.linalg.inv(-hess), rtol=1e-3)


# ---- (b) separation and Firth -------------------------------------------------------------------
def _pairs(diff: np.ndarray, first_chosen: np.ndarray) -> ChoiceData:
    """Two-option decisions with option terms (diff, 0): the difference is the whole story."""
    n, k = diff.shape
    Z = np.zeros((2 * n, k))
    Z[0::2] = diff
    chosen = np.zeros(2 * n)
    chosen[0::2] = first_chosen
    chosen[1::2] = 1 - first_chosen
    return ChoiceData(
        None,
        "full",
        ("ideology", "interest")[:k],
        Z,
        np.zeros((2 * n, 5)),  # type: ignore[arg-type]
        Z[:, -1].copy(),
        chosen,
        np.repeat(np.arange(n), 2),
        np.zeros(2 * n, int),
        list(range(n)),
        np.arange(0, 2 * n, 2),
    )


def test_lp_separation_detector() -> None:
    rng = np.random.default_rng(2)
    diff = rng.normal(size=(30, 2))
    # separated: the chosen option always ranks higher on the first term
    sep = _pairs(diff, (diff[:, 0] > 0).astype(float))
    assert separated(sep.Z, sep.chosen, sep.starts)
    # quasi-complete: two ties on the separating term do not remove separation
    tied = diff.copy()
    tied[:2, 0] = 0.0
    quasi = _pairs(tied, (tied[:, 0] >= 0).astype(float))
    assert separated(quasi.Z, quasi.chosen, quasi.starts)
    # overlapping: choices drawn from a logit, so no direction ranks every choice first
    overlap = synthetic_data(60, 3, np.array([0.5, 0.5]), seed=3)
    assert not separated(overlap.Z, overlap.chosen, overlap.starts)


def test_firth_is_finite_and_solves_firths_score_equations() -> None:
    rng = np.random.default_rng(4)
    diff = rng.normal(size=(25, 2))
    y = (diff[:, 0] > 0).astype(float)
    data = _pairs(diff, y)
    f = fit_actor(data, -1)
    assert f.penalty == "firth" and f.status == "weak"
    assert np.isfinite(f.params).all() and np.isfinite(f.cov).all()
    assert f.params[0] > 0  # the separating direction, but a finite step along it
    # two options: conditional logit = binary logit on the difference, no intercept; Firth's
    # modified score X'(y - p + h (1/2 - p)) = 0 with h the hat-matrix diagonal (Firth 1993)
    p = expit(diff @ f.params)
    wt = p * (1 - p)
    xw = diff * np.sqrt(wt)[:, None]
    h = np.einsum("ij,jk,ik->i", xw, np.linalg.inv(xw.T @ xw), xw)
    score = diff.T @ (y - p + h * (0.5 - p))
    np.testing.assert_allclose(score, 0.0, atol=1e-3)


# ---- (c) a synthetic scenario recovers its weights ----------------------------------------------
def test_synthetic_case_recovers_weights(results) -> None:
    ussr = next(a for a in results.actors if a.actor == "USSR")
    assert ussr.status == "ok" and ussr.n_decisions == N_DECISIONS
    assert results.warnings == []
    ci = results.conf_int(0.01).loc["USSR"]
    assert ((ci["lower"] <= TRUE_W) & (TRUE_W <= ci["upper"])).all(), ci
    z = np.abs(ussr.params - TRUE_W) / ussr.se
    assert (z < 3).all(), z
    verdict = results.verdict_frame().set_index("actor").loc["USSR"]
    assert verdict["p_interest_outweighs"] > 0.9
    assert verdict["verdict"] == "interest outweighs ideology"
    assert verdict["interest_strength"] > verdict["ideology_strength"]


# ---- (d) an actor with one decision -------------------------------------------------------------
def test_one_decision_actor_is_not_identified(lone_case: Case) -> None:
    res = fit(lone_case)
    gmd = next(a for a in res.actors if a.actor == "GMD")
    assert gmd.status == "unidentified" and gmd.n_decisions == 1
    assert np.isnan(res.params.loc["GMD"]).all()
    assert res.conf_int().loc["GMD"].isna().all().all()
    assert any(w.startswith("GMD is not identified") for w in res.warnings)
    row = res.verdict_frame().set_index("actor").loc["GMD"]
    assert np.isnan(row["p_interest_outweighs"])
    assert row["verdict"].startswith("not identified")
    text = res.summary().as_text()
    gmd_line = next(
        line for line in text.splitlines() if line.startswith("GMD ") and "not identified" in line
    )
    assert "n/a" in gmd_line
    # the identified actor is unaffected
    assert np.isfinite(res.params.loc["USSR"]).all()


# ---- (e) intervals and export -------------------------------------------------------------------
def test_conf_int_widths_scale_with_level(results) -> None:
    width = {a: (lambda c: c["upper"] - c["lower"])(results.conf_int(a)) for a in (0.1, 0.05, 0.5)}
    np.testing.assert_allclose(width[0.05] / width[0.1], norm.ppf(0.975) / norm.ppf(0.95))
    np.testing.assert_allclose(width[0.5] / width[0.1], norm.ppf(0.75) / norm.ppf(0.95))
    np.testing.assert_allclose(width[0.1], 2 * norm.ppf(0.95) * results.bse.to_numpy())
    centre = results.conf_int().mean(axis=1)
    np.testing.assert_allclose(centre, results.params)


def test_to_frame_is_tidy_and_exports(results) -> None:
    frame = results.to_frame()
    assert list(frame.columns) == [
        "case_id",
        "model",
        "method",
        "actor",
        "term",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "level",
        "status",
        "block",
        "strength",
        "strength_low",
        "strength_high",
    ]
    assert len(frame) == len(results.actors) * len(results.terms)
    # each weight sits next to its block's standardised strength (full model: w times the
    # actor's within-decision SD of the term), and the strength's interval contains it
    ussr = next(a for a in results.actors if a.actor == "USSR")
    sd = ussr.data.within_sd()
    mine = frame[frame["actor"] == "USSR"].set_index("term")
    np.testing.assert_allclose(mine["strength"], ussr.params * sd, rtol=1e-9)
    assert (mine["strength_low"] < mine["strength"]).all()
    assert (mine["strength"] < mine["strength_high"]).all()
    assert not frame.duplicated(["actor", "term"]).any()
    assert frame["level"].eq(0.9).all()
    back = pd.read_csv(io.StringIO(frame.to_csv(index=False)))
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    records = json.loads(frame.to_json(orient="records"))
    assert records[0]["estimate"] == pytest.approx(frame["estimate"].iloc[0])


# ---- (f) Bayes ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bayes_data() -> ChoiceData:
    return synthetic_data(40, 3, np.array([0.8, 1.2]), seed=5, n_actors=2)


def test_bayes_converges_and_is_reproducible(bayes_data: ChoiceData) -> None:
    # reproducibility does not need convergence: short runs, checks switched off
    loose = {"steps": 200, "burn": 100, "chains": 2, "rhat_max": np.inf, "ess_min": 0.0}
    a1 = fit_bayes(bayes_data, seed=7, **loose)
    a2 = fit_bayes(bayes_data, seed=7, **loose)
    assert np.array_equal(a1.draws, a2.draws)
    assert not np.array_equal(a1.draws, fit_bayes(bayes_data, seed=8, **loose).draws)
    # a run long enough to pass bayes.py's own convergence rule (it raises otherwise)
    a = fit_bayes(bayes_data, seed=7, steps=6000, burn=3000, chains=2)
    limits = inspect.signature(fit_bayes).parameters
    assert max(a.rhat.max(), a.rhat_hyper.max()) <= limits["rhat_max"].default
    assert a.ess.min() >= limits["ess_min"].default
    assert a.draws.shape[1:] == (2, 2) and 0.1 < a.acceptance < 0.9
    # the posterior sits where the pooled maximum-likelihood estimate is
    mle = fit_actor(bayes_data, -1)
    np.testing.assert_allclose(a.draws.mean(axis=(0, 1)), mle.params, atol=0.3)


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")
def test_too_short_mcmc_fails_loudly(bayes_data: ChoiceData, case: Case) -> None:
    with pytest.raises(ConvergenceError, match="did not converge"):
        fit_bayes(bayes_data, seed=7, steps=40, burn=20)
    with pytest.raises(ConvergenceError):
        fit(case, method="bayes", steps=30, chains=2)


def test_bad_fit_arguments_are_input_errors(case: Case) -> None:
    from realpolitik.errors import InputError

    with pytest.raises(InputError, match="--steps: expected at least 20"):
        fit(case, method="bayes", steps=0)
    comp = as_compiled(case)
    key = comp.assumption_ids[0]
    lo, hi = comp.bounds[0]
    with pytest.raises(InputError, match=f"assumptions.{key}: .* is outside its declared range"):
        fit(comp, assumptions={key: hi + 1.0})
    with pytest.raises(InputError, match="assumptions: unknown assumption 'no_such'"):
        fit(comp, assumptions={"no_such": 1.0})


# ---- (g) model comparison -----------------------------------------------------------------------
def test_model_comparison_table(lone_case: Case) -> None:
    comp = as_compiled(lone_case)
    table = compare_models(comp)
    expected = {
        "model",
        "loglik",
        "n_params",
        "aic",
        "bic",
        "loo_log_score",
        "loo_accuracy",
        "predicted",
        "decisions",
        "loo_weight",
        "bayes_factor_full_vs",
    }
    assert expected <= set(table.columns)
    t = table.set_index("model")
    n = t["decisions"].iloc[0]
    assert n == 41
    # the GMD's single decision is not identified: no parameters, chance prediction
    assert t.loc["full", "n_params"] == 2 and t.loc["ideology", "n_params"] == 1
    # AIC/BIC only from unpenalised maxima; with 41 < 50 decisions no Bayes factor from BIC
    ml = t["estimates"] == "maximum likelihood"
    assert ml.any()
    np.testing.assert_allclose(t["aic"][ml], (-2 * t["loglik"] + 2 * t["n_params"])[ml])
    np.testing.assert_allclose(t["bic"][ml], (-2 * t["loglik"] + np.log(n) * t["n_params"])[ml])
    assert t.loc[~ml, ["aic", "bic"]].isna().all().all()
    assert t["bayes_factor_full_vs"].isna().all()
    assert t["note"].str.contains("no Bayes factor from BIC on 41 < 50 decisions").all()
    assert t["loo_accuracy"].between(0, 1).all()
    assert t["loo_weight"].sum() == pytest.approx(1.0)
    assert (t["loo_weight_se"] > 0).all() and (t["loo_se"] > 0).all()
    # nested models: the full model fits at least as well as either of its parts
    assert t.loc["full", "loglik"] >= t.loc[["ideology", "interest"], "loglik"].max() - 1e-6
    # out of sample, the model with the true (interest-heavy) structure beats ideology alone
    assert t.loc["full", "loo_log_score"] > t.loc["ideology", "loo_log_score"]
    assert (t["loo_log_score"] < 0).all()


# ---- (h) parameter recovery ---------------------------------------------------------------------
def test_simulated_choices_follow_the_softmax() -> None:
    base = synthetic_data(1, 3, np.array([1.0, -1.0]), seed=6)
    many = replicate(base, 20000)
    W = np.array([[1.0, -1.0]])
    chosen = simulate_choices(many, W, np.random.default_rng(0))
    freq = chosen.reshape(-1, 3).mean(axis=0)
    u = base.Z @ W[0]
    p = np.exp(u - logsumexp(u))
    assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / 20000))


def test_recovery_coverage_of_pooled_mle(case: Case) -> None:
    frame = recover(case, true_weights=TRUE_W, pooled=True, replications=200, seed=1)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 200 * 2 and frame["status"].eq("ok").all()
    summary = coverage_summary(frame).set_index("term")
    lo, hi = binom.ppf([0.005, 0.995], 200, 0.9) / 200
    assert summary["coverage"].between(lo, hi).all(), summary
    # the check has power: intervals 25% too narrow would fail it
    z90 = norm.ppf(0.95)
    narrow = (frame["estimate"] - frame["true"]).abs() <= 0.75 * z90 * frame["se"]
    assert not narrow.groupby(frame["term"]).mean().between(lo, hi).any()
    # the same fits at 50%: catches standard errors that are right only on average
    z50 = norm.ppf(0.75)
    hit50 = (frame["estimate"] - frame["true"]).abs() <= z50 * frame["se"]
    lo50, hi50 = binom.ppf([0.005, 0.995], 200, 0.5) / 200
    assert hit50.groupby(frame["term"]).mean().between(lo50, hi50).all()
    # and the estimates centre on the truth: the median is off by less than 0.3 of the spread,
    # loose enough for the logit MLE's known small-sample bias away from zero (about 0.2
    # spreads here on the interest weight), tight enough to catch a wrong scale or sign
    by_term = frame.groupby("term", sort=False)
    off = (by_term["estimate"].median() - by_term["true"].first()).abs()
    assert (off < 0.3 * by_term["estimate"].std()).all(), off


def test_recovery_is_seeded_and_flags_unidentified_actors(lone_case: Case) -> None:
    a = recover(lone_case, true_weights=TRUE_W, replications=5, seed=3)
    b = recover(lone_case, true_weights=TRUE_W, replications=5, seed=3)
    pd.testing.assert_frame_equal(a, b)
    gmd = a[a["actor"] == "GMD"]
    assert gmd["status"].eq("unidentified").all() and not gmd["covered"].any()
    summary = coverage_summary(a).set_index(["actor", "term"])
    assert summary.loc[("GMD", "ideology"), "share_unidentified"] == 1.0
    assert np.isnan(summary.loc[("GMD", "ideology"), "coverage"])


# ---- (i) decomposition --------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["full", "ideology", "interest"])
def test_decomposition_parts_sum_to_the_gap(case: Case, model: str) -> None:
    res = fit(case, model=model)
    dec = res.decomposition()
    assert len(dec) == N_DECISIONS
    np.testing.assert_allclose(dec["ideology_part"] + dec["interest_part"], dec["gap"])
    shares = dec["ideology_share"] + dec["interest_share"]
    np.testing.assert_allclose(shares[shares.notna()], 1.0)
    # the gap, computed independently: chosen option's utility minus the best rejected one's
    ussr = next(a for a in res.actors if a.actor == "USSR")
    d = ussr.data
    for g in range(d.n_groups):
        rows = d.group == g
        u = d.Z[rows] @ ussr.params
        c = int(np.flatnonzero(d.chosen[rows])[0])
        gap = u[c] - np.delete(u, c).max()
        assert dec["gap"].iloc[g] == pytest.approx(gap, abs=1e-10)
