"""The format constructs of issue 12: signed ideology, coalitions, ATOP-style alliances with
incompatibilities and breach costs, conditional decisions, recurring stakes, holdings given up,
actors entering and leaving, citation locators, closest-id errors and date precision.

Each test edits the packaged template (two Soviet choices of August 1945) into the smallest
case that exercises one construct, and checks a number the docs state (docs/model.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.errors import InputError
from realpolitik.estimation.api import as_compiled
from realpolitik.model.compiled import Compiled
from realpolitik.model.features import option_features
from realpolitik.model.state import State, allied
from realpolitik.scenario.loader import parse, template_text
from realpolitik.simulation.api import World, simulate
from realpolitik.simulation.engine import run

TEMPLATE = template_text()
CITE = '[{source: zhang2012, section: "Soviet Union-GMD", note: 23}]'
IDEO, S, P, R, SEC = range(5)


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def compiled(text: str) -> Compiled:
    return as_compiled(parse(text, "<case>"))


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as info:
        parse(text, "case.yaml")
    return [str(p) for p in info.value.problems]


def features(comp: Compiled, decision: str, state: State | None = None) -> np.ndarray:
    k = [d.id for d in comp.decisions].index(decision)
    state = state or State.initial(comp, 1)
    return option_features(comp, comp.decisions[k], comp.theta(), state)[0]


def theta_of(comp: Compiled, name: str) -> float:
    return float(comp.theta0[comp.assumption_ids.index(name)])


def with_decision(text: str, block: str) -> str:
    """Append a decision after the template's last one (the telegrams of 20 August)."""
    anchor = '    cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]\n'
    return edit(text, anchor, anchor + block)


USA_CAPABILITY = """  - actor: USA
    arena: civil_war
    points: [{date: 1945-01-01, value: {assumption: cap_usa}}]
"""
CAP_USA = (
    '  - {id: cap_usa, value: 0.5, range: [0.2, 1.0], rationale: "Test judgment: US forces."}\n'
)


def add_assumption(text: str, line: str) -> str:
    anchor = next(x for x in text.splitlines(keepends=True) if "{id: cap_ratio_1945" in x)
    return edit(text, anchor, anchor + line.rstrip("\n") + "\n")


# ---- 1. signed ideology --------------------------------------------------------------------------


def test_opposing_the_ideological_opposite_counts_for_ideology() -> None:
    """A = 1 - 2|x_d - x_a|/W: opposing the opposite pole alone is +1, opposing a kindred
    actor alone is -1, and favouring the opposite pole alone is -1."""
    block = f"""  - id: posture
    date: 1945-09-01
    actor: USSR
    question: Whom to stand against
    options:
      - id: against_usa
        label: Stand against the United States
        opposes: USA
      - id: against_ccp
        label: Stand against the CCP
        opposes: CCP
      - id: with_usa
        label: Stand with the United States
        favours: USA
    chosen: against_usa
    cite: {CITE}
"""
    X = features(compiled(with_decision(TEMPLATE, block)), "posture")
    assert X[:, IDEO] == pytest.approx([1.0, -1.0, -1.0])


def test_two_sided_ideology_is_twice_the_unsigned_difference() -> None:
    comp = compiled(TEMPLATE)
    X = features(comp, "treaty_with_gmd")
    gap = abs(1.0 - theta_of(comp, "ideo_gmd"))  # USSR at +1, CCP at +1, GMD at ideo_gmd
    assert X[0, IDEO] == pytest.approx(-2 * gap / 2)
    assert X[1, IDEO] == pytest.approx(2 * gap / 2)


# ---- 2. coalitions -------------------------------------------------------------------------------


