"""Every class of bad scenario input gets its own one-line error: field path, line, message.

Each bad input is a small edit of the packaged template, so each test isolates one error.
Line numbers are never hard-coded: they are found by searching the edited text.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from realpolitik.errors import InputError, Problem
from realpolitik.scenario.loader import builtin_names, load, parse, template_text
from realpolitik.scenario.validate import seeds_dir

TEMPLATE = template_text()
ORIGIN = "case.yaml"
SEED_NAME = "000_f95244e6848db65e.txt"  # the seed file the template's source names
BUILTIN = "east-asia-1945"


# ---- helpers ------------------------------------------------------------------------------------


def edit(text: str, old: str, new: str) -> str:
    """Replace one occurrence of `old`, which must occur exactly once."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_with(text: str, needle: str) -> int:
    """The 1-based line on which `needle` (unique in `text`) starts."""
    assert text.count(needle) == 1, f"{needle!r} occurs {text.count(needle)} times"
    return text[: text.index(needle)].count("\n") + 1


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(InputError) as info:
        parse(text, ORIGIN)
    problems = info.value.problems
    assert problems
    for p in problems:  # every problem renders as one line naming the file
        assert "\n" not in str(p) and str(p).startswith(ORIGIN)
    return problems


def single(text: str) -> Problem:
    """The one problem of a text that has exactly one."""
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def check(problem: Problem, field: str, line: int | None, *fragments: str) -> None:
    assert problem.file == ORIGIN
    assert problem.field == field, str(problem)
    assert problem.line == line, str(problem)
    for fragment in fragments:
        assert fragment in problem.message, str(problem)
    expected_start = f"{ORIGIN}:{line}: {field}: " if field else f"{ORIGIN}:{line}: "
    assert str(problem).startswith(expected_start), str(problem)


def test_template_is_valid_as_written() -> None:
    case = parse(TEMPLATE, ORIGIN)
    assert case.id == "my-case" and len(case.decisions) == 2


# ---- unknown ids --------------------------------------------------------------------------------


def test_unknown_actor_id() -> None:
    text = edit(
        TEMPLATE, "    actor: USSR\n    question: What", "    actor: USSRR\n    question: What"
    )
    p = single(text)
    check(p, "decisions[1].actor", line_with(text, "actor: USSRR"), "unknown actor id 'USSRR'")
    assert "known: CCP, GMD, USA, USSR" in p.message


def test_unknown_actor_id_in_an_option() -> None:
    text = edit(
        TEMPLATE,
        "        favours: CCP\n        opposes: GMD\n        risk: high\n        rival: USA\n    chosen: treaty",
        "        favours: CCP\n        opposes: GMD\n        risk: high\n        rival: UK\n    chosen: treaty",
    )
    check(
        single(text),
        "decisions[0].options[1].rival",
        line_with(text, "rival: UK"),
        "unknown actor id 'UK'",
    )


def test_unknown_stake_id() -> None:
    text = edit(TEMPLATE, "gains: [manchurian_rights]", "gains: [manchuria]")
    check(
        single(text),
        "decisions[0].options[0].gains[0]",
        line_with(text, "gains: [manchuria]"),
        "unknown stake id 'manchuria'",
        "manchurian_rights",
    )


def test_unknown_source_id() -> None:
    old = 'cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]'
    text = edit(TEMPLATE, old, old.replace("zhang2012", "zhang2013"))
    check(
        single(text),
        "decisions[1].cite[0].source",
        line_with(text, "zhang2013"),
        "unknown source id 'zhang2013'",
        "known: zhang2012",
    )


def test_unknown_assumption_id() -> None:
    text = edit(TEMPLATE, "{assumption: ideo_gmd}", "{assumption: ideo_gmdx}")
    check(
        single(text),
        "actors[2].ideology[0].value.assumption",
        line_with(text, "ideo_gmdx"),
        "unknown assumption id 'ideo_gmdx'",
        "ideo_gmd",
    )


