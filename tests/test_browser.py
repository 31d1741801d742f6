"""The report and the explorer in headless Chromium (Debian's `chromium` package), on a
desktop (1400 px) and a phone (390 px) screen.

No console errors, no horizontal overflow, every figure rendered at a non-zero size, no
request leaves the page, a weight change alters the shown distribution and shows its
difference from the baseline, an invalid case file shows the CLI's error lines. Screenshots
go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from realpolitik.errors import InputError
from realpolitik.scenario.loader import parse, template_text

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs python playwright")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Watch:
    """Console errors, uncaught exceptions and requests of one page."""

    def __init__(self, page: Any):
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))


WIDTHS = {"desktop": 1400, "phone": 390}


@pytest.fixture(params=sorted(WIDTHS))
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[tuple[Any, Watch]]:
    width = WIDTHS[request.param]
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    pg = ctx.new_page()
    pg.screen_name = request.param  # type: ignore[attr-defined]
    watch = Watch(pg)
    yield pg, watch
    ctx.close()


def no_horizontal_overflow(pg: Any) -> None:
    """Nothing wider than the screen: the page does not scroll sideways (tables may scroll
    inside their own box)."""
    widths = pg.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"
    )
    assert max(widths[:2]) <= widths[2], f"page is {max(widths[:2])} px wide on {widths[2]} px"


def test_report_opens_offline_with_every_figure(page: tuple[Any, Watch], tmp_path: Path) -> None:
    from test_reports import ALLIANCE_FIGURES, CASE_FIGURES, write_hostile_report

    pg, watch = page
    report = write_hostile_report(tmp_path)
    pg.goto(report.as_uri())
    pg.wait_for_load_state("load")
    names = CASE_FIGURES + ALLIANCE_FIGURES
    assert pg.locator("figure[data-figure] svg").count() == len(names)
    for name in names:
        box = pg.locator(f'figure[data-figure="{name}"] svg').bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, name
    tip = pg.locator('figure[data-figure="timeline"] svg .tip').first
    tip.scroll_into_view_if_needed()
    tip.hover()
    pg.wait_for_selector(".tip-box", state="visible")
    assert pg.inner_text(".tip-box").strip()
    assert pg.locator("script").count() == 1  # the page's own; nothing injected
    first = pg.locator("main section").first
    assert first.get_attribute("id") == "findings"
    sentences = first.locator("ul.findings li").all_inner_texts()
    assert sentences and all(any(ch.isdigit() for ch in s) for s in sentences)
    no_horizontal_overflow(pg)
    ARTIFACTS.mkdir(exist_ok=True)
    name = pg.screen_name
    pg.screenshot(path=str(ARTIFACTS / f"report-{name}.png"), full_page=True)
    pg.locator('figure[data-figure="timeline"]').screenshot(
        path=str(ARTIFACTS / f"report-timeline-{name}.png")
    )
    assert watch.errors == []
    assert [u for u in watch.requests if not u.startswith(("file:", "data:"))] == []


@pytest.fixture()
def explorer(tmp_path: Path) -> Iterator[str]:
    from realpolitik.reports.serve import make_server, url_of

    case = tmp_path / "tiny.yaml"
    case.write_text(template_text(), encoding="utf-8")
    srv = make_server("127.0.0.1", 0, str(case))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield url_of(srv)
    srv.shutdown()
    srv.server_close()


def ready_after(pg: Any, version: str | None) -> str:
    """Wait for the results to be shown after `version` and return the new version."""
    sel = "#results[data-state=ready]" + (f':not([data-version="{version}"])' if version else "")
    # generous: each answer is a simulation in a worker process, slow on a loaded machine
    pg.wait_for_selector(sel, timeout=60_000)
    return pg.get_attribute("#results", "data-version")


def test_explorer_weights_change_the_distribution(page: tuple[Any, Watch], explorer: str) -> None:
    pg, watch = page
    pg.goto(explorer)
    v0 = ready_after(pg, None)
    before = pg.inner_text("#outcomes") + pg.inner_text("#decisions")
    slider = pg.locator("#w-USSR-ideology")
    high = slider.get_attribute("max")
    assert float(slider.input_value()) != float(high)
    slider.fill(high)
    ready_after(pg, v0)
    after = pg.inner_text("#outcomes") + pg.inner_text("#decisions")
    assert after != before
    assert "--weight USSR.ideology=" in pg.inner_text("#command")
    # baseline and current side by side, with the change and its Monte Carlo error
    outcome = pg.locator("#outcomes .row").first
    assert outcome.locator(".pair-row").count() == 2
    text = outcome.inner_text()
    assert "→" in text and "change" in text and "±" in text and "Monte Carlo" in text
    # the strengths beside the sliders follow the weights
    strengths = pg.locator('[data-strengths="USSR"]')
    assert strengths.locator(".srow").count() == 2
    assert "strength" in strengths.inner_text()
    no_horizontal_overflow(pg)
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"explorer-{pg.screen_name}.png"), full_page=True)
    assert watch.errors == []
    assert all(u.startswith(explorer) or u.startswith("data:") for u in watch.requests)


def test_explorer_shows_the_errors_of_an_invalid_case(
    page: tuple[Any, Watch], explorer: str
) -> None:
    pg, watch = page
    bad = (
        template_text()
        .replace("kind: state", "kind: empire", 1)
        .replace("year: 2012", "year: soon")
    )
    with pytest.raises(InputError) as exc:
        parse(bad, "broken.yaml")
    expected = [str(p).lstrip(": ") for p in exc.value.problems]
    pg.goto(explorer)
    ready_after(pg, None)
    pg.set_input_files(
        "#case-file",
        files=[{"name": "broken.yaml", "mimeType": "text/yaml", "buffer": bad.encode()}],
    )
    pg.wait_for_selector("#problems:not([hidden])")
    shown = pg.locator("#problem-list li").all_inner_texts()
    assert shown == expected
    ARTIFACTS.mkdir(exist_ok=True)
    no_horizontal_overflow(pg)
    pg.screenshot(path=str(ARTIFACTS / f"explorer-invalid-case-{pg.screen_name}.png"))
    # a valid file opened the same way replaces the case and clears the errors
    pg.set_input_files(
        "#case-file",
        files=[{"name": "good.yaml", "mimeType": "text/yaml", "buffer": template_text().encode()}],
    )
    pg.wait_for_selector("#problems[hidden]", state="attached")
    ready_after(pg, None)
    assert watch.errors == []