def test_coalition_ideology_is_the_mean_and_strength_is_pooled() -> None:
    text = edit(
        TEMPLATE,
        "        favours: GMD\n        opposes: CCP\n        gains:",
        "        favours: [GMD, USA]\n        opposes: CCP\n        gains:",
    )
    text = edit(text, "\nstakes:\n", "\n" + USA_CAPABILITY.rstrip("\n") + "\n\nstakes:\n")
    text = add_assumption(text, CAP_USA.rstrip("\n"))
    comp = compiled(text)
    X = features(comp, "treaty_with_gmd")
    x_gmd = theta_of(comp, "ideo_gmd")
    a_gmd, a_usa, a_ccp = 1 - 2 * abs(1 - x_gmd) / 2, 1 - 2 * 2 / 2, 1.0
    assert X[0, IDEO] == pytest.approx((a_gmd + a_usa) / 2 - a_ccp)
    c_gmd, c_usa, c_ccp = theta_of(comp, "cap_ratio_1945"), theta_of(comp, "cap_usa"), 1.0
    pooled = c_gmd + c_usa
    assert X[0, P] == pytest.approx((pooled - c_ccp) / (pooled + c_ccp))
    # the other option's sides are single actors: the USA contests alone there
    total = c_gmd + c_usa + c_ccp
    assert X[1, P] == pytest.approx((c_ccp - c_gmd) / total)


def test_coalition_validation() -> None:
    text = edit(
        TEMPLATE,
        "        favours: GMD\n        opposes: CCP\n        gains:",
        "        favours: [GMD, USSA]\n        opposes: [CCP, GMD]\n        gains:",
    )
    found = problems(text)
    assert any("favours[1]: unknown actor id 'USSA'" in p for p in found), found
    assert any("opposes: an option cannot favour and oppose the same actor" in p for p in found)


# ---- 3. alliances ---------------------------------------------------------------------------------

ALLIANCE_USA_GMD = f"""
alliances:
  - id: us_gmd
    name: A defence pact of the United States and the GMD (test)
    members: [USA, GMD]
    types: [defence]
    cite: {CITE}
"""
FROM_START = "    from: 1945-01-01\n"  # at or before the span's start: in force from it


def in_force(block: str) -> str:
    """A declared treaty in force from the start (without `from`, only an effect makes it)."""
    return block.replace("    cite: ", FROM_START + "    cite: ", 1)


def test_allies_pool_capabilities_in_a_contest() -> None:
    text = edit(TEMPLATE, "\nstakes:\n", "\n" + USA_CAPABILITY.rstrip("\n") + "\n\nstakes:\n")
    text = add_assumption(text, CAP_USA.rstrip("\n"))
    alone = compiled(text)
    allied_text = edit(text, "\ndecisions:\n", in_force(ALLIANCE_USA_GMD) + "\ndecisions:\n")
    comp = compiled(allied_text)
    c_gmd, c_usa = theta_of(comp, "cap_ratio_1945"), theta_of(comp, "cap_usa")
    X0, X1 = features(alone, "treaty_with_gmd"), features(comp, "treaty_with_gmd")
    assert X0[0, P] == pytest.approx((c_gmd - 1) / (c_gmd + c_usa + 1))
    assert X1[0, P] == pytest.approx((c_gmd + c_usa - 1) / (c_gmd + c_usa + 1))
    assert X1[1, P] == pytest.approx(-X1[0, P])


def test_acting_against_an_ally_costs_the_breach_price() -> None:
    text = edit(
        TEMPLATE,
        "\ndecisions:\n",
        f"""
alliances:
  - id: ussr_gmd
    name: Treaty of friendship (test)
    members: [USSR, GMD]
    types: [non-aggression, consultation]
    from: 1945-01-01
    cite: {CITE}

decisions:
""",
    )
    text = edit(
        text,
        "  risk: {high: risk_high}\n",
        "  risk: {high: risk_high}\n  breach: {non-aggression: breach_nap}\n",
    )
    text = add_assumption(
        text,
        '  - {id: breach_nap, value: 0.4, range: [0.1, 1.0], rationale: "Test judgment: cost of breaking a pact."}',
    )
    comp = compiled(text)
    X = features(comp, "treaty_with_gmd")
    assert X[0, SEC] == 0.0  # favours the ally
    assert X[1, SEC] == pytest.approx(-0.4)  # opposes it
    # once the pact is no longer in force, nothing is breached
    state = State.initial(comp, 1)
    state.alliance[:] = False
    assert features(comp, "treaty_with_gmd", state)[1, SEC] == 0.0