def test_unknown_assumption_in_scales() -> None:
    text = edit(TEMPLATE, "risk: {high: risk_high}", "risk: {high: risk_huge}")
    check(
        single(text),
        "scales.risk.high",
        line_with(text, "risk_huge"),
        "unknown assumption id 'risk_huge'",
    )


def test_chosen_option_not_among_the_options() -> None:
    text = edit(TEMPLATE, "chosen: urge_talks", "chosen: urge_war")
    check(
        single(text),
        "decisions[1].chosen",
        line_with(text, "chosen: urge_war"),
        "chosen option 'urge_war' is not among the options",
        "urge_fight",
        "urge_talks",
    )


# ---- dates --------------------------------------------------------------------------------------


def test_decisions_not_chronological() -> None:
    text = edit(TEMPLATE, "    date: 1945-08-20\n", "    date: 1945-08-10\n")
    check(
        single(text),
        "decisions[1].date",
        line_with(text, "date: 1945-08-10"),
        "dates out of order",
        "chronological",
        "1945-08-10 follows 1945-08-14",
    )


def test_end_before_date() -> None:
    text = edit(TEMPLATE, "end: 1945-08-22", "end: 1945-08-19")
    check(
        single(text),
        "decisions[1].end",
        line_with(text, "end: 1945-08-19"),
        "dates out of order",
        "end 1945-08-19 is before date 1945-08-20",
    )


def test_series_points_not_increasing() -> None:
    text = edit(
        TEMPLATE,
        "    points: [{date: 1945-01-01, value: {assumption: cap_ratio_1945}}]",
        "    points:\n"
        "      - {date: 1945-06-01, value: {assumption: cap_ratio_1945}}\n"
        "      - {date: 1945-03-01, value: {assumption: cap_ratio_1945}}",
    )
    check(
        single(text),
        "capabilities[0].points[1].date",
        line_with(text, "{date: 1945-03-01"),
        "dates out of order",
        "expected after 1945-06-01, got 1945-03-01",
    )


def test_decision_dates_outside_the_span() -> None:
    text = edit(
        TEMPLATE,
        "    date: 1945-08-20\n    end: 1945-08-22",
        "    date: 1946-08-20\n    end: 1946-08-22",
    )
    problems = problems_of(text)
    assert len(problems) == 2, [str(p) for p in problems]
    span = "expected a date within the span 1945-01-01..1945-12-31"
    check(problems[0], "decisions[1].date", line_with(text, "date: 1946-08-20"), span, "1946-08-20")
    check(problems[1], "decisions[1].end", line_with(text, "end: 1946-08-22"), span, "1946-08-22")


def test_series_point_after_the_span() -> None:
    text = edit(
        TEMPLATE,
        "    points: [{date: 1945-01-01, value: {assumption: cap_ratio_1945}}]",
        "    points:\n"
        "      - {date: 1945-01-01, value: {assumption: cap_ratio_1945}}\n"
        "      - {date: 1947-01-01, value: {assumption: cap_ratio_1945}}",
    )
    check(
        single(text),
        "capabilities[0].points[1].date",
        line_with(text, "{date: 1947-01-01"),
        "on or before span.end 1945-12-31",
    )


def test_span_end_before_start() -> None:
    text = edit(
        TEMPLATE,
        "span: {start: 1945-01-01, end: 1945-12-31}",
        "span: {start: 1945-01-01, end: 1944-12-31}",
    )
    problems = problems_of(text)
    first = problems[0]
    check(first, "span.end", line_with(text, "span:"), "expected a date after span.start")


# ---- citations ----------------------------------------------------------------------------------


def test_decision_without_a_citation() -> None:
    cite = '    cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]\n'
    text = edit(TEMPLATE, cite, "")
    # the missing key is reported at the decision, on the line of its id
    check(
        single(text),
        "decisions[1].cite",
        line_with(text, "  - id: telegrams"),
        "expected at least one citation for a decision",
    )


def test_decision_with_an_empty_citation_list() -> None:
    cite = '    cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]\n'
    text = edit(TEMPLATE, cite, "    cite: []\n")
    check(
        single(text),
        "decisions[1].cite",
        line_with(text, "cite: []"),
        "expected at least one citation",
    )


