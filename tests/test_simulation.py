"""Forward simulation, counterfactuals, the run store, sensitivity and their command line.

Small hand-written cases (`mini_case`) pin down each state transition; the engine-wide
properties (seeds, backends, record replay, counterfactual error bars) are checked on every
available case: the template and each built-in case.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cli_run import run_cli as cli
from realpolitik.errors import InputError
from realpolitik.estimation.api import as_compiled
from realpolitik.model.compiled import Compiled
from realpolitik.model.features import option_features
from realpolitik.model.specs import to_feature_weights
from realpolitik.scenario.loader import builtin_names, parse, template_text
from realpolitik.simulation import backends
from realpolitik.simulation.api import (
    Z_MC,
    World,
    counterfactual,
    fitted_weights,
    ideological,
    load_world,
    resolve_world,
    simulate,
    weight_array,
)
from realpolitik.simulation.engine import Path as EnginePath
from realpolitik.simulation.engine import run
from realpolitik.simulation.sensitivity import sensitivity

# ---- small cases -------------------------------------------------------------------------------


def _template_sources() -> tuple[str, str]:
    """The template's source list and one of its citations (the small cases reuse them)."""
    import json

    import yaml

    tpl = yaml.safe_load(template_text())
    sources = yaml.safe_dump({"sources": tpl["sources"]}, sort_keys=False, allow_unicode=True)
    cite = next(c for d in tpl["decisions"] for c in d["cite"] if c.get("section"))
    return sources, json.dumps([cite])


SOURCES, CITE = _template_sources()


def mini_yaml(*, dynamics: bool = False, unused: bool = False, arm_chosen: str = "arm_b") -> str:
    """One deciding actor A; B and C contest an arena; C holds a prize; R is A's rival.

    take_prize (Feb 1946) -> quarrel event: A-R hostility (Mar 1946) -> arm (Jun 1946, aid to
    B) -> claim (Jan 1947, the prize again, favours B) -> ally (Jun 1947, alliance A-B).
    """
    extra = ""
    if dynamics:
        extra += (
            '  - {id: drift_b, value: 0.0, range: [-0.2, 0.5], rationale: "Test judgment: drift."}\n'
            '  - {id: momentum, value: 0.0, range: [0.0, 2.0], rationale: "Test judgment: momentum."}\n'
        )
    if unused:
        extra += (
            '  - {id: unused_knob, value: 0.5, range: [0.0, 1.0], rationale: "Enters nothing."}\n'
        )
    dyn = (
        "    dynamics: {from: 1946-04-01, drift: {B: {assumption: drift_b}}, "
        "momentum: {assumption: momentum}}\n"
        if dynamics
        else ""
    )
    return f"""
id: mini
title: A tiny hand-written case for the simulation tests
summary: One deciding actor, two sides in a contest, a prize, a rival and an alliance.
span: {{start: 1946-01-01, end: 1948-12-31}}
ideology_scale: {{low: -1, high: 1, low_label: liberal-capitalist, high_label: Marxist-Leninist}}
{SOURCES}
assumptions:
  - {{id: ideo_c, value: -0.4, range: [-0.8, 0.0], rationale: "Test judgment: C's position."}}
  - {{id: value_high, value: 1.0, range: [0.6, 1.5], rationale: "Test judgment: the prize."}}
  - {{id: risk_high, value: 1.0, range: [0.6, 1.5], rationale: "Test judgment: a clash."}}
  - {{id: price_prevail, value: 1.0, range: [0.3, 2.0], rationale: "Test judgment: winning."}}
  - {{id: price_risk, value: 1.0, range: [0.3, 2.0], rationale: "Test judgment: risk."}}
  - {{id: csf_m, value: 1.0, range: [0.5, 2.0], rationale: "Test judgment: decisiveness."}}
  - {{id: cap_c, value: 3.0, range: [2.0, 5.0], rationale: "Test judgment: C against B."}}
  - {{id: aid_b, value: 0.5, range: [0.2, 1.0], rationale: "Test judgment: aid to B."}}
  - {{id: hostility_ar, value: 0.6, range: [0.3, 0.9], rationale: "Test judgment: quarrel."}}
{extra}
scales:
  value: {{high: value_high}}
  risk: {{high: risk_high}}
interest:
  prevail: {{assumption: price_prevail}}
  risk: {{assumption: price_risk}}
actors:
  - {{id: A, name: Decider, kind: state, ideology: [{{date: 1946-01-01, value: 1.0, cite: {CITE}}}]}}
  - {{id: B, name: Kin, kind: party, ideology: [{{date: 1946-01-01, value: 1.0, cite: {CITE}}}]}}
  - {{id: C, name: Other, kind: party, ideology: [{{date: 1946-01-01, value: {{assumption: ideo_c}}}}]}}
  - {{id: R, name: Rival, kind: state, ideology: [{{date: 1946-01-01, value: -1.0, cite: {CITE}}}]}}
arenas:
  - id: war
    name: The contest
    measure: relative strength
    decisiveness: {{assumption: csf_m}}
{dyn}
capabilities:
  - {{actor: C, arena: war, points: [{{date: 1946-01-01, value: {{assumption: cap_c}}}}]}}
  - {{actor: B, arena: war, points: [{{date: 1946-01-01, value: 1.0, cite: {CITE}}}]}}
stakes:
  - {{id: prize, name: The prize, holder: C, valuations: {{A: high}}, cite: {CITE}}}
decisions:
  - id: take_prize
    date: 1946-02-01
    actor: A
    question: Take the prize now?
    options:
      - {{id: take, label: Take it, gains: [prize], risk: high, rival: R,
          effects: [{{transfer: {{stake: prize, to: A}}}}]}}
      - {{id: leave, label: Leave it}}
    chosen: take
    cite: {CITE}
  - id: arm
    date: 1946-06-01
    actor: A
    arena: war
    question: Arm B?
    options:
      - {{id: arm_b, label: Arm B, favours: B, opposes: C, risk: high, rival: R,
          effects: [{{aid: {{to: B, arena: war, amount: {{assumption: aid_b}}}}}}]}}
      - {{id: stay_out, label: Stay out}}
    chosen: {arm_chosen}
    cite: {CITE}
  - id: claim
    date: 1947-01-01
    actor: A
    arena: war
    question: Claim the prize with B's help?
    options:
      - {{id: claim, label: Claim, favours: B, opposes: C, gains: [prize],
          effects: [{{transfer: {{stake: prize, to: A}}}}]}}
      - {{id: wait, label: Wait}}
    chosen: claim
    cite: {CITE}
  - id: ally
    date: 1947-06-01
    actor: A
    question: Ally with B?
    options:
      - {{id: ally_b, label: Ally, favours: B, effects: [{{alliance: {{members: [A, B]}}}}]}}
      - {{id: no_ally, label: Stay free}}
    chosen: ally_b
    cite: {CITE}
events:
  - id: quarrel
    date: 1946-03-01
    label: A and R fall out
    effects: [{{hostility: {{between: [A, R], level: {{assumption: hostility_ar}}}}}}]
    cite: {CITE}
outcomes:
  - {{id: a_holds_prize, label: A holds the prize, kind: holds, actor: A, stake: prize,
      date: 1948-12-31, observed: true, cite: {CITE}}}
  - {{id: ab_allied, label: A and B allied, kind: alliance, members: [A, B],
      date: 1948-12-31, observed: true, cite: {CITE}}}
  - {{id: b_prevails, label: B prevails, kind: prevails, actor: B, arena: war,
      date: 1948-12-31, observed: false, cite: {CITE}}}
"""


