"""The explorer keeps the baseline (fitted weights) of each (case, n, seed) in the server
process: a request that moves a slider simulates only the changed world, and the answer is the
same as without the cache. The work runs in-process here (run_limited replaced) so that the
simulations can be counted."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import realpolitik.reports.serve as serve_mod
import realpolitik.simulation.api as sim_api
from realpolitik.scenario.loader import template_text


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> list[pd.DataFrame]:
    """The weights of every simulation the explorer runs (in this process)."""
    monkeypatch.setattr(serve_mod, "run_limited", lambda fn, args, **kw: fn(*args))
    calls: list[pd.DataFrame] = []
    real = sim_api.simulate

    def counting(comp: Any, **kw: Any) -> Any:
        calls.append(kw["weights"].copy())
        return real(comp, **kw)

    monkeypatch.setattr(sim_api, "simulate", counting)
    return calls


def _moved(c: Any, by: float) -> dict[str, dict[str, float]]:
    deciding = c.comp.case.decisions[0].actor
    w = c.weights.set_index("actor").loc[deciding]
    return {deciding: {"ideology": float(w["ideology"]) + by}}


def test_baseline_is_simulated_once_for_two_requests(counted: list[pd.DataFrame]) -> None:
    ex = serve_mod.Explorer()
    c = ex.by_text(template_text(), "tiny.yaml")
    first = ex.predict(c, _moved(c, 0.5), 200, 1)
    assert len(counted) == 2  # the baseline and the changed world
    second = ex.predict(c, _moved(c, -0.5), 200, 1)
    assert len(counted) == 3  # only the changed world: the baseline came from the cache
    assert not counted[2].equals(c.weights)
    assert [o["baseline"] for o in second["outcomes"]] == [o["baseline"] for o in first["outcomes"]]
    unchanged = ex.predict(c, {}, 200, 1)
    assert len(counted) == 3  # nothing moved: the baseline is the answer
    assert [o["frequency"] for o in unchanged["outcomes"]] == [
        o["baseline"] for o in first["outcomes"]
    ]
    ex.predict(c, _moved(c, 0.5), 200, 2)  # another seed: another baseline
    assert len(counted) == 5
    # the cached baseline gives the answer a fresh explorer gives
    fresh = serve_mod.Explorer()
    assert fresh.predict(fresh.by_text(template_text(), "tiny.yaml"), _moved(c, -0.5), 200, 1) == (
        second
    )


def test_baseline_cache_is_bounded(counted: list[pd.DataFrame]) -> None:
    ex = serve_mod.Explorer(baseline_cache_size=2)
    c = ex.by_text(template_text(), "tiny.yaml")
    for seed in (1, 2, 3):
        ex.predict(c, {}, 100, seed)
    assert len(counted) == 3 and len(ex._baselines) == 2
    ex.predict(c, {}, 100, 3)  # kept
    assert len(counted) == 3
    ex.predict(c, {}, 100, 1)  # dropped first: simulated again
    assert len(counted) == 4