def test_citation_to_a_section_that_does_not_exist() -> None:
    old = 'cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]'
    text = edit(TEMPLATE, old, old.replace("Soviet Union-GMD", "Soviet Union-USA"))
    check(
        single(text),
        "decisions[1].cite[0].section",
        line_with(text, "Soviet Union-USA"),
        "section 'Soviet Union-USA' does not exist in source 'zhang2012'",
        "(introduction); Stalin's Realpolitik; Soviet Union-GMD",
    )


def test_citation_without_a_section_when_the_source_has_sections() -> None:
    old = 'cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]'
    text = edit(TEMPLATE, old, "cite: [{source: zhang2012, note: 26}]")
    check(
        single(text),
        "decisions[1].cite[0].section",
        line_with(text, "{source: zhang2012, note: 26}"),
        "expected a section heading of 'zhang2012'",
    )


def test_citation_to_a_section_of_a_source_without_sections() -> None:
    text = edit(
        TEMPLATE,
        "    seed: 000_f95244e6848db65e.txt\n",
        "    seed: 000_f95244e6848db65e.txt\n"
        "  - {id: other, author: A, year: 1950, title: T, venue: V}\n",
    )
    text = edit(
        text,
        'cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]',
        'cite: [{source: other, section: "Chapter 2"}]',
    )
    check(
        single(text),
        "decisions[1].cite[0].section",
        line_with(text, '"Chapter 2"'),
        "section 'Chapter 2' does not exist in source 'other'",
        "declares no sections",
    )


def test_footnote_beyond_the_last_note() -> None:
    old = 'cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]'
    text = edit(TEMPLATE, old, old.replace("note: 26", "note: 36"))
    check(
        single(text),
        "decisions[1].cite[0].note",
        line_with(text, "note: 36"),
        "footnote 36 does not exist in source 'zhang2012'",
    )


@pytest.fixture
def synthetic_seeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in seed text with the template's headings and footnote markers (no essay text)."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / SEED_NAME).write_text(
        "A placeholder title\n\nOpening remarks of the stand-in text.[1]\n\n"
        "Stalin's Realpolitik\n\nA paragraph with two markers.[5][6]\n\n"
        "Soviet Union-GMD\n\nA paragraph.[20] Another.[23]\n\nA third paragraph.[26]\n\n\n"
        "Closing part without a heading.[30]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("REALPOLITIK_SEEDS_DIR", str(seeds))
    assert seeds_dir() == seeds
    parse(TEMPLATE, ORIGIN)  # the template agrees with the stand-in text
    return seeds


def test_footnote_not_in_the_cited_section(synthetic_seeds: Path) -> None:
    old = 'cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]'
    text = edit(TEMPLATE, old, old.replace("note: 26", "note: 6"))
    check(
        single(text),
        "decisions[1].cite[0].note",
        line_with(text, '"Soviet Union-GMD", note: 6}]'),
        "footnote 6 is not in section 'Soviet Union-GMD' of 'zhang2012'",
    )


def test_footnote_in_a_pseudo_section(synthetic_seeds: Path) -> None:
    old = 'cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]'
    intro = edit(TEMPLATE, old, 'cite: [{source: zhang2012, section: "(introduction)", note: 1}]')
    parse(intro, ORIGIN)  # [1] stands before the first heading
    wrong = edit(TEMPLATE, old, 'cite: [{source: zhang2012, section: "(introduction)", note: 5}]')
    check(
        single(wrong),
        "decisions[1].cite[0].note",
        line_with(wrong, '"(introduction)", note: 5}]'),
        "footnote 5 is not in section '(introduction)'",
    )
    # "(conclusion)" is the part after the two blank lines that follow the last heading
    conclusion = edit(
        TEMPLATE,
        '"Stalin\'s Realpolitik", "Soviet Union-GMD"]',
        '"Stalin\'s Realpolitik", "Soviet Union-GMD", "(conclusion)"]',
    )
    parse(edit(conclusion, old, 'cite: [{source: zhang2012, section: "(conclusion)", note: 30}]'))
    wrong = edit(conclusion, old, 'cite: [{source: zhang2012, section: "(conclusion)", note: 26}]')
    check(
        single(wrong),
        "decisions[1].cite[0].note",
        line_with(wrong, '"(conclusion)", note: 26}]'),
        "footnote 26 is not in section '(conclusion)'",
    )