def test_multilateral_alliance_effect_and_outcome_types() -> None:
    text = edit(
        TEMPLATE,
        "          - transfer: {stake: manchurian_rights, to: USSR}\n",
        "          - transfer: {stake: manchurian_rights, to: USSR}\n"
        "          - alliance: {members: [USSR, GMD, USA], types: [consultation]}\n",
    )
    comp = compiled(text)
    path = run(comp, comp.theta(), record=True)
    assert path.choices[0, 0] == 0
    state = State.initial(comp, 1)
    state.apply(comp.decisions[0].effects[0][1], comp.theta(), np.ones(1, bool))
    assert allied(comp, state, 0, 3)[0] and allied(comp, state, 2, 3)[0]
    assert not allied(comp, state, 0, 3, frozenset({"defence"}))[0]


INCOMPATIBLE = f"""
alliances:
  - id: ussr_gmd
    name: Treaty with the government (test)
    members: [USSR, GMD]
    types: [defence]
    cite: {CITE}
incompatible:
  - between: [GMD, CCP]
    cite: {CITE}
"""


def test_incompatibility_is_checked_in_the_file() -> None:
    text = edit(TEMPLATE, "\ndecisions:\n", INCOMPATIBLE + "\ndecisions:\n")
    bad = edit(text, "    members: [USSR, GMD]\n", "    members: [USSR, GMD, CCP]\n")
    found = problems(bad)
    assert any(
        "alliances[0].members: allies both sides of a declared incompatibility" in p for p in found
    ), found
    bad = edit(
        text,
        "          - transfer: {stake: manchurian_rights, to: USSR}\n",
        "          - transfer: {stake: manchurian_rights, to: USSR}\n"
        "          - alliance: {members: [GMD, CCP]}\n",
    )
    assert any("allies both sides" in p for p in problems(bad))


def test_no_path_is_allied_with_both_sides_of_an_incompatibility() -> None:
    """Backing the CCP makes a USSR-CCP alliance; the incompatibility ends the USSR-GMD treaty
    on exactly those paths."""
    text = edit(TEMPLATE, "\ndecisions:\n", in_force(INCOMPATIBLE) + "\ndecisions:\n")
    text = edit(
        text,
        "        risk: high\n        rival: USA\n    chosen: treaty\n",
        "        risk: high\n        rival: USA\n        effects:\n"
        "          - alliance: {members: [USSR, CCP]}\n    chosen: treaty\n",
    )
    text = edit(
        text,
        "\noutcomes:\n",
        f"""
outcomes:
  - id: still_with_gmd
    label: the USSR-GMD treaty stands at the end of 1945
    kind: alliance
    members: [USSR, GMD]
    date: 1945-12-31
    observed: true
    cite: {CITE}
  - id: with_ccp
    label: a USSR-CCP alliance at the end of 1945
    kind: alliance
    members: [USSR, CCP]
    date: 1945-12-31
    observed: false
    cite: {CITE}
""",
    )
    comp = compiled(text)
    W = np.zeros((1, comp.n_actors, 5))  # a coin toss at every decision
    path = run(comp, comp.theta(), feature_weights=W, rng=np.random.default_rng(3), rows=4000)
    backed_ccp = path.choices[:, 0] == 1
    assert 0.4 < backed_ccp.mean() < 0.6
    gmd, ccp = path.outcomes[:, 0], path.outcomes[:, 1]
    assert not (gmd & ccp).any()
    np.testing.assert_array_equal(ccp, backed_ccp)
    np.testing.assert_array_equal(gmd, ~backed_ccp)


