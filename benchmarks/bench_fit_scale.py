"""How `fit` scales with the number of decisions (issue 11, goal 5).

    .venv/bin/python benchmarks/bench_fit_scale.py [--sizes 1000 10000] [--quick]

Generates synthetic cases from the template (same actors, stakes and assumptions; N decisions
spread over the four actors, one a day, each between backing the GMD and backing the CCP, with
seeded choices) and times, per size, in one run:

- `case validate` (reading and validating the file: `realpolitik.scenario.loader.load`);
- `fit` as the CLI runs it by default (maximum likelihood, the model comparison with the
  approximate leave-one-decision-out score);
- the same fit without the comparison (`--no-compare`);
- for sizes up to `--exact-max` only: the comparison with exact leave-one-out refits
  (`--loo exact`), the old default, whose cost grows with the square of the decisions.

Goals on a 2-core machine: 1,000 decisions fit in < 10 s; 10,000 validate in < 20 s and fit
in < 60 s. The table prints the ratio of each time to its goal.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import inspect
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from rich.console import Console
from rich.table import Table

from realpolitik.scenario.loader import template_text

GOALS = {("validate", 10_000): 20.0, ("fit", 1_000): 10.0, ("fit", 10_000): 60.0}
ACTORS = ["USSR", "CCP", "GMD", "USA"]


def _compare(comp: Any, loo: str) -> Any:
    """The model comparison with the given leave-one-out; a branch whose compare_models has no
    `loo` option (issue 11's approximate LOO not merged yet) only has the exact one, so both
    rows then time the same thing."""
    from realpolitik.estimation.compare import compare_models

    if "loo" in inspect.signature(compare_models).parameters:
        return compare_models(comp, comp.theta(1), loo=loo)
    return compare_models(comp, comp.theta(1))


def synthetic_case(n: int, seed: int = 0) -> str:
    """The template case with `n` generated decisions (YAML text)."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = yaml.safe_load(template_text())
    start = dt.date(1945, 1, 2)
    end = start + dt.timedelta(days=n + 1)
    data["id"] = f"synthetic-{n}"
    data["span"] = {"start": dt.date(1945, 1, 1), "end": end}
    base = data["decisions"][0]
    decisions = []
    for i in range(n):
        d = copy.deepcopy(base)
        d["id"] = f"d{i}"
        d["date"] = start + dt.timedelta(days=i)
        d["actor"] = ACTORS[i % len(ACTORS)]
        d.pop("end", None)
        gmd, ccp = d["options"]
        gmd.pop("gains", None)
        gmd.pop("effects", None)
        gmd["id"], ccp["id"] = "back_gmd", "back_ccp"
        # vary the risk so that both terms vary within decisions
        if rng.random() < 0.5:
            gmd.pop("risk", None)
            gmd.pop("rival", None)
            ccp["risk"], ccp["rival"] = "high", "USA"
        else:
            ccp.pop("risk", None)
            ccp.pop("rival", None)
            gmd["risk"], gmd["rival"] = "high", "USA"
        if d["actor"] == "USA":
            for o in (gmd, ccp):
                o.pop("risk", None)
                o.pop("rival", None)
            ccp["risk"], ccp["rival"] = "high", "USSR"
        d["chosen"] = "back_gmd" if rng.random() < 0.5 else "back_ccp"
        decisions.append(d)
    data["decisions"] = decisions
    for o in data["outcomes"]:
        o["date"] = end
    return yaml.dump(data, Dumper=_Plain, sort_keys=False, allow_unicode=True)


class _Plain(yaml.SafeDumper):
    """Writes every value out in full: the reader refuses anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def measure(n: int, exact_max: int, folder: Path) -> list[dict[str, Any]]:
    from realpolitik.estimation.api import as_compiled, fit
    from realpolitik.estimation.compare import per_actor_predictions
    from realpolitik.scenario.loader import load

    path = folder / f"synthetic-{n}.yaml"
    path.write_text(synthetic_case(n), encoding="utf-8")
    rows = []
    t_validate, loaded = timed(lambda: load(str(path)))
    rows.append({"size": n, "what": "validate", "seconds": t_validate})

    def cli_fit(loo: str | None) -> Any:
        comp = as_compiled(loaded.case)
        res = fit(comp, compare=False)
        if loo is not None:
            res.comparison = _compare(comp, loo)
            per_actor_predictions(comp, comp.theta(1))
        return res

    t_fit, res = timed(lambda: cli_fit("approx"))
    rows.append({"size": n, "what": "fit", "seconds": t_fit})
    t_plain, _ = timed(lambda: cli_fit(None))
    rows.append({"size": n, "what": "fit --no-compare", "seconds": t_plain})
    if n <= exact_max:
        t_exact, _ = timed(lambda: cli_fit("exact"))
        rows.append({"size": n, "what": "fit --loo exact", "seconds": t_exact})
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    ap.add_argument(
        "--exact-max", type=int, default=1_000, help="Largest size timed with --loo exact."
    )
    ap.add_argument("--quick", action="store_true", help="Tiny sizes (a smoke test).")
    args = ap.parse_args(argv)
    sizes = [40, 120] if args.quick else args.sizes
    exact_max = 120 if args.quick else args.exact_max
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            rows += measure(n, exact_max, Path(tmp))
    table = Table(title="fit and validate against the number of decisions (seconds)")
    for col in ("decisions", "what", "seconds", "goal", "time / goal", "per 1,000 decisions"):
        table.add_column(col)
    for r in rows:
        goal = GOALS.get((r["what"], r["size"]))
        table.add_row(
            f"{r['size']:,}",
            r["what"],
            f"{r['seconds']:.2f}",
            f"< {goal:g}" if goal else "",
            f"{r['seconds'] / goal:.2f}" if goal else "",
            f"{r['seconds'] / r['size'] * 1000:.2f}",
        )
    Console(width=120).print(table)
    return rows


if __name__ == "__main__":
    main()
