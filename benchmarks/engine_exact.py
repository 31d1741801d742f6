"""Same seed, same numbers: does the engine on the path give exactly what a reference tree gave?

An optimisation of `realpolitik.simulation.engine` must not change a single choice, outcome or
probability. This script runs the engine on every built-in case (and the template) in the ways
the toolkit calls it, and either saves everything it returns or compares it, bit for bit, with
what was saved:

    # the reference: the source tree before the change (e.g. `git archive REV src | tar -x`)
    PYTHONPATH=REF/src python benchmarks/engine_exact.py --save ref.npz
    # the tree being changed
    PYTHONPATH=src python benchmarks/engine_exact.py --check ref.npz

Runs, for each case with its balance rule and without it (the benchmark's simplified model):
a chunk of paths sharing one parameter row (with and without diagnostics), paths with one
parameter row each drawn inside the declared ranges (common uniforms, as a sensitivity analysis
calls it), record mode with features, and a forced world (one decision forced, one event
removed, one moved). Weights are fixed pseudo-random feature weights, a moderate and a large
scale (the large one makes some logit gaps overflow the reference option's exponential).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np


def cases() -> list[tuple[str, Any]]:
    from realpolitik.model.compiled import compile_case
    from realpolitik.scenario.loader import builtin_names, load, parse, template_text

    out = []
    refs = [*builtin_names(), "template"]
    for ref in refs:
        case = parse(template_text(), "<template>") if ref == "template" else load(ref).case
        simple = case.model_copy(
            update={"arenas": [a.model_copy(update={"dynamics": None}) for a in case.arenas]}
        )
        out.append((ref, compile_case(case)))
        out.append((ref + "/simple", compile_case(simple)))
    return out


def runs(rows: int, per_row: int) -> dict[str, np.ndarray]:
    """Every run's arrays, keyed by case/scenario/field."""
    from realpolitik.simulation.engine import run

    out: dict[str, np.ndarray] = {}

    def keep(key: str, path: Any) -> None:
        out[f"{key}/choices"] = path.choices
        out[f"{key}/outcomes"] = path.outcomes
        out[f"{key}/logp"] = path.logp
        out[f"{key}/chosen_prob"] = np.asarray(path.chosen_prob)
        if path.shares is not None:
            out[f"{key}/shares"] = path.shares
        for k, f in enumerate(path.features):
            out[f"{key}/features{k}"] = f

    for name, comp in cases():
        gen = np.random.default_rng(12345)
        n_act = comp.n_actors
        theta = comp.theta(1)
        for scale in (1.0, 25.0):
            W = gen.normal(0.0, scale, size=(1, n_act, 5))
            key = f"{name}/x{scale:g}"
            for diag in (False, True):
                path = run(
                    comp,
                    theta,
                    feature_weights=W,
                    rows=rows,
                    rng=np.random.default_rng(7),
                    diagnostics=diag,
                )
                keep(f"{key}/chunk-diag{int(diag)}", path)
            # one parameter row per path inside the declared ranges, common uniforms
            lo, hi = comp.bounds[:, 0], comp.bounds[:, 1]
            th = lo + (hi - lo) * gen.random((per_row, len(lo)))
            Wr = W + gen.normal(0.0, 0.3 * scale, size=(per_row, n_act, 5))
            uni = gen.random((per_row, len(comp.decisions)))
            for diag in (False, True):
                path = run(comp, th, feature_weights=Wr, uniforms=uni, diagnostics=diag)
                keep(f"{key}/per-row-diag{int(diag)}", path)
            path = run(comp, th, feature_weights=Wr, record=True, keep_features=True)
            keep(f"{key}/record", path)
            # a forced world: the first decision with two options or more forced to its
            # second, the first event removed, the second moved half a year later
            k = next(i for i, d in enumerate(comp.decisions) if len(d.option_ids) > 1)
            skip = frozenset([comp.events[0].id]) if comp.events else frozenset()
            moved = {comp.events[1].id: comp.events[1].t + 0.5} if len(comp.events) > 1 else {}
            path = run(
                comp,
                theta,
                feature_weights=W,
                rows=rows,
                rng=np.random.default_rng(8),
                forced={k: 1},
                skip_events=skip,
                moved_events=moved,
            )
            keep(f"{key}/forced", path)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--save", metavar="FILE", help="save this tree's results")
    g.add_argument("--check", metavar="FILE", help="compare this tree's results with FILE")
    p.add_argument("--rows", type=int, default=20_000, help="paths of a shared-row chunk")
    p.add_argument("--per-row", type=int, default=64, help="paths with a parameter row each")
    a = p.parse_args(argv)
    got = runs(a.rows, a.per_row)
    if a.save:
        np.savez_compressed(a.save, **got)
        print(f"saved {len(got)} arrays to {a.save}")
        return 0
    ref = dict(np.load(a.check))
    bad = sorted(set(ref) ^ set(got))
    for key in sorted(set(ref) & set(got)):
        x, y = ref[key], got[key]
        if x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
            bad.append(key)
    for key in bad:
        print("differs:", key)
    print(f"{len(ref)} arrays compared, {len(bad)} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
