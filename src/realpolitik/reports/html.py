"""The report: one self-contained HTML file of a case and its analyses, plus its figures.

`write_report` fits, simulates and asks what it must (or takes what `realpolitik run` has
already computed through `ReportInputs`), draws the figures (`realpolitik.reports.figures`),
and writes `OUT/report.html` and `OUT/figures/*.png|svg`, each atomically. The page works
offline: figures are inline SVG, the style sheet and the small tooltip script are inline, and
a Content-Security-Policy forbids any request. Every section shows the exact `realpolitik`
command (with its seed) that reproduces its numbers; every piece of text from the case file
is escaped.
"""

from __future__ import annotations

import html
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.export import atomic_write
from realpolitik.scenario.loader import LoadedCase, load
from realpolitik.scenario.schema import Case
from realpolitik.scenario.timeline import format_date, timeline

REPORT_NAME = "report.html"
FIGURES_DIR = "figures"
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


class _Missing:
    """Marks a result the caller did not supply (None means: supplied as absent, skip it)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass
class ReportInputs:
    """Results already computed by the caller. Leave a field unset to have the report compute
    it; set it to None to leave that part out (e.g. a Bayesian fit that was not run)."""

    fit: Any = MISSING  # FitResults (maximum likelihood)
    bayes: Any = MISSING  # FitResults (hierarchical Bayes)
    fidelity: Any = MISSING  # DataFrame from simulation.api.fidelity
    counterfactual: Any = MISSING  # DataFrame from simulation.api.counterfactual
    sensitivity: Any = MISSING  # SensitivityResult
    alliances: Any = MISSING  # AllianceFit
    alliance_edges: Any = MISSING  # {era label: edges frame}
    alliance_regimes: Any = MISSING  # {"networks": decade_networks(), "distance": frame}
    cross_case: Any = MISSING  # CrossCaseFit (estimation/crosscase.py), built-in cases only
    headline_actor: str | None = None
    notes: list[str] = field(default_factory=list)


def given(value: Any) -> bool:
    return value is not MISSING and value is not None


# ---- small HTML helpers -------------------------------------------------------------------------


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any, spec: str = "{:.3f}") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return spec.format(float(value))
    return str(value)


def table(
    frame: pd.DataFrame, formats: dict[str, str] | None = None, html_cols: Sequence[str] = ()
) -> str:
    """An HTML table of a frame; every cell escaped except the columns in `html_cols`, which
    the caller has built from escaped parts."""
    formats = formats or {}
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in frame.columns)
    rows = []
    for _, r in frame.iterrows():
        cells = []
        for c in frame.columns:
            v = r[c]
            if c in html_cols:
                cells.append(f"<td>{v}</td>")
            elif isinstance(v, float | int | np.floating | np.integer) and not isinstance(v, bool):
                cells.append(f'<td class="num">{esc(fmt(v, formats.get(c, "{:.3f}")))}</td>')
            else:
                text = fmt(v)
                nowrap = ' class="nw"' if len(text) <= 24 else ""
                cells.append(f"<td{nowrap}>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def command(*parts: Any) -> str:
    return '<pre class="cmd">' + esc(" ".join(shlex.quote(str(p)) for p in parts)) + "</pre>"


def motive_badge(motive: str) -> str:
    return f'<span class="motive {esc(motive.replace(" ", "-"))}">{esc(motive)}</span>'


def asset(name: str) -> str:
    return (resources.files("realpolitik") / "reports" / "assets" / name).read_text(
        encoding="utf-8"
    )


_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: str, prefix: str, tips: dict[str, str], label: str) -> str:
    """Matplotlib's SVG made fit to sit inside HTML: no XML prolog or metadata, ids prefixed
    so that several figures can share a page, responsive size, and hover texts attached."""
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    ids = set(_ID.findall(svg))
    if ids:
        pattern = re.compile(
            r'(id="|url\(#|href="#)('
            + "|".join(map(re.escape, sorted(ids, key=len, reverse=True)))
            + r')(?=["\)])'
        )
        svg = pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    m = re.search(r"<svg\b[^>]*>", svg)
    if m:
        root = m.group(0)
        width = re.search(r'\bwidth="([\d.]+)pt"', root)
        new = re.sub(r'\s(width|height)="[^"]*"', "", root)
        style = f' style="max-width:{width.group(1)}pt"' if width else ""
        new = new[:-1] + f' role="img" aria-label="{esc(label)}"{style}>'
        svg = svg.replace(root, new, 1)
    for gid, text in tips.items():
        svg = svg.replace(
            f'<g id="{prefix}-{gid}"',
            f'<g id="{prefix}-{gid}" class="tip" tabindex="0" data-tip="{esc(text)}"',
            1,
        )
    return svg.strip()


# ---- computing what is missing ------------------------------------------------------------------


@dataclass
class _Run:
    case_arg: str
    out: str
    n: int
    seed: int
    sensitivity_samples: int
    sensitivity_draws: int
    data_dir: str | None
    say: Callable[[str], None]
    bayes: bool = True
    headline_actor: str | None = None
    store: Any = None
    pooled: bool | None = None  # the cross-case pooled fit: True computes it, None: stored only


def _case_arg(case_ref: Any, loaded: LoadedCase | None) -> str:
    if isinstance(case_ref, str | Path):
        return str(case_ref)
    if loaded is not None:
        return loaded.origin
    return "CASE.yaml"


def _resolve_case(case_ref: Any) -> tuple[Case, LoadedCase | None]:
    from realpolitik.model.compiled import Compiled

    if isinstance(case_ref, LoadedCase):
        return case_ref.case, case_ref
    if isinstance(case_ref, Case):
        return case_ref, None
    if isinstance(case_ref, Compiled):
        return case_ref.case, None
    loaded = load(case_ref)
    return loaded.case, loaded


def headline(comp: Any, wanted: str | None) -> str | None:
    """The actor of the headline what-if: `wanted` if the case has it, else the actor with the
    most recorded decisions."""
    if wanted and wanted in comp.actor_ids:
        return wanted
    counts: dict[str, int] = {}
    for d in comp.case.decisions:
        counts[d.actor] = counts.get(d.actor, 0) + 1
    return max(counts, key=lambda a: counts[a]) if counts else None


def complete(
    inputs: ReportInputs,
    comp: Any,
    run: _Run,
    include_bayes: bool,
    alliances: bool | None,
    headline_actor: str | None,
) -> ReportInputs:
    """Compute every result the caller left MISSING."""
    from realpolitik.errors import ConvergenceError, InputError
    from realpolitik.estimation import stored
    from realpolitik.simulation import api as sim

    out = ReportInputs(**{k: getattr(inputs, k) for k in inputs.__dataclass_fields__})
    out.notes = list(inputs.notes)
    if isinstance(out.counterfactual, sim.SimulationResult):  # from counterfactual()
        out.counterfactual = out.counterfactual.compare()  # (a DataFrame has .compare too)
    if out.fit is MISSING:
        run.say("fitting the weights (maximum likelihood; from the run store when kept)")
        out.fit, _ = stored.ml_fit(comp, run.seed, run.store)
    if out.bayes is MISSING:
        out.bayes = None
        if include_bayes:
            run.say("fitting the hierarchical Bayesian model (from the run store when kept)")
            try:
                out.bayes = stored.bayes_fit(comp, run.seed, run.store)
            except ConvergenceError as exc:
                out.notes.append(f"Hierarchical Bayes not shown: {exc}")
    if out.fidelity is MISSING:
        run.say("scoring the fitted model against the record")
        out.fidelity = sim.fidelity(comp, n=run.n, seed=run.seed, store=run.store)
    out.headline_actor = out.headline_actor or headline(comp, headline_actor)
    if out.counterfactual is MISSING:
        out.counterfactual = None
        if out.headline_actor:
            run.say(f"simulating the headline what-if (ideological {out.headline_actor})")
            weights = sim.fitted_weights(comp, store=run.store)
            world = sim.ideological(comp, out.headline_actor, weights)
            out.counterfactual = sim.counterfactual(
                comp, world, n=run.n, seed=run.seed, store=run.store
            ).compare()
    elif given(out.counterfactual) and not inputs.headline_actor:
        name = str(out.counterfactual.attrs.get("world", ""))
        if name.startswith("ideological "):
            out.headline_actor = name.removeprefix("ideological ")
    if out.sensitivity is MISSING:
        out.sensitivity = None
        if run.sensitivity_samples > 0:
            from realpolitik.simulation.sensitivity import sensitivity

            run.say(f"Sobol sensitivity ({run.sensitivity_samples} base samples)")
            try:
                out.sensitivity = sensitivity(
                    comp,
                    base_samples=run.sensitivity_samples,
                    draws=run.sensitivity_draws,
                    seed=run.seed,
                    store=run.store,
                )
            except InputError as exc:
                out.notes.append(f"Sensitivity analysis not shown: {exc}")
    if out.alliances is MISSING or out.alliance_edges is MISSING or out.alliance_regimes is MISSING:
        _alliances(out, run, alliances)
    if out.cross_case is MISSING:
        out.cross_case = None
        if cross_case_applies(comp):
            from realpolitik.estimation.crosscase import cross_case

            run.say("one actor across the built-in cases")
            out.cross_case = cross_case(seed=run.seed, pooled=run.pooled, store=run.store)
    return out


def cross_case_applies(comp: Any) -> bool:
    """The cross-case section belongs to the reports of the built-in cases it pools (the
    case as packaged, not an edited copy under the same id)."""
    from realpolitik.estimation.crosscase import CASES
    from realpolitik.simulation.chunked import case_hash

    if comp.case.id not in CASES:
        return False
    from realpolitik.estimation.api import as_compiled

    return case_hash(as_compiled(comp.case.id)) == case_hash(comp)


def alliance_data_ready(data_dir: str | None) -> bool:
    try:
        from realpolitik.alliances.api import data_status

        st = data_status(data_dir)
        return bool((st["present"] | st["optional"]).all())
    except Exception:  # noqa: BLE001 (the alliance study is optional here)
        return False


def _alliances(out: ReportInputs, run: _Run, wanted: bool | None) -> None:
    if wanted is False or (wanted is None and not alliance_data_ready(run.data_dir)):
        out.alliances = None if out.alliances is MISSING else out.alliances
        out.alliance_edges = None if out.alliance_edges is MISSING else out.alliance_edges
        out.alliance_regimes = None if out.alliance_regimes is MISSING else out.alliance_regimes
        return
    try:
        from realpolitik.alliances.api import alliance_edges, fit_alliances
        from realpolitik.alliances.eras import ERAS

        if out.alliances is MISSING:
            run.say("fitting the alliance models by era")
            out.alliances = fit_alliances(data_dir=run.data_dir)
        if out.alliance_edges is MISSING:
            run.say("alliance networks by era")
            out.alliance_edges = {
                e.label: alliance_edges(e.start, e.end, data_dir=run.data_dir) for e in ERAS
            }
        if out.alliance_regimes is MISSING:
            from realpolitik.reports.alliance_regimes import decade_networks, regime_distance

            run.say("alliance networks by decade and regime distance by year")
            out.alliance_regimes = {
                "networks": decade_networks(data_dir=run.data_dir),
                "distance": regime_distance(data_dir=run.data_dir),
            }
    except Exception as exc:  # noqa: BLE001 (report what failed; the rest of the report stands)
        out.notes.append(
            f"Alliance study not shown: {str(exc).splitlines()[0] if str(exc) else exc}"
        )
        out.alliances = None if out.alliances is MISSING else out.alliances
        out.alliance_edges = None if out.alliance_edges is MISSING else out.alliance_edges
        out.alliance_regimes = None if out.alliance_regimes is MISSING else out.alliance_regimes


# ---- sections -----------------------------------------------------------------------------------


@dataclass
class Section:
    id: str
    title: str
    body: str


class _Figures:
    """The report's figures. Immediate by default: `add` saves the chart and returns its HTML.
    Deferred (as `write_report` uses it): `add` returns a placeholder, and `finish` saves every
    chart at once (in parallel processes where the platform can fork; drawing is the larger
    part of a report's time) and puts each figure's HTML in its placeholder."""

    def __init__(self, folder: Path, formats: Sequence[str] | None = None, deferred: bool = False):
        from realpolitik.reports.figures import FORMATS

        self.folder = folder
        self.formats = tuple(formats or FORMATS)
        self.deferred = deferred
        self.saved: list[Any] = []
        self.pending: list[Any] = []

    def add(self, chart: Any) -> str:
        from realpolitik.reports.figures import save_chart

        if self.deferred:
            self.pending.append(chart)
            return _placeholder(len(self.pending) - 1)
        s = save_chart(chart, self.folder, self.formats)
        self.saved.append(s)
        return _figure_html(s)

    def finish(self, page: str) -> str:
        """Save the pending charts and replace their placeholders in `page`."""
        from realpolitik.reports.figures import save_charts

        done = save_charts(self.pending, self.folder, self.formats)
        for i, s in enumerate(done):
            page = page.replace(_placeholder(i), _figure_html(s), 1)
        self.saved.extend(done)
        self.pending = []
        return page


def _placeholder(i: int) -> str:
    return f"<!--realpolitik-figure-{i}-->"


def _figure_html(s: Any) -> str:
    svg = inline_svg(s.svg_text, s.name, s.tips, s.caption)
    return (
        f'<figure id="fig-{esc(s.name)}" data-figure="{esc(s.name)}">{svg}'
        f"<figcaption>{esc(s.caption)} Files: "
        + " · ".join(
            f'<a href="{FIGURES_DIR}/{esc(s.name)}.{fmt}">{fmt.upper()}</a>' for fmt in s.files
        )
        + ".</figcaption></figure>"
    )


def _verdict_section(case: Case, res: ReportInputs, run: _Run) -> Section:
    parts = [
        '<p class="lead">Each actor\'s revealed weights on ideology and on interest, '
        "estimated from its recorded choices, and the probability that interest moved its "
        "choices more than ideology did.</p>"
    ]
    for fitres, label, cmd in (
        (res.fit, "maximum likelihood", ("--seed", run.seed)),
        (res.bayes, "hierarchical Bayes", ("--method", "bayes", "--seed", run.seed)),
    ):
        if not given(fitres):
            continue
        vf = fitres.verdict_frame()
        level = f"{100 * (1 - fitres.alpha):.0f}%"
        rows = []
        for _, r in vf.iterrows():
            row: dict[str, Any] = {
                "actor": r["actor"],
                "name": case.actor_name(r["actor"]),
                "decisions": int(r["n_decisions"]),
            }
            for t in fitres.terms:
                row[f"w {t} [{level}]"] = (
                    f"{r[f'w_{t}']:+.2f} [{r[f'w_{t}_low']:+.2f}, {r[f'w_{t}_high']:+.2f}]"
                    if np.isfinite(r[f"w_{t}"])
                    else "n/a"
                )
            for k in ("ideology", "interest"):  # the standardised strengths the verdict uses
                row[f"strength {k} [{level}]"] = (
                    f"{r[f'{k}_strength']:+.2f} [{r[f'{k}_strength_low']:+.2f}, "
                    f"{r[f'{k}_strength_high']:+.2f}]"
                    if np.isfinite(r[f"{k}_strength"])
                    else "n/a"
                )
            row["P(interest outweighs)"] = r["p_interest_outweighs"]
            row["verdict"] = r["verdict"]
            if r.get("failed_checks"):
                row["verdict"] += f" (checks that disagree: {r['failed_checks']})"
            rows.append(row)
        parts.append(f"<h3>{esc(label)}</h3>")
        parts.append(table(pd.DataFrame(rows), {"P(interest outweighs)": "{:.2f}"}))
        if getattr(fitres, "family", None):
            parts.append(
                f'<p class="note">Actors tested: {fitres.family["actors_tested"]}; the Vuong and '
                "Clarke p-values behind each verdict are Holm-adjusted across them. Checks not "
                "run: "
                + esc(", ".join(sorted(set(vf["checks_not_run"]) - {""})) or "none")
                + ".</p>"
            )
        parts.append(command("realpolitik", "fit", run.case_arg, *cmd))
        for w in fitres.warnings:
            parts.append(f'<p class="warn">{esc(w)}</p>')
    if not given(res.bayes):
        parts.append(
            '<p class="note">The hierarchical Bayesian fit is not in this report; '
            "run it with:</p>"
            + command("realpolitik", "fit", run.case_arg, "--method", "bayes", "--seed", run.seed)
        )
    return Section("verdict", "The verdict tables behind the findings", "".join(parts))


def _timeline_section(case: Case, res: ReportInputs, figs: _Figures, run: _Run) -> Section:
    from realpolitik.reports.figures import timeline_chart

    dec = res.fit.decomposition() if given(res.fit) else None
    motives = dict(zip(dec["decision"], dec["motive"], strict=True)) if dec is not None else {}
    rows = []
    d_no = e_no = 0
    for r in timeline(case):
        if r["kind"] == "decision":
            d_no += 1
            no = str(d_no)
            what = f"<strong>{esc(r['title'])}</strong><br>chose: {esc(r['chosen'])}" + (
                f'<br><span class="note">rejected: {esc("; ".join(r["alternatives"]))}</span>'
                if r["alternatives"]
                else ""
            )
            motive = motive_badge(motives.get(r["id"], "not fitted"))
        else:
            e_no += 1
            no = f"E{e_no}"
            what = f"<em>event:</em> {esc(r['title'])}"
            motive = ""
        if r.get("note"):
            what += f'<br><span class="note">{esc(r["note"])}</span>'
        rows.append(
            {
                "no.": no,
                "date": format_date(r),
                "actor": r["actor_name"],
                "what": what,
                "motive": motive,
                "cited": "; ".join(r["cite"]),
            }
        )
    frame = pd.DataFrame(rows, columns=["no.", "date", "actor", "what", "motive", "cited"])
    body = (
        '<p class="lead">Every decision and event of the case in order, with the sources '
        "it is cited to. A decision's colour is the motive that accounts for most of the "
        "chosen option's lead over the best rejected one under the fitted weights.</p>"
        + figs.add(timeline_chart(case, dec))
        + table(frame, html_cols=("what", "motive"))
        + command("realpolitik", "case", "show", run.case_arg)
        + command("realpolitik", "fit", run.case_arg, "--seed", run.seed)
    )
    return Section("timeline", "Cited timeline", body)


def _weights_section(res: ReportInputs, figs: _Figures, run: _Run) -> Section | None:
    from realpolitik.reports.figures import weights_chart

    if not given(res.fit) and not given(res.bayes):
        return None
    parts = [
        '<p class="lead">How sure the record makes us of each weight: the sampling '
        "distribution of the maximum-likelihood estimate and, where fitted, the posterior "
        "of the hierarchical model.</p>",
        figs.add(
            weights_chart(
                res.fit if given(res.fit) else None, res.bayes if given(res.bayes) else None
            )
        ),
    ]
    for fitres, cmd in ((res.fit, ()), (res.bayes, ("--method", "bayes"))):
        if not given(fitres):
            continue
        f = fitres.to_frame()
        cols = [
            c
            for c in (
                "method",
                "actor",
                "term",
                "estimate",
                "std_error",
                "conf_low",
                "conf_high",
                "status",
                "rhat",
                "ess",
            )
            if c in f
        ]
        parts.append(table(f[cols]))
        parts.append(command("realpolitik", "fit", run.case_arg, *cmd, "--seed", run.seed))
    if given(res.fit) and res.fit.comparison is not None:
        parts.append("<h3>Model comparison: ideology-only, interest-only and full</h3>")
        parts.append(table(res.fit.comparison))
        parts.append(command("realpolitik", "fit", run.case_arg, "--seed", run.seed))
    return Section("weights", "Weights", "".join(parts))


def _decomposition_section(
    case: Case, res: ReportInputs, figs: _Figures, run: _Run
) -> Section | None:
    from realpolitik.reports.figures import decision_numbers, decomposition_chart

    if not given(res.fit):
        return None
    dec = res.fit.decomposition()
    numbers = decision_numbers(case)
    from realpolitik.reports.names import decision_label, option_label

    shown = dec.assign(no=dec["decision"].map(numbers)).sort_values("no", kind="stable")
    shown = shown.assign(
        chosen=[
            option_label(case, d, o)
            for d, o in zip(shown["decision"], shown["chosen"], strict=True)
        ],
        best_rejected=[
            option_label(case, d, o)
            for d, o in zip(shown["decision"], shown["best_rejected"], strict=True)
        ],
        decision=[decision_label(case, d) for d in shown["decision"]],
    )
    shown = shown.assign(motive=[motive_badge(m) for m in shown["motive"]])
    cols = [
        "no",
        "decision",
        "actor",
        "chosen",
        "best_rejected",
        "gap",
        "ideology_part",
        "interest_part",
        "motive",
    ]
    body = (
        '<p class="lead">For each decision, the fitted utility of the chosen option minus '
        "that of the best option it rejected, split into the part ideology accounts for and "
        "the part interest accounts for.</p>"
        + figs.add(decomposition_chart(dec, numbers, case))
        + table(shown[cols], {"no": "{:.0f}"}, html_cols=("motive",))
        + '<p class="note">From the maximum-likelihood weights of the command below; in '
        "Python: <code>fit(CASE, seed=SEED).decomposition()</code>.</p>"
        + command("realpolitik", "fit", run.case_arg, "--seed", run.seed)
    )
    return Section("decomposition", "What each choice owed to ideology and interest", body)


def _fidelity_section(res: ReportInputs, run: _Run) -> Section | None:
    if not given(res.fidelity):
        return None
    body = (
        '<p class="lead">How well three agents fitted to the record replay it: the full '
        "model, an ideology-only agent and an interest-only agent (log-probability of the "
        "recorded path, mean per-decision match rate in simulation, and the share of "
        f"simulated paths reproducing each observed outcome; {run.n:,} paths, seed "
        f"{run.seed}).</p>"
        + table(res.fidelity, {"record_logp": "{:.2f}"})
        + command(
            "realpolitik",
            "run",
            run.case_arg,
            "-n",
            run.n,
            "--seed",
            run.seed,
            "--no-bayes",
            "--no-report",
        )
    )
    return Section("fidelity", "Fidelity to the record", body)


def _counterfactual_section(
    case: Case, res: ReportInputs, figs: _Figures, run: _Run
) -> Section | None:
    from realpolitik.reports.figures import counterfactual_chart

    if not given(res.counterfactual):
        return None
    cf = res.counterfactual
    world = str(cf.attrs.get("world", "counterfactual"))
    n = int(cf["n"].iloc[0]) if "n" in cf and len(cf) else run.n
    cols = [
        c
        for c in (
            "outcome",
            "label",
            "observed",
            "baseline",
            "counterfactual",
            "difference",
            "mc_se",
            "beyond_mc_error",
        )
        if c in cf
    ]
    parts = [
        f'<p class="lead">The headline what-if, <strong>{esc(world)}</strong>: the actor '
        "weighs ideology as strongly as it was found to weigh interest, and interest not at "
        f"all. Outcome probabilities against the baseline, same seed, {n:,} paths each, with "
        "Monte Carlo error.</p>",
        figs.add(counterfactual_chart(cf, world)),
        table(
            cf[cols],
            {
                "baseline": "{:.4f}",
                "counterfactual": "{:.4f}",
                "difference": "{:+.4f}",
                "mc_se": "{:.4f}",
            },
        ),
    ]
    choices = cf.attrs.get("choices")
    if isinstance(choices, pd.DataFrame) and not choices.empty:
        from realpolitik.reports.names import decision_label, option_label

        ch = choices.assign(
            change=choices["counterfactual"] - choices["baseline"],
            option=[
                option_label(case, d, o)
                for d, o in zip(choices["decision"], choices["option"], strict=True)
            ],
            decision=[decision_label(case, d) for d in choices["decision"]],
        )
        parts.append("<h3>How the choices shift</h3>")
        parts.append(
            table(ch, {"baseline": "{:.4f}", "counterfactual": "{:.4f}", "change": "{:+.4f}"})
        )
    if res.headline_actor:
        parts.append(
            command(
                "realpolitik",
                "counterfactual",
                run.case_arg,
                "--ideological",
                res.headline_actor,
                "-n",
                n,
                "--seed",
                run.seed,
            )
        )
    return Section("counterfactual", "Counterfactual: what if ideology had ruled?", "".join(parts))


def _sensitivity_section(
    case: Case, res: ReportInputs, figs: _Figures, run: _Run
) -> Section | None:
    from realpolitik.reports.figures import sensitivity_chart

    sa = res.sensitivity
    if not given(sa):
        return None
    parts = [
        f'<p class="lead">Which judgment calls the conclusions rest on: Sobol indices of '
        f"each verdict and outcome over every declared assumption's range "
        f"({sa.n_evaluations:,} assumption settings × {sa.draws} paths, seed {sa.seed}).</p>"
    ]
    if not sa.indices.empty:
        parts.append(figs.add(sensitivity_chart(sa.indices, case=case)))
    from realpolitik.reports.names import assumption_label

    m = sa.matters()
    if not m.empty:
        m = m.assign(label=[assumption_label(case, a) for a in m["assumption"]])
        m = m[["label", "assumption", *[c for c in m.columns if c not in ("label", "assumption")]]]
    parts.append("<h3>Assumptions that matter (total-order index ≥ 0.05)</h3>")
    parts.append(table(m) if not m.empty else "<p>None reaches 0.05 for any output.</p>")
    parts.append("<h3>Share of the assumption space where interest outweighs ideology</h3>")
    parts.append(table(sa.verdict_share))
    parts += [f'<p class="note">{esc(n)}</p>' for n in sa.notes]
    parts.append(
        command(
            "realpolitik",
            "sensitivity",
            run.case_arg,
            "--samples",
            sa.base_samples,
            "--draws",
            sa.draws,
            "--seed",
            sa.seed,
        )
    )
    return Section("sensitivity", "Sensitivity to the assumptions", "".join(parts))


def _alliance_section(res: ReportInputs, figs: _Figures, run: _Run) -> Section:
    from realpolitik.reports.figures import alliance_coef_chart, alliance_network_chart

    data = ("--data-dir", run.data_dir) if run.data_dir else ()
    if not given(res.alliances) and not given(res.alliance_edges):
        body = (
            '<p class="lead">The large-N study of every alliance since 1816 is not in this '
            "report: its datasets are not in the data directory. Import the peacesciencer "
            "files once, then write the report again:</p>"
            + command("realpolitik", "data", "import", "DIR", *data)
            + command("realpolitik", "data", "list", *data)
        )
        return Section("alliances", "Alliances since 1816", body)
    parts = [
        '<p class="lead">Does ideology or interest predict which states ally, era by '
        "era? Dyad-year logit of alliance formation (any new ATOP obligation) with errors "
        "clustered by dyad and year; networks of the alliances in force in each era.</p>"
    ]
    if given(res.alliance_regimes):
        from realpolitik.reports.alliance_regimes import (
            distance_chart,
            network_chart,
            regime_summary,
        )

        parts.append("<h3>Do allies share regimes?</h3>")
        lines = regime_summary(res.alliance_regimes["distance"])
        parts.append(
            '<ul class="findings">' + "".join(f"<li>{esc(t)}</li>" for t in lines) + "</ul>"
        )
        parts.append(figs.add(distance_chart(res.alliance_regimes["distance"])))
        parts.append(figs.add(network_chart(res.alliance_regimes["networks"])))
    elif given(res.alliance_edges):
        parts.append(figs.add(alliance_network_chart(res.alliance_edges)))
    if given(res.alliance_edges):
        counts = pd.DataFrame(
            [
                {
                    "era": e,
                    "allied pairs": len(f),
                    "with defence pledge": int(f["defence"].sum()) if len(f) else 0,
                    "states": len(set(f["ccode1"]) | set(f["ccode2"])),
                }
                for e, f in res.alliance_edges.items()
            ]
        )
        parts.append(table(counts))
        parts.append(
            '<p class="note">Edges per era, in Python: '
            "<code>alliance_edges(START, END)</code>; the same dyad-years as:</p>"
        )
        parts.append(
            command(
                "realpolitik",
                "alliances",
                "build",
                "--from",
                "1816",
                "--to",
                "2018",
                "--out",
                "panel.parquet",
                *data,
            )
        )
    if given(res.alliances):
        frame = res.alliances.to_frame()
        parts.append(figs.add(alliance_coef_chart(frame)))
        vf = res.alliances.verdict_frame()
        cols = [
            c
            for c in (
                "era",
                "years",
                "n_obs",
                "n_events",
                "events_dropped",
                "ideology_strength",
                "interest_strength",
                "p_interest_outweighs",
                "verdict",
            )
            if c in vf
        ]
        parts.append(
            table(
                vf[cols],
                {
                    "ideology_strength": "{:+.3f}",
                    "interest_strength": "{:+.3f}",
                    "p_interest_outweighs": "{:.2f}",
                },
            )
        )
        parts.append(
            '<p class="note">Same quantity and rule as the case verdict: a block\'s strength '
            "is the spread of the part of the model's score it contributes, signed by its "
            "direction, and P(interest stronger) of at least 0.9 (at most 0.1) decides. What "
            "differs: the case measures that spread across the options one actor faced in each "
            "decision; here it is the spread of the block's linear-predictor contribution across "
            "dyad-years, with contiguity and major power as controls, and the verdict stands only "
            "when the other regime measures, the other onset definition and the rare-events "
            "correction agree (docs/alliances.md).</p>"
        )
        outcome = str(frame["outcome"].iloc[0]) if "outcome" in frame and len(frame) else "onset"
        parts.append(command("realpolitik", "alliances", "fit", "--outcome", outcome, *data))
    return Section("alliances", "Alliances since 1816", "".join(parts))


def _assumptions_section(case: Case, run: _Run) -> Section:
    from realpolitik.reports.names import assumption_label

    rows = [
        {
            "assumption": assumption_label(case, a.id),
            "id": a.id,
            "value": a.value,
            "range": f"[{a.range[0]}, {a.range[1]}]",
            "unit": a.unit or "",
            "rationale": a.rationale,
            "cited": "; ".join(case.cite_labels(a.cite)),
        }
        for a in case.assumptions
    ]
    body = (
        '<p class="lead">Every number in the case that is a judgment rather than a cited '
        "fact, with the range the sensitivity analysis varies it over.</p>"
        + (table(pd.DataFrame(rows), {"value": "{:g}"}) if rows else "<p>None.</p>")
        + command("realpolitik", "case", "show", run.case_arg)
    )
    return Section("assumptions", "Assumptions", body)


def _sources_section(case: Case) -> Section:
    uses: dict[str, int] = {}
    cites = [c for d in case.decisions for c in d.cite] + [c for e in case.events for c in e.cite]
    cites += [c for a in case.actors for c in a.cite] + [c for o in case.outcomes for c in o.cite]
    cites += [c for a in case.actors for p in a.ideology for c in p.cite]
    for c in cites:
        uses[c.source] = uses.get(c.source, 0) + 1
    items = []
    for s in case.sources:
        items.append(
            f'<li id="src-{esc(s.id)}"><strong>{esc(s.author)}</strong> ({esc(s.year)}).'
            f' <em>{esc(s.title)}</em>. {esc(s.venue)}. <span class="note">[{esc(s.id)};'
            f" cited {uses.get(s.id, 0)} times in this case]</span></li>"
        )
    body = (
        '<p class="lead">The sources the case is built from. Citations in the timeline '
        "name the source, the section heading and the footnote.</p>"
        f'<ol class="sources">{"".join(items)}</ol>'
    )
    return Section("sources", "Sources", body)


# ---- the page -----------------------------------------------------------------------------------


def _version() -> str:
    try:
        return metadata.version("realpolitik")
    except metadata.PackageNotFoundError:
        return "unknown"


def report_command(run: _Run) -> list[Any]:
    parts: list[Any] = [
        "realpolitik",
        "report",
        run.case_arg,
        "--out",
        run.out,
        "--seed",
        run.seed,
        "-n",
        run.n,
        "--sensitivity-samples",
        run.sensitivity_samples,
    ]
    if run.sensitivity_samples and run.sensitivity_draws != 32:
        parts += ["--sensitivity-draws", run.sensitivity_draws]
    if not run.bayes:
        parts.append("--no-bayes")
    if run.pooled is not None:
        parts.append("--pooled" if run.pooled else "--no-pooled")
    if run.headline_actor and run.headline_actor != "USSR":
        parts += ["--headline-actor", run.headline_actor]
    if run.data_dir:
        parts += ["--data-dir", run.data_dir]
    return parts


def render(
    case: Case, loaded: LoadedCase | None, sections: list[Section], run: _Run, notes: list[str]
) -> str:
    nav = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{esc(s.id)}"><h2>{esc(s.title)}</h2>{s.body}</section>' for s in sections
    )
    digest = f" · case file SHA-256 <code>{esc(loaded.digest[:16])}</code>" if loaded else ""
    origin = f" · from <code>{esc(loaded.origin)}</code>" if loaded else ""
    warn = "".join(f'<p class="warn">{esc(n)}</p>' for n in notes)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<meta name="generator" content="realpolitik {esc(_version())}">
<title>{esc(case.title)} · realpolitik report</title>
<style>{asset("report.css")}</style>
</head>
<body>
<header class="top">
<h1>{esc(case.title)}</h1>
<p>{esc(case.summary)}</p>
<p class="meta">Case <code>{esc(case.id)}</code>{origin}{digest} · {esc(case.span.start)} to
{esc(case.span.end)} · realpolitik {esc(_version())} · seed {run.seed} · {run.n:,} simulated paths
per world. Reproduce this report:</p>
{command(*report_command(run))}
</header>
<nav class="toc" aria-label="sections">{nav}</nav>
<main>
{warn}
{body}
</main>
<footer>Written by realpolitik {esc(_version())}. Hover over (or tab to) a mark in a figure for its
numbers. This page makes no network requests; the figures are also in <code>{FIGURES_DIR}/</code>
as PNG and SVG.</footer>
<script>{asset("report.js")}</script>
</body>
</html>
"""


def write_report(
    case_ref: Any,
    out_dir: str | Path,
    *,
    n: int = 10_000,
    seed: int = 0,
    sensitivity_samples: int = 64,
    sensitivity_draws: int = 32,
    include_bayes: bool = True,
    alliances: bool | None = None,
    data_dir: str | Path | None = None,
    headline_actor: str | None = "USSR",
    inputs: ReportInputs | None = None,
    progress: bool = False,
    store: Any = None,
    figure_formats: Sequence[str] | None = None,
    pooled: bool | None = None,
) -> Path:
    """Write OUT_DIR/report.html (self-contained) and OUT_DIR/figures/*.png|svg; return the
    HTML's path.

    case_ref: a built-in case name, a scenario file path, a `Case` or a `LoadedCase`.
    Results in `inputs` are used as given; the others are computed with `n` paths and `seed`.
    `sensitivity_samples=0` leaves out the Sobol analysis; `alliances=None` includes the
    alliance study when its data directory holds every dataset (False: never, True: always).
    `figure_formats` picks the files written per figure (default SVG, PDF and PNG; the SVG is
    always written, the page inlines it); `store` is the run store for the simulations.
    `pooled`: the cross-case section's pooled fit (built-in cases only): None shows it when the
    run store holds it, True computes it when it does not (minutes), False leaves it out.
    """
    from realpolitik.errors import InputError
    from realpolitik.estimation.api import as_compiled
    from realpolitik.reports.cross_case_section import cross_case_section
    from realpolitik.reports.evaluation_section import evaluation_section

    if n < 1:
        raise InputError(f"-n: expected a positive number of paths, got {n}")
    if sensitivity_samples and (
        sensitivity_samples < 2 or sensitivity_samples & (sensitivity_samples - 1)
    ):
        raise InputError(
            f"--sensitivity-samples: expected 0 or a power of two, got {sensitivity_samples}"
        )
    case, loaded = _resolve_case(case_ref)
    comp = as_compiled(case)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: --out: is a file; expected a folder for the report")
    try:  # fail before the long computation, not after it
        (out / FIGURES_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"{out}: --out: cannot create the report folder ({exc.strerror or exc})"
        ) from None

    def say(msg: str) -> None:
        if progress:
            print(f"report: {msg}", file=sys.stderr, flush=True)

    run = _Run(
        _case_arg(case_ref, loaded),
        str(out_dir),
        n,
        seed,
        sensitivity_samples,
        sensitivity_draws,
        str(data_dir) if data_dir else None,
        say,
        store=store,
        pooled=pooled,
    )
    res = complete(inputs or ReportInputs(), comp, run, include_bayes, alliances, headline_actor)
    run.bayes = given(res.bayes) or (include_bayes and (inputs is None or inputs.bayes is MISSING))
    run.headline_actor = res.headline_actor
    say("drawing the figures")
    figs = _Figures(out / FIGURES_DIR, figure_formats, deferred=True)
    from realpolitik.reports.findings import findings_section
    from realpolitik.reports.limitations import limitations_section

    sections = [
        findings_section(case, res, figs, run),
        limitations_section(case, res, run),
        _verdict_section(case, res, run),
        _timeline_section(case, res, figs, run),
        _weights_section(res, figs, run),
        _decomposition_section(case, res, figs, run),
        _fidelity_section(res, run),
        evaluation_section(comp, figs, run),
        _counterfactual_section(case, res, figs, run),
        _sensitivity_section(case, res, figs, run),
        _alliance_section(res, figs, run),
        cross_case_section(res.cross_case, figs, run),
        _assumptions_section(case, run),
        _sources_section(case),
    ]
    page = render(case, loaded, [s for s in sections if s is not None], run, res.notes)
    say(f"saving {len(figs.pending)} figures")
    page = figs.finish(page)
    path = atomic_write(out / REPORT_NAME, lambda p: p.write_text(page, encoding="utf-8"))
    say(f"wrote {path} and {len(figs.saved)} figures in {out / FIGURES_DIR}")
    return path


__all__ = ["MISSING", "ReportInputs", "write_report", "inline_svg", "esc"]
