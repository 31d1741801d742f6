"""Models: recovery on simulated data, covariances against statsmodels, Firth and King-Zeng,
block strengths, the verdict rule and its robustness checks, real-data fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from realpolitik.alliances import inference as inf
from realpolitik.alliances import models as M
from realpolitik.alliances.eras import parse_eras
from realpolitik.errors import InputError
from test_alliances_helpers import full_panel

PLEDGE_COLS = ("atop_defense", "atop_offense", "atop_neutral", "atop_nonagg", "atop_consul")


def _synthetic(
    seed: int, beta: dict[str, float], n_dyads: int = 3000, years: int = 40
) -> pd.DataFrame:
    """A fake panel in the 1946-1989 era where the true logit coefficients are `beta`."""
    rng = np.random.default_rng(seed)
    n = n_dyads * years
    c1 = np.repeat(np.arange(n_dyads) % 900 + 2, years)
    c2 = np.repeat(np.arange(n_dyads) // 900 + 1, years) + 900
    df = pd.DataFrame(
        {"ccode1": c1, "ccode2": c2, "year": np.tile(np.arange(1946, 1946 + years), n_dyads)}
    )
    df["regime_sim"] = rng.uniform(0, 1, n)
    df["joint_democracy"] = (rng.uniform(size=n) < 0.2).astype(float)
    df["joint_autocracy"] = ((rng.uniform(size=n) < 0.2) & (df["joint_democracy"] == 0)).astype(
        float
    )
    df["common_threat"] = (rng.uniform(size=n) < 0.15).astype(float)
    df["cap_ratio_log"] = rng.exponential(2.0, n)
    df["contiguous"] = (rng.uniform(size=n) < 0.1).astype(float)
    df["major_any"] = (rng.uniform(size=n) < 0.1).astype(float)
    xb = beta["const"] + sum(beta.get(t.name, 0.0) * df[t.name] for t in M.TERMS)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-xb))).astype(np.int8)
    # every row at risk (no pledge held the year before): onset = presence = new obligation
    df["atop_any"] = y
    df["atop_any_lag"] = np.int8(0)
    df["atop_new_obligation"] = y
    for col in PLEDGE_COLS:
        df[col] = y
        df[f"{col}_lag"] = np.int8(0)
    df["era"] = "1946-1989"
    return df


PRESENCE = M.Spec(outcome="any-presence")


def test_recovers_coefficients_and_verdict_interest() -> None:
    beta = {
        "const": -3.0,
        "regime_sim": 0.0,
        "joint_democracy": 0.0,
        "joint_autocracy": 0.0,
        "common_threat": 1.5,
        "cap_ratio_log": 0.3,
        "contiguous": 1.0,
        "major_any": 0.8,
    }
    fit = M.fit_models(_synthetic(7, beta), ["1946-1989"], PRESENCE, robustness=False)
    r = fit.results["1946-1989"]
    ci = fit.conf_int()
    for term, b in beta.items():
        row = ci[ci["term"] == term].iloc[0]
        assert row["conf_low"] - 0.05 < b < row["conf_high"] + 0.05, term
    assert r.p_interest >= 0.9 and r.spec_verdict == M.VERDICT_INTEREST
    assert r.converged


def test_verdict_ideology_and_undecided() -> None:
    beta = {"const": -3.0, "regime_sim": 1.5, "joint_democracy": 1.2, "joint_autocracy": 1.0}
    r = M.fit_era(_synthetic(11, beta), "1946-1989", PRESENCE)
    assert r.spec_verdict == M.VERDICT_IDEOLOGY
    r0 = M.fit_era(_synthetic(12, {"const": -3.0}), "1946-1989", PRESENCE)
    assert 0.1 < r0.p_interest < 0.9
    assert r0.spec_verdict == M.VERDICT_NONE


def test_verdict_only_when_checks_agree() -> None:
    beta = {"const": -3.0, "common_threat": 1.5, "cap_ratio_log": 0.3}
    r = M.fit_era(_synthetic(5, beta), "1946-1989", PRESENCE)
    assert r.verdict == "interest outweighs ideology (robustness checks not run)"
    r.checks = [M.Check("regime vdem", 0.95, M.VERDICT_INTEREST, 10, 1)]
    assert r.verdict == M.VERDICT_INTEREST  # every check agrees
    r.checks = [
        M.Check("regime vdem", 0.95, M.VERDICT_INTEREST, 10, 1),
        M.Check("regime uds", 0.5, M.VERDICT_NONE, 10, 1),
    ]
    assert r.failed_checks == ["regime uds"]
    assert r.verdict == (
        "undecided (checks disagree with interest outweighs ideology: regime uds gives undecided)"
    )
    assert r.spec_verdict == M.VERDICT_INTEREST


def test_verdict_rule_mirrors_the_case_rule() -> None:
    assert M.verdict_word(0.9) == "interest outweighs ideology"
    assert M.verdict_word(0.05) == "ideology outweighs interest"
    assert M.verdict_word(0.5) == "undecided"
    assert M.verdict_word(float("nan")) == "undecided"
    from realpolitik.estimation.results import VERDICT_LEVEL

    assert M.VERDICT_LEVEL == VERDICT_LEVEL


def test_block_strength_is_sd_of_linear_predictor_contribution() -> None:
    df = _synthetic(3, {"const": -2.5, "common_threat": 1.0, "regime_sim": -0.7})
    d = M.design(df, PRESENCE, "1946-1989")
    X = d.X
    b = np.linspace(-1, 1, X.shape[1])
    s = M.block_strengths(b[None, :], X, PRESENCE)
    cols = list(X.columns)
    for block, names in (
        (M.IDEOLOGY, ["regime_sim", "joint_democracy", "joint_autocracy"]),
        (M.INTEREST, ["common_threat", "cap_ratio_log"]),
    ):
        contrib = X[names].to_numpy() @ b[[cols.index(c) for c in names]]
        ref = X[M.REFERENCE[block]].to_numpy()
        sign = np.sign(np.cov(contrib, ref)[0, 1])
        assert s[block][0] == pytest.approx(sign * contrib.std(ddof=1), rel=1e-9)
    # counting contiguity and major power as interest changes the interest block only
    wide = M.Spec(outcome="any-presence", controls_as_interest=True)
    s2 = M.block_strengths(b[None, :], X, wide)
    assert s2[M.IDEOLOGY][0] == pytest.approx(s[M.IDEOLOGY][0])
    assert s2[M.INTEREST][0] != pytest.approx(s[M.INTEREST][0])


def test_cluster_covariances_match_statsmodels() -> None:
    import statsmodels.api as sm

    df = _synthetic(9, {"const": -2.0, "contiguous": 1.0, "common_threat": 0.8}, 400, 30)
    d = M.design(df, PRESENCE, "1946-1989")
    X, y = d.X.to_numpy(), d.y
    fit = inf.fit_logit(X, y)
    ref = sm.Logit(y, X).fit(disp=0)
    assert np.allclose(fit.params, ref.params, atol=1e-7)
    S = inf.scores(X, y, fit.p)
    _, g = np.unique(d.dyad, return_inverse=True)
    sm_dyad = sm.Logit(y, X).fit(disp=0, cov_type="cluster", cov_kwds={"groups": g})
    assert np.allclose(inf.cluster_cov(fit.bread, S, g), sm_dyad.cov_params(), rtol=1e-6)
    _, t = np.unique(d.year, return_inverse=True)
    two = inf.twoway_cov(fit.bread, S, d.dyad, d.year)
    by_year = inf.cluster_cov(fit.bread, S, t)
    _, cell = np.unique(d.dyad * 10_000 + d.year, return_inverse=True)
    manual = inf.cluster_cov(fit.bread, S, g) + by_year - inf.cluster_cov(fit.bread, S, cell)
    vals = np.linalg.eigvalsh(manual)
    if vals.min() >= 0:
        assert np.allclose(two, manual)
    assert np.all(np.linalg.eigvalsh(two) >= -1e-12)


def test_twoway_errors_widen_with_year_shocks() -> None:
    """A common shock per year (a treaty that signs up many pairs at once) inflates the
    two-way errors of a year-level regressor far above the dyad-clustered ones."""
    rng = np.random.default_rng(4)
    n_dyads, years = 800, 40
    year = np.tile(np.arange(years), n_dyads)
    dyad = np.repeat(np.arange(n_dyads), years)
    x = rng.normal(size=years)[year]  # varies by year only
    shock = rng.normal(scale=1.5, size=years)[year]
    y = (rng.uniform(size=len(year)) < 1 / (1 + np.exp(-(-3 + shock)))).astype(float)
    X = np.column_stack([np.ones(len(y)), x])
    fit = inf.fit_logit(X, y)
    S = inf.scores(X, y, fit.p)
    _, g = np.unique(dyad, return_inverse=True)
    se_dyad = np.sqrt(np.diag(inf.cluster_cov(fit.bread, S, g)))[1]
    se_two = np.sqrt(np.diag(inf.twoway_cov(fit.bread, S, dyad, year)))[1]
    assert se_two > 2 * se_dyad


def test_firth_is_finite_under_separation_and_close_to_logit_in_large_samples() -> None:
    X = np.column_stack([np.ones(20), np.r_[np.zeros(10), np.ones(10)]])
    y = np.r_[np.zeros(10), np.ones(10)]
    f = inf.fit_logit(X, y, firth=True)
    assert np.all(np.isfinite(f.params)) and abs(f.params[1]) < 10
    # Firth's estimate for a 2x2 table adds 1/2 to every cell: log((10.5/0.5)^2)
    assert f.params[1] == pytest.approx(2 * np.log(10.5 / 0.5), rel=1e-6)
    df = _synthetic(21, {"const": -2.0, "contiguous": 1.0}, 1000, 20)
    d = M.design(df, PRESENCE, "1946-1989")
    a = inf.fit_logit(d.X.to_numpy(), d.y)
    b = inf.fit_logit(d.X.to_numpy(), d.y, firth=True)
    kz, factor = inf.king_zeng(d.X.to_numpy(), a)
    assert np.allclose(a.params, b.params, atol=0.02)
    # King-Zeng and Firth agree to first order: both remove the O(1/n) bias
    assert np.abs(kz - b.params).max() < 0.2 * np.abs(a.params - b.params).max() + 1e-4
    assert 0 < factor < 1


def test_ame_matches_finite_difference() -> None:
    df = _synthetic(3, {"const": -2.5, "contiguous": 1.0, "regime_sim": 0.7})
    r = M.fit_era(df, "1946-1989", PRESENCE)
    X = M.design(df, PRESENCE, "1946-1989").X[list(r.params.index)]
    b = r.params.to_numpy()

    def prob(Xm: pd.DataFrame) -> np.ndarray:
        return 1 / (1 + np.exp(-(Xm.to_numpy() @ b)))

    x1, x0 = X.copy(), X.copy()
    x1["contiguous"], x0["contiguous"] = 1.0, 0.0
    assert r.ame.loc["contiguous", "ame"] == pytest.approx((prob(x1) - prob(x0)).mean(), rel=1e-9)
    h = 1e-5
    xh = X.copy()
    xh["regime_sim"] += h
    deriv = ((prob(xh) - prob(X)) / h).mean()
    assert r.ame.loc["regime_sim", "ame"] == pytest.approx(deriv * X["regime_sim"].std(), rel=1e-3)


def test_outcome_names() -> None:
    assert M.parse_outcome("defense") == "defense-onset"
    assert M.parse_outcome("onset") == "first-onset"
    assert M.parse_outcome("presence") == "any-presence"
    assert M.parse_outcome("Consultation-Presence") == "consultation-presence"
    with pytest.raises(InputError, match="outcome"):
        M.parse_outcome("duration")
    with pytest.raises(InputError, match="--regime"):
        M.Spec(regime="freedom-house").check()


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real_fit() -> M.AllianceFit:
    return M.fit_models(full_panel(), ["1946-1989"], M.Spec(outcome="first-onset"))


@pytest.mark.data
def test_real_fit_counts_and_drops(real_fit: M.AllianceFit) -> None:
    df = full_panel()
    cw = real_fit.results["1946-1989"]
    risk = df[(df["era"] == "1946-1989") & (df["atop_any_lag"] == 0)]
    terms = [
        "regime_sim",
        "joint_democracy",
        "joint_autocracy",
        "common_threat",
        "cap_ratio_log",
        "contiguous",
        "major_any",
    ]
    usable = risk[terms].notna().all(axis=1)
    assert cw.n_obs == int(usable.sum())
    assert cw.n_events == int(risk.loc[usable, "atop_onset"].sum())
    assert cw.rows_dropped == int((~usable).sum())
    assert cw.events_dropped == int(risk.loc[~usable, "atop_onset"].sum())
    polity_missing = risk["regime_sim"].isna()
    assert cw.missing["regime (polity)"] == (
        int(polity_missing.sum()),
        int(risk.loc[polity_missing, "atop_onset"].sum()),
    )
    assert cw.converged
    # a multilateral treaty makes many onsets at once: year clustering widens the errors
    se2 = np.sqrt(np.diag(cw.cov.to_numpy()))
    se1 = np.sqrt(np.diag(cw.cov_dyad.to_numpy()))
    k = list(cw.params.index).index("joint_democracy")
    assert se2[k] > 2 * se1[k]
    vf = real_fit.verdict_frame()
    assert {
        "ideology_strength",
        "interest_strength",
        "p_interest_outweighs",
        "rows_dropped",
        "events_dropped",
        "failed_checks",
        "verdict",
    } <= set(vf.columns)
    names = {c.name for c in cw.checks}
    assert names == {"regime vdem", "regime uds", "outcome any-onset", "estimator rare-events"}
    assert cw.verdict.startswith((M.VERDICT_INTEREST, M.VERDICT_IDEOLOGY, M.VERDICT_NONE))
    assert "1946-1989" in real_fit.summary() and "dropped for missing data" in real_fit.summary()


@pytest.mark.data
def test_formation_counts_new_pledges_among_allies() -> None:
    df = full_panel()
    pact = df[(df["ccode1"] == 255) & (df["ccode2"] == 325) & (df["year"] == 1939)].iloc[0]
    assert pact["atop_onset"] == 0 and pact["atop_new_obligation"] == 1  # Pact of Steel
    sino = df[(df["ccode1"] == 365) & (df["ccode2"] == 710) & (df["year"] == 1950)].iloc[0]
    assert sino["atop_onset"] == 0 and sino["atop_new_obligation"] == 1
    new_type = np.zeros(len(df), dtype=bool)
    for col in PLEDGE_COLS:
        new_type |= (df[col] == 1).to_numpy() & (df[f"{col}_lag"] == 0).to_numpy()
    expected = (df["atop_onset"] == 1).to_numpy() | new_type
    assert (df["atop_new_obligation"].to_numpy() == expected).all()
    assert int((df["atop_new_obligation"] == 1).sum()) > int((df["atop_onset"] == 1).sum())


@pytest.mark.data
def test_defense_onset_and_vdem() -> None:
    df = full_panel()
    spec = M.Spec(outcome="defense-onset", regime="vdem")
    r = M.fit_era(df, "1946-1989", spec)
    risk = df[(df["era"] == "1946-1989") & (df["atop_defense_lag"] == 0)]
    cols = [
        "regime_sim_vdem",
        "joint_democracy_vdem",
        "joint_autocracy_vdem",
        "common_threat",
        "cap_ratio_log",
    ]
    usable = risk[cols].notna().all(axis=1)
    assert r.n_obs == int(usable.sum())
    assert r.n_events == int(risk.loc[usable, "atop_defense"].sum())
    assert "allied_lag" in r.params.index and "py" in r.params.index
    assert r.missing["regime (vdem)"][0] == int(risk["regime_sim_vdem"].isna().sum())


@pytest.mark.data
def test_rivalry_is_lagged_one_year() -> None:
    from test_alliances_helpers import read_raw

    riv = read_raw("tss_rivalries")
    df = full_panel()
    row = riv[(riv["start"] > 1850) & (riv["start"] < 2000)].iloc[0]
    a, b, start = (
        int(min(row["ccode1"], row["ccode2"])),
        int(max(row["ccode1"], row["ccode2"])),
        int(row["start"]),
    )
    pair = df[(df["ccode1"] == a) & (df["ccode2"] == b)].set_index("year")["rivals"]
    if start in pair.index and start + 1 in pair.index:
        assert pair[start] == 0 and pair[start + 1] == 1


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match="unknown era"):
        parse_eras(["the-belle-epoque"])
    assert parse_eras(["cold-war,pooled"]) == ["1946-1989", "pooled"]
    with pytest.raises(InputError, match="column missing"):
        M.design(pd.DataFrame({"year": [1950]}), "any-onset", "1946-1989")


@pytest.mark.data
def test_directed_dyads_model_the_pledges_each_side_gives() -> None:
    from realpolitik.alliances.panel import build_panel
    from test_alliances_helpers import imported_data_dir

    df = build_panel(1946, 1989, directed=True, data_dir=imported_data_dir())
    spec = M.Spec(outcome="defense-onset", directed=True)
    r = M.fit_era(df, "1946-1989", spec)
    risk = df[(df["era"] == "1946-1989") & (df["atop_defense_dir_lag"] == 0)]
    usable = risk[["regime_sim", "joint_democracy", "common_threat", "cap_ratio_log"]].notna()
    usable = usable.all(axis=1)
    assert r.n_events == int(risk.loc[usable, "atop_defense_dir"].sum())
    # both orders of a pair share one cluster: as many dyads as unordered pairs
    pairs = risk.loc[usable, ["ccode1", "ccode2"]]
    assert r.n_dyads == len({(min(a, b), max(a, b)) for a, b in pairs.itertuples(index=False)})
    # ATOP's pledges are sometimes one-sided: the directed flags differ from the folded ones
    assert (df["atop_defense_dir"] != df["atop_defense"]).any()
    assert "directed" in r.spec.label()
    with pytest.raises(InputError, match="directed=True"):
        M.fit_era(full_panel(), "1946-1989", spec)


def test_custom_spans_and_contrasts() -> None:
    assert parse_eras(["1816-1992", "cold-war"]) == ["1816-1992", "1946-1989"]
    with pytest.raises(InputError, match="span of years"):
        parse_eras(["1700-1800"])
    df = _synthetic(8, {"const": -2.0, "joint_democracy": 0.5, "joint_autocracy": -0.5})
    df["era"] = df["era"].where(df["year"] < 1980, None)  # the last years belong to no era
    named = M.fit_era(df, "1946-1989", PRESENCE)
    span = M.fit_era(df, "1946-1985", PRESENCE)
    assert span.n_obs == int((df["year"] <= 1985).sum()) > named.n_obs
    fit = M.AllianceFit(spec=PRESENCE.check(), results={"1946-1985": span})
    c = fit.contrast("joint_democracy", "joint_autocracy").iloc[0]
    p, V = span.params, span.cov
    assert c["estimate"] == pytest.approx(p["joint_democracy"] - p["joint_autocracy"])
    var = (
        V.loc["joint_democracy", "joint_democracy"]
        + V.loc["joint_autocracy", "joint_autocracy"]
        - 2 * V.loc["joint_democracy", "joint_autocracy"]
    )
    assert c["std_error"] == pytest.approx(np.sqrt(var))
    assert c["estimate"] > 0 and c["z"] > 2  # the simulated gap of 1.0 is found