# ---- 4. conditional decisions --------------------------------------------------------------------

CONDITIONAL = f"""  - id: take_sphere
    date: 1945-09-01
    actor: USSR
    question: Garrison the ports the treaty granted?
    requires:
      - chosen: {{decision: treaty_with_gmd, option: treaty}}
      - holds: {{actor: USSR, stake: manchurian_rights}}
    options:
      - id: garrison
        label: Garrison the ports
      - id: hold_back
        label: Leave them ungarrisoned for now
    chosen: garrison
    cite: {CITE}
"""


def test_forcing_the_earlier_choice_removes_the_later_decision() -> None:
    comp = compiled(with_decision(TEMPLATE, CONDITIONAL))
    k = [d.id for d in comp.decisions].index("take_sphere")
    W = np.zeros((1, comp.n_actors, 5))
    free = run(comp, comp.theta(), feature_weights=W, rng=np.random.default_rng(1), rows=3000)
    treaty = free.choices[:, 0] == 0
    assert 0.3 < treaty.mean() < 0.7
    assert (free.choices[treaty, k] >= 0).all() and (free.choices[~treaty, k] == -1).all()
    forced = run(
        comp,
        comp.theta(),
        feature_weights=W,
        rng=np.random.default_rng(1),
        rows=3000,
        forced={0: 1},
    )
    assert (forced.choices[:, k] == -1).all()
    # the API: the later decision's frequencies sum to the share of paths where it arose
    world = World(force={"treaty_with_gmd": "back_ccp"}, name="no treaty")
    sim = simulate(comp, n=2000, seed=2, world=world, store=False)
    assert sim.choices[sim.choices["decision"] == "take_sphere"]["frequency"].sum() == 0.0
    base = simulate(comp, n=2000, seed=2, store=False)
    share = base.choices[base.choices["decision"] == "take_sphere"]["frequency"].sum()
    treaty_share = base.choices.query("decision == 'treaty_with_gmd' and option == 'treaty'")
    assert share == pytest.approx(float(treaty_share["frequency"].iloc[0]))
    # estimation uses the recorded path: the decision is there, with its recorded choice
    rec = run(comp, comp.theta(), record=True)
    assert rec.choices[0, k] == 0


def test_requires_is_validated() -> None:
    later = edit(CONDITIONAL, "decision: treaty_with_gmd", "decision: telegrams")
    text = edit(
        TEMPLATE,
        "  - id: telegrams\n",
        later.replace("1945-09-01", "1945-08-15") + "  - id: telegrams\n",
    )
    assert any("decision 'telegrams' does not come before this one" in p for p in problems(text))
    wrong = edit(CONDITIONAL, "option: treaty}", "option: back_ccp}")
    found = problems(with_decision(TEMPLATE, wrong))
    assert any(
        "requires[0]: the condition does not hold on the recorded path" in p for p in found
    ), found
    negated = edit(
        CONDITIONAL,
        "      - chosen: {decision: treaty_with_gmd, option: treaty}",
        "      - {chosen: {decision: treaty_with_gmd, option: back_ccp}, not: true}",
    )
    parse(with_decision(TEMPLATE, negated), "<case>")  # "not back_ccp" held on the record


# ---- 5. stakes, holdings, presence, citations, ids, precision ------------------------------------

CREDIT = """  - id: credit
    name: A trade credit (test)
    recurring: true
    valuations: {USSR: medium}
    cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 23}]
"""


