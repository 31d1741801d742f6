"""The report and the explorer's API: figures written, one self-contained HTML file, every piece
of case text escaped, precomputed results used as given, and the JSON endpoints.

A small case built from the template (with hostile text in its names and labels) keeps this
fast; the alliance section is fed synthetic results so it needs no data directory.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from realpolitik.cli import main as cli_main
from realpolitik.errors import InputError
from realpolitik.scenario.loader import parse, template_text

HOSTILE_NAME = '<script>alert("actor")</script> Soviet Union'
HOSTILE_TITLE = "Stalin & the <b>GMD</b> </title><script>alert(1)</script>"
HOSTILE_LABEL = "Refuse <img src=x onerror=alert(2)> & back the CCP ($5 bn)"
SEED = 7
N = 400
CASE_FIGURES = (
    "strengths",
    "timeline",
    "weights",
    "decomposition",
    "calibration",
    "counterfactual",
    "sensitivity",
)
ALLIANCE_FIGURES = ("regime_distance", "alliance_network", "alliance_coefficients")


def hostile_text() -> str:
    text = template_text()
    for old, new in (
        ("name: Soviet Union", f"name: {json.dumps(HOSTILE_NAME)}"),
        (
            "title: Stalin between the GMD and the CCP, August 1945 (template)",
            f"title: {json.dumps(HOSTILE_TITLE)}",
        ),
        ("label: Refuse the treaty and back the CCP", f"label: {json.dumps(HOSTILE_LABEL)}"),
    ):
        assert old in text, f"the template changed: '{old}' not found"
        text = text.replace(old, new)
    parse(text)  # still a valid case
    return text


class FakeAllianceFit:
    """Stands in for `realpolitik.alliances.models.AllianceFit` (only what the report reads)."""

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        rows = []
        for era in ("1816-1913", "1946-1989", "pooled"):
            for term, block in (
                ("regime_sim", "ideology"),
                ("joint_democracy", "ideology"),
                ("contiguous", "interest"),
                ("common_threat", "interest"),
                ("py", "control"),
            ):
                b, a = rng.normal(0, 1), rng.normal(0, 0.01)
                rows.append(
                    {
                        "era": era,
                        "outcome": "onset",
                        "term": term,
                        "block": block,
                        "estimate": b,
                        "conf_low": b - 0.3,
                        "conf_high": b + 0.3,
                        "ame": a if block != "control" else np.nan,
                        "ame_low": a - 0.004 if block != "control" else np.nan,
                        "ame_high": a + 0.004 if block != "control" else np.nan,
                    }
                )
        self.frame = pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    def verdict_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "era": e,
                    "years": e,
                    "n_obs": 100,
                    "n_events": 5,
                    "ideology_ame": 0.001,
                    "interest_ame": 0.01,
                    "diff": 0.009,
                    "diff_low": 0.001,
                    "diff_high": 0.02,
                    "verdict": "interest outweighs ideology",
                }
                for e in self.frame["era"].unique()
            ]
        )


def fake_edges(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    out = {}
    for era, k in (("1816-1913", 12), ("1946-1989", 40)):
        codes = rng.choice(np.arange(2, 900), size=14, replace=False)
        pairs = {tuple(sorted(rng.choice(codes, 2, replace=False))) for _ in range(k)}
        out[era] = pd.DataFrame(
            [
                {
                    "ccode1": int(a),
                    "ccode2": int(b),
                    "name1": f"S{a}",
                    "name2": f"S{b}",
                    "n_years": int(rng.integers(1, 30)),
                    "defence": bool(rng.integers(0, 2)),
                }
                for a, b in pairs
            ]
        )
    return out


def fake_regimes(seed: int = 0) -> dict[str, Any]:
    """Stands in for `alliance_regimes.decade_networks()` and `regime_distance()`."""
    from realpolitik.reports.alliance_regimes import regime_type

    rng = np.random.default_rng(seed)
    networks = {}
    for decade in ("1900s", "1950s", "2000s"):
        codes = np.sort(rng.choice(np.arange(2, 990), size=16, replace=False))
        pairs = {tuple(sorted(rng.choice(codes, 2, replace=False))) for _ in range(20)}
        edges = pd.DataFrame(
            [
                {
                    "ccode1": int(a),
                    "ccode2": int(b),
                    "years": int(rng.integers(1, 10)),
                    "pledge": str(rng.choice(["defence", "consultation", "non-aggression"])),
                }
                for a, b in sorted(pairs)
            ]
        )
        scores = np.where(rng.random(len(codes)) < 0.1, np.nan, rng.uniform(-10, 10, len(codes)))
        nodes = pd.DataFrame({"ccode": codes, "name": [f"S{c}" for c in codes], "polity2": scores})
        nodes["regime"] = [regime_type(v) for v in nodes["polity2"]]
        nodes["degree"] = rng.integers(1, 6, len(codes))
        networks[decade] = {"edges": edges, "nodes": nodes}
    years = np.arange(1816, 2018)
    distance = pd.DataFrame(
        {
            "year": years,
            "allied": 4 + rng.normal(0, 0.3, len(years)),
            "not_allied": 6 + rng.normal(0, 0.3, len(years)),
            "allied_pairs": 50,
            "states": 60,
        }
    )
    return {"networks": networks, "distance": distance}


def write_hostile_report(folder: Path) -> Path:
    from realpolitik.reports.html import ReportInputs, write_report

    case_file = folder / "hostile case.yaml"
    case_file.write_text(hostile_text(), encoding="utf-8")
    inputs = ReportInputs(
        alliances=FakeAllianceFit(SEED),
        alliance_edges=fake_edges(SEED),
        alliance_regimes=fake_regimes(SEED),
    )
    return write_report(
        case_file,
        folder / "out",
        n=N,
        seed=SEED,
        sensitivity_samples=8,
        sensitivity_draws=4,
        include_bayes=False,
        inputs=inputs,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_hostile_report(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def page(report: Path) -> str:
    return report.read_text(encoding="utf-8")


# ---- figures ------------------------------------------------------------------------------------


def test_every_figure_is_written_as_png_and_svg(report: Path) -> None:
    figures = report.parent / "figures"
    for name in CASE_FIGURES + ALLIANCE_FIGURES:
        assert (figures / f"{name}.pdf").read_bytes()[:5] == b"%PDF-", name
        png, svg = figures / f"{name}.png", figures / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert png.stat().st_size > 5_000, name
        text = svg.read_text(encoding="utf-8")
        assert "<svg" in text and text.rstrip().endswith("</svg>"), name
        assert "<script" not in text, name


def test_figures_alone(tmp_path: Path) -> None:
    """The figure functions work on their own, for notebooks and papers."""
    from realpolitik.estimation.api import as_compiled, fit
    from realpolitik.reports import alliance_regimes as R
    from realpolitik.reports import figures as F
    from realpolitik.reports.findings import strengths_chart

    comp = as_compiled(parse(template_text()))
    res = fit(comp, seed=SEED)
    dec = res.decomposition()
    for chart in (
        F.timeline_chart(comp.case, dec),
        F.weights_chart(res),
        F.decomposition_chart(dec, F.decision_numbers(comp.case)),
        F.alliance_network_chart(fake_edges(1)),
        F.alliance_coef_chart(FakeAllianceFit(1).to_frame()),
        strengths_chart(comp.case, [("maximum likelihood", res)]),
        R.network_chart(fake_regimes(1)["networks"]),
        R.distance_chart(fake_regimes(1)["distance"]),
    ):
        saved = F.save_chart(chart, tmp_path)
        assert saved.png.stat().st_size > 0 and saved.svg.stat().st_size > 0
        assert saved.tips, f"{chart.name} has no hover texts"
        assert all(f'id="{gid}"' in saved.svg_text for gid in saved.tips), chart.name


def test_circle_layout_is_ordered_by_code() -> None:
    from realpolitik.reports.figures import circle_layout

    pos = circle_layout([365, 2, 200, 2, 710])
    assert list(pos) == [2, 200, 365, 710]
    assert all(abs(x * x + y * y - 1) < 1e-12 for x, y in pos.values())
    assert pos[2] == pytest.approx((0.0, 1.0))


def test_time_axis_is_proportional_with_cut_stretches() -> None:
    from realpolitik.reports.figures import TimeAxis

    axis = TimeAxis.for_times([1926.0, 1927.0, 1945.0, 1946.0, 1948.0, 1950.0])
    assert len(axis.breaks) == 1 and axis.breaks[0][0] < 1930 < axis.breaks[0][1]
    # to scale within a stretch, cut across the break
    assert axis.x(1950.0) - axis.x(1946.0) == pytest.approx(4.0)
    assert axis.x(1927.0) - axis.x(1926.0) == pytest.approx(1.0)
    assert axis.x(1945.0) - axis.x(1927.0) < 18.0 / 3
    xs = [axis.x(t) for t in (1926.0, 1927.0, 1945.0, 1946.0, 1950.0)]
    assert xs == sorted(xs)


def test_sensitivity_grid_stays_inside_its_axes() -> None:
    from realpolitik.reports import figures as F

    idx = pd.DataFrame(
        {
            "output": ["verdict:USSR"] * 3 + ["outcome:o"] * 3,
            "assumption": ["a", "b", "c"] * 2,
            "S1": [0.5, 0.1, -0.2, 0.3, 0.0, 0.0],
            "S1_conf": [0.9, 0.2, 0.5, 0.1, 0.1, 0.1],
            "ST": [1.7, 0.2, 0.04, 0.6, 0.0, 0.01],
            "ST_conf": [2.0, 0.1, 0.05, 0.1, 0.01, 0.01],
        }
    )
    chart = F.sensitivity_chart(idx)
    ax = chart.figure.axes[0]
    chart.figure.canvas.draw()
    bbox = ax.get_window_extent()
    for text in ax.texts:
        assert bbox.contains(*text.get_window_extent().get_points().mean(axis=0)), text
    assert any(t.get_text().startswith(">1") for t in ax.texts)  # noise said, not plotted


# ---- the HTML file ------------------------------------------------------------------------------


def test_the_report_opens_with_findings_in_sentences(page: str) -> None:
    import html

    sections = re.findall(r'<section id="([^"]+)">', page)
    assert sections[:2] == ["findings", "limitations"]
    body = re.search(r'<section id="findings">(.*?)</section>', page, re.S).group(1)
    items = [
        html.unescape(re.sub(r"<[^>]+>", "", i))
        for i in re.findall(r"<li[^>]*>(.*?)</li>", body, re.S)
    ]
    actors = [i for i in items if "decision" in i]
    assert actors, "no sentence per actor"
    for sentence in actors:
        assert sentence.rstrip().endswith("."), sentence
        assert re.search(r"\d", sentence), sentence  # every sentence quotes its numbers
    assert any(re.search(r"0\.\d\d", s) for s in actors)
    assert "90%" in body  # the one interval level, stated
    assert any("Era 1946-1989" in i for i in items)  # the large-N study
    assert any("closer in regime" in i for i in items)
    limits = re.search(r'<section id="limitations">(.*?)</section>', page, re.S).group(1)
    assert "recorded decisions" in limits and "counterfactuals" in limits


# ---- the HTML file (continued) ------------------------------------------------------------------


def test_html_is_self_contained(page: str) -> None:
    external = re.findall(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert external == []
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", page, re.I)
    assert "@import" not in page
    assert not re.search(r"<link[^>]+stylesheet", page, re.I)
    assert re.search(r"<script\s+src", page, re.I) is None
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_every_figure_is_inline(page: str) -> None:
    for name in CASE_FIGURES + ALLIANCE_FIGURES:
        m = re.search(
            rf'<figure id="fig-{name}" data-figure="{name}">\s*<svg\b(.*?)</svg>', page, re.S
        )
        assert m, f"figure {name} is not inline"
        assert 'class="tip"' in m.group(1), f"figure {name} has no tooltips"


def test_ids_are_unique(page: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', page)
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes


def test_user_text_is_escaped(page: str) -> None:
    import html

    assert page.count("<script") == 1  # the page's own tooltip script, nothing else
    assert "alert(" not in page.split("<script>")[-1]
    for raw in (HOSTILE_NAME, HOSTILE_TITLE, HOSTILE_LABEL):
        assert raw not in page
        assert html.escape(raw) in page or html.escape(raw, quote=False) in page, raw
    assert "<img src=x" not in page
    assert "<b>GMD</b>" not in page


def test_numbers_are_traceable_to_commands(page: str, report: Path) -> None:
    import html

    case = str(report.parent.parent / "hostile case.yaml")
    quoted = html.escape(f"'{case}'")
    expected = [
        f"realpolitik fit {quoted} --seed {SEED}",
        f"realpolitik counterfactual {quoted} --ideological USSR -n {N} --seed {SEED}",
        f"realpolitik sensitivity {quoted} --samples 8 --draws 4 --seed {SEED}",
        f"realpolitik run {quoted} -n {N} --seed {SEED} --no-bayes --no-report",
        f"realpolitik report {quoted} --out",
        "realpolitik alliances fit --outcome onset",
        f"realpolitik fit {quoted} --method bayes --seed {SEED}",
    ]
    for cmd in expected:
        assert cmd in page, cmd
    sections = re.findall(r"<section id=\"([^\"]+)\">(.*?)</section>", page, re.S)
    for sid, body in sections:
        if sid != "sources":
            assert 'class="cmd"' in body, f"section {sid} shows no command"


def test_sources_and_citations_are_listed(page: str) -> None:
    import html

    case = parse(hostile_text())
    for s in case.sources:
        assert html.escape(s.author) in page and html.escape(s.title) in page
    for d in case.decisions:
        for label in case.cite_labels(d.cite):
            assert html.escape(label) in page


def test_files_are_readable_by_others(report: Path) -> None:
    assert report.stat().st_mode & 0o044  # not the 0600 of a temporary file


# ---- inputs, computing only what is missing -----------------------------------------------------


def test_precomputed_results_are_used_not_recomputed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from realpolitik.estimation import api
    from realpolitik.reports.html import ReportInputs, write_report
    from realpolitik.simulation import api as sim

    comp = api.as_compiled(parse(template_text()))
    mle = api.fit(comp, seed=SEED)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("recomputed a result that was given")

    monkeypatch.setattr(api, "fit", refuse)
    monkeypatch.setattr(sim, "counterfactual", refuse)
    monkeypatch.setattr(sim, "fidelity", refuse)
    inputs = ReportInputs(
        fit=mle,
        bayes=None,
        fidelity=None,
        counterfactual=None,
        sensitivity=None,
        alliances=None,
        alliance_edges=None,
    )
    path = write_report(comp.case, tmp_path, n=N, seed=SEED, inputs=inputs)
    page = path.read_text(encoding="utf-8")
    assert 'data-figure="timeline"' in page and 'data-figure="counterfactual"' not in page
    assert "realpolitik data import" in page  # how to add the alliance study


def test_alliance_section_explains_how_to_add_data(tmp_path: Path) -> None:
    from realpolitik.reports.html import ReportInputs, write_report

    inputs = ReportInputs(counterfactual=None, fidelity=None, bayes=None, sensitivity=None)
    page = write_report(
        parse(template_text()), tmp_path, n=N, seed=SEED, inputs=inputs, alliances=False
    ).read_text(encoding="utf-8")
    assert "realpolitik data import DIR" in page
    assert 'data-figure="alliance_network"' not in page


def test_bad_arguments_are_input_errors(tmp_path: Path) -> None:
    from realpolitik.reports.html import write_report

    with pytest.raises(InputError, match="power of two"):
        write_report(parse(template_text()), tmp_path, sensitivity_samples=6)
    with pytest.raises(InputError, match="no such file"):
        write_report(tmp_path / "missing.yaml", tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    # refused before anything is computed: the inputs would make the report fit and simulate
    with pytest.raises(InputError, match="--out: cannot create the report folder"):
        write_report(parse(template_text()), blocker / "report")


def test_inline_svg_prefixes_ids_and_attaches_tips() -> None:
    from realpolitik.reports.html import inline_svg

    svg = (
        '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "x" "y"><svg width="100pt" height="50pt" '
        'viewBox="0 0 100 50"><metadata>m</metadata><defs><clipPath id="c1"/></defs>'
        '<g id="a-tip-0" clip-path="url(#c1)"><use xlink:href="#c1"/></g></svg>'
    )
    out = inline_svg(svg, "fig", {"a-tip-0": 'P < 1 & "x"'}, "label")
    assert out.startswith("<svg") and "<?xml" not in out and "metadata" not in out
    assert 'id="fig-c1"' in out and "url(#fig-c1)" in out and 'href="#fig-c1"' in out
    assert 'class="tip"' in out and "P &lt; 1 &amp; &quot;x&quot;" in out
    assert 'width="100pt"' not in out and "max-width:100pt" in out


# ---- the command line ---------------------------------------------------------------------------


def test_report_command_prints_the_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(template_text(), encoding="utf-8")
    out = tmp_path / "rep"
    cli_main(
        [
            "report",
            str(case),
            "--out",
            str(out),
            "-n",
            "300",
            "--seed",
            "3",
            "--sensitivity-samples",
            "0",
            "--no-bayes",
            "--no-alliances",
        ]
    )
    printed = capsys.readouterr().out.strip()
    assert Path(printed) == out / "report.html" and Path(printed).is_file()


def test_report_command_bad_case_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main(["report", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "r")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nope.yaml" in err


# ---- the explorer's JSON API --------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from realpolitik.reports.serve import make_server, url_of

    case = tmp_path_factory.mktemp("serve") / "tiny.yaml"
    case.write_text(template_text(), encoding="utf-8")
    srv = make_server("127.0.0.1", 0, str(case))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield url_of(srv)
    srv.shutdown()
    srv.server_close()


def call(url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json"} if body is not None else {}
    req = urllib.request.Request(
        url,
        data=data,
        headers={**sent, **(headers or {})},
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_api_cases_and_case(server: str) -> None:
    status, cases = call(server + "api/cases")
    assert status == 200 and cases["default"] == "file:tiny.yaml"
    status, case = call(server + "api/case?name=file:tiny.yaml")
    assert status == 200
    ussr = next(a for a in case["actors"] if a["id"] == "USSR")
    assert ussr["decides"] and set(ussr["weights"]) >= {"ideology", "interest"}
    status, err = call(server + "api/case?name=../../etc/passwd")
    assert status == 400 and "unknown case" in err["error"]


def test_api_predict_changes_with_weights(server: str) -> None:
    _, case = call(server + "api/case?name=file:tiny.yaml")
    fitted = next(a for a in case["actors"] if a["id"] == "USSR")["weights"]
    base = {"case": "file:tiny.yaml", "n": 1000, "seed": SEED}
    status, a = call(server + "api/predict", base)
    assert status == 200 and a["n"] == 1000
    for d in a["decisions"]:
        assert sum(o["p"] for o in d["options"]) == pytest.approx(1.0)
    assert a["command"].startswith("realpolitik simulate")
    moved = fitted["ideology"] + 5.0
    _, b = call(server + "api/predict", {**base, "weights": {"USSR": {"ideology": moved}}})
    assert [o["frequency"] for o in a["outcomes"]] != [o["frequency"] for o in b["outcomes"]]
    assert f"--weight USSR.ideology={moved!r}" in b["command"]
    _, again = call(server + "api/predict", base)
    assert again["outcomes"] == a["outcomes"]  # same seed, same numbers


def test_api_predict_rejects_bad_input(server: str) -> None:
    for body, expect in (
        ({"case": "file:tiny.yaml", "weights": {"XX": {"ideology": 1}}}, "unknown actor"),
        ({"case": "file:tiny.yaml", "weights": {"USSR": {"ideology": "a"}}}, "expected a number"),
        ({"case": "file:tiny.yaml", "n": 10**9}, "n: expected"),
        ({}, "give a case"),
    ):
        status, err = call(server + "api/predict", body)
        assert status == 400 and expect in err["error"], (body, err)


def test_api_validate_gives_the_cli_messages(server: str) -> None:
    bad = template_text().replace("kind: state", "kind: empire", 1)
    with pytest.raises(InputError) as exc:
        parse(bad, "bad.yaml")
    status, res = call(server + "api/validate", {"text": bad, "filename": "bad.yaml"})
    assert status == 200 and res["ok"] is False
    assert res["problems"] == [str(p).lstrip(": ") for p in exc.value.problems]
    status, res = call(server + "api/validate", {"text": template_text(), "filename": "t.yaml"})
    assert status == 200 and res["ok"] is True and res["case"]["id"]


def test_api_refuses_foreign_host_names(server: str) -> None:
    status, err = call(server + "api/cases", headers={"Host": "attacker.example"})
    assert status == 403


def test_pages_are_served(server: str) -> None:
    for path, kind in (
        ("", "text/html"),
        ("assets/explorer.js", "text/javascript"),
        ("assets/explorer.css", "text/css"),
    ):
        with urllib.request.urlopen(server + path, timeout=10) as r:
            assert r.headers["Content-Type"].startswith(kind)
            body = r.read().decode()
            assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", body)


def test_a_counterfactual_table_from_run_passes_through_the_report() -> None:
    """`realpolitik run` hands the report the comparison table itself (a DataFrame, which has
    a `.compare` method of its own): the report must keep it, not call it."""
    from realpolitik.estimation.api import as_compiled
    from realpolitik.reports.html import ReportInputs, _Run, complete

    comp = as_compiled("east-asia-1945")
    table = pd.DataFrame({"outcome": ["x"], "baseline": [0.5], "counterfactual": [0.6]})
    inputs = ReportInputs(
        fit=None,
        bayes=None,
        fidelity=None,
        counterfactual=table,
        sensitivity=None,
        alliances=None,
        alliance_edges=None,
        alliance_regimes=None,
        headline_actor="USSR",
    )
    run = _Run("east-asia-1945", "out", 100, 0, 0, 0, None, lambda _: None, bayes=False)
    out = complete(inputs, comp, run, include_bayes=False, alliances=False, headline_actor="USSR")
    assert out.counterfactual is table


def test_the_forest_figure_marks_an_estimate_beyond_its_axis() -> None:
    """A case with few decisions can have a weight far outside the axis: it is drawn as an
    arrowhead at the edge on its side, not left out; estimates inside stay where they are."""
    from realpolitik.reports.cross_case_section import LIMIT, forest_chart

    def row(case: str, x: float) -> dict[str, Any]:
        out: dict[str, Any] = {"actor": "USSR", "case": case, "estimate": "ml, case alone"}
        for term in ("ideology", "interest"):
            out |= {f"w_{term}_std": x, f"w_{term}_std_low": x - 1, f"w_{term}_std_high": x + 1}
        return out | {"verdict": "undecided"}

    frame = pd.DataFrame([row("a", 1.5), row("b", -25.0)])
    chart = forest_chart(frame, ["USSR"], ["a", "b"])
    ax = chart.figure.axes[0]
    xs = sorted(float(c.get_offsets()[0][0]) for c in ax.collections if len(c.get_offsets()))
    assert ax.get_xlim() == (-LIMIT, LIMIT)
    assert xs == pytest.approx([-LIMIT * 0.97, 1.5])
