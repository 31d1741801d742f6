"""The four built-in cases added in issue 12: each validates, compiles, fits, simulates and
reports, is large enough to estimate, cites real works in full, and words its options alike."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import realpolitik
from realpolitik.cli import cli
from realpolitik.estimation.api import as_compiled
from realpolitik.scenario.loader import builtin_names, builtin_text, parse
from realpolitik.scenario.schema import Case
from realpolitik.simulation.api import World

REPO = Path(__file__).resolve().parent.parent
OVERLAP_TOOL = next(
    (
        p / "shared" / "tools" / "source-overlap"
        for p in (REPO.parent, REPO.parent.parent)
        if (p / "shared" / "tools" / "source-overlap").is_file()
    ),
    REPO.parent / "shared" / "tools" / "source-overlap",
)

# case id -> (first year, last year, the actors whose choices the case is about)
NEW_CASES = {
    "tito-stalin-1948": (1944, 1949, {"USSR", "YUG"}),
    "sino-soviet-split": (1956, 1969, {"USSR", "PRC"}),
    "sino-american-1972": (1969, 1972, {"USA", "PRC", "USSR"}),
    "egypt-realignment": (1970, 1979, {"EGY", "USSR", "USA"}),
}
ALL_BUILTIN = {"east-asia-1945", *NEW_CASES}


def _case_params() -> list[object]:
    present = set(builtin_names())
    return [
        pytest.param(name, marks=pytest.mark.skipif(name not in present, reason="not written yet"))
        for name in NEW_CASES
    ]


@pytest.fixture(scope="module", params=_case_params())
def case(request: pytest.FixtureRequest) -> Case:
    return realpolitik.load_case(request.param)


def test_validates_and_round_trips(case: Case) -> None:
    assert case.id in NEW_CASES
    assert parse(builtin_text(case.id), case.id) == case


def test_span_decisions_and_alternatives(case: Case) -> None:
    first, last, principals = NEW_CASES[case.id]
    assert case.span.start.year == first and case.span.end.year == last
    assert len(case.decisions) >= 15
    for d in case.decisions:
        assert case.span.start <= d.date <= case.span.end
        assert len(d.options) >= 2 and d.chosen in {o.id for o in d.options}
        assert d.cite, d.id
    deciders = {d.actor for d in case.decisions}
    assert principals <= deciders
    for actor in principals:  # enough of each principal's choices to estimate two weights
        assert sum(d.actor == actor for d in case.decisions) >= 4, actor
    dates = [d.date for d in case.decisions]
    assert dates == sorted(dates)


def test_sources_are_full_references(case: Case) -> None:
    used = {c.source for d in case.decisions for c in d.cite}
    for s in case.sources:
        assert s.author.strip() and s.title.strip() and s.venue.strip(), s.id
        assert 1940 <= s.year <= dt.date.today().year, s.id
        # a book names its place and publisher; an article its journal, volume and pages
        assert re.search(
            r"Press|Books|Harcourt|Little, Brown|Collins|Random House|Harper", s.venue
        ) or (re.search(r"\d+( \(\d+\))?, \d+-\d+$", s.venue)), (s.id, s.venue)
        assert s.seed is None, "the new cases cite published works, not the seed essays"
    assert {s.id for s in case.sources} <= used | {
        c.source for a in case.assumptions for c in a.cite
    } | {c.source for st in case.stakes for c in st.cite}, "a declared source is never cited"


def test_chosen_option_is_worded_like_its_alternatives(case: Case) -> None:
    """The recorded option's label carries no more detail than the longest rejected one."""
    for d in case.decisions:
        chosen = next(o for o in d.options if o.id == d.chosen)
        others = [len(o.label.split()) for o in d.options if o.id != d.chosen]
        assert len(chosen.label.split()) <= max(others) + 1, d.id


def test_every_judgment_is_an_assumption_with_a_range(case: Case) -> None:
    for a in case.assumptions:
        assert a.range[0] <= a.value <= a.range[1], a.id
        assert a.rationale.strip(), a.id


def test_uses_the_issue_12_constructs(case: Case) -> None:
    """Treaties as typed alliances, conditional decisions and coalitions where history has them."""
    effects = [e for d in case.decisions for o in d.options for e in o.effects]
    effects += [e for ev in case.events for e in ev.effects]
    treaties = case.alliances + [e.alliance for e in effects if e.alliance is not None]
    assert treaties, "no alliance"
    assert all(getattr(t, "types", None) for t in treaties if getattr(t, "active", True))
    assert sum(bool(d.requires) for d in case.decisions) >= 3
    assert (
        any(
            isinstance(side, list) and len(side) >= 2
            for d in case.decisions
            for o in d.options
            for side in (o.favours, o.opposes)
        )
        or case.id == "sino-soviet-split"
    )  # no joint action by two cast members there
    assert set(case.scales.breach) >= {"defence"}


