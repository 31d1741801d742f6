"""Random mutations of a valid scenario either validate or give one-line errors, never a crash."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realpolitik.errors import InputError
from realpolitik.scenario.loader import builtin_names, builtin_text, parse, template_text
from realpolitik.scenario.schema import Case

BASES = {"template": template_text()}
if "east-asia-1945" in builtin_names():
    BASES["east-asia-1945"] = builtin_text("east-asia-1945")
DATA = {name: yaml.safe_load(text) for name, text in BASES.items()}

Path = tuple[str | int, ...]


def paths(node: Any, here: Path = ()) -> list[Path]:
    """Every location in the data below the top (mapping keys and list positions)."""
    out: list[Path] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append(here + (key,))
            out += paths(value, here + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.append(here + (i,))
            out += paths(value, here + (i,))
    return out


def get(node: Any, path: Path) -> Any:
    for part in path:
        node = node[part]
    return node


def with_ids(node: Any, here: Path = ()) -> list[Path]:
    """Paths of mappings that carry an `id` (actors, stakes, options, decisions, ...)."""
    out = [here] if isinstance(node, dict) and "id" in node else []
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, value in children:
        out += with_ids(value, here + (key,))
    return out


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.sampled_from(["USSR", "CCP", "GMD", "none", "high", "zhang2012", "treaty", "1945-02-30"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["id", "date", "value", "source", "assumption", "x"]), inner, max_size=3
        ),
    ),
    max_leaves=6,
)
mutation = st.tuples(
    st.sampled_from(["delete", "replace", "duplicate", "swap_ids", "shuffle_decisions"]),
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=10**9),
    values,
)


def mutate(data: dict[str, Any], op: str, i: int, j: int, value: Any, rnd: Any) -> None:
    everywhere = paths(data)
    target = everywhere[i % len(everywhere)]
    parent, key = get(data, target[:-1]), target[-1]
    if op == "delete":
        del parent[key]
    elif op == "replace":
        parent[key] = value
    elif op == "duplicate":
        lists = [p for p in everywhere if isinstance(get(data, p), list) and get(data, p)]
        if lists:
            items = get(data, lists[i % len(lists)])
            items.insert(j % len(items), copy.deepcopy(items[j % len(items)]))
    elif op == "swap_ids":
        holders = with_ids(data)
        a, b = get(data, holders[i % len(holders)]), get(data, holders[j % len(holders)])
        a["id"], b["id"] = b["id"], a["id"]
    elif op == "shuffle_decisions" and isinstance(data.get("decisions"), list):
        rnd.shuffle(data["decisions"])


def check_mutated(base: str, mutations: list[tuple[str, int, int, Any]], rnd: Any) -> None:
    data = copy.deepcopy(DATA[base])
    for op, i, j, value in mutations:
        if not isinstance(data, dict) or not data:
            break
        mutate(data, op, i, j, value, rnd)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    try:
        case = parse(text, "mutated.yaml")
    except InputError as exc:
        assert exc.problems, "an InputError must carry at least one problem"
        for problem in exc.problems:
            line = str(problem)
            assert line.strip() and "\n" not in line and "\r" not in line, line
            assert line.startswith("mutated.yaml"), line
            assert problem.message.strip(), line
    else:
        assert isinstance(case, Case)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(mutation, min_size=1, max_size=3), rnd=st.randoms(use_true_random=False))
def test_mutated_template_validates_or_gives_one_line_errors(mutations, rnd):
    check_mutated("template", mutations, rnd)


@pytest.mark.skipif("east-asia-1945" not in DATA, reason="the built-in case is not written yet")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(mutation, min_size=1, max_size=3), rnd=st.randoms(use_true_random=False))
def test_mutated_builtin_case_validates_or_gives_one_line_errors(mutations, rnd):
    check_mutated("east-asia-1945", mutations, rnd)


def test_unmutated_bases_are_valid():
    for name in BASES:
        assert isinstance(parse(yaml.safe_dump(DATA[name], sort_keys=False), name), Case)