def test_recurring_stakes_count_again_and_gives_count_only_when_held() -> None:
    text = edit(TEMPLATE, "\nstakes:\n", "\nstakes:\n" + CREDIT)
    text = edit(
        text,
        "        gains: [manchurian_rights]\n",
        "        gains: [manchurian_rights, credit]\n",
    )
    text = edit(
        text,
        "        favours: CCP\n        opposes: GMD\n        risk: high\n        rival: USA\n    chosen: treaty",
        "        favours: CCP\n        opposes: GMD\n        gives: [manchurian_rights]\n"
        "        risk: high\n        rival: USA\n    chosen: treaty",
    )
    comp = compiled(text)
    medium, high = theta_of(comp, "value_medium"), theta_of(comp, "value_high")
    state = State.initial(comp, 1)
    X = features(comp, "treaty_with_gmd", state)
    assert X[0, S] == pytest.approx(high + medium)
    assert X[1, S] == 0.0  # gives a stake the USSR does not hold: nothing
    s_rights, s_credit = comp.stake_ids.index("manchurian_rights"), comp.stake_ids.index("credit")
    state.holder[:, s_rights] = comp.actor_ids.index("USSR")
    state.holder[:, s_credit] = comp.actor_ids.index("USSR")
    X = features(comp, "treaty_with_gmd", state)
    assert X[0, S] == pytest.approx(medium)  # the rights are held; the credit recurs
    assert X[1, S] == pytest.approx(-high)  # now it is given up


PRC = """  - id: PRC
    name: People's Republic of China (test)
    kind: state
    from: 1945-09-01
    ideology:
      - {date: 1945-09-01, value: 1.0, cite: [{source: zhang2012, section: "(introduction)"}]}
"""


def test_actors_enter_and_leave() -> None:
    text = edit(TEMPLATE, "\narenas:\n", PRC + "\narenas:\n")
    parse(text, "<case>")  # ideology from its entry date is enough
    bad = edit(
        TEMPLATE,
        "\narenas:\n",
        PRC.replace("1945-09-01, value", "1945-10-01, value") + "\narenas:\n",
    )
    assert any("on or before the actor's entry ('from') 1945-09-01" in p for p in problems(bad))
    favour_early = edit(
        text,
        "        label: Urge the CCP to negotiate with the GMD\n        favours: GMD",
        "        label: Urge the CCP to negotiate with the GMD\n        favours: PRC",
    )
    found = problems(favour_early)
    assert any("favours: actor 'PRC' is not part of the case on 1945-08-20" in p for p in found)
    left = edit(
        TEMPLATE,
        "    leader: Chiang Kai-shek\n",
        "    leader: Chiang Kai-shek\n    until: 1945-08-15\n",
    )
    assert any("actor 'GMD' is not part of the case on 1945-08-20" in p for p in problems(left))
    comp = compiled(text)
    assert comp.present(comp.decisions[0].t).tolist() == [True, True, True, True, False]


def test_citations_take_a_page_and_a_chapter() -> None:
    text = edit(
        TEMPLATE,
        '    cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]',
        '    cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26, page: "12-13", chapter: 2}]',
    )
    case = parse(text, "<case>")
    assert case.cite_labels(case.decisions[1].cite) == [
        'Zhang 2012, ch. 2, "Soviet Union-GMD", pp. 12-13, n. 26'
    ]
    assert case.decisions[1].cite[0].page == "12-13"


def test_unknown_ids_list_the_closest_ones() -> None:
    extra = "".join(
        f"""  - id: {name}
    name: {name}
    kind: state
    ideology:
      - {{date: 1945-01-01, value: 0.0, cite: [{{source: zhang2012, section: "(introduction)"}}]}}
"""
        for name in ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "ZUSSR")
    )
    text = edit(TEMPLATE, "\narenas:\n", extra + "\narenas:\n")
    text = edit(
        text, "    date: 1945-08-14\n    actor: USSR\n", "    date: 1945-08-14\n    actor: USSRR\n"
    )
    (found,) = [p for p in problems(text) if "unknown actor id" in p]
    assert "closest known: USSR, ZUSSR" in found and "11 declared" in found


