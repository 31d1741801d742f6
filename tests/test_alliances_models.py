"""Models: recovery on simulated data, AME maths, verdict rule, real-data fits on two eras."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from realpolitik.alliances import models as M
from realpolitik.alliances.eras import parse_eras
from realpolitik.errors import InputError
from test_alliances_helpers import full_panel


def _synthetic(
    seed: int, beta: dict[str, float], n_dyads: int = 3000, years: int = 20
) -> pd.DataFrame:
    """A fake panel in the 1946-1989 era where the true logit coefficients are `beta`."""
    rng = np.random.default_rng(seed)
    n = n_dyads * years
    c1 = np.repeat(np.arange(n_dyads) % 900 + 2, years)
    c2 = np.repeat(np.arange(n_dyads) // 900 + 1, years) + 900
    df = pd.DataFrame(
        {"ccode1": c1, "ccode2": c2, "year": np.tile(np.arange(1950, 1950 + years), n_dyads)}
    )
    df["regime_sim"] = rng.uniform(0, 1, n)
    df["joint_democracy"] = (rng.uniform(size=n) < 0.2).astype(float)
    df["joint_autocracy"] = ((rng.uniform(size=n) < 0.2) & (df["joint_democracy"] == 0)).astype(
        float
    )
    df["common_threat"] = (rng.uniform(size=n) < 0.1).astype(float)
    df["cap_ratio_log"] = rng.exponential(2.0, n)
    df["contiguous"] = (rng.uniform(size=n) < 0.1).astype(float)
    df["major_any"] = (rng.uniform(size=n) < 0.1).astype(float)
    df["atop_peaceyears"] = rng.integers(0, 60, n)
    xb = beta["const"] + sum(beta.get(t.name, 0.0) * df[t.name] for t in M.TERMS)
    py = df["atop_peaceyears"] / 10
    xb = xb - 0.3 * py + 0.02 * py**2
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-xb))).astype(np.int8)
    df["atop_onset"] = y
    df["atop_any"] = y
    df["atop_any_lag"] = 0
    df["era"] = "1946-1989"
    return df


def test_recovers_coefficients_and_verdict_interest() -> None:
    beta = {
        "const": -3.0,
        "regime_sim": 0.0,
        "joint_democracy": 0.0,
        "joint_autocracy": 0.0,
        "common_threat": 1.2,
        "cap_ratio_log": 0.0,
        "contiguous": 1.0,
        "major_any": 0.8,
    }
    fit = M.fit_models(_synthetic(7, beta), ["1946-1989"])
    r = fit.results["1946-1989"]
    ci = fit.conf_int()
    for term, b in beta.items():
        row = ci[ci["term"] == term].iloc[0]
        assert row["conf_low"] - 0.05 < b < row["conf_high"] + 0.05, term
    assert r.verdict == M.VERDICT_INTEREST
    assert r.r2_drop("interest") > r.r2_drop("ideology")


def test_verdict_ideology_and_no_difference() -> None:
    beta = {"const": -3.0, "regime_sim": 1.5, "joint_democracy": 1.2, "joint_autocracy": 1.0}
    r = M.fit_models(_synthetic(11, beta), ["1946-1989"]).results["1946-1989"]
    assert r.verdict == M.VERDICT_IDEOLOGY
    r0 = M.fit_models(_synthetic(12, {"const": -3.0}), ["1946-1989"]).results["1946-1989"]
    assert r0.blocks["diff_low"] < 0 < r0.blocks["diff_high"]
    assert r0.verdict == M.VERDICT_NONE


def test_verdict_rule() -> None:
    assert M.verdict_from_interval(0.001, 0.02) == "interest outweighs ideology"
    assert M.verdict_from_interval(-0.02, -0.001) == "ideology outweighs interest"
    assert M.verdict_from_interval(-0.01, 0.01) == "no clear difference"
    assert M.verdict_from_interval(float("nan"), 0.01) == "no clear difference"


def test_ame_matches_finite_difference() -> None:
    df = _synthetic(3, {"const": -2.5, "contiguous": 1.0, "regime_sim": 0.7})
    r = M.fit_models(df, ["1946-1989"]).results["1946-1989"]
    X, _ = M.design(df, "onset", "1946-1989")
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
    sd = X["regime_sim"].std()
    assert r.ame.loc["regime_sim", "ame"] == pytest.approx(deriv * sd, rel=1e-3)


@pytest.fixture(scope="module")
def real_fit() -> M.AllianceFit:
    return M.fit_models(full_panel(), ["1919-1939", "1946-1989"])


def test_real_fit_outputs(real_fit: M.AllianceFit) -> None:
    df = full_panel()
    frame = real_fit.to_frame()
    for col in (
        "era",
        "term",
        "block",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "ame",
        "ame_low",
        "ame_high",
        "n_obs",
    ):
        assert col in frame.columns
    assert set(frame["block"]) == {"ideology", "interest", "control"}
    cw = real_fit.results["1946-1989"]
    risk = df[(df["era"] == "1946-1989") & (df["atop_any_lag"] == 0)]
    usable = risk[[t.name for t in M.TERMS]].notna().all(axis=1)
    assert cw.n_obs == int(usable.sum())
    assert cw.n_events == int(risk.loc[usable, "atop_onset"].sum())
    assert cw.converged
    vf = real_fit.verdict_frame()
    assert list(vf["era"]) == ["1919-1939", "1946-1989"]
    assert set(vf["verdict"]) <= {M.VERDICT_INTEREST, M.VERDICT_IDEOLOGY, M.VERDICT_NONE}
    assert (vf["ideology_r2_drop"] >= 0).all() and (vf["interest_r2_drop"] >= 0).all()
    assert np.allclose(vf["diff"], vf["interest_ame"] - vf["ideology_ame"])
    assert real_fit.params.shape[1] == 2
    # substantive expectations that the data could contradict
    p = cw.params
    assert p["contiguous"] > 0 and p["major_any"] > 0
    assert p["joint_democracy"] > 0  # Cold War alliances favoured democratic pairs
    assert p["py"] < 0  # onset hazard falls as years without an alliance accumulate
    assert "1946-1989" in real_fit.summary()


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match="unknown era"):
        parse_eras(["the-belle-epoque"])
    assert parse_eras(["cold-war,pooled"]) == ["1946-1989", "pooled"]
    with pytest.raises(InputError, match="outcome"):
        M.design(full_panel().head(10), "duration", "1946-1989")
