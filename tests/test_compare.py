"""Model comparison (issue 9 item 7, issue 11 goal 5): ties count as misses, the approximate
leave-one-out agrees with exact refits, labels and omissions are honest, cost is linear."""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.estimation.api import as_compiled
from realpolitik.estimation.compare import (
    _held_out,
    compare_models,
    loo_exact,
    loo_newton,
    pseudo_bma_plus,
)
from realpolitik.estimation.likelihood import correct_predictions
from realpolitik.estimation.mle import fit_actor
from test_estimation import TRUE_W, simulated_case, synthetic_data


def test_a_tie_for_the_top_counts_as_a_miss_wherever_the_chosen_option_is_listed() -> None:
    p = np.log(np.array([0.4, 0.4, 0.2, 0.2, 0.4, 0.4, 0.5, 0.3, 0.2, 0.3, 0.5, 0.2]))
    chosen = np.array([1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0], dtype=float)
    starts = np.array([0, 3, 6, 9])
    assert correct_predictions(p, chosen, starts).tolist() == [False, False, True, False]
    even = np.log(np.full(3, 1 / 3))
    assert not correct_predictions(even, np.array([1.0, 0, 0]), np.array([0]))[0]


def test_one_newton_step_matches_exact_refits_on_a_well_identified_record() -> None:
    data = synthetic_data(150, 3, np.array([1.0, -0.7]), seed=3)
    f = fit_actor(data, -1)
    assert f.penalty == "none"
    exact, _ = _held_out(data, loo_exact(data))
    approx, _ = _held_out(data, loo_newton(data, f.params))
    assert np.max(np.abs(exact - approx)) < 0.02
    assert exact.sum() == pytest.approx(approx.sum(), abs=0.05)


def test_approximate_loo_grows_linearly() -> None:
    """Ten times the decisions need about ten times the memory, not a hundred (no n x n
    matrix): peak allocation measured by tracemalloc, which sees numpy's buffers and, unlike
    a timer, does not depend on the machine's load."""
    import tracemalloc

    w = np.array([1.0, -0.7])
    small, big = synthetic_data(2000, 3, w, seed=4), synthetic_data(20000, 3, w, seed=5)
    peaks = []
    for data in (small, big):
        f = fit_actor(data, -1)
        tracemalloc.start()
        try:
            loo_newton(data, f.params)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert 5 * peaks[0] < peaks[1] < 20 * peaks[0], peaks  # quadratic would be about 100x


def test_pseudo_bma_plus_weights_are_fixed_and_favour_the_better_model() -> None:
    rng = np.random.default_rng(0)
    E = np.column_stack([rng.normal(-0.7, 0.2, 60), rng.normal(-0.5, 0.2, 60)])
    w, se = pseudo_bma_plus(E)
    w2, _ = pseudo_bma_plus(E)
    assert w.sum() == pytest.approx(1.0) and np.array_equal(w, w2)
    assert w[1] > 0.9 and (se >= 0).all()


@pytest.fixture(scope="module")
def big_case():
    return as_compiled(simulated_case(60, TRUE_W, seed=21))


def test_bayes_factor_only_from_fifty_decisions_and_unpenalised_fits(big_case) -> None:
    t = compare_models(big_case).set_index("model")
    assert (t["decisions"] == 60).all()
    ml = t["estimates"] == "maximum likelihood"
    assert t.loc[ml, "bayes_factor_full_vs"].notna().all()
    np.testing.assert_allclose(
        t.loc[ml, "bayes_factor_full_vs"],
        np.exp((t.loc[ml, "bic"] - t.loc["full", "bic"]) / 2),
    )
    assert t.loc[~ml, ["aic", "bic", "bayes_factor_full_vs"]].isna().all().all()


def test_loo_methods_are_labelled_and_none_skips(big_case) -> None:
    exact = compare_models(big_case, loo="exact")
    approx = compare_models(big_case, loo="approx")
    auto = compare_models(big_case)  # 60 decisions for one actor: approximate
    assert set(exact["loo_method"]) == {"exact"} and set(approx["loo_method"]) == {"approx"}
    assert set(auto["loo_method"]) == {"approx"}
    np.testing.assert_allclose(exact["loo_log_score"], approx["loo_log_score"], rtol=0.05)
    skipped = compare_models(big_case, loo="none")
    assert skipped["loo_log_score"].isna().all() and skipped["loo_weight"].isna().all()