def test_precision_requires_the_first_day() -> None:
    text = edit(TEMPLATE, "    date: 1945-08-14\n", "    date: 1945-08-14\n    precision: month\n")
    (found,) = problems(text)
    assert (
        "precision: month expects the first day of the month (1945-08-01), got 1945-08-14" in found
    )
    text = edit(TEMPLATE, "    date: 1945-08-14\n", "    date: 1945-08-01\n    precision: year\n")
    (found,) = problems(text)
    assert "precision: year expects the first of January (1945-01-01)" in found
    ok = edit(TEMPLATE, "    date: 1945-08-14\n", "    date: 1945-08-01\n    precision: month\n")
    parse(ok, "<case>")


def test_declared_alliance_dates_start_and_end_it() -> None:
    """`from` before the span: in force from the start; `from`/`until` inside it: exogenous
    steps, so the alliance is in force at decisions between them only."""
    before = ALLIANCE_USA_GMD.replace(
        "    types: [defence]\n", "    types: [defence]\n    from: 1944-06-01\n"
    )
    comp = compiled(edit(TEMPLATE, "\ndecisions:\n", before + "\ndecisions:\n"))
    assert comp.alliances[0].initially
    inside = ALLIANCE_USA_GMD.replace(
        "    types: [defence]\n",
        "    types: [defence]\n    from: 1945-08-15\n    until: 1945-12-01\n",
    )
    comp = compiled(edit(TEMPLATE, "\ndecisions:\n", inside + "\ndecisions:\n"))
    assert not comp.alliances[0].initially
    text = edit(TEMPLATE, "\ndecisions:\n", inside + "\ndecisions:\n")
    text = edit(
        text,
        "\noutcomes:\n",
        f"""
outcomes:
  - id: pact_aug
    label: the pact stands on 20 August
    kind: alliance
    members: [USA, GMD]
    types: [defence]
    date: 1945-08-20
    observed: true
    cite: {CITE}
  - id: pact_dec
    label: the pact stands in December
    kind: alliance
    members: [USA, GMD]
    date: 1945-12-15
    observed: false
    cite: {CITE}
""",
    )
    comp = compiled(text)
    path = run(comp, comp.theta(), record=True)
    assert path.outcomes[0].tolist()[:2] == [True, False]
    late = edit(text, "    until: 1945-12-01\n", "    until: 1946-12-01\n")
    assert any("alliances[0].until: expected a date within the span" in p for p in problems(late))


def test_declared_alliance_without_from_is_made_by_its_effect() -> None:
    """A treaty declared without `from` is not in force at the start (schema `Alliance`): only
    an `alliance` effect naming its id makes it, in the record and in simulation alike."""
    from realpolitik.scenario.replay import record_states

    declared = edit(TEMPLATE, "\ndecisions:\n", ALLIANCE_USA_GMD + "\ndecisions:\n")
    comp = compiled(declared)
    assert not comp.alliances[0].initially
    assert not State.initial(comp, 1).alliance.any()
    made = edit(
        declared,
        "          - transfer: {stake: manchurian_rights, to: USSR}\n",
        "          - transfer: {stake: manchurian_rights, to: USSR}\n"
        "          - alliance: {id: us_gmd}\n",
    )
    made = edit(
        made,
        "\noutcomes:\n",
        f"""
outcomes:
  - id: pact_made
    label: the pact stands on 20 August
    kind: alliance
    members: [USA, GMD]
    date: 1945-08-20
    observed: true
    cite: {CITE}
""",
    )
    comp = compiled(made)
    first = comp.decisions[0].id
    states = record_states(comp.case)
    assert "us_gmd" not in states[first].active  # not yet made at the first decision
    assert "us_gmd" in states[comp.decisions[-1].id].active  # made by the treaty's effect
    path = run(comp, comp.theta(), record=True)
    assert path.outcomes[0].tolist()[0]
    # the pact without the effect: never in force
    unmade = edit(made, "          - alliance: {id: us_gmd}\n", "")
    comp = compiled(unmade)
    assert not run(comp, comp.theta(), record=True).outcomes[0].tolist()[0]