def mini(**kw: Any) -> Compiled:
    return as_compiled(parse(mini_yaml(**kw), "<mini>"))


def case_refs() -> list[str]:
    return ["template", *builtin_names()]


def compiled(ref: str) -> Compiled:
    if ref == "template":
        return as_compiled(parse(template_text(), "<template>"))
    return as_compiled(ref)


@pytest.fixture(scope="module", params=case_refs())
def case(request: pytest.FixtureRequest) -> tuple[Compiled, pd.DataFrame]:
    comp = compiled(request.param)
    return comp, fitted_weights(comp)


def weights_frame(comp: Compiled, ideology: float, interest: float) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"actor": a, "source": "test", "ideology": ideology, "interest": interest}
            for a in comp.actor_ids
        ]
    )


def W5(comp: Compiled, w: pd.DataFrame, rows: int, theta: np.ndarray | None = None) -> np.ndarray:
    th = comp.theta() if theta is None else theta[:1]
    return np.repeat(to_feature_weights("full", comp, weight_array(comp, w, "full"), th), rows, 0)


def dec(comp: Compiled, decision: str, option: str | None = None) -> tuple[int, int]:
    k = next(i for i, d in enumerate(comp.decisions) if d.id == decision)
    return k, (comp.decisions[k].option_ids.index(option) if option else -1)


def forced_run(comp: Compiled, force: dict[str, str], rows: int = 4, **kw: Any) -> EnginePath:
    forced = dict(dec(comp, d, o) for d, o in force.items())
    return run(
        comp,
        comp.theta(rows),
        feature_weights=W5(comp, weights_frame(comp, 0, 0), rows),
        rng=np.random.default_rng(0),
        forced=forced,
        keep_features=True,
        **kw,
    )


def outcome(comp: Compiled, path: EnginePath, oid: str) -> np.ndarray:
    return path.outcomes[:, [o.id for o in comp.outcomes].index(oid)]


FEATURE = {"ideology": 0, "stakes": 1, "prevail": 2, "risk": 3, "security": 4}


# ---- (a) seeds ---------------------------------------------------------------------------------


def test_same_seed_same_numbers_other_seed_other_numbers(
    case: tuple[Compiled, pd.DataFrame],
) -> None:
    comp, w = case
    kw = {"n": 6000, "weights": w, "store": False, "chunk_rows": 2500}
    a, b, c = (
        simulate(comp, seed=7, **kw),
        simulate(comp, seed=7, **kw),
        simulate(comp, seed=8, **kw),
    )
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    pd.testing.assert_frame_equal(a.choices, b.choices)
    assert a.run_key == b.run_key != c.run_key
    assert not np.array_equal(a.choices["frequency"].to_numpy(), c.choices["frequency"].to_numpy())
    # but a different seed is the same model: frequencies agree within Monte Carlo error
    diff = (a.choices["frequency"] - c.choices["frequency"]).abs()
    p = (a.choices["frequency"] + c.choices["frequency"]) / 2
    se = np.sqrt(2 * p * (1 - p) / a.n) + 1e-12
    assert (diff <= 4.5 * se).all()


