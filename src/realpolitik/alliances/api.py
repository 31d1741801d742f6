"""Public Python API of the alliance study (what the CLI and notebooks call)."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.alliances import panel as _panel
from realpolitik.alliances import store
from realpolitik.alliances.eras import parse_eras, span_of
from realpolitik.alliances.models import AllianceFit, Spec, fit_models
from realpolitik.errors import InputError, Problem
from realpolitik.export import atomic_write

DataDir = str | os.PathLike[str] | None


def import_data(
    source_dir: str | os.PathLike[str],
    data_dir: DataDir = None,
    names: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Import the catalogued peacesciencer `.rda` files into the data directory."""
    return store.import_all(source_dir, data_dir, names=names, progress=progress)


def data_status(data_dir: DataDir = None) -> pd.DataFrame:
    """What is in the data directory: dataset, present, version, rows, citation."""
    return store.status(data_dir)


def _check_years(year_from: int, year_to: int) -> None:
    if year_from > year_to:
        raise InputError(
            Problem(
                "--from/--to",
                "",
                f"--from {year_from} is after --to {year_to}; expected from <= to",
            )
        )
    if year_from < 1816 or year_to > 2024:
        raise InputError(
            Problem(
                "--from/--to",
                "",
                f"{year_from}-{year_to} outside the CoW dyad-years; "
                "expected years within 1816-2024",
            )
        )


def build_panel(
    year_from: int = 1816,
    year_to: int = 2018,
    directed: bool = False,
    data_dir: DataDir = None,
    progress: Callable[[str], None] | None = None,
    covariates: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The dyad-year panel with the chosen covariate groups (default: those the models use;
    see `realpolitik.alliances.panel`)."""
    _check_years(year_from, year_to)
    return _panel.build_panel(year_from, year_to, directed, data_dir, progress, covariates)


def fit_alliances(
    eras: Iterable[str] | None = None,
    outcome: str = "any-onset",
    data_dir: DataDir = None,
    panel: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    regime: str = "polity",
    se: str = "twoway",
    estimator: str = "logit",
    fe: str = "none",
    controls_as_interest: bool = False,
    directed: bool = False,
    robustness: bool = True,
    reps: int = 99,
    seed: int = 0,
    cache: bool = True,
) -> AllianceFit:
    """Fit the alliance model by era (default: all four eras and the pooled model).

    `eras` takes labels ('1946-1989'), names ('cold-war') or 'pooled'. The options are those
    of `models.Spec` (outcome, regime, se, estimator, fe, controls_as_interest, reps, seed).
    `directed` fits on directed dyad-years (both orders of each pair, clustered on the pair).
    The panel is built once and kept between calls (`panel.cached_panel`), and so is the
    fit, keyed by data version, specification, eras and code (`cache=False` rebuilds and
    refits); pass a built `panel` to fit on that one, uncached. `robustness=False` skips the checks,
    and then no verdict is printed as robust.
    """
    spec = Spec(
        outcome=outcome,
        regime=regime,
        se=se,
        estimator=estimator,
        fe=fe,
        controls_as_interest=controls_as_interest,
        directed=directed,
        reps=reps,
        seed=seed,
    ).check()
    labels = parse_eras(list(eras) if eras else None)
    if panel is not None:
        return fit_models(panel, labels, spec, progress=progress, robustness=robustness)
    for label in labels:
        span_of(label)  # every label is known (parse_eras checked it)
    # always the full panel: an era's estimates never depend on which other eras were asked
    # for (the duration clocks count from each dyad's first year), and one cache file serves all
    lo, hi = 1816, 2018
    if not cache:
        panel = _panel.build_panel(lo, hi, directed=directed, data_dir=data_dir)
        return fit_models(panel, labels, spec, progress=progress, robustness=robustness)
    key = _fit_key(lo, hi, directed, data_dir, spec, labels, robustness)
    path = _panel.cache_root() / "fits" / f"fit-{key}.pickle"
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                fit = pickle.load(fh)
            if isinstance(fit, AllianceFit):
                for label in labels:
                    if progress is not None:
                        progress(label)
                return fit
        except Exception:  # noqa: BLE001 (a damaged cache entry is refitted)
            pass
    panel = _panel.cached_panel(lo, hi, directed=directed, data_dir=data_dir)
    fit = fit_models(panel, labels, spec, progress=progress, robustness=robustness)
    try:
        atomic_write(path, lambda p: p.write_bytes(pickle.dumps(fit)))
    except Exception:  # noqa: BLE001 (a read-only cache only costs the refit next time)
        pass
    return fit


def _fit_key(
    lo: int,
    hi: int,
    directed: bool,
    data_dir: DataDir,
    spec: Spec,
    labels: list[str],
    robustness: bool,
) -> str:
    """Fits are kept by data version (the panel key), specification, eras and the source of
    the modules that compute them, so a code change never serves a stale result."""
    import dataclasses
    import hashlib
    import inspect
    import json

    from realpolitik.alliances import inference, models

    groups = _panel.resolve_covariates(None)
    code = hashlib.sha256(
        "".join(inspect.getsource(m) for m in (inference, models, _panel)).encode()
    ).hexdigest()
    text = json.dumps(
        [
            _panel.panel_cache_key(lo, hi, directed, groups, data_dir),
            dataclasses.asdict(spec),
            labels,
            robustness,
            code,
        ],
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def alliance_edges(year_from: int, year_to: int, data_dir: DataDir = None) -> pd.DataFrame:
    """Allied pairs of CoW states in `year_from`..`year_to`, for network plots.

    One row per non-directed pair allied (ATOP v5.1) in at least one year of the window while
    both were CoW system members. Columns: ccode1 < ccode2, name1, name2 (CoW state
    abbreviations), n_years (years allied in the window), defence (True if any of those years
    carried a defence pledge). Sorted by n_years (descending), then codes.
    """
    _check_years(year_from, year_to)
    df = _panel.create_dyadyears(year_from, year_to, directed=False, data_dir=data_dir)
    df = _panel.add_atop_alliance(df, data_dir=data_dir)
    allied = df[df["atop_any"] == 1]
    edges = (
        allied.groupby(["ccode1", "ccode2"], sort=False)
        .agg(n_years=("year", "size"), defence=("atop_defense", "max"))
        .reset_index()
    )
    edges["defence"] = edges["defence"].astype(bool)
    edges["n_years"] = edges["n_years"].astype(np.int64)
    edges = _panel.add_state_names(edges, data_dir=data_dir)
    edges = edges[["ccode1", "ccode2", "name1", "name2", "n_years", "defence"]]
    edges = edges.sort_values(["n_years", "ccode1", "ccode2"], ascending=[False, True, True])
    return edges.reset_index(drop=True)
