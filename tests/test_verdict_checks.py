"""The checks behind a verdict: standardisations, deterministic probabilities, non-nested tests
against hand computations, Holm, the combining rule, prior sensitivity, changing weights.

Synthetic data only; every random draw is seeded.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp
from scipy.stats import binom, norm

from realpolitik.estimation import robustness as rb
from realpolitik.estimation.api import fit
from realpolitik.estimation.data import ChoiceData
from realpolitik.estimation.mle import fit_actor
from realpolitik.estimation.nonnested import clarke, holm, nonnested_tests, vuong
from realpolitik.estimation.periods import period_comparison, period_of
from realpolitik.estimation.recovery import simulate_choices
from realpolitik.estimation.strength import SCALES, ml_summary, normal_points, strengths
from synthetic_case import synthetic_case


def make_data(Z: np.ndarray, n_opt: int, n_actors: int = 1, terms=("ideology", "interest")):
    """ChoiceData from option terms Z (ideology first when present); no choices yet."""
    n = len(Z) // n_opt
    X5 = np.zeros((len(Z), 5))
    if "ideology" in terms:
        X5[:, 0] = Z[:, list(terms).index("ideology")]
    N = Z[:, list(terms).index("interest")] if "interest" in terms else np.zeros(len(Z))
    return ChoiceData(
        comp=None,  # type: ignore[arg-type]
        model="full",
        terms=tuple(terms),
        Z=Z,
        X5=X5,
        N=N.copy(),
        chosen=np.zeros(len(Z)),
        group=np.repeat(np.arange(n), n_opt),
        actor=np.repeat(np.arange(n) % n_actors, n_opt),
        decisions=list(range(n)),
        starts=np.arange(0, len(Z), n_opt),
    )


def simulated(n: int, n_opt: int, W: np.ndarray, seed: int, n_actors: int = 1) -> ChoiceData:
    rng = np.random.default_rng(seed)
    data = make_data(rng.normal(size=(n * n_opt, W.shape[1])), n_opt, n_actors)
    data.chosen = simulate_choices(data, W, rng)
    return data


def single(data: ChoiceData, j: int) -> ChoiceData:
    """The same decisions under a one-term model (term j)."""
    term = data.terms[j]
    out = make_data(data.Z[:, [j]], int(np.diff(data.starts)[0]), terms=(term,))
    out.chosen = data.chosen
    out.actor = data.actor
    return out


# ---- standardisations --------------------------------------------------------------------------
def test_strength_scales_by_hand() -> None:
    """Every standardisation recomputed decision by decision with plain loops."""
    data = simulated(6, 3, np.array([[0.7, 1.3]]), seed=1)
    w = np.array([0.7, -1.3])
    ideo, N = data.Z[:, 0], data.Z[:, 1]
    uI, uN = w[0] * ideo, w[1] * N
    blocks = [slice(s, s + 3) for s in data.starts]
    sign_i = np.sign(
        sum(((uI[b] - uI[b].mean()) * (ideo[b] - ideo[b].mean())).sum() for b in blocks)
    )
    sign_n = np.sign(sum(((uN[b] - uN[b].mean()) * (N[b] - N[b].mean())).sum() for b in blocks))
    assert sign_i == 1 and sign_n == -1  # a negative interest weight runs against interest
    expected = {}
    dof = len(ideo) - len(blocks)
    expected["within_sd"] = [
        sign * np.sqrt(sum(((u[b] - u[b].mean()) ** 2).sum() for b in blocks) / dof)
        for sign, u in ((sign_i, uI), (sign_n, uN))
    ]
    expected["decision_sd"] = [
        sign * np.mean([u[b].std() for b in blocks]) for sign, u in ((sign_i, uI), (sign_n, uN))
    ]
    expected["range"] = [
        sign * np.mean([np.ptp(u[b]) for b in blocks]) for sign, u in ((sign_i, uI), (sign_n, uN))
    ]
    parts = []
    for b in blocks:
        U = uI[b] + uN[b]
        c = int(np.flatnonzero(data.chosen[b])[0])
        best = max((j for j in range(3) if j != c), key=lambda j: U[j])
        parts.append((uI[b][c] - uI[b][best], uN[b][c] - uN[b][best]))
    parts = np.array(parts)
    expected["abs_gap"] = [sign_i * np.abs(parts[:, 0]).mean(), sign_n * np.abs(parts[:, 1]).mean()]
    share = np.abs(parts[:, 0]) / np.abs(parts).sum(axis=1)
    expected["gap_share"] = [sign_i * share.mean(), sign_n * (1 - share.mean())]
    expected["signed_gap"] = [parts[:, 0].mean(), parts[:, 1].mean()]
    assert set(expected) == set(SCALES)
    for scale, (ei, en) in expected.items():
        si, sn = strengths(w[None], data, data.terms, scale)
        assert si[0] == pytest.approx(ei, rel=1e-10), scale
        assert sn[0] == pytest.approx(en, rel=1e-10), scale


# ---- deterministic maximum-likelihood probability ----------------------------------------------
def test_ml_probability_closed_form_and_quadrature() -> None:
    data = simulated(40, 3, np.array([[0.8, 1.0]]), seed=2)
    f = fit_actor(data, -1)
    s = data.within_sd()
    # closed form by hand: D = w_N s_N - w_I s_I is linear in w
    g = np.array([-s[0], s[1]])
    D = g @ f.params
    expected = norm.cdf(D / np.sqrt(g @ f.cov @ g))
    got = ml_summary(f.params, f.cov, data, data.terms)
    assert got["p"] == pytest.approx(expected, abs=1e-8)
    assert got["interest"] == pytest.approx(f.params[1] * s[1])
    # the quadrature (non-linear scales) is the normal probability: compare with 400k draws
    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal(f.params, f.cov, size=400_000)
    for scale in ("abs_gap", "gap_share"):
        si, sn = strengths(draws, data, data.terms, scale)
        mc = np.mean(sn > si)
        q = ml_summary(f.params, f.cov, data, data.terms, scale)["p"]
        assert abs(q - mc) < 0.01, (scale, q, mc)
        # no randomness: the same points, the same number, every time
        assert q == ml_summary(f.params, f.cov, data, data.terms, scale)["p"]
    pts = normal_points(f.params, f.cov)
    se = np.sqrt(np.diag(f.cov))
    assert (np.abs(pts.mean(axis=0) - f.params) < 0.01 * se).all()
    np.testing.assert_allclose(np.cov(pts, rowvar=False), f.cov, rtol=0.02)


def test_ml_probabilities_do_not_move_with_the_seed() -> None:
    case = _scenario_case(30, seed=3)
    r0, r1 = fit(case, seed=0), fit(case, seed=1)
    v0, v1 = r0.verdict_frame(), r1.verdict_frame()
    assert v0["p_interest_outweighs"].tolist() == v1["p_interest_outweighs"].tolist()
    pd.testing.assert_frame_equal(r0.robustness(), r1.robustness())
    pd.testing.assert_frame_equal(r0.tests_frame(), r1.tests_frame())


# ---- non-nested tests -----------------------------------------------------------------------------
def test_vuong_and_clarke_by_hand() -> None:
    m = np.array([0.5, -0.2, 0.3, 0.1])
    # Vuong: LR = 0.7 - (1 - 2)/2 ln 4; omega^2 = mean(m^2) - mean(m)^2 = 0.0975 - 0.175^2
    lr = 0.7 + 0.5 * np.log(4)
    z_hand = lr / (2 * np.sqrt(0.0975 - 0.175**2))
    z, p = vuong(m, 1, 2)
    assert z == pytest.approx(z_hand) and z == pytest.approx(2.69367, abs=1e-4)
    assert p == pytest.approx(2 * norm.sf(z_hand))
    # Clarke: d = m + ln 4 / 8 -> three of four positive; p = 2 min(5/16, 15/16) = 10/16
    b, n, pc = clarke(m, 1, 2)
    assert (b, n) == (3, 4) and pc == pytest.approx(10 / 16)


def test_nonnested_tests_match_independent_fits() -> None:
    W = np.array([[0.2, 1.5], [1.0, 1.0]])
    data = simulated(50, 3, W, seed=4, n_actors=2)
    ideo, inter = single(data, 0), single(data, 1)
    table = nonnested_tests(ideo, inter, {0: "A", 1: "B"}).set_index("actor")
    m_all = []
    for a, name in ((0, "A"), (1, "B")):
        sub = data.for_actor(a)
        per_model = []
        for j in (0, 1):
            z = sub.Z[:, j].reshape(-1, 3)
            c = sub.chosen.reshape(-1, 3).argmax(axis=1)

            def nll(w: float, z: np.ndarray = z, c: np.ndarray = c) -> float:
                u = w * z
                return -float((u[np.arange(len(c)), c] - logsumexp(u, axis=1)).sum())

            w = minimize_scalar(nll, bounds=(-20, 20), method="bounded").x
            u = w * z
            per_model.append(u[np.arange(len(c)), c] - logsumexp(u, axis=1))
        m = per_model[0] - per_model[1]
        m_all.append(m)
        n = len(m)
        z_hand = m.sum() / (np.sqrt(n) * m.std())
        row = table.loc[name]
        assert row["vuong_z"] == pytest.approx(z_hand, rel=1e-3)
        b = int((m > 0).sum())
        assert row["clarke_b"] == b
        assert row["clarke_p"] == pytest.approx(
            min(1, 2 * min(binom.sf(b - 1, n, 0.5), binom.cdf(b, n, 0.5)))
        )
    # actor A is interest-driven: the interest-only model is significantly closer
    assert table.loc["A", "vuong_z"] < 0 and table.loc["A", "vuong_favours"] == "interest-only"
    pooled = table.loc["pooled"]
    m = np.concatenate(m_all)
    assert pooled["decisions"] == len(m) == 50
    assert pooled["vuong_z"] == pytest.approx(m.sum() / (np.sqrt(50) * m.std()), rel=1e-3)
    # Holm across the two actors
    np.testing.assert_allclose(
        table.loc[["A", "B"], "vuong_p_holm"], holm(table.loc[["A", "B"], "vuong_p"].to_numpy())
    )


def test_holm_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.2, np.nan])
    ours = holm(p)
    ref = multipletests(p[:4], method="holm")[1]
    np.testing.assert_allclose(ours[:4], ref)
    assert np.isnan(ours[4])


# ---- the combining rule -------------------------------------------------------------------------
def _frame(verdicts: dict[str, str]) -> pd.DataFrame:
    fam = {"mle": "estimator", "bayes": "estimator", "prior x2": "prior", "vuong": "non-nested"}
    return pd.DataFrame([rb.row("X", c, fam.get(c, "scale"), 0.5, v) for c, v in verdicts.items()])


def test_final_verdict_rule() -> None:
    agree = {"mle": rb.INTEREST, "scale:range": rb.INTEREST, "vuong": rb.INTEREST}
    assert rb.final_verdict(_frame(agree), "ok") == (rb.INTEREST, "", "")
    one_off = agree | {"scale:range": rb.UNDECIDED}
    assert rb.final_verdict(_frame(one_off), "ok") == (rb.UNDECIDED, "scale:range", "")
    against = agree | {"vuong": rb.IDEOLOGY}
    assert rb.final_verdict(_frame(against), "weak")[:2] == (rb.UNDECIDED, "vuong")
    prior = agree | {"prior x2": rb.PRIOR_DRIVEN}
    assert rb.final_verdict(_frame(prior), "weak")[:2] == (rb.PRIOR_DRIVEN, "prior x2")
    skipped = agree | {"bayes": rb.NOT_RUN}
    assert rb.final_verdict(_frame(skipped), "ok") == (rb.INTEREST, "", "bayes")
    failed_mcmc = agree | {"bayes": rb.NOT_CONVERGED}
    assert rb.final_verdict(_frame(failed_mcmc), "ok")[:2] == (rb.UNDECIDED, "bayes")
    assert rb.final_verdict(_frame(agree), "unidentified")[0] == rb.UNIDENTIFIED


def test_prior_sensitivity_flags_a_sign_flip_and_a_moved_verdict() -> None:
    data = simulated(20, 3, np.array([[0.5, 1.5]]), seed=5)
    rng = np.random.default_rng(0)
    s = data.within_sd()

    def draws(ideo: float, inter: float) -> np.ndarray:
        return rng.normal([ideo / s[0], inter / s[1]], 0.05 / s, size=(2000, 2))

    base = rb.BayesRun(1.0, {0: draws(0.5, 2.0)})
    same = rb.BayesRun(0.2, {0: draws(0.4, 1.8)})
    flipped = rb.BayesRun(2.0, {0: draws(-0.6, 2.0)})
    rows = rb.bayes_rows("X", 0, [base, same, flipped], data, data.terms)
    by = {r["check"]: r for r in rows}
    assert by["bayes"]["verdict"] == rb.INTEREST
    assert by["prior x0.2"]["verdict"] == rb.INTEREST
    assert by["prior x2"]["verdict"] == rb.PRIOR_DRIVEN
    assert "sign of ideology flips" in by["prior x2"]["note"]
    moved = rb.BayesRun(2.0, {0: draws(2.0, 0.5)})
    rows = rb.bayes_rows("X", 0, [base, moved], data, data.terms)
    assert rows[1]["verdict"] == rb.PRIOR_DRIVEN and "verdict" in rows[1]["note"]
    failed = rb.BayesRun(2.0, {}, "MCMC did not converge")
    assert rb.bayes_rows("X", 0, [base, failed], data, data.terms)[1]["verdict"] == rb.NOT_CONVERGED


# ---- a fitted scenario carries every check --------------------------------------------------------
def _scenario_case(n: int, seed: int, periods: list[dict] | None = None):
    """The template's actors; `n` USSR decisions with three random options each (valid), each
    option gaining a stake with probability 0.4, the choices drawn at random."""
    return synthetic_case(n, seed, gain_p=0.4, periods=periods)


def test_fit_carries_robustness_tests_and_labels() -> None:
    res = fit(_scenario_case(30, seed=6))
    checks = res.robustness()
    assert list(checks.columns[:5]) == ["actor", "check", "family", "value", "verdict"]
    ussr = checks[checks["actor"] == "USSR"]
    assert {"estimator", "scale", "prior", "assumptions", "non-nested"} <= set(ussr["family"])
    assert len(ussr[ussr["family"] == "scale"]) >= 4
    assert ussr.loc[ussr["check"] == "bayes", "verdict"].iloc[0] == rb.NOT_RUN
    vf = res.verdict_frame().set_index("actor")
    assert {"verdict", "failed_checks", "checks_not_run", "vuong_p_holm"} <= set(vf.columns)
    assert "bayes" in vf.loc["USSR", "checks_not_run"]
    assert res.family["actors_tested"] == 1
    # the log-likelihood says which it is
    assert res.llf == res.loglik and np.isfinite(res.llf_penalised)
    assert "unpenalised" in res.summary().as_text()


def test_cli_fit_json_carries_the_checks(capsys: pytest.CaptureFixture[str]) -> None:
    from realpolitik.cli import cli, main

    out = CliRunner().invoke(cli, ["fit", "--checks", "fast", "--json", "--break", "1950-01-01"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output.replace("NaN", "null"))
    assert {"robustness", "tests", "family", "periods", "loglik"} <= set(doc)
    assert doc["family"]["actors_tested"] >= 1
    assert {r["check"] for r in doc["robustness"]} >= {"mle", "vuong", "clarke", "assumptions"}
    assert doc["periods"]["comparison"][0]["periods"] >= 1
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--checks", "none", "--break", "1950-13-01"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--break: expected a date YYYY-MM-DD" in err[0]


# ---- changing weights ---------------------------------------------------------------------------
def test_period_of() -> None:
    d = [dt.date(1949, 12, 31), dt.date(1950, 1, 1), dt.date(1951, 6, 1)]
    assert period_of(d, [dt.date(1950, 1, 1)]).tolist() == [0, 1, 1]
    assert period_of(d, [dt.date(1951, 1, 1), dt.date(1950, 1, 1)]).tolist() == [0, 1, 2]


def test_a_simulated_break_is_found() -> None:
    rng = np.random.default_rng(7)
    n, n_opt = 50, 3
    data = make_data(rng.normal(size=(2 * n * n_opt, 2)), n_opt)
    period = np.repeat([0, 1], n)
    before, after = np.array([-1.5, 1.5]), np.array([2.0, 0.3])
    W = np.where(np.repeat(period, n_opt)[:, None] == 0, before, after)
    U = (data.Z * W).sum(axis=1) + rng.gumbel(size=len(data.Z))
    best = np.maximum.reduceat(U, data.starts)
    data.chosen = (U == np.repeat(best, n_opt)).astype(float)
    row, weights = period_comparison(data, period, ["before", "after"], "X")
    assert row["df"] == 2 and row["p_value"] < 0.001
    assert row["preferred_by_loo"] == "changing" and row["loo_changing"] > row["loo_constant"]
    w = pd.DataFrame(weights).set_index(["period", "term"])
    for label, truth in (("before", before), ("after", after)):
        est = w.loc[label, "estimate"].to_numpy()
        se = w.loc[label, "std_error"].to_numpy()
        assert (np.abs(est - truth) < 3 * se).all(), (label, est, truth)
    # no break in the truth: the same test does not find one
    data.chosen = simulate_choices(data, before[None], rng)
    row, _ = period_comparison(data, period, ["before", "after"], "X")
    assert row["p_value"] > 0.01


def test_case_periods_are_used_without_break() -> None:
    periods = [{"id": "late", "start": dt.date(1945, 3, 1)}]
    case = _scenario_case(30, seed=8, periods=periods)
    res = fit(case, checks="none")
    comp = res.periods_frame().set_index("actor")
    assert comp.loc["USSR", "periods"] == 2
    assert any("late" in p for p in res.periods["weights"]["period"])


# ---- family-wise: a true tie rarely gives a verdict --------------------------------------------
@pytest.mark.slow
def test_true_tie_gives_a_verdict_in_at_most_ten_percent_of_seeds() -> None:
    """Four actors whose two motives are exactly tied (equal weights on terms with equal
    spread), 15 decisions each: the share of 200 seeds in which any actor gets a verdict."""
    n_actors, n_dec, n_opt = 4, 15, 3
    given = 0
    for seed in range(200):
        data = simulated(n_actors * n_dec, n_opt, np.ones((n_actors, 2)), seed, n_actors)
        names = {a: f"A{a}" for a in range(n_actors)}
        tests = nonnested_tests(single(data, 0), single(data, 1), names)
        rows = rb.nonnested_rows(tests)
        for a, name in names.items():
            sub = data.for_actor(a)
            f = fit_actor(sub, -1)
            d = ml_summary(f.params, f.cov, sub, sub.terms)
            rows.append(rb.row(name, "mle", "estimator", d["p"], rb.word(d["p"])))
            rows += rb.scale_rows_ml(name, f.params, f.cov, sub, sub.terms)
        frame = pd.DataFrame(rows)
        verdicts = [rb.final_verdict(frame[frame["actor"] == n], "ok")[0] for n in names.values()]
        given += any(v in rb.DIRECTIONS for v in verdicts)
    assert given / 200 <= 0.10, given


# ---- Bayes: ESS from the autocorrelation time, prior scale ----------------------------------------
def test_bayes_ess_comes_from_the_autocorrelation_time() -> None:
    from realpolitik.estimation.bayes import Posterior, fit_bayes

    data = simulated(30, 3, np.array([[0.8, 1.2], [0.8, 1.2]]), seed=9, n_actors=2)
    loose = {"steps": 400, "burn": 200, "chains": 2, "rhat_max": np.inf, "ess_min": 0.0}
    bf = fit_bayes(data, seed=3, **loose)
    walkers = max(2 * (2 * 2 + 4) + 2, 32)
    kept = 200
    # ESS = sum over ensembles of kept * walkers / tau_e, and tau_autocorr is the largest tau_e
    assert (bf.tau_autocorr >= 1).all()
    assert (bf.ess >= 2 * kept * walkers / bf.tau_autocorr - 1e-9).all()
    # far fewer than one effective draw per walker and step: walkers are not chains
    assert (bf.ess < 2 * kept * walkers).all()
    # the prior's scale enters the density: a wider prior penalises large weights less
    post1 = Posterior(data, [0, 1], data.within_sd(), 1.0)
    post5 = Posterior(data, [0, 1], data.within_sd(), 5.0)
    theta = np.zeros((1, post1.dim))
    theta[0, 4:6] = 3.0  # mu far from zero
    base = np.zeros((1, post1.dim))
    assert post5(theta) - post5(base) > post1(theta) - post1(base)
