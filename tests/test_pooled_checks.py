"""The pooled model's robustness checks, its self-extending sampler, the shared ensembles, the
pooled `fit` command's output formats, and the cross-case results of the report
(estimation/pooled.py, estimation/ensemble.py, estimation/crosscase.py, commands/pooled.py,
reports/cross_case_section.py).

Fits here use loose convergence limits and few steps so that the tests stay short; the
numbers the docs quote come from the defaults."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_run import run_cli as cli
from realpolitik.cli import main as cli_main
from realpolitik.estimation import crosscase as cc
from realpolitik.estimation import robustness as rb
from realpolitik.estimation.api import as_compiled
from realpolitik.estimation.ensemble import Ensembles
from realpolitik.estimation.pooled import fit_pooled, pooled_checks
from realpolitik.scenario.loader import builtin_names

LOOSE = {"rhat_max": 1.5, "ess_min": 10.0, "max_steps": 400}
THREE = ("tito-stalin-1948", "sino-soviet-split", "sino-american-1972")


def needs_cases() -> None:
    if not set(cc.CASES) <= set(builtin_names()):
        pytest.skip("the built-in cases are not packaged")


@pytest.fixture(scope="module")
def three():
    needs_cases()
    return [as_compiled(c) for c in THREE]


# a test identity naming an id that only one case has (as CCP=PRC does in the built-in cases)
ONLY_IN_ONE = [("YUG", "PRC")]


@pytest.fixture(scope="module")
def checked(three):
    res = fit_pooled(three, ONLY_IN_ONE, steps=100, seed=2, **LOOSE)
    pooled_checks(res, ONLY_IN_ONE, steps=100)
    return res


def test_continuing_an_ensemble_gives_the_chain_of_one_long_run() -> None:
    def logp(x: np.ndarray) -> np.ndarray:
        return -0.5 * (np.atleast_2d(x) ** 2).sum(axis=1)

    once = Ensembles(logp, 3, seed=5, chains=2, n_log_scales=1)
    once.run(60)
    twice = Ensembles(logp, 3, seed=5, chains=2, n_log_scales=1)
    twice.run(30)
    twice.run(30)
    assert twice.steps == 60
    for c in range(2):
        np.testing.assert_array_equal(once.chain(c, 0), twice.chain(c, 0))
    other = Ensembles(logp, 3, seed=6, chains=2)
    other.run(60)
    assert not np.array_equal(once.chain(0, 0), other.chain(0, 0))


def test_the_fit_extends_itself_until_it_converges(three) -> None:
    a = fit_pooled(three, [], steps=25, seed=4, rhat_max=1.2, ess_min=50, max_steps=800)
    assert a.steps > 25 and a.steps % 25 == 0  # doubled until the rule held
    assert a.rhat_max <= 1.2 and a.ess_min >= 50
    b = fit_pooled(three, [], steps=25, seed=4, rhat_max=1.2, ess_min=50, max_steps=800)
    np.testing.assert_array_equal(a.v, b.v)  # same seed, same numbers
    from realpolitik.errors import ConvergenceError

    with pytest.raises(ConvergenceError, match="after 50 steps"):
        fit_pooled(three, [], steps=25, seed=4, rhat_max=1.0001, ess_min=1e6, max_steps=50)


def test_every_verdict_has_the_prior_and_leave_one_case_out_checks(checked) -> None:
    checks = checked.checks
    scopes = checked.verdicts()[["actor", "scope"]].itertuples(index=False)
    for actor, scope in scopes:
        mine = checks[(checks["actor"] == actor) & (checks["scope"] == scope)]
        names = mine["check"].tolist()
        assert names[:3] == ["bayes", "prior x0.2", "prior x2"]
        dropped = [c for c in THREE if c != scope]
        assert names[3:] == [f"drop {c}" for c in dropped]
        assert set(mine["family"]) == {"estimator", "prior", "cases"}
    # leaving out the only case with one of an identity's ids keeps the identity's name
    left = checks[
        (checks["actor"] == "PRC=YUG")
        & (checks["scope"] == "all cases")
        & (checks["check"] == "drop tito-stalin-1948")
    ]
    assert len(left) == 1 and np.isfinite(left["value"].iloc[0])
    assert (checks.loc[checks["family"] == "cases", "verdict"] != rb.NOT_RUN).all()


def test_a_pooled_verdict_is_printed_only_when_every_check_agrees(checked) -> None:
    v = checked.verdicts()
    for _, r in v.iterrows():
        mine = checked.checks[
            (checked.checks["actor"] == r["actor"]) & (checked.checks["scope"] == r["scope"])
        ]
        ran = mine[mine["verdict"] != rb.NOT_RUN]
        if r["verdict"] in rb.DIRECTIONS:
            assert (ran["verdict"] == r["verdict"]).all() and r["failed_checks"] == ""
        else:
            assert r["failed_checks"] or not (ran["verdict"].isin(rb.DIRECTIONS)).any()
    # one disagreeing check turns a direction into "undecided", naming the check
    forced = checked.checks.copy()
    first = v.iloc[0]
    rows = (forced["actor"] == first["actor"]) & (forced["scope"] == first["scope"])
    forced.loc[rows, "verdict"] = rb.INTEREST
    forced.loc[rows & (forced["check"] == "drop sino-american-1972"), "verdict"] = rb.UNDECIDED
    checked_copy = checked.__class__(**{**checked.__dict__, "checks": forced})
    row = checked_copy.verdicts().iloc[0]
    assert row["verdict"] == rb.UNDECIDED
    assert row["failed_checks"] == "drop sino-american-1972"


def test_two_cases_cannot_leave_one_out(three) -> None:
    res = fit_pooled(three[:2], [], steps=100, seed=2, **LOOSE)
    checks = pooled_checks(res, [], steps=100, which="all")
    drops = checks[checks["family"] == "cases"]
    assert (drops["verdict"] == rb.NOT_RUN).all()
    assert (
        "checks_not_run" in res.verdicts()
        and res.verdicts()["checks_not_run"].str.contains("drop").all()
    )
    tidy = res.to_frame()
    assert set(tidy["term"]) == {"ideology", "interest"}
    assert len(tidy) == 2 * len(res.verdicts())


# ---- the command's formats ----------------------------------------------------------------------


def test_the_pooled_command_honours_format_and_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    needs_cases()
    monkeypatch.setenv("REALPOLITIK_STORE", str(tmp_path / "store.duckdb"))
    calls = []
    real = cc.pooled_summary

    def quick(*args, **kwargs):
        calls.append(1)
        return real(*args, **{**kwargs, **LOOSE, "steps": 100})

    monkeypatch.setattr(cc, "pooled_summary", quick)
    base = ("fit", *THREE[:2], "--checks", "fast")
    code, out, _ = cli(capsys, *base, "--format", "csv", "--out", str(tmp_path / "v.csv"))
    assert code == 0
    frame = pd.read_csv(tmp_path / "v.csv")
    assert list(frame["scope"][:3]) == ["all cases", *THREE[:2]]
    assert out.splitlines()[0].startswith("actor,scope,decisions,")
    assert "checks that disagree" in out.splitlines()[0]
    # the second time the fit comes from the run store
    code, out, err = cli(capsys, *base, "--format", "json")
    assert code == 0 and len(calls) == 1
    data = json.loads(out)
    assert data["verdict"][0]["scope"] == "all cases"
    assert {r["check"] for r in data["robustness"]} == {"bayes", "prior x0.2", "prior x2"}
    code, out, _ = cli(capsys, *base, "--format", "markdown")
    assert code == 0 and "| actor" in out and "checks behind each pooled verdict" in out
    assert "prior refits only" in out
    code, out, _ = cli(capsys, *base, "--format", "latex")
    assert code == 0 and "\\begin{tabular" in out


# ---- the report's cross-case results -----------------------------------------------------------


@pytest.fixture(scope="module")
def crosscase(tmp_path_factory: pytest.TempPathFactory):
    needs_cases()
    store = tmp_path_factory.mktemp("store") / "runs.duckdb"
    first = cc.cross_case(pooled=False, store=store)
    comps = cc.compile_cases(cc.CASES)
    summary = cc.pooled_summary(comps, seed=0, steps=100, checks="prior", **LOOSE)
    return first, summary, store


def test_single_case_rows_are_each_case_fitted_alone(crosscase) -> None:
    from realpolitik.estimation.api import fit
    from realpolitik.estimation.data import choice_data

    first, _, store = crosscase
    single = first.single
    assert single.groupby("actor")["case"].apply(list).to_dict() == {
        "USSR": list(cc.CASES),
        "CCP=PRC": ["east-asia-1945", "sino-soviet-split", "sino-american-1972"],
        "USA": ["east-asia-1945", "tito-stalin-1948", "sino-american-1972", "egypt-realignment"],
    }
    assert single.set_index(["actor", "case"]).loc[("CCP=PRC", "east-asia-1945"), "actor_id"] == (
        "CCP"
    )
    # a weight on the case's standardised scale: the ML weight times the case's SD
    comp = as_compiled("sino-soviet-split")
    sd = choice_data(comp, "full").within_sd()
    w = fit(comp).verdict_frame().set_index("actor").loc["USSR", "w_interest"]
    row = single[(single["actor"] == "USSR") & (single["case"] == "sino-soviet-split")].iloc[0]
    assert row["w_interest_std"] == pytest.approx(w * sd[1])
    # the second time from the run store, the same rows
    again = cc.cross_case(pooled=None, store=store)
    pd.testing.assert_frame_equal(again.single, single)
    assert again.pooled is None  # not stored, and None does not compute it


def test_the_pooled_summary_is_kept_in_the_store_by_its_key(crosscase, tmp_path: Path) -> None:
    _, summary, _ = crosscase
    comps = cc.compile_cases(cc.CASES)
    store = tmp_path / "s.duckdb"
    full = cc.PooledSummary(**{**summary.__dict__, "checks_run": "all"})
    assert cc.save_pooled(store, comps, full, steps=100)
    got = cc.stored_pooled(store, comps, seed=0, steps=100)
    assert got is not None
    pd.testing.assert_frame_equal(got.verdicts, full.verdicts)
    assert cc.stored_pooled(store, comps, seed=1, steps=100) is None  # another seed
    assert cc.stored_pooled(store, comps, seed=0, steps=200) is None  # other steps
    assert cc.stored_pooled(store, comps[:4], seed=0, steps=100) is None  # other cases


def test_the_tidy_frame_and_the_report_section(crosscase, tmp_path: Path) -> None:
    from realpolitik.reports.cross_case_section import cross_case_section
    from realpolitik.reports.html import _Figures

    first, summary, _ = crosscase
    with_pooled = cc.CrossCaseFit(first.cases, first.actors, first.single, summary)
    tidy = with_pooled.to_frame()
    assert set(tidy["estimate"]) == {"ml, case alone", "pooled", "pooled, per case"}
    ussr = tidy[tidy["actor"] == "USSR"]
    assert ussr.iloc[0]["case"] == "all cases" and ussr.iloc[0]["estimate"] == "pooled"
    assert len(ussr) == 1 + 2 * len(cc.CASES)

    class Run:
        seed = 0
        pooled = None

    figs = _Figures(tmp_path / "figures", ("svg",))
    section = cross_case_section(with_pooled, figs, Run())
    assert section.id == "cross-case"
    assert 'data-figure="cross-case-weights"' in section.body
    assert (tmp_path / "figures" / "cross-case-weights.svg").exists()
    assert "A pooled verdict is printed only when" in section.body
    assert "refits at the prior scale x0.2 and x2 only" in section.body
    plain = cross_case_section(first, figs, Run())
    assert "The pooled rows are not shown" in plain.body
    assert "realpolitik fit east-asia-1945 tito-stalin-1948" in plain.body


def test_the_built_in_case_report_has_the_section(crosscase, tmp_path: Path) -> None:
    from realpolitik.estimation.api import fit
    from realpolitik.reports.html import ReportInputs, cross_case_applies, write_report

    first, _, _ = crosscase
    comp = as_compiled("east-asia-1945")
    assert cross_case_applies(comp)
    edited = comp.case.model_copy(update={"title": "an edited copy"})
    assert not cross_case_applies(as_compiled(edited))  # same id, other content
    inputs = ReportInputs(
        fit=fit(comp),
        bayes=None,
        fidelity=None,
        counterfactual=None,
        sensitivity=None,
        alliances=None,
        alliance_edges=None,
        alliance_regimes=None,
        cross_case=first,
    )
    page = write_report(
        "east-asia-1945", tmp_path, n=50, inputs=inputs, figure_formats=("svg",)
    ).read_text(encoding="utf-8")
    assert '<section id="cross-case">' in page
    assert page.count("ml, case alone") >= len(first.single)


def test_run_keeps_the_cross_case_rows_and_reuses_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    needs_cases()
    monkeypatch.setenv("REALPOLITIK_DATA_DIR", str(tmp_path / "no-data"))  # no alliance study
    store = tmp_path / "runs.duckdb"
    args = ["run", "east-asia-1945", "-n", "100", "--no-bayes", "--store", str(store)]
    cli_main([*args, "--out", str(tmp_path / "a")])
    capsys.readouterr()
    con = duckdb.connect(str(store), read_only=True)
    try:
        kinds = [r[0] for r in con.execute("SELECT kind FROM results").fetchall()]
    finally:
        con.close()
    assert "cross-case-ml" in kinds and "pooled-fit" not in kinds  # pooled: only on request

    def refuse(*args, **kwargs):
        raise AssertionError("recomputed the stored single-case rows")

    monkeypatch.setattr(cc, "single_rows", refuse)
    cli_main([*args, "--out", str(tmp_path / "b")])
    capsys.readouterr()
    page = (tmp_path / "b" / "report.html").read_text(encoding="utf-8")
    assert '<section id="cross-case">' in page and "The pooled rows are not shown" in page
    cli_main([*args, "--out", str(tmp_path / "c"), "--no-pooled"])
    capsys.readouterr()
    page = (tmp_path / "c" / "report.html").read_text(encoding="utf-8")
    assert "left out (--no-pooled)" in page
    assert "--no-pooled" in page.split("<main>")[0]  # in the command that reproduces the page