@pytest.mark.skipif(seeds_dir() is None, reason="the source essays (shared/seeds) are not present")
def test_footnote_not_in_the_cited_section_of_the_real_essay() -> None:
    old = 'cite: [{source: zhang2012, section: "Soviet Union-GMD", note: 26}]'
    text = edit(TEMPLATE, old, old.replace("note: 26", "note: 6"))
    check(
        single(text),
        "decisions[1].cite[0].note",
        line_with(text, '"Soviet Union-GMD", note: 6}]'),
        "footnote 6 is not in section 'Soviet Union-GMD'",
    )


def test_heading_not_found_in_the_seed_text(synthetic_seeds: Path) -> None:
    text = edit(
        TEMPLATE,
        '"Stalin\'s Realpolitik", "Soviet Union-GMD"]',
        '"Stalin\'s Realpolitik", "Soviet Union-GMD", "Treaty of Friendship"]',
    )
    check(
        single(text),
        "sources[0].sections[3]",
        line_with(text, "Treaty of Friendship"),
        "heading 'Treaty of Friendship' does not occur in " + SEED_NAME,
    )


@pytest.mark.skipif(seeds_dir() is None, reason="the source essays (shared/seeds) are not present")
def test_heading_not_found_in_the_real_essay() -> None:
    text = edit(
        TEMPLATE,
        '"Stalin\'s Realpolitik", "Soviet Union-GMD"]',
        '"Stalin\'s Realpolitik", "Soviet Union-GMD", "Economic Build-Up"]',
    )
    check(
        single(text),
        "sources[0].sections[3]",
        line_with(text, "Economic Build-Up"),
        "heading 'Economic Build-Up' does not occur",
    )


def test_seed_file_that_is_not_there(synthetic_seeds: Path) -> None:
    text = edit(TEMPLATE, "seed: 000_f95244e6848db65e.txt", "seed: 999_missing.txt")
    check(
        single(text),
        "sources[0].seed",
        line_with(text, "999_missing.txt"),
        "no file '999_missing.txt'",
    )


def test_without_seed_texts_headings_are_not_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REALPOLITIK_SEEDS_DIR", str(tmp_path / "absent"))
    assert seeds_dir() is None
    text = edit(
        TEMPLATE,
        '"Stalin\'s Realpolitik", "Soviet Union-GMD"]',
        '"Stalin\'s Realpolitik", "Soviet Union-GMD", "Treaty of Friendship"]',
    )
    parse(text, ORIGIN)


# ---- ranges and numbers -------------------------------------------------------------------------


def test_assumption_value_outside_its_range() -> None:
    text = edit(TEMPLATE, "value: -0.4, range: [-0.8, 0.0]", "value: 0.4, range: [-0.8, 0.0]")
    check(
        single(text),
        "assumptions[0].value",
        line_with(text, "value: 0.4, range"),
        "value 0.4 is outside its range [-0.8, 0.0]",
    )


def test_assumption_range_low_above_high() -> None:
    text = edit(TEMPLATE, "value: -0.4, range: [-0.8, 0.0]", "value: -0.4, range: [0.0, -0.8]")
    check(
        single(text),
        "assumptions[0].range",
        line_with(text, "range: [0.0, -0.8]"),
        "expected [low, high] with low <= high, got [0.0, -0.8]",
    )


def test_assumption_without_a_rationale() -> None:
    text = edit(
        TEMPLATE,
        'rationale: "Unit of stake value for a vital territorial or economic prize."',
        'rationale: " "',
    )
    check(
        single(text),
        "assumptions[1].rationale",
        line_with(text, 'rationale: " "'),
        "expected a one-line rationale",
    )


