"""The engine's short cuts give exactly the numbers of the plain per-path computation.

When every path shares one parameter row, the engine computes choice probabilities once per
capability class and per *key* (class x the codes of two-valued terms such as a stake held or
not), not once per path, and keeps option bases and per-class coalition shares between runs.
With one parameter row per path (the same row repeated) none of that applies: every path is
its own class and every term is computed per path. Given the same uniforms, both must give the
same choices, outcomes and probabilities, bit for bit (same seed, same numbers)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from realpolitik.estimation.api import as_compiled
from realpolitik.model import features
from realpolitik.model.compiled import Compiled
from realpolitik.scenario.loader import builtin_names
from realpolitik.simulation import engine
from realpolitik.simulation.engine import run


def _both(comp: Compiled, rows: int, scale: float, seed: int) -> tuple[Any, Any]:
    gen = np.random.default_rng(seed)
    W = gen.normal(0.0, scale, size=(1, comp.n_actors, 5))
    uni = gen.random((rows, len(comp.decisions)))
    th = comp.theta(1)
    shared = run(comp, th, feature_weights=W, rows=rows, uniforms=uni)
    per_path = run(
        comp, np.repeat(th, rows, axis=0), feature_weights=np.repeat(W, rows, axis=0), uniforms=uni
    )
    return shared, per_path


def _same(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(a.choices, b.choices)
    np.testing.assert_array_equal(a.outcomes, b.outcomes)
    np.testing.assert_array_equal(a.logp, b.logp)
    np.testing.assert_array_equal(a.chosen_prob, b.chosen_prob)
    np.testing.assert_array_equal(a.shares, b.shares)


@pytest.mark.parametrize("ref", builtin_names())
def test_shared_row_short_cuts_equal_per_path_computation(
    ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    comp = as_compiled(ref)
    keyed = []
    plain = features._keyed

    def counting(*args: Any) -> Any:
        out = plain(*args)
        keyed.append(out is not None)
        return out

    monkeypatch.setattr(features, "_keyed", counting)
    for scale, seed in ((1.0, 1), (25.0, 2)):  # 25: some logit gaps overflow exp
        shared, per_path = _both(comp, 2000, scale, seed)
        _same(shared, per_path)
        # and again, now from the kept option bases and coalition shares
        again, _ = _both(comp, 2000, scale, seed)
        _same(again, per_path)
    if ref == "east-asia-1945":  # the case has two-valued per-path terms: the key route ran
        assert any(keyed)


def test_draw_is_the_inverse_cdf_of_each_path() -> None:
    """`_draw` against a plain loop: each path picks the number of cumulative probabilities
    (acc / total, summed in option order) below its uniform."""
    gen = np.random.default_rng(3)
    for n_opt, n_keys in ((2, 1), (3, 7), (4, 50)):
        e = [np.ones(1)] + [np.exp(gen.normal(0, 2, n_keys)) for _ in range(n_opt - 1)]
        total = np.add.reduce(np.broadcast_arrays(*e))
        labels = gen.integers(0, n_keys, 500)
        draw = gen.random(500)
        got = engine._draw(e, total, draw, labels if n_keys > 1 else None)
        for i in range(500):
            k = labels[i] if n_keys > 1 else 0
            acc, want = 0.0, 0
            for j in range(n_opt - 1):
                acc = acc + float(np.broadcast_to(e[j], total.shape)[k])
                want += acc / float(total[k]) < draw[i]
            assert got[i] == want


def test_kept_option_bases_are_read_only_and_per_parameter_row() -> None:
    comp = as_compiled("east-asia-1945")
    a = engine._option_base(comp, 0, comp.theta(1))
    assert engine._option_base(comp, 0, comp.theta(1)) is a
    with pytest.raises(ValueError):
        a[...] = 0.0
    name = next(k for k, (lo, hi) in zip(comp.assumption_ids, comp.bounds, strict=True) if hi > lo)
    lo, hi = comp.bounds[comp.assumption_ids.index(name)]
    other = engine._option_base(comp, 0, comp.theta(1, {name: hi}))
    fresh = features.option_base(comp, comp.decisions[0], comp.theta(1, {name: hi}))
    np.testing.assert_array_equal(other, fresh)


def test_kept_store_is_bounded_and_tells_cases_apart_by_identity() -> None:
    from realpolitik.model.kept import Kept

    store = Kept(cases=1, entries=2)
    made: list[str] = []

    def make(tag: str) -> Any:
        return lambda: (made.append(tag), np.zeros(1))[1]

    a, b = object(), object()
    first = store.get(a, 1, make("a1"))
    assert store.get(a, 1, make("again")) is first and made == ["a1"]
    store.get(a, 2, make("a2"))
    store.get(a, 3, make("a3"))  # evicts key 1 (first in)
    store.get(a, 1, make("a1 again"))
    assert made == ["a1", "a2", "a3", "a1 again"]
    store.get(b, 1, make("b1"))  # another case: the first one's entries go
    store.get(a, 2, make("a2 again"))
    assert made[-2:] == ["b1", "a2 again"]