def test_engine_draws_depend_on_generator_only() -> None:
    comp = mini()
    w = W5(comp, weights_frame(comp, 1.0, 1.0), 500)
    one = run(comp, comp.theta(500), feature_weights=w, rng=np.random.default_rng(3))
    two = run(comp, comp.theta(500), feature_weights=w, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(one.choices, two.choices)
    np.testing.assert_array_equal(one.logp, two.logp)


# ---- (b) backends ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[str]:
    from dask.distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_dask_backend_matches_local(dask_cluster: str, case: tuple[Compiled, pd.DataFrame]) -> None:
    comp, w = case
    kw = {"n": 30_000, "seed": 11, "weights": w, "store": False, "chunk_rows": 5000}
    local = simulate(comp, backend="local", **kw)
    dask = simulate(comp, backend="dask", scheduler=dask_cluster, **kw)
    assert dask.backend == "dask"
    pd.testing.assert_frame_equal(local.outcomes, dask.outcomes)
    pd.testing.assert_frame_equal(local.choices, dask.choices)
    assert local.run_key == dask.run_key


def test_a_named_scheduler_keeps_its_client_and_what_it_was_sent(
    dask_cluster: str, case: tuple[Compiled, pd.DataFrame]
) -> None:
    """A second run on the same scheduler connects and sends the case no more; what the
    workers lost is sent again; the numbers are the same each time."""
    comp, w = case
    kw = {"n": 4000, "seed": 3, "weights": w, "store": False, "chunk_rows": 1000}
    first = simulate(comp, backend="dask", scheduler=dask_cluster, **kw)
    client = backends._CLIENTS[dask_cluster]
    obj, fut = backends._SCATTERED[(dask_cluster, id(comp))]
    assert obj is comp
    second = simulate(comp, backend="dask", scheduler=dask_cluster, **kw)
    assert backends._CLIENTS[dask_cluster] is client and client.status == "running"
    assert backends._SCATTERED[(dask_cluster, id(comp))][1].key == fut.key  # not sent again
    client.cancel([fut])  # the workers no longer have it
    third = simulate(comp, backend="dask", scheduler=dask_cluster, **kw)
    assert backends._SCATTERED[(dask_cluster, id(comp))][1].key != fut.key
    local = simulate(comp, **kw)
    for res in (first, second, third):
        pd.testing.assert_frame_equal(res.outcomes, local.outcomes)
        pd.testing.assert_frame_equal(res.choices, local.choices)


def test_worker_count_does_not_change_numbers() -> None:
    comp = mini()
    w = weights_frame(comp, 1.0, 1.0)
    kw = {"n": 12_000, "seed": 5, "weights": w, "store": False, "chunk_rows": 1000}
    one = simulate(comp, backend="dask", workers=1, **kw)
    local = simulate(comp, backend="local", **kw)
    pd.testing.assert_frame_equal(one.choices, local.choices)
    pd.testing.assert_frame_equal(one.outcomes, local.outcomes)


def test_chunks_cover_rows_and_seed_streams_differ() -> None:
    plan = backends.chunks(30_001, 5000)
    assert sum(r for _, _, r in plan) == 30_001 and [i for i, _, _ in plan] == list(range(7))
    assert plan[-1] == (6, 30_000, 1)
    a = backends.chunk_rng(1, 0).random(4)
    assert not np.array_equal(a, backends.chunk_rng(1, 1).random(4))
    np.testing.assert_array_equal(a, backends.chunk_rng(1, 0).random(4))
    with pytest.raises(InputError, match="--backend: expected one of local, dask"):
        backends.make_backend("ray")


# ---- (c) record replay and state transitions ---------------------------------------------------


def test_record_replay_and_forcing_the_record(case: tuple[Compiled, pd.DataFrame]) -> None:
    comp, _ = case
    rec = run(comp, comp.theta(3), record=True)
    observed = np.array([o.observed for o in comp.outcomes])
    assert (rec.outcomes == observed).all(), "the record replay does not reproduce the record"
    assert (rec.choices == [d.chosen for d in comp.decisions]).all()
    forced = forced_run(comp, {d.id: d.option_ids[d.chosen] for d in comp.decisions}, rows=3)
    assert (forced.choices == rec.choices).all()
    assert (forced.logp == 0).all()
    assert (forced.outcomes == observed).all(), "forcing every recorded choice misses the record"


def test_transfer_changes_holder() -> None:
    comp = mini()
    took = forced_run(comp, {"take_prize": "take", "claim": "wait"})
    left = forced_run(comp, {"take_prize": "leave", "claim": "wait"})
    late = forced_run(comp, {"take_prize": "leave", "claim": "claim"})
    assert outcome(comp, took, "a_holds_prize").all()
    assert not outcome(comp, left, "a_holds_prize").any()
    assert outcome(comp, late, "a_holds_prize").all()


def test_alliance_forms_only_when_chosen() -> None:
    comp = mini()
    assert outcome(comp, forced_run(comp, {"ally": "ally_b"}), "ab_allied").all()
    assert not outcome(comp, forced_run(comp, {"ally": "no_ally"}), "ab_allied").any()


def test_hostility_reduces_risk() -> None:
    comp = mini()
    k_take, take = dec(comp, "take_prize", "take")
    k_arm, arm = dec(comp, "arm", "arm_b")
    path = forced_run(comp, {})
    h = comp.theta0[comp.assumption_ids.index("hostility_ar")]
    r = comp.theta0[comp.assumption_ids.index("risk_high")]
    # before the quarrel the full risk; after it, risk x (1 - hostility)
    np.testing.assert_allclose(path.features[k_take][:, take, FEATURE["risk"]], r)
    np.testing.assert_allclose(path.features[k_arm][:, arm, FEATURE["risk"]], r * (1 - h))
    np.testing.assert_allclose(path.features[k_arm][:, 1 - arm, FEATURE["risk"]], 0.0)
    # without the event the risk is not reduced; moved after the decision, not yet
    gone = forced_run(comp, {}, skip_events=frozenset({"quarrel"}))
    np.testing.assert_allclose(gone.features[k_arm][:, arm, FEATURE["risk"]], r)
    moved = forced_run(comp, {}, moved_events={"quarrel": 1946.8})
    np.testing.assert_allclose(moved.features[k_arm][:, arm, FEATURE["risk"]], r)
    early = forced_run(comp, {}, moved_events={"quarrel": 1946.01})
    np.testing.assert_allclose(early.features[k_take][:, take, FEATURE["risk"]], r * (1 - h))


def odds(share: np.ndarray) -> np.ndarray:
    return share / (1 - share)


def test_aid_raises_capability_through_the_deviation() -> None:
    comp = mini()  # recorded: arm_b, so the record already contains the aid
    aid = comp.theta0[comp.assumption_ids.index("aid_b")]
    cap_c = comp.theta0[comp.assumption_ids.index("cap_c")]
    j = [o.id for o in comp.outcomes].index("b_prevails")
    with_aid = forced_run(comp, {"arm": "arm_b"})
    without = forced_run(comp, {"arm": "stay_out"})
    # m = 1: the odds of B are C_B / C_C; choosing the recorded aid reproduces the record
    np.testing.assert_allclose(odds(with_aid.shares[:, j]), 1.0 / cap_c)
    np.testing.assert_allclose(odds(without.shares[:, j]), 1.0 / (1 + aid) / cap_c)
    # the same through the prevail feature of a later decision
    k, claim = dec(comp, "claim", "claim")
    p_with = with_aid.features[k][:, claim, FEATURE["prevail"]]
    p_without = without.features[k][:, claim, FEATURE["prevail"]]
    assert (p_with > p_without).all()
    # a record that withheld the aid: choosing it now multiplies B by 1 + aid
    comp2 = mini(arm_chosen="stay_out")
    given = forced_run(comp2, {"arm": "arm_b"})
    np.testing.assert_allclose(odds(given.shares[:, j]), (1 + aid) / cap_c)
    np.testing.assert_allclose(odds(forced_run(comp2, {}).shares[:, j]), 1.0 / cap_c)


def test_balance_rule_after_dynamics_start() -> None:
    comp = mini(dynamics=True)
    aid = comp.theta0[comp.assumption_ids.index("aid_b")]
    cap_c = comp.theta0[comp.assumption_ids.index("cap_c")]
    j = [o.id for o in comp.outcomes].index("b_prevails")
    # no drift, no momentum: the balance holds still; aid after the start multiplies B
    np.testing.assert_allclose(
        odds(forced_run(comp, {"arm": "arm_b"}).shares[:, j]), (1 + aid) / cap_c
    )
    np.testing.assert_allclose(odds(forced_run(comp, {"arm": "stay_out"}).shares[:, j]), 1 / cap_c)
    # momentum: the stronger side (C) gains; drift for B: B gains
    th = comp.theta(4, {"momentum": 1.0})
    w = W5(comp, weights_frame(comp, 0, 0), 4)
    fk = dict([dec(comp, "arm", "stay_out")])
    mom = run(comp, th, feature_weights=w, rng=np.random.default_rng(0), forced=fk)
    assert (mom.shares[:, j] < 1 / (1 + cap_c) - 0.01).all()
    th = comp.theta(4, {"drift_b": 0.3})
    drift = run(comp, th, feature_weights=w, rng=np.random.default_rng(0), forced=fk)
    assert (drift.shares[:, j] > 1 / (1 + cap_c) + 0.05).all()
    # the record replay ignores the rule
    assert np.allclose(run(comp, th, record=True).shares[:, j], 1 / (1 + cap_c))


# ---- (d) later features depend on earlier simulated choices -----------------------------------


def test_later_features_follow_earlier_choices() -> None:
    comp = mini()
    k, claim = dec(comp, "claim", "claim")
    took = forced_run(comp, {"take_prize": "take"}).features[k]
    left = forced_run(comp, {"take_prize": "leave"}).features[k]
    v = comp.theta0[comp.assumption_ids.index("value_high")]
    np.testing.assert_allclose(took[:, claim, FEATURE["stakes"]], 0.0)  # already held
    np.testing.assert_allclose(left[:, claim, FEATURE["stakes"]], v)
    # and mixed rows: each row's features follow its own draw
    rows = 2000
    w = W5(comp, weights_frame(comp, 0.0, 0.0), rows)
    path = run(
        comp, comp.theta(rows), feature_weights=w, rng=np.random.default_rng(1), keep_features=True
    )
    k0, take = dec(comp, "take_prize", "take")
    s = path.features[k][:, claim, FEATURE["stakes"]]
    np.testing.assert_allclose(s[path.choices[:, k0] == take], 0.0)
    np.testing.assert_allclose(s[path.choices[:, k0] != take], v)
    assert 0.4 < (path.choices[:, k0] == take).mean() < 0.6  # zero weights: a coin toss


def links(comp: Compiled) -> bool:
    """Does some option's effect touch what a later decision's features read?"""
    for d in comp.decisions:
        later = [m for m in comp.decisions if m.t > d.t]
        for eff in (e for effects in d.effects for e in effects):
            for m in later:
                if eff.kind == "transfer" and (
                    m.gains[:, eff.stake].any() or m.gives[:, eff.stake].any()
                ):
                    return True
                if eff.kind == "aid" and eff.arena == m.arena:
                    return True
                if eff.kind == "hostility" and {eff.a, eff.b} & {m.actor} and (m.rival >= 0).any():
                    return True
    return False


def test_changed_early_choice_changes_a_later_decision(case: tuple[Compiled, pd.DataFrame]) -> None:
    """On every case: some early alternative changes some later decision's option values."""
    comp, _ = case
    base = forced_run(comp, {}, rows=1, record=False)
    found = []
    for d in comp.decisions:
        for j, opt in enumerate(d.option_ids):
            if j == d.chosen or not any(d.effects[j] + d.effects[d.chosen]):
                continue
            alt = forced_run(comp, {d.id: opt}, rows=1)
            later = [m for m in range(len(comp.decisions)) if comp.decisions[m].t > d.t]
            if any(not np.allclose(alt.features[m], base.features[m]) for m in later):
                found.append((d.id, opt))
    if links(comp):
        assert found, "no early choice changes any later decision's features"


# ---- (e) counterfactuals -----------------------------------------------------------------------


def decisive_world(comp: Compiled, w: pd.DataFrame) -> tuple[World, int]:
    """Force the non-recorded option that moves an outcome the most (a screening run)."""
    theta = comp.theta(400)
    W = W5(comp, w, 400)
    base = run(comp, theta, feature_weights=W, rng=np.random.default_rng(0)).outcomes.mean(0)
    best: tuple[float, str, str, int] = (0.0, "", "", -1)
    for k, d in enumerate(comp.decisions):
        for j, opt in enumerate(d.option_ids):
            if j == d.chosen:
                continue
            alt = run(comp, theta, feature_weights=W, rng=np.random.default_rng(0), forced={k: j})
            delta = np.abs(alt.outcomes.mean(0) - base)
            if delta.max() > best[0]:
                best = (float(delta.max()), d.id, opt, int(delta.argmax()))
    assert best[0] > 0.2, "no single choice moves any outcome"
    return World(force={best[1]: best[2]}, name=f"force {best[1]}={best[2]}"), best[3]


def test_counterfactual_null_and_strong_worlds(case: tuple[Compiled, pd.DataFrame]) -> None:
    comp, w = case
    # a world that changes nothing: an assumption set to its own default
    a0 = comp.assumption_ids[0]
    same = World(assumptions={a0: float(comp.theta0[0])}, name="same")
    null = counterfactual(comp, same, n=8000, seed=2).compare()
    assert not null["beyond_mc_error"].any()
    assert (null["difference"].abs() <= Z_MC * null["mc_se"] + 1e-12).all()
    assert {"baseline", "counterfactual", "difference", "mc_se", "beyond_mc_error"} <= set(null)
    # a strong world: force the most decisive alternative
    world, j = decisive_world(comp, w)
    strong = counterfactual(comp, world, n=8000, seed=2).compare()
    assert strong["beyond_mc_error"].iloc[j], strong
    assert abs(strong["difference"].iloc[j]) > Z_MC * strong["mc_se"].iloc[j]
    shift = strong.attrs["choices"]
    d, opt = next(iter(world.force.items()))
    forced_row = shift[(shift["decision"] == d) & (shift["option"] == opt)]
    assert forced_row["counterfactual"].iloc[0] == 1.0


def test_counterfactual_mc_error_is_honest() -> None:
    """Two baselines with different seeds differ by about their Monte Carlo error."""
    comp = mini()
    w = weights_frame(comp, 1.0, 1.0)
    z = []
    for seed in range(3):
        a = simulate(comp, n=4000, seed=seed, weights=w, store=False).outcomes
        b = simulate(comp, n=4000, seed=100 + seed, weights=w, store=False).outcomes
        se = np.sqrt(a["mc_se"] ** 2 + b["mc_se"] ** 2)
        z += list(((a["frequency"] - b["frequency"]) / se).dropna())
    assert np.max(np.abs(z)) < 4.0


def test_ideological_world_changes_weights(case: tuple[Compiled, pd.DataFrame]) -> None:
    comp, w = case
    actor = comp.decisions[0].actor
    name = comp.actor_ids[actor]
    world = ideological(comp, name, w)
    assert world.weights[name]["interest"] == 0.0
    assert world.weights[name]["ideology"] > 0
    args = resolve_world(comp, world, w, "full")
    row = args["weights"][args["weights"]["actor"] == name].iloc[0]
    assert row["source"] == "set by the world" and row["interest"] == 0.0
    with pytest.raises(InputError, match="--ideological: unknown actor 'Nobody'"):
        ideological(comp, "Nobody", w)


def test_ideological_world_keeps_the_standardised_strength() -> None:
    """docs/model.md section 5: the ideological actor's ideology strength equals the strength
    of its fitted interest weight, on that actor's own standardised scale."""
    from realpolitik.estimation.api import fit
    from realpolitik.estimation.results import block_strength

    comp = as_compiled("east-asia-1945")
    res = fit(comp)
    ussr = next(a for a in res.actors if a.actor == "USSR")
    _, interest = block_strength(ussr.params[None], ussr.data, res.terms)
    world = ideological(comp, "USSR", fitted_weights(comp))
    w = np.array([[world.weights["USSR"]["ideology"], 0.0]])
    ideology, _ = block_strength(w, ussr.data, res.terms)
    assert ideology[0] == pytest.approx(abs(interest[0]), rel=1e-9)


def test_removed_and_moved_event_in_simulation() -> None:
    comp = mini()
    w = weights_frame(comp, 0.0, 1.0)  # interest only: risk matters
    kw = {"n": 6000, "seed": 3, "weights": w, "store": False}
    base = simulate(comp, **kw).choices.set_index(["decision", "option"])["frequency"]
    gone = simulate(comp, world=World(remove_events=["quarrel"]), **kw)
    gone_f = gone.choices.set_index(["decision", "option"])["frequency"]
    late = simulate(comp, world=World(move_events={"quarrel": dt.date(1946, 12, 1)}), **kw)
    late_f = late.choices.set_index(["decision", "option"])["frequency"]
    # without the quarrel arming B is riskier, so chosen less; moved after `arm`, the same
    assert gone_f[("arm", "arm_b")] < base[("arm", "arm_b")] - 0.05
    assert late_f[("arm", "arm_b")] < base[("arm", "arm_b")] - 0.05
    # the earlier decision (before the quarrel's date either way) is untouched
    assert gone_f[("take_prize", "take")] == pytest.approx(base[("take_prize", "take")], abs=0.03)


def test_event_aid_keeps_the_record_as_reference() -> None:
    """docs/model.md, capabilities: the recorded path reproduces the record; only an event that is
    removed or moved makes its aid deviate from it."""
    quarrel = "effects: [{hostility: {between: [A, R], level: {assumption: hostility_ar}}}]"
    with_aid = quarrel[:-1] + ", {aid: {to: B, arena: war, amount: {assumption: aid_b}}}]"
    comp = as_compiled(parse(mini_yaml().replace(quarrel, with_aid), "<mini>"))
    theta = comp.theta()
    aid = theta[0, comp.assumption_ids.index("aid_b")]
    cap_c = theta[0, comp.assumption_ids.index("cap_c")]
    recorded = run(comp, theta, record=True).shares[0, 2]
    assert run(comp, theta).shares[0, 2] == pytest.approx(recorded)
    gone = run(comp, theta, skip_events=frozenset({"quarrel"})).shares[0, 2]
    b_rec = recorded * cap_c / (1 - recorded)  # B's recorded capability against C's
    assert gone == pytest.approx((b_rec / (1 + aid)) / (b_rec / (1 + aid) + cap_c))


@pytest.mark.parametrize(
    ("world", "message"),
    [
        (World(weights={"Nobody": {"ideology": 1.0}}), "weights: unknown actor 'Nobody'"),
        (World(weights={"A": {"charm": 1.0}}), "weights.A: unknown term 'charm'"),
        (World(remove_events=["no_such"]), "remove_events: unknown event 'no_such'"),
        (
            World(move_events={"no_such": dt.date(1946, 5, 1)}),
            "move_events: unknown event 'no_such'",
        ),
        (World(force={"no_such": "x"}), "force: unknown decision 'no_such'"),
        (
            World(force={"arm": "invade"}),
            r"force.arm: unknown option 'invade' \(options: arm_b, stay_out\)",
        ),
        (
            World(assumptions={"aid_b": 5.0}),
            r"assumptions.aid_b: 5.0 is outside its declared range",
        ),
        (World(assumptions={"no_such": 1.0}), "assumptions: unknown assumption 'no_such'"),
    ],
)
def test_bad_worlds_raise_input_error(world: World, message: str) -> None:
    comp = mini()
    with pytest.raises(InputError, match=message):
        simulate(comp, n=10, world=world, weights=weights_frame(comp, 1, 1), store=False)


def test_load_world(tmp_path: Path) -> None:
    good = tmp_path / "ideo.yaml"
    good.write_text(
        "name: test\nweights: {A: {ideology: 2.0, interest: 0}}\n"
        "remove_events: [quarrel]\nmove_events: {quarrel: 1946-07-01}\n"
        "assumptions: {aid_b: 0.8}\nforce: {arm: stay_out}\n"
    )
    world = load_world(good)
    assert world == World(
        weights={"A": {"ideology": 2.0, "interest": 0.0}},
        remove_events=["quarrel"],
        move_events={"quarrel": dt.date(1946, 7, 1)},
        assumptions={"aid_b": 0.8},
        force={"arm": "stay_out"},
        name="test",
    )
    bad = tmp_path / "broken.yaml"
    bad.write_text("weights: {A: [\nforce: x\n")
    with pytest.raises(InputError, match=r"broken\.yaml:\d+: malformed YAML"):
        load_world(bad)
    extra = tmp_path / "extra.yaml"
    extra.write_text("weigths: {A: {ideology: 1}}\n")
    with pytest.raises(InputError, match=r"extra\.yaml: weigths: unknown field"):
        load_world(extra)
    typed = tmp_path / "typed.yaml"
    typed.write_text("assumptions: {aid_b: lots}\n")
    with pytest.raises(InputError, match=r"typed\.yaml: assumptions.aid_b: expected a number"):
        load_world(typed)
    with pytest.raises(InputError, match=r"missing\.yaml: no such counterfactual file"):
        load_world(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match=r"is a folder; expected a counterfactual file"):
        load_world(tmp_path)
    for text, message in [
        ("move_events: [quarrel]\n", r"move_events: expected \{EVENT: YYYY-MM-DD\}, got list"),
        ("move_events: {quarrel: 1946-13-01}\n", r"move_events.quarrel: expected a date"),
        ("force: [arm]\n", r"force: expected \{DECISION: OPTION\}, got list"),
        ("assumptions: [aid_b]\n", r"assumptions: expected \{ASSUMPTION: NUMBER\}, got list"),
        ("remove_events: quarrel\n", r"remove_events: expected a list of event ids"),
        ("weights: {A: {ideology: .nan}}\n", r"weights.A.ideology: expected a number, got nan"),
    ]:
        typed.write_text(text)
        with pytest.raises(InputError, match=r"typed\.yaml: " + message):
            load_world(typed)


# ---- (f) run store -----------------------------------------------------------------------------


def test_store_reuses_a_finished_run(tmp_path: Path) -> None:
    comp = mini()
    db = tmp_path / "runs.duckdb"
    kw = {"n": 9000, "seed": 4, "weights": weights_frame(comp, 1.0, 1.0), "chunk_rows": 2000}
    first = simulate(comp, store=db, **kw)
    assert not first.reused
    calls: list[int] = []
    real = backends.Backend.map

    def counting(self: backends.Backend, fn: Callable[[Any], Any], items: Any) -> Any:
        items = list(items)
        calls.append(len(items))
        return real(self, fn, items)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(backends.Backend, "map", counting)
        second = simulate(comp, store=db, **kw)
        other = simulate(comp, store=db, **{**kw, "seed": 5})
    assert second.reused and second.run_key == first.run_key
    assert calls == [5]  # only the other seed computed anything
    assert not other.reused
    pd.testing.assert_frame_equal(first.outcomes, second.outcomes)
    pd.testing.assert_frame_equal(first.choices, second.choices)


def test_interrupted_run_resumes_missing_chunks_only(tmp_path: Path) -> None:
    comp = mini()
    db = tmp_path / "runs.duckdb"
    kw = {"n": 10_000, "seed": 9, "weights": weights_frame(comp, 1.0, 1.0), "chunk_rows": 1000}
    real = backends.Backend.map
    done: list[int] = []
    first: list[int] = []

    def crashing(self: backends.Backend, fn: Callable[[Any], Any], items: Any) -> Any:
        # chunks may finish in any order (the local backend runs them on several processes)
        for k, (item, result) in enumerate(real(self, fn, items)):
            if k == 4:
                raise RuntimeError("simulated crash")
            first.append(item[-1][0])
            yield item, result

    def counting(self: backends.Backend, fn: Callable[[Any], Any], items: Any) -> Any:
        for item, result in real(self, fn, items):
            done.append(item[-1][0])
            yield item, result

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(backends.Backend, "map", crashing)
        with pytest.raises(RuntimeError, match="simulated crash"):
            simulate(comp, store=db, **kw)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(backends.Backend, "map", counting)
        resumed = simulate(comp, store=db, **kw)
    assert len(first) == 4
    assert sorted(done) == sorted(set(range(10)) - set(first)), "resume recomputed finished chunks"
    assert not resumed.reused
    whole = simulate(comp, store=False, **kw)
    pd.testing.assert_frame_equal(resumed.outcomes, whole.outcomes)
    pd.testing.assert_frame_equal(resumed.choices, whole.choices)
    again = simulate(comp, store=db, **kw)
    assert again.reused


# ---- (g) sensitivity ---------------------------------------------------------------------------


def test_sensitivity_indices_share_and_unused_assumption(tmp_path: Path) -> None:
    comp = mini(unused=True)
    res = sensitivity(comp, base_samples=64, draws=16, seed=3, store=False)
    varying = [a for a, (lo, hi) in zip(comp.assumption_ids, comp.bounds, strict=True) if hi > lo]
    assert res.n_evaluations == 64 * (len(varying) + 2)
    for _, block in res.indices.groupby("output"):
        assert sorted(block["assumption"]) == sorted(varying)
    assert not res.verdict_share.empty
    assert res.verdict_share["share_interest_outweighs"].between(0, 1).all()
    unused = res.indices[res.indices["assumption"] == "unused_knob"]
    assert len(unused) > 0 and (unused["ST"].abs() < 1e-6).all()
    assert "unused_knob" not in set(res.matters()["assumption"])
    # something does matter, and the numbers are deterministic for a seed (and stored)
    assert not res.matters().empty
    again = sensitivity(comp, base_samples=64, draws=16, seed=3, store=tmp_path / "s.duckdb")
    pd.testing.assert_frame_equal(res.indices, again.indices)
    pd.testing.assert_frame_equal(res.verdict_share, again.verdict_share)
    reread = sensitivity(comp, base_samples=64, draws=16, seed=3, store=tmp_path / "s.duckdb")
    assert reread.reused and not again.reused
    pd.testing.assert_frame_equal(res.indices, reread.indices)


def test_sensitivity_on_each_case(case: tuple[Compiled, pd.DataFrame]) -> None:
    comp, _ = case
    res = sensitivity(comp, base_samples=8, draws=4, seed=1, store=False)
    varying = {a for a, (lo, hi) in zip(comp.assumption_ids, comp.bounds, strict=True) if hi > lo}
    assert set(res.indices["assumption"]) == varying
    assert res.verdict_share["share_interest_outweighs"].between(0, 1).all()
    with pytest.raises(InputError, match="power of two"):
        sensitivity(comp, base_samples=10, draws=4, store=False)


# ---- (h) command line --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def case_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cases") / "mini.yaml"
    path.write_text(mini_yaml())
    return str(path)


@pytest.fixture(scope="module")
def ussr_case(tmp_path_factory: pytest.TempPathFactory) -> str:
    if "east-asia-1945" in builtin_names():
        return "east-asia-1945"
    path = tmp_path_factory.mktemp("cases") / "template.yaml"
    path.write_text(template_text())
    return str(path)


def test_cli_simulate_json(capsys: pytest.CaptureFixture[str], case_file: str) -> None:
    import json

    code, out, err = cli(
        capsys, "simulate", case_file, "-n", "2000", "--seed", "1", "--no-store", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["n"] == 2000 and data["seed"] == 1
    assert [o["outcome"] for o in data["outcomes"]] == ["a_holds_prize", "ab_allied", "b_prevails"]
    assert all(0 <= o["frequency"] <= 1 for o in data["outcomes"])
    assert "record_logp" in data["fidelity"] and len(data["match"]) == 4


def test_cli_counterfactual_ideological(capsys: pytest.CaptureFixture[str], ussr_case: str) -> None:
    code, out, err = cli(
        capsys,
        "counterfactual",
        ussr_case,
        "--ideological",
        "USSR",
        "-n",
        "3000",
        "--seed",
        "1",
        "--no-store",
    )
    assert code == 0, err
    lines = [ln for ln in out.splitlines() if "Monte Carlo error" in ln]
    assert lines and all(
        ("beyond Monte Carlo error" in ln) or ("no change beyond" in ln) for ln in lines
    )


def test_cli_counterfactual_force(capsys: pytest.CaptureFixture[str], case_file: str) -> None:
    code, out, _ = cli(
        capsys, "counterfactual", case_file, "--force", "ally=no_ally", "-n", "2000", "--no-store"
    )
    assert code == 0
    assert any(
        ln.startswith("ab_allied:") and "beyond Monte Carlo error" in ln and "no change" not in ln
        for ln in out.splitlines()
    )


def test_cli_sensitivity_names_assumptions(
    capsys: pytest.CaptureFixture[str], case_file: str
) -> None:
    code, out, err = cli(
        capsys, "sensitivity", case_file, "--samples", "16", "--draws", "8", "--no-store"
    )
    assert code == 0, err
    assert "Sobol analysis of mini" in out
    named = [a for a in mini().assumption_ids if a in out]
    assert named, out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--weight", "Nobody.ideology=1"), "error: weights: unknown actor 'Nobody'"),
        (("--weight", "A.ideology"), "error: --weight: expected ACTOR.TERM=NUMBER"),
        (("--move-event", "quarrel"), "error: --move-event: expected EVENT=YYYY-MM-DD"),
        (("--move-event", "quarrel=1946-13-01"), "error: --move-event: expected EVENT=YYYY-MM-DD"),
        (("--force", "arm"), "error: --force: expected DECISION=OPTION"),
        (("--assume", "aid_b=9"), "error: assumptions.aid_b: 9.0 is outside its declared range"),
        (("--weight", "A.ideology=nan"), "error: weights.A.ideology: expected a finite number"),
        (
            ("--move-event", "quarrel=2999-01-01"),
            "error: move_events.quarrel: 2999-01-01 is outside the case's span",
        ),
        ((), "error: counterfactual: nothing changed"),
    ],
)
def test_cli_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], case_file: str, args: tuple[str, ...], message: str
) -> None:
    code, out, err = cli(capsys, "counterfactual", case_file, "-n", "100", "--no-store", *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), err
    assert "Traceback" not in err + out