def test_ideology_value_outside_the_scale() -> None:
    text = edit(TEMPLATE, "{date: 1945-01-01, value: -1.0,", "{date: 1945-01-01, value: -1.5,")
    check(
        single(text),
        "actors[3].ideology[0].value",
        line_with(text, "value: -1.5"),
        "expected a position within the ideology scale [-1, 1], got -1.5",
    )


def test_ideology_assumption_whose_range_leaves_the_scale() -> None:
    text = edit(
        TEMPLATE,
        "{id: ideo_gmd, value: -0.4, range: [-0.8, 0.0]",
        "{id: ideo_gmd, value: -0.4, range: [-1.2, 0.0]",
    )
    check(
        single(text),
        "actors[2].ideology[0].value",
        line_with(text, "{assumption: ideo_gmd}"),
        "assumption 'ideo_gmd' range [-1.2, 0.0] leaves the ideology scale [-1, 1]",
    )


def test_literal_number_that_is_a_judgment() -> None:
    text = edit(TEMPLATE, "decisiveness: {assumption: csf_m}", "decisiveness: 1.5")
    check(
        single(text),
        "arenas[0].decisiveness",
        line_with(text, "decisiveness: 1.5"),
        "a judgment must be a declared assumption",
        "{assumption: ID}",
        "1.5",
    )


def test_literal_number_that_is_a_judgment_in_an_effect() -> None:
    text = edit(
        TEMPLATE,
        "          - transfer: {stake: manchurian_rights, to: USSR}",
        "          - hostility: {between: [USSR, USA], level: 0.5}",
    )
    check(
        single(text),
        "decisions[0].options[0].effects[0].hostility.level",
        line_with(text, "level: 0.5"),
        "a judgment must be a declared assumption",
    )


def test_uncited_literal_point() -> None:
    old = '{date: 1945-01-01, value: -1.0, cite: [{source: zhang2012, section: "(introduction)"}]}'
    text = edit(TEMPLATE, old, "{date: 1945-01-01, value: -1.0}")
    check(
        single(text),
        "actors[3].ideology[0].value",
        line_with(text, "value: -1.0}"),
        "a number needs a citation (cite:) or must name an assumption",
    )


def test_not_a_finite_number() -> None:
    text = edit(TEMPLATE, "value: -0.4, range: [-0.8, 0.0]", "value: .nan, range: [-0.8, 0.0]")
    check(
        single(text),
        "assumptions[0].value",
        line_with(text, "value: .nan"),
        "expected a finite number",
    )


def test_risk_level_not_in_the_scale() -> None:
    text = edit(
        TEMPLATE,
        "        risk: high\n        rival: USA\n    chosen: urge_talks",
        "        risk: extreme\n        rival: USA\n    chosen: urge_talks",
    )
    check(
        single(text),
        "decisions[1].options[1].risk",
        line_with(text, "risk: extreme"),
        "expected a level from scales.risk (none, high), got 'extreme'",
    )


# ---- duplicate ids and keys ---------------------------------------------------------------------


def test_duplicate_decision_id() -> None:
    text = edit(TEMPLATE, "  - id: telegrams", "  - id: treaty_with_gmd")
    check(
        single(text),
        "decisions[1].id",
        line_with(text, "  - id: treaty_with_gmd\n    date: 1945-08-20"),
        "duplicate id 'treaty_with_gmd' in decisions",
    )


def test_duplicate_actor_id() -> None:
    text = edit(
        TEMPLATE, "  - id: USA\n    name: United States", "  - id: CCP\n    name: United States"
    )
    problems = problems_of(text)
    dup = [p for p in problems if "duplicate" in p.message]
    assert len(dup) == 1
    check(
        dup[0],
        "actors[3].id",
        line_with(text, "  - id: CCP\n    name: United States"),
        "duplicate id 'CCP' in actors",
    )
    # the rest follows from USA being gone: it is now an unknown actor
    assert all("unknown actor id 'USA'" in p.message for p in problems if p is not dup[0])


