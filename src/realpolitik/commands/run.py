"""`realpolitik run`: the main job on a case, end to end.

Fit the revealed weights (maximum likelihood with the model comparison, then the Bayesian
hierarchical model), score the fitted model against the record, run the headline
counterfactual (an ideological Stalin), and write the report.

Speed (benchmarks/README.md): the Bayesian fit, the longest step, runs in a second process
while this one scores the model, asks the what-if and runs the report's sensitivity analysis;
the Bayesian fit and the alliance study (era fits and networks) are kept in the run store,
keyed by what determines them (`realpolitik.cache`), so a second run reuses them; the figures
are written as SVG only unless `--png` asks for PNG files too; each model is fitted once.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
from pathlib import Path
from typing import Any

import click

from realpolitik.commands import defaults
from realpolitik.commands.common import (
    DEFAULT_CASE,
    check_headline_actor,
    console,
    paths_and_seed,
    progress_enabled,
)
from realpolitik.commands.fit import print_fit
from realpolitik.commands.output import Output, format_option
from realpolitik.commands.progress import step
from realpolitik.commands.report import pooled_option
from realpolitik.commands.simulate import print_counterfactual, store_arg, store_options
from realpolitik.estimation.stored import ml_fit


@click.command()
@click.argument("case_ref", metavar="[CASE|PATH]", default=DEFAULT_CASE)
@paths_and_seed
@click.option(
    "--headline-actor",
    default=defaults.HEADLINE_ACTOR,
    show_default=True,
    help="The actor made ideological in the headline counterfactual.",
)
@click.option(
    "--bayes/--no-bayes", default=True, show_default=True, help="Also fit the hierarchical model."
)
@click.option(
    "--out",
    "out",
    default=defaults.REPORT_FOLDER,
    show_default=True,
    help="Report folder (report.html and figures/).",
)
@click.option("--no-report", is_flag=True, help="Do not write the report.")
@store_options
@format_option
@click.option(
    "--png", is_flag=True, help="Also write the report's figures as PNG (slower; SVG always)."
)
@pooled_option
def run(
    case_ref: str,
    n: int,
    seed: int,
    headline_actor: str,
    bayes: bool,
    out: str,
    no_report: bool,
    store: str | None,
    no_store: bool,
    fmt: str,
    as_json: bool,
    png: bool,
    pooled: bool | None,
) -> None:
    """Fit, score, ask the headline what-if, and write the report."""
    from realpolitik.commands.fit import print_diagnostics
    from realpolitik.errors import ConvergenceError
    from realpolitik.estimation.api import as_compiled
    from realpolitik.reports.html import headline
    from realpolitik.simulation.api import counterfactual, fidelity, fitted_weights, ideological

    comp = as_compiled(case_ref)
    check_headline_actor(comp, headline_actor)
    progress = progress_enabled()
    o = Output(fmt, as_json)
    if o.fmt == "table":
        console.rule(f"[bold]{comp.case.title}")
    st = store_arg(store, no_store)
    with step("fitting by maximum likelihood, with the model comparison"):
        mle, predictions = ml_fit(comp, seed, st)
    if not o.is_json:
        print_fit(mle, predictions, o)
    # the Bayesian fit runs in a forked process (or comes from the store) meanwhile
    bayes_job = _Bayes(comp, seed, st) if bayes else None
    cross_job = None
    if not no_report:
        from realpolitik.reports.html import cross_case_applies

        if cross_case_applies(comp):
            cross_job = _CrossCase(seed, st, pooled)
    fid = fidelity(comp, n=n, seed=seed, store=st, progress=progress)
    cf = None
    world = None
    actor = headline(comp, headline_actor)
    if actor is not None:
        world = ideological(comp, actor, fitted_weights(comp, store=st))
        cf = counterfactual(comp, world, n=n, seed=seed, store=st, progress=progress).compare()
    inputs = None
    if not no_report:
        from realpolitik.reports.html import ReportInputs

        inputs = ReportInputs(fit=mle, fidelity=fid, counterfactual=cf)
        _report_parts(inputs, comp, n, seed, st)
    posterior = None
    if bayes_job is not None:
        try:
            with step("fitting the hierarchical Bayesian model"):
                posterior = bayes_job.result()
        except ConvergenceError as exc:
            o.note(f"[red]Bayesian fit not used:[/red] {exc}")
        else:
            vf = posterior.verdict_frame()[
                ["actor", "n_decisions", "p_interest_outweighs", "verdict"]
            ]
            if not o.is_json:
                o.table(vf, title="hierarchical Bayes: posterior P(interest outweighs ideology)")
                print_diagnostics(posterior, o)
    if inputs is not None:
        inputs.cross_case = None
        if cross_job is not None:
            with step("one actor across the built-in cases"):
                inputs.cross_case = cross_job.result()
    if not o.is_json:
        o.table(fid, title=f"fidelity to the record ({n:,} paths per agent, seed {seed})")
        if cf is not None and world is not None:
            print_counterfactual(cf, world.name, n, seed, o)
    path = None
    if inputs is not None:
        from realpolitik.reports.html import write_report

        inputs.bayes = posterior
        # SVG only unless --png (the page inlines the SVG; PNG costs more to draw)
        path = write_report(
            case_ref,
            out,
            n=n,
            seed=seed,
            inputs=inputs,
            progress=progress,
            store=st,
            figure_formats=("svg", "png") if png else ("svg",),
            pooled=pooled,
        )
        o.note(f"report: {path.resolve()}")
    if o.is_json:
        o.json(
            {
                "case": comp.case.id,
                "seed": seed,
                "n": n,
                "verdict": mle.verdict_frame().to_dict("records"),
                "bayes": posterior.verdict_frame().to_dict("records") if posterior else None,
                "fidelity": fid.to_dict("records"),
                "counterfactual": cf.to_dict("records") if cf is not None else None,
                "report": str(path.resolve()) if path is not None else None,
            }
        )


class _Forked:
    """fn(*args) in a forked process, started now (its work uses the other core while this
    process goes on); where the platform cannot fork, run here when the result is asked for."""

    def __init__(self, fn: Any, *args: Any):
        self.fn, self.args = fn, args
        self.pool = self.future = None
        if "fork" in multiprocessing.get_all_start_methods():
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            self.future = self.pool.submit(fn, *args)

    def result(self) -> Any:
        if self.future is None:
            return self.fn(*self.args)
        try:
            return self.future.result()
        finally:
            if self.pool is not None:
                self.pool.shutdown()


class _Bayes:
    """The hierarchical Bayesian fit: from the run store when this case, seed and code were
    fitted before; else in a forked process (its chains use the other core while this process
    goes on), falling back to this process where the platform cannot fork."""

    def __init__(self, comp: Any, seed: int, store: Any):
        from realpolitik.estimation.stored import stored_bayes

        self.comp, self.seed, self.store = comp, seed, store
        self.found, self.value = stored_bayes(comp, seed, store)
        self.child = None if self.found else _Forked(_fit_bayes_child, comp, seed)

    def result(self) -> Any:
        from realpolitik.cache import decode
        from realpolitik.estimation.stored import save_bayes

        if self.found:
            return self.value
        assert self.child is not None
        form, got = self.child.result()
        # the child's result refers to its own copy of the case: rebuilt around this one
        value = decode(json.loads(got), {"comp": self.comp}) if form == "json" else got
        save_bayes(self.comp, self.seed, self.store, value)
        return value


def _fit_bayes(comp: Any, seed: int) -> Any:
    from realpolitik.estimation.api import fit

    return fit(comp, method="bayes", seed=seed)


def _fit_bayes_child(comp: Any, seed: int) -> tuple[str, Any]:
    """The fit in the forked process, sent back as JSON with the case by reference (or as the
    object itself when it cannot be)."""
    from realpolitik.cache import encode

    value = _fit_bayes(comp, seed)
    try:
        return "json", json.dumps(encode(value, {id(comp): "comp"}))
    except (TypeError, ValueError):
        return "object", value


class _CrossCase:
    """The report's cross-case section (estimation/crosscase.py): the single-case fits of the
    five built-in cases and, when stored or asked for (`--pooled`), the pooled fit. What the
    run store holds is taken from it; the rest is computed in a forked process while this one
    simulates (falling back to this process where the platform cannot fork) and then stored
    by this process (one writer to the store at a time)."""

    def __init__(self, seed: int, store: Any, pooled: bool | None):
        from realpolitik.cache import lookup
        from realpolitik.estimation import crosscase as cc

        self.seed, self.store, self.pooled = seed, store, pooled
        self.comps = cc.compile_cases(cc.CASES)
        self.spec = cc.single_spec(self.comps, cc.SAME, cc.ACTORS, seed)
        found, self.single = lookup(store, "cross-case-ml", self.spec)
        self.summary = None
        if pooled is not False:
            self.summary = cc.stored_pooled(store, self.comps, cc.SAME, seed)
        self.need = (not found, pooled is True and self.summary is None)
        self.child = (
            _Forked(_cross_case_child, self.comps, seed, self.need) if any(self.need) else None
        )

    def result(self) -> Any:
        from realpolitik.cache import save
        from realpolitik.estimation import crosscase as cc

        if self.child is not None:
            single, summary = self.child.result()
            if self.need[0]:
                self.single = single
                save(self.store, "cross-case-ml", self.spec, single)
            if self.need[1]:
                self.summary = summary
                cc.save_pooled(self.store, self.comps, summary, cc.SAME)
        return cc.CrossCaseFit(
            [c.case.id for c in self.comps], list(cc.ACTORS), self.single, self.summary
        )


def _cross_case_child(comps: Any, seed: int, need: tuple[bool, bool]) -> tuple[Any, Any]:
    from realpolitik.estimation import crosscase as cc

    single = cc.single_rows(comps, cc.SAME, cc.ACTORS, seed) if need[0] else None
    summary = cc.pooled_summary(comps, cc.SAME, seed=seed) if need[1] else None
    return single, summary


def _report_parts(inputs: Any, comp: Any, n: int, seed: int, store: Any) -> None:
    """What the report would compute itself, computed here while the Bayesian fit runs: its
    sensitivity analysis (the report's default size) and the alliance study, the latter from
    the run store when the data and the alliance code are those it was computed with."""
    from realpolitik.errors import InputError
    from realpolitik.reports.html import alliance_data_ready
    from realpolitik.simulation.sensitivity import sensitivity

    try:
        inputs.sensitivity = sensitivity(
            comp,
            base_samples=REPORT_SENSITIVITY[0],
            draws=REPORT_SENSITIVITY[1],
            seed=seed,
            store=store,
        )
    except InputError:
        pass  # the report tries again and notes why it is not shown
    if not alliance_data_ready(None):
        return  # the report leaves the study out, as it would on its own
    try:
        fit_, edges, regimes = alliance_study(store)
    except Exception:  # noqa: BLE001 (the report computes it again and says what failed)
        return
    inputs.alliances, inputs.alliance_edges, inputs.alliance_regimes = fit_, edges, regimes


# the report's own defaults (reports/html.py write_report): base samples, paths per setting
REPORT_SENSITIVITY = (64, 32)


def alliance_study(store: Any, data_dir: Any = None) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The report's alliance study (the era fits, each era's alliance network, the networks
    by decade and the regime distance by year), from the run store when it holds one for the
    same data (the data directory's manifest) and the same alliance and report code; else
    computed and stored."""
    from importlib import resources

    from realpolitik.alliances.api import alliance_edges, fit_alliances
    from realpolitik.alliances.eras import ERAS
    from realpolitik.alliances.models import Spec
    from realpolitik.alliances.store import MANIFEST, resolve_data_dir
    from realpolitik.cache import cached, code_hash, file_hash
    from realpolitik.reports.alliance_regimes import decade_networks, regime_distance

    regimes_code = resources.files("realpolitik") / "reports" / "alliance_regimes.py"
    spec = {
        "data": file_hash(resolve_data_dir(data_dir) / MANIFEST),
        "eras": [e.label for e in ERAS],
        "spec": dataclasses.asdict(Spec()),  # the report fits the default specification
        "code": code_hash("alliances"),
        "regimes": file_hash(Path(str(regimes_code))),
    }

    def compute() -> tuple[Any, dict[str, Any], dict[str, Any]]:
        return (
            fit_alliances(data_dir=data_dir),
            {e.label: alliance_edges(e.start, e.end, data_dir=data_dir) for e in ERAS},
            {
                "networks": decade_networks(data_dir=data_dir),
                "distance": regime_distance(data_dir=data_dir),
            },
        )

    value, _ = cached(store, "alliance-study", spec, compute)
    return value
