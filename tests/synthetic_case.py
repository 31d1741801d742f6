"""A small valid synthetic scenario for the estimation tests (not a test module itself).

The template's actors and stakes (plus any `extra_stakes`), and `n` decisions of the USSR with
three options each whose favoured and opposed sides, stakes (each gained with probability
`gain_p`) and risks are drawn at random from `seed`, so that ideology and interest vary
independently. The option chosen in decision k is `chosen[k]`, or, when `chosen` is None, drawn
at random (uniformly, from the same generator, after that decision's options)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import yaml

from realpolitik.scenario.loader import parse, template_text
from realpolitik.scenario.schema import Case

CITE = [{"source": "zhang2012", "section": "Soviet Union-GMD", "note": 23}]
SIDES = ["CCP", "GMD", "USA"]


def synthetic_case(
    n: int,
    seed: int,
    *,
    gain_p: float,
    chosen: Sequence[int] | None = None,
    extra_stakes: Sequence[dict[str, Any]] = (),
    extra_decisions: Sequence[dict[str, Any]] = (),
    periods: list[dict[str, Any]] | None = None,
) -> Case:
    rng = np.random.default_rng(seed)
    doc = yaml.safe_load(template_text())
    doc["id"] = "synthetic"
    doc["stakes"] += list(extra_stakes)
    stakes = [s["id"] for s in doc["stakes"]]
    decisions = []
    for k in range(n):
        options = [_option(j, rng, stakes, gain_p) for j in range(3)]
        decisions.append(
            {
                "id": f"d{k:03d}",
                "date": dt.date(1945, 1, 2) + dt.timedelta(days=5 * k),
                "actor": "USSR",
                "question": "which side to back",
                "options": options,
                "chosen": f"o{int(rng.integers(3)) if chosen is None else chosen[k]}",
                "cite": CITE,
            }
        )
    doc["decisions"] = decisions + list(extra_decisions)
    doc["outcomes"] = []
    if periods is not None:
        doc["periods"] = periods
    # the same `cite` object in every decision: written out in full (the reader takes no anchors)
    return parse(yaml.dump(doc, Dumper=_NoAliases, sort_keys=False))


def _option(j: int, rng: np.random.Generator, stakes: list[str], gain_p: float) -> dict:
    fav, opp = rng.choice(SIDES, size=2, replace=False)
    option = {
        "id": f"o{j}",
        "label": f"option {j}",
        "favours": str(fav),
        "opposes": str(opp),
        "gains": [s for s in stakes if rng.random() < gain_p],
    }
    if rng.random() < 0.4:
        option.update(risk="high", rival="USA")
    return option


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True