def test_duplicate_option_id() -> None:
    text = edit(TEMPLATE, "      - id: urge_fight", "      - id: urge_talks")
    check(
        single(text),
        "decisions[1].options[1].id",
        line_with(text, "      - id: urge_talks\n        label: Encourage"),
        "duplicate option id 'urge_talks' in decision 'telegrams'",
    )


def test_duplicate_assumption_id() -> None:
    text = edit(TEMPLATE, "{id: value_medium,", "{id: value_high,")
    problems = problems_of(text)
    check(
        problems[0],
        "assumptions[2].id",
        line_with(text, "{id: value_high, value: 0.5"),
        "duplicate id 'value_high' in assumptions",
    )


def test_duplicate_key_in_a_mapping() -> None:
    text = edit(
        TEMPLATE, "    chosen: urge_talks\n", "    chosen: urge_talks\n    chosen: urge_fight\n"
    )
    check(
        single(text), "decisions[1].chosen", line_with(text, "chosen: urge_fight"), "duplicate key"
    )


# ---- wrong types --------------------------------------------------------------------------------


def test_text_where_a_number_is_expected() -> None:
    text = edit(TEMPLATE, "year: 2012", "year: twenty-twelve")
    check(
        single(text),
        "sources[0].year",
        line_with(text, "year: twenty"),
        "expected a number, got 'twenty-twelve'",
    )


def test_text_where_a_quantity_is_expected() -> None:
    text = edit(TEMPLATE, "decisiveness: {assumption: csf_m}", "decisiveness: strong")
    check(
        single(text),
        "arenas[0].decisiveness",
        line_with(text, "decisiveness: strong"),
        "expected a number or {assumption: ID}, got 'strong'",
    )


@pytest.mark.parametrize("bad", ["1945-08-32", "14 August 1945"])
def test_bad_date(bad: str) -> None:
    text = edit(TEMPLATE, "date: 1945-08-14", f"date: {bad}")
    check(
        single(text),
        "decisions[0].date",
        line_with(text, f"date: {bad}"),
        f"expected a date YYYY-MM-DD, got '{bad}'",
    )


def test_unknown_field() -> None:
    text = edit(
        TEMPLATE, "    question: What to tell", "    qestion: a typo\n    question: What to tell"
    )
    check(single(text), "decisions[1].qestion", line_with(text, "qestion:"), "unknown field")


def test_missing_required_field() -> None:
    text = edit(TEMPLATE, "    question: What to tell the CCP after Japan's surrender\n", "")
    check(
        single(text),
        "decisions[1].question",
        line_with(text, "  - id: telegrams"),
        "required field is missing",
    )


def test_wrong_literal_for_kind() -> None:
    text = edit(TEMPLATE, "kind: party\n    leader: Mao", "kind: movement\n    leader: Mao")
    check(
        single(text),
        "actors[1].kind",
        line_with(text, "kind: movement"),
        "expected one of",
        "'state'",
        "'party'",
        "'leader'",
        "got 'movement'",
    )


def test_bad_id() -> None:
    text = edit(TEMPLATE, "  - id: telegrams", "  - id: the telegrams")
    check(single(text), "decisions[1].id", line_with(text, "id: the telegrams"), "expected an id")


def test_too_few_options() -> None:
    text = edit(
        TEMPLATE,
        "      - id: urge_fight\n        label: Encourage the CCP to contest power\n"
        "        favours: CCP\n        opposes: GMD\n        risk: high\n        rival: USA\n",
        "",
    )
    problems = problems_of(text)
    check(
        problems[0],
        "decisions[1].options",
        line_with(text, "    options:\n      - id: urge_talks"),
        "expected at least 2 item(s)",
    )


# ---- malformed files ----------------------------------------------------------------------------


def test_malformed_yaml_with_its_line() -> None:
    text = edit(
        TEMPLATE, "question: What to tell the CCP after", "question: What to tell: the CCP after"
    )
    check(
        single(text),
        "",
        line_with(text, "What to tell: the CCP"),
        "malformed YAML",
        "mapping values are not allowed",
    )


