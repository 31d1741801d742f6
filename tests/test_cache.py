"""Results kept in the run store (`realpolitik.cache`) and what `realpolitik run` keeps there:
a stored result comes back equal, a changed spec misses, a foreign payload cannot rebuild
arbitrary objects, and a second `run` reuses the Bayesian fit and writes SVG-only figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realpolitik.alliances.models import AllianceFit, Check, EraResult, Spec
from realpolitik.cache import cached, decode, encode, lookup, result_key, save
from realpolitik.cli import main as cli_main
from realpolitik.estimation.api import as_compiled, fit
from realpolitik.scenario.loader import parse, template_text


def era(name: str, seed: int) -> EraResult:
    rng = np.random.default_rng(seed)
    terms = ["const", "regime_sim", "cinc_ratio"]
    params = pd.Series(rng.normal(size=3), index=terms, name=name)
    cov = pd.DataFrame(np.diag(rng.uniform(0.1, 1, 3)), index=terms, columns=terms)
    ame = pd.DataFrame({"term": terms, "ame": rng.normal(size=3), "se": rng.uniform(size=3)})
    return EraResult(
        era=name,
        spec=Spec(),
        n_obs=1000 + seed,
        n_events=17,
        n_dyads=300,
        n_years=98,
        year_min=1816,
        year_max=1913,
        params=params,
        cov=cov,
        cov_dyad=cov * 0.9,
        llf=-123.4,
        llnull=-150.0,
        ame=ame,
        strengths={"ideology": 0.1, "interest": np.float64(0.4)},
        p_interest=0.8,
        converged=True,
        at_risk=1100 + seed,
        events_at_risk=18,
        missing={"regime_sim": (3, 1)},
        dropped=["igo_shared"],
        checks=[Check("no controls", 0.7, "interest", 1000, 17)],
        bootstrap_reps=99,
    )


def test_alliance_fit_round_trips_through_json() -> None:
    fit_ = AllianceFit(
        spec=Spec(), results={"1816-1913": era("1816-1913", 1), "pooled": era("pooled", 2)}
    )
    edges = {
        "1816-1913": pd.DataFrame(
            {"ccode1": [2, 20], "ccode2": [200, 220], "defence": [True, False]}
        )
    }
    back_fit, back_edges = decode(json.loads(json.dumps(encode((fit_, edges)))))
    assert isinstance(back_fit, AllianceFit) and list(back_fit.results) == ["1816-1913", "pooled"]
    for name, r in fit_.results.items():
        b = back_fit.results[name]
        pd.testing.assert_series_equal(b.params, r.params)
        pd.testing.assert_frame_equal(b.cov, r.cov)
        pd.testing.assert_frame_equal(b.ame, r.ame)
        pd.testing.assert_frame_equal(b.cov_dyad, r.cov_dyad)
        assert (b.spec, b.llf, b.strengths, b.missing, b.dropped, b.checks) == (
            r.spec,
            r.llf,
            r.strengths,
            r.missing,
            r.dropped,
            r.checks,
        )
    pd.testing.assert_frame_equal(back_edges["1816-1913"], edges["1816-1913"])
    pd.testing.assert_frame_equal(back_fit.to_frame(), fit_.to_frame())


def test_cached_computes_once_per_spec(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    calls: list[int] = []

    def compute() -> dict[str, object]:
        calls.append(1)
        return {"x": np.arange(4.0), "label": "a"}

    a, reused_a = cached(store, "thing", {"data": "v1"}, compute)
    b, reused_b = cached(store, "thing", {"data": "v1"}, compute)
    c, reused_c = cached(store, "thing", {"data": "v2"}, compute)  # new data version: a miss
    assert (reused_a, reused_b, reused_c) == (False, True, False)
    assert len(calls) == 2
    np.testing.assert_array_equal(b["x"], a["x"])
    assert b["label"] == "a"
    _, reused = cached(False, "thing", {"data": "v1"}, compute)  # no store: always computed
    assert not reused and len(calls) == 3


def test_a_foreign_payload_rebuilds_nothing_outside_the_allowed_packages(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        decode({"$dc": "subprocess:Popen", "fields": {"args": ["true"]}})
    with pytest.raises(TypeError):
        encode(object())
    # a store row holding such a payload reads as a miss, not as an error or an object
    store = tmp_path / "runs.duckdb"
    assert save(store, "thing", {"k": 1}, [1, 2])
    import duckdb

    con = duckdb.connect(str(store))
    evil = json.dumps({"$dc": "os:system", "fields": {}})
    con.execute(
        "UPDATE results SET payload = ? WHERE key = ?", [evil, result_key("thing", {"k": 1})]
    )
    con.close()
    assert lookup(store, "thing", {"k": 1}) == (False, None)


def test_a_fit_keeps_its_case_by_reference(tmp_path: Path) -> None:
    comp = as_compiled(parse(template_text()))
    res = fit(comp, seed=3)
    store = tmp_path / "runs.duckdb"
    assert save(store, "fit", {"seed": 3}, res, {"comp": comp})
    found, back = lookup(store, "fit", {"seed": 3}, {"comp": comp})
    assert found and back.actors[0].data.comp is comp
    pd.testing.assert_frame_equal(back.verdict_frame(), res.verdict_frame())


def test_run_reuses_the_bayesian_fit_and_writes_svg_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REALPOLITIK_DATA_DIR", str(tmp_path / "no-data"))  # no alliance study
    case = tmp_path / "case.yaml"
    case.write_text(template_text(), encoding="utf-8")
    store = tmp_path / "runs.duckdb"
    args = ["run", str(case), "-n", "300", "--seed", "2", "--store", str(store)]
    cli_main([*args, "--out", str(tmp_path / "a")])
    first = capsys.readouterr().out
    con_rows = _kinds(store)
    assert "fit-bayes" in con_rows, "the Bayesian fit was not kept"
    assert "fit-mle" in con_rows, "the maximum-likelihood fit was not kept"
    assert "fitted-weights" in con_rows, "the point weights were not kept"
    # the second run fits nothing: every fit comes from the store
    import realpolitik.estimation.api as est

    def no_fit(*a: object, **k: object) -> None:
        raise AssertionError(f"refitted on a second run: {k.get('method', 'mle')}")

    monkeypatch.setattr(est, "fit", no_fit)
    monkeypatch.setattr("realpolitik.simulation.api._FITTED", {})
    cli_main([*args, "--out", str(tmp_path / "b"), "--png"])
    second = capsys.readouterr().out
    # the same posterior table both times (the second from the store)
    table = first[first.index("hierarchical Bayes") : first.index("fidelity to the record")]
    assert "USSR" in table and table in second
    figures_a = sorted(p.suffix for p in (tmp_path / "a" / "figures").iterdir())
    figures_b = sorted(p.suffix for p in (tmp_path / "b" / "figures").iterdir())
    assert set(figures_a) == {".svg"}, "PNG written without --png"
    assert figures_b.count(".png") == figures_b.count(".svg") > 0
    html_a = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert ".png" not in html_a and ".svg" in html_a


def _kinds(store: Path) -> list[str]:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT kind FROM results").fetchall()]
    finally:
        con.close()


def test_fitted_weights_come_back_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import realpolitik.simulation.api as sim

    comp = as_compiled(parse(template_text()))
    store = tmp_path / "runs.duckdb"
    monkeypatch.setattr(sim, "_FITTED", {})
    first = sim.fitted_weights(comp, "full", store=store)
    assert "fitted-weights" in _kinds(store)
    calls = []
    monkeypatch.setattr(sim, "_fitted_weights", lambda *a: calls.append(a) or first)
    monkeypatch.setattr(sim, "_FITTED", {})  # a new process: nothing in memory
    again = sim.fitted_weights(as_compiled(parse(template_text())), "full", store=store)
    assert calls == [], "refitted although the store holds the weights"
    pd.testing.assert_frame_equal(again, first)
    # another model is another question
    sim.fitted_weights(comp, "interest", store=store)
    assert len(calls) == 1