# An earlier choice forced the other way removes the decisions that only made sense after it.
COUNTERFACTUALS = {
    "tito-stalin-1948": (
        {"yug_march_session": "comply"},
        ["ussr_expulsion", "yug_western_credit", "usa_relax_controls"],
        ("yugoslav_autonomy_kept", 0.0),
    ),
    "sino-soviet-split": (
        {"ussr_nuclear_accord": "refuse_help"},
        ["ussr_deliver_bomb"],
        None,
    ),
    "sino-american-1972": (
        {"usa_secret_envoy": "no_envoy"},
        ["prc_invite_nixon", "usa_shanghai_communique", "prc_shanghai_communique"],
        None,
    ),
    "egypt-realignment": (
        {"ussr_treaty_offer": "keep_informal"},
        ["egy_sign_treaty", "egy_end_treaty"],
        ("treaty_holds_1972", 0.0),
    ),
}


def test_forcing_an_earlier_choice_removes_later_decisions(case: Case) -> None:
    force, removed, outcome = COUNTERFACTUALS[case.id]
    base = realpolitik.simulate(case, n=64, seed=5, store=False)
    alt = realpolitik.simulate(case, n=64, seed=5, store=False, world=World(force=force))
    arose = alt.choices.groupby("decision")["frequency"].sum()
    before = base.choices.groupby("decision")["frequency"].sum()
    for d in removed:
        assert before[d] > 0, f"{d} never arises even on the baseline"
        assert arose[d] == 0, f"{d} still arises after forcing {force}"
    if outcome is not None:
        name, expected = outcome
        freq = alt.outcomes.set_index("outcome").loc[name, "frequency"]
        assert freq == expected


def test_compiles(case: Case) -> None:
    comp = as_compiled(case)
    assert comp.n_actors == len(case.actors)
    theta = comp.theta(1)
    assert np.isfinite(theta).all()


def test_fits_with_a_verdict_for_the_principals(case: Case) -> None:
    res = realpolitik.fit(case, seed=0)
    frame = res.verdict_frame()
    _, _, principals = NEW_CASES[case.id]
    assert principals <= set(frame["actor"])
    rows = frame.set_index("actor")
    for actor in principals:
        assert rows.loc[actor, "n_decisions"] >= 4
    assert np.isfinite(res.loglik) and res.loglik < 0


def test_simulates_a_small_run(case: Case) -> None:
    sim = realpolitik.simulate(case, n=64, seed=3, store=False)
    rates = sim.match_rates()
    assert len(rates) == len(case.decisions)
    assert rates["match_rate"].between(0, 1).all()
    again = realpolitik.simulate(case, n=64, seed=3, store=False)
    assert sim.choices.equals(again.choices)  # same seed, same numbers
    if case.outcomes:
        assert set(sim.outcomes["outcome"]) == {o.id for o in case.outcomes}


def test_report_renders(case: Case, tmp_path: Path) -> None:
    principal = sorted(NEW_CASES[case.id][2])[0]
    out = tmp_path / "report"
    res = CliRunner().invoke(
        cli,
        [
            "report",
            case.id,
            "--out",
            str(out),
            "-n",
            "64",
            "--sensitivity-samples",
            "0",
            "--no-bayes",
            "--no-alliances",
            "--headline-actor",
            principal,
        ],
    )
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert case.title.split(",")[0] in html or case.id in html


def test_case_list_shows_every_builtin_case() -> None:
    res = CliRunner().invoke(cli, ["case", "list"], terminal_width=200)
    assert res.exit_code == 0, res.output
    present = set(builtin_names())
    assert present <= ALL_BUILTIN | {"_template"}
    for name in present & ALL_BUILTIN:
        assert name in res.output
    if ALL_BUILTIN <= present:
        assert len(ALL_BUILTIN) == 5


@pytest.mark.skipif(not OVERLAP_TOOL.is_file(), reason="the source-overlap tool is not present")
def test_no_sentence_of_the_essays_in_the_new_cases() -> None:
    res = subprocess.run(
        [sys.executable, str(OVERLAP_TOOL), "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.stdout == "", res.stdout