def test_malformed_yaml_tab() -> None:
    text = edit(
        TEMPLATE, "    actor: USSR\n    question: What", "\tactor: USSR\n    question: What"
    )
    check(single(text), "", line_with(text, "\tactor: USSR"), "malformed YAML")


@pytest.mark.parametrize("text", ["- a list\n- not a mapping\n", "just some text\n", ""])
def test_file_that_is_not_a_mapping(text: str) -> None:
    check(single(text), "", 1, "expected a mapping of scenario fields at the top")


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "case.yaml"
    with pytest.raises(InputError) as info:
        load(missing)
    (p,) = info.value.problems
    assert p.file == str(missing) and p.line is None
    assert "no such file" in p.message and "not a built-in case" in p.message
    assert str(p) == f"{missing}: {p.message}"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load(tmp_path)
    (p,) = info.value.problems
    assert p.file == str(tmp_path) and "is a folder" in p.message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Caf\u00e9\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        load(path)
    assert "not UTF-8" in info.value.problems[0].message


# ---- every problem at once ----------------------------------------------------------------------


def test_all_cross_reference_problems_are_reported_at_once() -> None:
    text = TEMPLATE
    text = edit(text, "    actor: USSR\n    question: What", "    actor: USSRR\n    question: What")
    text = edit(text, "gains: [manchurian_rights]", "gains: [manchuria]")
    text = edit(text, "chosen: urge_talks", "chosen: urge_war")
    text = edit(text, "value: -0.4, range: [-0.8, 0.0]", "value: 0.4, range: [-0.8, 0.0]")
    text = edit(text, "{date: 1945-01-01, value: -1.0,", "{date: 1945-01-01, value: -1.5,")
    got = {(p.field, p.line) for p in problems_of(text)}
    assert got == {
        ("decisions[1].actor", line_with(text, "actor: USSRR")),
        ("decisions[0].options[0].gains[0]", line_with(text, "gains: [manchuria]")),
        ("decisions[1].chosen", line_with(text, "chosen: urge_war")),
        ("assumptions[0].value", line_with(text, "value: 0.4, range")),
        ("actors[3].ideology[0].value", line_with(text, "value: -1.5")),
    }


def test_all_type_problems_are_reported_at_once() -> None:
    text = TEMPLATE
    text = edit(text, "year: 2012", "year: twenty-twelve")
    text = edit(text, "date: 1945-08-14", "date: 1945-08-32")
    text = edit(
        text, "    question: What to tell", "    qestion: a typo\n    question: What to tell"
    )
    text = edit(text, "kind: party\n    leader: Mao", "kind: movement\n    leader: Mao")
    problems = problems_of(text)
    assert [(p.field, p.line) for p in problems] == [
        ("sources[0].year", line_with(text, "year: twenty")),
        ("actors[1].kind", line_with(text, "kind: movement")),
        ("decisions[0].date", line_with(text, "date: 1945-08-32")),
        ("decisions[1].qestion", line_with(text, "qestion:")),
    ]


def test_edits_through_the_yaml_data_keep_line_numbers() -> None:
    """Load, mutate and dump: the reported line is where the dumped text has the field."""
    data = yaml.safe_load(TEMPLATE)
    data["decisions"][1]["options"][0]["favours"] = "KMT"
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    check(
        single(text),
        "decisions[1].options[0].favours",
        line_with(text, "favours: KMT"),
        "unknown actor id 'KMT'",
    )


# ---- the command line ---------------------------------------------------------------------------


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("realpolitik")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from realpolitik.cli import main; main()"]
    )
    env = {**os.environ, "COLUMNS": "200"}  # rich wraps less; error lines are never wrapped
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        check=False,
    )


ERROR_LINE = re.compile(
    r"^error: (?P<file>[^:]+):(?P<line>\d+): (?P<field>[\w.\[\]]+): (?P<msg>.+)$"
)