def test_cli_unwritable_outputs_exit_2(
    capsys: pytest.CaptureFixture[str], case_file: str, tmp_path: Path
) -> None:
    """A --store or --csv path that cannot be written is a one-line error, not a traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for args, message in [
        (
            ("simulate", case_file, "-n", "10", "--store", str(blocker / "runs.duckdb")),
            "--store: cannot open",
        ),
        (
            ("simulate", case_file, "-n", "10", "--no-store", "--csv", str(blocker / "out.csv")),
            "cannot write here",
        ),
    ]:
        code, out, err = cli(capsys, *args)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and message in lines[0], err
        assert "Traceback" not in err + out


def test_cli_bad_numbers_exit_2(capsys: pytest.CaptureFixture[str], case_file: str) -> None:
    code, _, err = cli(capsys, "simulate", case_file, "-n", "0", "--no-store")
    assert code == 2 and err.strip().startswith("error: -n: expected a whole number from 1 to")
    code, _, err = cli(capsys, "sensitivity", case_file, "--samples", "12", "--no-store")
    assert code == 2 and err.strip().startswith("error: --samples: expected a power of two")


def test_option_features_are_what_the_docs_say() -> None:
    """I = A(d, favoured) - A(d, opposed) with the signed affinity A = 1 - 2|x_d - x_a|/W;
    P = p(favoured) - p(opposed) on the mini case."""
    comp = mini()
    from realpolitik.model.state import State

    k, arm = dec(comp, "arm", "arm_b")
    X = option_features(comp, comp.decisions[k], comp.theta(), State.initial(comp, 1))
    x_c = comp.theta0[comp.assumption_ids.index("ideo_c")]
    cap_c = comp.theta0[comp.assumption_ids.index("cap_c")]
    assert X[0, arm, FEATURE["ideology"]] == pytest.approx(1.0 - (1 - 2 * abs(1.0 - x_c) / 2))
    assert X[0, arm, FEATURE["prevail"]] == pytest.approx((1 - cap_c) / (1 + cap_c))
    assert (X[0, 1 - arm] == 0).all()


def test_result_dataclasses_are_plain() -> None:
    assert dataclasses.is_dataclass(World)
    assert World().describe() == World(name="other").describe()


def test_counterfactual_baseline_is_the_baseline() -> None:
    """A changed assumption changes the counterfactual side only: the baseline column is what
    `simulate` gives for the record's world with the same seed."""
    comp = mini()
    world = World(assumptions={"hostility_ar": 0.9}, name="more hostile")
    result = counterfactual(comp, world, n=3000, seed=6)
    table = result.compare()
    assert result.baseline is not None and result.world.name == "more hostile"
    base = simulate(comp, n=3000, seed=6, store=False).outcomes
    np.testing.assert_array_equal(table["baseline"].to_numpy(), base["frequency"].to_numpy())
    alt = simulate(comp, n=3000, seed=6, world=world, store=False).outcomes
    np.testing.assert_array_equal(table["counterfactual"].to_numpy(), alt["frequency"].to_numpy())