def test_prevails_uses_the_coalition_share() -> None:
    """A `prevails` outcome's share is the actor's coalition's (docs/model.md, "Outcomes"): a
    defence ally in force adds its capability; on a path where the pact is not in force the
    actor contests alone."""
    from realpolitik.model.features import class_shares, prevail_share

    text = edit(TEMPLATE, "\nstakes:\n", "\n" + USA_CAPABILITY.rstrip("\n") + "\n\nstakes:\n")
    text = add_assumption(text, CAP_USA.rstrip("\n"))
    text = edit(text, "\ndecisions:\n", in_force(ALLIANCE_USA_GMD) + "\ndecisions:\n")
    comp = compiled(text)
    gmd, arena = comp.actor_ids.index("GMD"), 0
    t = comp.decisions[0].t
    c_gmd, c_usa = theta_of(comp, "cap_ratio_1945"), theta_of(comp, "cap_usa")
    state = State.initial(comp, 2)
    state.alliance[1, :] = False  # path 2: the pact is not in force
    p = prevail_share(comp, comp.theta(), state, gmd, arena, t)
    assert p is not None and p.shape == (2,)
    assert p[0] == pytest.approx((c_gmd + c_usa) / (c_gmd + c_usa + 1))
    assert p[1] == pytest.approx(c_gmd / (c_gmd + c_usa + 1))
    # alone it is the actor's own contest share, as before
    from realpolitik.model.features import arena_actors, class_log_capability

    L, _ = class_log_capability(comp, comp.theta(), state, arena, t, True)
    own = class_shares(L, comp.arenas[arena].decisiveness.of(comp.theta()))
    assert p[1] == pytest.approx(own[0, list(arena_actors(comp, arena)).index(gmd)])
    # an actor without a capability series in the arena has no share
    assert prevail_share(comp, comp.theta(), state, comp.actor_ids.index("USSR"), arena, t) is None


def test_the_engine_scores_prevails_with_the_coalition_share() -> None:
    """In simulation, a `prevails` outcome compares the coalition's share with its threshold:
    with the US-GMD pact in force the GMD's share counts the US capability; with the pact
    ended on some paths (a test edit of the state) those paths count the GMD alone."""
    from realpolitik.simulation.engine import run

    text = edit(TEMPLATE, "\nstakes:\n", "\n" + USA_CAPABILITY.rstrip("\n") + "\n\nstakes:\n")
    text = add_assumption(text, CAP_USA.rstrip("\n"))
    text = add_assumption(
        text,
        '  - {id: win_at, value: 0.77, range: [0.5, 0.9], rationale: "Test threshold."}',
    )
    text = edit(text, "\ndecisions:\n", in_force(ALLIANCE_USA_GMD) + "\ndecisions:\n")
    outcome = f"""  - id: gmd_prevails
    label: The GMD prevails (test)
    kind: prevails
    actor: GMD
    arena: civil_war
    date: 1945-03-01
    threshold: {{assumption: win_at}}
    observed: true
    cite: {CITE}
"""
    text = edit(text, "\noutcomes:\n", "\noutcomes:\n" + outcome)
    comp = compiled(text)
    k = [o.id for o in comp.case.outcomes].index("gmd_prevails")
    c_gmd, c_usa = theta_of(comp, "cap_ratio_1945"), theta_of(comp, "cap_usa")
    together = (c_gmd + c_usa) / (c_gmd + c_usa + 1)  # 0.78 at the defaults: over 0.77
    path = run(comp, comp.theta(), record=True)
    assert path.shares[0, k] == pytest.approx(together)
    assert bool(path.outcomes[0, k])
    alone = c_gmd / (c_gmd + c_usa + 1)  # its own share, the pre-coalition rule: 0.67
    assert alone < 0.77 < together  # so the outcome turns on the coalition rule