def test_cli_validate_bad_file(tmp_path: Path) -> None:
    text = edit(
        TEMPLATE, "    actor: USSR\n    question: What", "    actor: USSRR\n    question: What"
    )
    text = edit(text, "chosen: urge_talks", "chosen: urge_war")
    text = edit(text, "gains: [manchurian_rights]", "gains: [manchuria]")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    res = cli("case", "validate", str(bad))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 3, res.stderr
    found = {}
    for line in lines:
        m = ERROR_LINE.match(line)
        assert m and m["file"] == str(bad), line
        found[m["field"]] = int(m["line"])
    assert found == {
        "decisions[1].actor": line_with(text, "actor: USSRR"),
        "decisions[1].chosen": line_with(text, "chosen: urge_war"),
        "decisions[0].options[0].gains[0]": line_with(text, "gains: [manchuria]"),
    }


def test_cli_validate_malformed_and_missing_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    res = cli("case", "validate", str(broken), str(missing), str(tmp_path))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 3, res.stderr
    assert lines[0].startswith(f"error: {broken}:") and "malformed YAML" in lines[0]
    assert lines[1].startswith(f"error: {missing}: ") and "no such file" in lines[1]
    assert lines[2].startswith(f"error: {tmp_path}: ") and "folder" in lines[2]


def test_cli_validate_good_and_bad_reports_both(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(TEMPLATE, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(edit(TEMPLATE, "chosen: urge_talks", "chosen: urge_war"), encoding="utf-8")
    res = cli("case", "validate", str(good), str(bad))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert f"ok: {good}" in " ".join(res.stderr.split())
    errors = [line for line in res.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {bad}:")
    assert "chosen option 'urge_war'" in errors[0]


def test_cli_validate_good_file_exits_0(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(TEMPLATE, encoding="utf-8")
    res = cli("case", "validate", str(good))
    assert res.returncode == 0, res.stderr
    assert "error" not in res.stderr


def test_cli_new_writes_a_template_that_validates(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    res = cli("case", "new", str(target))
    assert res.returncode == 0, res.stderr
    written = target.read_text(encoding="utf-8")
    assert written.lstrip().startswith("#"), "the template is commented"
    assert parse(written, str(target)) == parse(TEMPLATE, "template")
    assert cli("case", "validate", str(target)).returncode == 0


def test_cli_new_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    target.write_text("my own work\n", encoding="utf-8")
    res = cli("case", "new", str(target))
    assert res.returncode == 2
    assert res.stderr.startswith(f"error: {target}: ") and "--force" in res.stderr
    assert "Traceback" not in res.stderr
    assert target.read_text(encoding="utf-8") == "my own work\n"
    forced = cli("case", "new", "--force", str(target))
    assert forced.returncode == 0, forced.stderr
    assert target.read_text(encoding="utf-8") == TEMPLATE


needs_builtin = pytest.mark.skipif(
    BUILTIN not in builtin_names(), reason="the built-in case is not written yet"
)


@needs_builtin
def test_cli_show_prints_a_cited_timeline() -> None:
    res = cli("case", "show", BUILTIN)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "timeline" in out
    assert "Zhang 2012" in out and "Deutscher 1952" in out
    assert "chose:" in out and "rejected:" in out
    assert re.search(r"\b194[5-9]-\d\d-\d\d\b", out)


@needs_builtin
def test_cli_show_json_parses() -> None:
    res = cli("case", "show", "--json", BUILTIN)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    case = load(BUILTIN).case
    assert data["id"] == BUILTIN
    assert len(data["decisions"]) == len(case.decisions)
    assert len(data["timeline"]) == len(case.decisions) + len(case.events)
    assert all(row["cite"] for row in data["timeline"])


def test_cli_show_a_file(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    res = cli("case", "show", str(path))
    assert res.returncode == 0, res.stderr
    assert "Zhang 2012" in res.stdout and "my-case" in res.stdout


def test_cli_show_unknown_case() -> None:
    res = cli("case", "show", "no-such-case-anywhere")
    assert res.returncode == 2
    assert res.stderr.startswith("error: no-such-case-anywhere: no such file")
    assert "Traceback" not in res.stderr


@needs_builtin
def test_cli_list() -> None:
    res = cli("case", "list")
    assert res.returncode == 0, res.stderr
    assert BUILTIN in res.stdout
    assert "_template" not in res.stdout
