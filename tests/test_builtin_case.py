"""The built-in case east-asia-1945: valid, complete, cited, and free of the essays' sentences.

Citations are re-checked here against the seed texts without the validator's code, so a bug
in one does not hide a bug in the other.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import BaseModel

import realpolitik
from realpolitik.scenario.loader import builtin_names, builtin_text, parse
from realpolitik.scenario.schema import (
    Assumption,
    Case,
    Citation,
    Figure,
    IdeologyScale,
    InterestPrices,
    Point,
    Ref,
    Source,
)
from realpolitik.scenario.tables import tables

NAME = "east-asia-1945"
REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
OVERLAP_TOOL = REPO.parent / "shared" / "tools" / "source-overlap"

pytestmark = pytest.mark.skipif(
    NAME not in builtin_names(), reason="the built-in case is not written yet"
)

needs_seeds = pytest.mark.skipif(
    not (SEEDS / "000_f95244e6848db65e.txt").is_file()
    or not (SEEDS / "004_8fedc4abcc75869c.txt").is_file(),
    reason="the source essays (shared/seeds) are not present",
)


@pytest.fixture(scope="module")
def case() -> Case:
    return realpolitik.load_case(NAME)


def test_validates(case: Case) -> None:
    assert parse(builtin_text(NAME), NAME) == case
    assert case.id == NAME


# ---- coverage -----------------------------------------------------------------------------------


def test_span_and_size(case: Case) -> None:
    assert case.span.start <= dt.date(1926, 12, 31) and case.span.end >= dt.date(1952, 1, 1)
    inside = [d for d in case.decisions if 1926 <= d.date.year <= 1952]
    assert len(inside) >= 20
    assert len({d.actor for d in inside}) >= 4
    for d in case.decisions:  # real alternatives: every decision has a rejected option
        assert len(d.options) >= 2 and d.chosen in {o.id for o in d.options}


def test_actors(case: Case) -> None:
    ids = {a.id.upper() for a in case.actors}
    names = " ".join(f"{a.id} {a.name} {a.leader or ''}" for a in case.actors).lower()
    assert {"USSR", "CCP", "USA", "UK"} <= ids
    assert "GMD" in ids or "ROC" in ids or "KMT" in ids
    for leader in ("stalin", "mao", "chiang"):
        assert leader in names
    ccp = next(a for a in case.actors if a.id.upper() == "CCP")
    later = " ".join(n.name for n in ccp.names if n.since >= dt.date(1949, 1, 1))
    assert "People's Republic" in later or "PRC" in later, "the CCP is the PRC from October 1949"


def _text(d: Any) -> str:
    return f"{d.id.replace('_', ' ')} {d.question}".lower()


def _find(case: Case, actor: str, start: dt.date, end: dt.date, *words: str) -> list[str]:
    return [
        d.id
        for d in case.decisions
        if d.actor == actor and start <= d.date <= end and any(w in _text(d) for w in words)
    ]


STALIN = [
    ("united front 1926-27", "1926-01-01", "1927-12-31", ("united front", "gmd", "kmt")),
    ("Yalta", "1945-01-01", "1945-03-31", ("yalta",)),
    (
        "not briefing the CCP on Yalta",
        "1945-01-01",
        "1945-07-31",
        ("secre", "tell", "brief", "inform"),
    ),
    ("August 1945 treaty with the GMD", "1945-07-01", "1945-08-31", ("treaty",)),
    ("20 and 22 August telegrams", "1945-08-15", "1945-08-31", ("telegram",)),
    ("Changchun railway cities", "1945-08-01", "1946-12-31", ("railway", "changchun")),
    ("October 1945 turn", "1945-09-15", "1945-11-15", ("october", "turn", "bar", "weapon")),
    ("support in 1948", "1948-01-01", "1948-12-31", ("support", "back", "aid", "help")),
    ("halt at the Yangtze", "1948-10-01", "1949-06-30", ("yangtze",)),
    ("February 1950 treaty", "1949-12-01", "1950-03-31", ("treaty",)),
    (
        "jets and heavy equipment for Korea",
        "1950-06-25",
        "1952-12-31",
        ("jet", "arms", "weapon", "equipment"),
    ),
    (
        "running down the Far Eastern Army",
        "1950-01-01",
        "1952-12-31",
        ("far eastern army", "far east"),
    ),
    ("trade terms", "1950-01-01", "1952-12-31", ("trade", "price")),
]


@pytest.mark.parametrize(("what", "start", "end", "words"), STALIN, ids=[s[0] for s in STALIN])
def test_stalin_decisions(
    case: Case, what: str, start: str, end: str, words: tuple[str, ...]
) -> None:
    found = _find(case, "USSR", dt.date.fromisoformat(start), dt.date.fromisoformat(end), *words)
    assert found, f"no USSR decision for: {what}"


OTHERS = [
    ("CCP", "Chongqing talks", "1945-08-01", "1945-10-31", ("chongqing",)),
    ("CCP", "go all out for the Northeast", "1945-09-01", "1946-06-30", ("all out", "northeast")),
    ("GMD", "the Soong mission", "1945-06-01", "1945-08-31", ("soong", "price", "recognition")),
    (
        "USA",
        "lifting GMD troops and landing Marines",
        "1945-08-15",
        "1945-12-31",
        ("marine", "lift", "troops"),
    ),
    (
        "USA",
        "opposing Soviet-GMD economic cooperation",
        "1945-12-01",
        "1946-12-31",
        ("econom", "coop", "yalta"),
    ),
    (
        "USA",
        "declining to rescue Chiang in 1948",
        "1948-01-01",
        "1948-12-31",
        ("rescue", "bail", "save", "chiang"),
    ),
]


@pytest.mark.parametrize(
    ("actor", "what", "start", "end", "words"), OTHERS, ids=[s[1] for s in OTHERS]
)
def test_other_actors_decisions(
    case: Case, actor: str, what: str, start: str, end: str, words: tuple[str, ...]
) -> None:
    ids = {a.id for a in case.actors}
    actor = actor if actor in ids else {"GMD": "ROC"}.get(actor, actor)
    found = _find(case, actor, dt.date.fromisoformat(start), dt.date.fromisoformat(end), *words)
    assert found, f"no {actor} decision for: {what}"


def test_events(case: Case) -> None:
    labels = " ".join(f"{e.id} {e.label}" for e in case.events).lower()
    assert "marine" in labels or any("marine" in _text(d) for d in case.decisions)
    assert "london" in labels
    assert "korea" in labels


# ---- citations, re-checked from the seed texts --------------------------------------------------


def citations(obj: Any, path: str = "") -> list[tuple[str, Citation]]:
    out: list[tuple[str, Citation]] = []
    if isinstance(obj, Citation):
        return [(path, obj)]
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            out += citations(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            out += citations(item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            out += citations(value, f"{path}.{key}")
    return out


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[’‘'\"“”]", "", text)).strip().lower()


def split_sections(text: str, headings: list[str]) -> dict[str, str]:
    """Cut a seed text at its headings: a heading is a line that is the heading, or that opens
    with the heading and a colon (Deutscher's run-in headings). "(introduction)" is the text
    before the first heading, "(conclusion)" the text after the first double blank line that
    follows the last heading."""
    lines = text.splitlines()
    starts: dict[str, int] = {}
    for heading in headings:
        if heading.startswith("("):
            continue
        want = _plain(heading)
        hits = [
            i
            for i, line in enumerate(lines)
            if _plain(line) == want or _plain(line).startswith(want + ":")
        ]
        assert hits, f"heading {heading!r} is not in the seed text"
        starts[heading] = hits[0]
    order = sorted(starts, key=starts.__getitem__)
    bounds = [starts[h] for h in order] + [len(lines)]
    sections = {"(introduction)": "\n".join(lines[: bounds[0]])}
    for k, heading in enumerate(order):
        sections[heading] = "\n".join(lines[bounds[k] : bounds[k + 1]])
    last = bounds[-2]
    for i in range(last + 1, len(lines) - 1):
        if not lines[i].strip() and not lines[i + 1].strip():
            sections[order[-1]] = "\n".join(lines[last:i])
            sections["(conclusion)"] = "\n".join(lines[i:])
            break
    return sections


ESSAYS = {
    "Zhang": ("000_f95244e6848db65e.txt", 2012),
    "Deutscher": ("004_8fedc4abcc75869c.txt", 1952),
}


def essay_sources(case: Case) -> dict[str, Source]:
    out = {}
    for s in case.sources:
        for author, (seed, year) in ESSAYS.items():
            if author in s.author and s.year == year:
                assert s.seed == seed, f"source {s.id} should name seed {seed}"
                out[s.id] = s
    assert len(out) == 2, "both essays are declared as sources"
    return out


def test_every_citation_names_a_declared_source(case: Case) -> None:
    declared = {s.id: s for s in case.sources}
    found = citations(case)
    assert len(found) >= len(case.decisions)
    for path, cite in found:
        assert cite.source in declared, path
        src = declared[cite.source]
        if src.sections:
            assert cite.section in src.sections, f"{path}: {cite.section!r}"
        else:
            assert cite.section is None, path
        if cite.note is not None:
            assert src.notes is not None and 1 <= cite.note <= src.notes, path
    for d in case.decisions:
        assert d.cite, d.id
    for e in case.events:
        assert e.cite, e.id
    essays = essay_sources(case)
    cited = {c.source for _, c in found}
    assert set(essays) <= cited, "both essays are cited"


@needs_seeds
def test_citations_resolve_in_the_seed_texts(case: Case) -> None:
    essays = essay_sources(case)
    bodies = {
        sid: split_sections((SEEDS / s.seed).read_text(encoding="utf-8"), s.sections)
        for sid, s in essays.items()
        if s.seed
    }
    checked = 0
    for path, cite in citations(case):
        if cite.source not in bodies:
            continue
        body = bodies[cite.source]
        assert cite.section in body, f"{path}: no section {cite.section!r} in the seed text"
        if cite.note is not None:
            assert f"[{cite.note}]" in body[cite.section], (
                f"{path}: footnote [{cite.note}] is not in {cite.section!r}"
            )
            checked += 1
    assert checked >= 10, "the Zhang citations carry footnote numbers"


@needs_seeds
def test_declared_headings_are_the_essays_headings(case: Case) -> None:
    for s in essay_sources(case).values():
        body = split_sections((SEEDS / s.seed).read_text(encoding="utf-8"), s.sections)
        real = [h for h in s.sections if not h.startswith("(")]
        assert len(real) >= 4
        assert set(s.sections) <= set(body)


# ---- numbers ------------------------------------------------------------------------------------


NUMERIC_OK = (Assumption, Figure, Source, IdeologyScale, Citation)


def numbers(obj: Any, path: str = "") -> list[tuple[str, BaseModel, str, Any]]:
    """Every numeric field: (path, the model holding it, field name, value)."""
    out: list[tuple[str, BaseModel, str, Any]] = []
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.append((f"{path}.{name}", obj, name, value))
            elif isinstance(value, dict):
                for key, v in value.items():
                    if isinstance(v, int | float) and not isinstance(v, bool):
                        out.append((f"{path}.{name}.{key}", obj, name, v))
                    else:
                        out += numbers(v, f"{path}.{name}.{key}")
            else:
                out += numbers(value, f"{path}.{name}")
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            out += numbers(item, f"{path}[{i}]")
    return out


def refs(obj: Any) -> list[Ref]:
    if isinstance(obj, Ref):
        return [obj]
    if isinstance(obj, BaseModel):
        return [r for name in type(obj).model_fields for r in refs(getattr(obj, name))]
    if isinstance(obj, list | tuple):
        return [r for item in obj for r in refs(item)]
    if isinstance(obj, dict):
        return [r for item in obj.values() for r in refs(item)]
    return []


def test_every_number_is_cited_or_an_assumption(case: Case) -> None:
    loose = []
    for path, holder, name, value in numbers(case):
        if isinstance(holder, NUMERIC_OK):
            continue
        if isinstance(holder, Point) and holder.cite:
            continue
        if isinstance(holder, InterestPrices) and name == "security" and value == 1:
            continue  # the numeraire
        if value == 0:
            continue  # "nothing", e.g. no momentum
        loose.append(f"{path} = {value}")
    assert not loose, "numbers neither cited nor assumptions:\n" + "\n".join(loose)


def test_assumptions_have_ranges_and_rationales(case: Case) -> None:
    amap = case.assumption_map()
    assert len(amap) == len(case.assumptions)
    for a in case.assumptions:
        low, high = a.range
        assert low <= a.value <= high, a.id
        assert low < high, f"{a.id}: a range lets later analysis vary the value"
        assert a.rationale.strip() and "\n" not in a.rationale.strip(), a.id
    used = {r.assumption for r in refs(case)}
    used |= {
        ref
        for scale in ("value", "risk", "security")
        for ref in getattr(case.scales, scale).values()
    }
    assert used <= set(amap)
    assert used, "judgments are carried as assumptions"


# Deutscher's figures and the ways the essay writes them (as numerals or in words)
DEUTSCHER = {
    70: ("70",),
    78: ("78",),
    30: ("30", "thirty"),
    60: ("60", "sixty"),
    400000: ("400,000", "400000", "four hundred thousand"),
    20: ("20", "twenty"),
}


def test_deutscher_figures_are_cited_data(case: Case) -> None:
    deutscher = next(sid for sid, s in essay_sources(case).items() if "Deutscher" in s.author)
    sections = case.source_map()[deutscher].sections
    for value in DEUTSCHER:
        figures = [f for f in case.figures if f.value == value]
        assert figures, f"Deutscher's figure {value} is not carried"
        assert any(
            c.source == deutscher and c.section in sections for f in figures for c in f.cite
        ), f"figure {value} is not cited to Deutscher"
    price = [f for f in case.figures if f.value == 20]
    assert any(f.doubted for f in price), "Deutscher doubts the claimed price terms"


@needs_seeds
def test_deutscher_figures_stand_in_the_cited_section(case: Case) -> None:
    sources = essay_sources(case)
    deutscher = next(sid for sid, s in sources.items() if "Deutscher" in s.author)
    src = sources[deutscher]
    body = split_sections((SEEDS / src.seed).read_text(encoding="utf-8"), src.sections)
    for value, forms in DEUTSCHER.items():
        ok = False
        for f in case.figures:
            if f.value != value:
                continue
            for c in f.cite:
                text = body.get(c.section or "", "").lower() if c.source == deutscher else ""
                ok = ok or any(
                    re.search(rf"(?<![\d,]){re.escape(w)}(?![\d,])", text) for w in forms
                )
        assert ok, f"figure {value} does not occur in the section it cites"


# ---- tables -------------------------------------------------------------------------------------


EXPECTED_COLUMNS = {
    "actors": {"actor", "name", "kind", "date", "ideology", "cite"},
    "decisions": {"decision", "date", "actor", "question", "chosen", "cite"},
    "options": {
        "decision",
        "option",
        "label",
        "chosen",
        "favours",
        "opposes",
        "gains",
        "gives",
        "risk",
        "rival",
    },
    "events": {"event", "date", "label", "cite"},
    "assumptions": {"assumption", "value", "low", "high", "rationale"},
    "sources": {"source", "author", "year", "title", "venue"},
    "figures": {"figure", "label", "value", "unit", "date", "doubted", "cite"},
}


def test_tables_are_tidy(case: Case) -> None:
    frames = tables(case)
    assert set(EXPECTED_COLUMNS) <= set(frames)
    for name, columns in EXPECTED_COLUMNS.items():
        frame = frames[name]
        assert isinstance(frame, pd.DataFrame) and not frame.empty, name
        assert columns <= set(frame.columns), (name, columns - set(frame.columns))
        assert frame.columns.is_unique
        for col in frame.columns:  # one value per cell
            assert not frame[col].map(lambda v: isinstance(v, list | dict | tuple | set)).any(), (
                name,
                col,
            )
    assert len(frames["decisions"]) == len(case.decisions)
    assert frames["decisions"]["decision"].is_unique
    options = frames["options"]
    assert len(options) == sum(len(d.options) for d in case.decisions)
    assert not options.duplicated(["decision", "option"]).any()
    assert (options.groupby("decision")["chosen"].sum() == 1).all()
    assert len(frames["actors"]) == sum(len(a.ideology) for a in case.actors)
    assert len(frames["assumptions"]) == len(case.assumptions)
    assert (frames["assumptions"]["low"] <= frames["assumptions"]["value"]).all()
    assert (frames["assumptions"]["value"] <= frames["assumptions"]["high"]).all()
    assert frames["decisions"]["cite"].str.len().gt(0).all()


# ---- no essay sentences in the project ----------------------------------------------------------


@pytest.mark.skipif(not OVERLAP_TOOL.is_file(), reason="the source-overlap tool is not present")
def test_no_sentence_of_the_essays_in_the_project() -> None:
    res = subprocess.run(
        [sys.executable, str(OVERLAP_TOOL), "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.stdout == "", res.stdout
    assert res.returncode == 0, res.stderr
