"""Out-of-sample scoring (`evaluate`), the no-hindsight rule for dated inputs, and the coding
audit, on the built-in case and on edits of it."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from realpolitik.cli import cli
from realpolitik.errors import InputError
from realpolitik.estimation.audit import audit
from realpolitik.estimation.data import options_frame
from realpolitik.estimation.evaluation import evaluate
from realpolitik.model.compiled import FEATURES, compile_case
from realpolitik.scenario.loader import load
from realpolitik.scenario.schema import Case

BUILTIN = "east-asia-1945"
CUT = dt.date(1949, 12, 31)


@pytest.fixture(scope="module")
def case() -> Case:
    return load(BUILTIN).case


@pytest.fixture(scope="module")
def held_out(case: Case):
    return evaluate(compile_case(case), train_until=CUT)


def edited(case: Case, change) -> Case:
    data = case.model_dump(by_alias=True)
    change(data)
    return Case.model_validate(data)


# ---- evaluate -----------------------------------------------------------------------------------


def test_train_until_scores_only_later_decisions_with_a_uniform_baseline(case, held_out):
    later = {d.id for d in case.decisions if d.date > CUT}
    frame = held_out.decisions
    assert set(frame["decision"]) == later
    assert set(frame["model"]) == {"full", "interest", "ideology", "uniform"}
    base = frame[frame["model"] == "uniform"]
    assert np.allclose(base["log_score"], -np.log(base["options"]))
    assert np.allclose(base["brier"], 1 - 1 / base["options"])
    assert not base["hit"].any()  # a uniform prediction is a tie for the top: a miss
    # every model's training set has only decisions dated on or before the cut
    earlier = sum(1 for d in case.decisions if d.date <= CUT)
    assert (frame["train_decisions"] <= earlier).all()
    overall = held_out.overall().set_index("model")
    assert overall.loc["uniform", "d_log_score"] == 0
    for model in ("full", "interest", "ideology"):
        diff = frame[frame["model"] == model]["log_score"].to_numpy() - base["log_score"].to_numpy()
        assert overall.loc[model, "d_log_score"] == pytest.approx(diff.mean())
        assert overall.loc[model, "se_d_log_score"] == pytest.approx(
            diff.std(ddof=1) / np.sqrt(len(diff))
        )


def test_probabilities_sum_to_one_and_calibration_counts_every_option(held_out):
    sums = held_out.options.groupby(["model", "decision"])["p"].sum()
    assert np.allclose(sums, 1.0)
    cal = held_out.calibration()
    for model, sub in cal.groupby("model"):
        assert sub["options"].sum() == (held_out.options["model"] == model).sum()


def test_a_decision_is_never_scored_by_a_model_that_saw_it(case):
    """Changing what was chosen in a scored decision cannot change its own prediction."""
    for rolling in (False, True):
        kw = {"rolling": True} if rolling else {"train_until": CUT}
        before = evaluate(compile_case(case), **kw).options
        k = next(i for i, d in enumerate(case.decisions) if d.date > CUT)
        target = case.decisions[k]
        other = next(o.id for o in target.options if o.id != target.chosen)

        def change(data, k=k, other=other):
            data["decisions"][k]["chosen"] = other

        after = evaluate(compile_case(edited(case, change)), **kw).options
        mine = before["decision"] == target.id
        assert np.allclose(
            before.loc[mine, "p"].to_numpy(),
            after.loc[after["decision"] == target.id, "p"].to_numpy(),
        )


def test_rolling_scores_every_decision(case):
    ev = evaluate(compile_case(case), rolling=True, models=("interest",))
    assert len(ev.decisions[ev.decisions["model"] == "interest"]) == len(case.decisions)
    first = ev.decisions.groupby("actor").head(1)  # nothing before an actor's first decision
    assert (first["train_decisions"] == 0).all()


def test_evaluate_needs_one_scheme(case):
    with pytest.raises(InputError):
        evaluate(compile_case(case))
    with pytest.raises(InputError):
        evaluate(compile_case(case), train_until=dt.date(1800, 1, 1))


def test_cli_prints_scores_against_the_baseline(tmp_path):
    out = tmp_path / "scores.csv"
    res = CliRunner().invoke(
        cli,
        ["evaluate", BUILTIN, "--train-until", "1949-12-31", "--out", str(out)],
        terminal_width=200,
    )
    assert res.exit_code == 0, res.output
    assert "uniform" in res.output and "baseline" in res.output
    assert set(pd.read_csv(out)["model"]) == {"full", "interest", "ideology", "uniform"}
    res = CliRunner().invoke(cli, ["evaluate", BUILTIN, "--rolling", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["scheme"] == "rolling"
    assert {r["model"] for r in data["overall"]} == {"full", "interest", "ideology", "uniform"}
    res = CliRunner().invoke(cli, ["evaluate", BUILTIN, "--train-until", "1949-13-40"])
    assert res.exit_code != 0


# ---- no hindsight --------------------------------------------------------------------------------


def _features(case: Case) -> pd.DataFrame:
    return options_frame(compile_case(case)).set_index(["decision", "option"])[list(FEATURES)]


def _change_after(data: dict, day: dt.date, factor: float) -> None:
    """Multiply every capability figure and move every ideology position dated after `day`."""
    for cap in data["capabilities"]:
        for p in cap["points"]:
            if p["date"] > day:
                p["value"] = 0.37 * factor
    for actor in data["actors"]:
        for p in actor["ideology"]:
            if p["date"] > day:
                p["value"] = -0.9 if factor > 1 else 0.9


def test_no_feature_moves_when_figures_dated_after_its_decision_change(case):
    base = _features(case)
    for d in case.decisions:
        moved = _features(edited(case, lambda data, day=d.date: _change_after(data, day, 7.0)))
        assert np.allclose(base.loc[d.id].to_numpy(), moved.loc[d.id].to_numpy()), d.id


def test_the_check_can_fail_figures_dated_before_do_move_features(case):
    """Control: the same change applied from an earlier date moves later features."""
    base = _features(case)
    moved = _features(edited(case, lambda data: _change_after(data, dt.date(1945, 12, 31), 7.0)))
    assert not np.allclose(base.to_numpy(), moved.to_numpy())


def test_capability_before_the_first_figure_is_unknown(case):
    comp = compile_case(case)
    series = next(iter(comp.arenas[0].series.values()))
    assert np.isnan(series.known(comp.theta(), series.t[0] - 1.0)).all()
    assert series.known(comp.theta(), series.t[0])[0] == series.q[0].of(comp.theta())[0]


# ---- audit --------------------------------------------------------------------------------------


def test_audit_flags_a_label_coded_from_the_record(case):
    """Give the security gain to every chosen option and to no other: the audit must flag it
    and name the decisions."""

    def rig(data):
        for d in data["decisions"]:
            for o in d["options"]:
                o["security"] = "gain_large" if o["id"] == d["chosen"] else "none"

    result = audit(compile_case(edited(case, rig)))
    row = result.table.set_index("feature").loc["security"]
    assert row["flagged"]
    assert row["best"] == row["varies"] == len(case.decisions)
    line = next(f for f in result.flags if f.startswith("security"))
    assert case.decisions[0].id in line and case.decisions[-1].id in line


def test_audit_counts_decisions_where_the_chosen_option_is_best(case):
    def flat(data):
        for d in data["decisions"]:
            for j, o in enumerate(d["options"]):
                o["security"] = "gain_small" if j == 0 else "none"

    rigged = edited(case, flat)
    firsts = sum(d.options[0].id == d.chosen for d in rigged.decisions)
    row = audit(compile_case(rigged)).table.set_index("feature").loc["security"]
    assert row["varies"] == len(rigged.decisions)
    assert row["strictly_best"] == row["best"] == firsts
    assert row["options_positive"] == len(rigged.decisions)
    assert row["chosen_positive"] == firsts


def test_audit_cli_and_fit_warnings():
    res = CliRunner().invoke(cli, ["case", "audit", BUILTIN, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert {r["feature"] for r in data["features"]} == {*FEATURES, "interest"}
    from realpolitik.estimation.api import fit

    res = fit(BUILTIN, compare=True)
    audit_lines = [w for w in res.warnings if w.startswith("coding audit")]
    assert len(audit_lines) == len(data["flags"])


# ---- report -------------------------------------------------------------------------------------


def test_report_section_and_calibration_figure(case, tmp_path):
    from types import SimpleNamespace

    from realpolitik.reports.evaluation_section import evaluation_section
    from realpolitik.reports.html import _Figures

    figs = _Figures(tmp_path)
    run = SimpleNamespace(say=lambda msg: None, case_arg=BUILTIN)
    section = evaluation_section(compile_case(case), figs, run)
    assert section.id == "evaluation"
    assert "uniform" in section.body and "realpolitik evaluate" in section.body
    assert (tmp_path / "calibration.png").stat().st_size > 0
    assert (tmp_path / "calibration.svg").read_text(encoding="utf-8").startswith("<?xml")
