"""realpolitik: when states choose sides, does ideology or national interest decide?

The top-level API, for notebooks (as `import statsmodels.api as sm`)::

    import realpolitik as rp
    case = rp.load_case("east-asia-1945")
    res = rp.fit(case)                     # FitResults: params, bse, pvalues, conf_int(), llf,
    res.summary()                          #   nobs, summary(), verdict_frame(), ...
    sim = rp.simulate(case, n=10_000, seed=0)
    cf = rp.counterfactual(case, rp.World(weights={"USSR": {"ideology": 3.0}}), seed=0)
    cf.compare()                           # outcomes against the baseline, with MC error
    rp.tables(case)["decisions"]           # the case as tidy frames
    rp.sensitivity(case, base_samples=64, draws=32).matters()
    rp.evaluate(case)                      # out-of-sample evaluation
    rp.fit_pooled(["east-asia-1945", "sino-soviet-split"], same=["CCP=PRC"]).to_frame()
    rp.cross_case().to_frame()             # USSR, PRC, USA in every built-in case, pooled

Each name is the function or class itself (`rp.fit is realpolitik.estimation.api.fit`), imported
on first use so that `import realpolitik` stays light. Packages: data in
(`realpolitik.scenario`, `realpolitik.alliances`), model (`realpolitik.model`), estimation
(`realpolitik.estimation`), simulation (`realpolitik.simulation`), reports out
(`realpolitik.reports`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from realpolitik.estimation.api import fit, fit_pooled
    from realpolitik.estimation.crosscase import CrossCaseFit, cross_case
    from realpolitik.estimation.evaluation import evaluate
    from realpolitik.estimation.pooled import PooledFit
    from realpolitik.estimation.results import FitResults
    from realpolitik.scenario.loader import load_case
    from realpolitik.scenario.tables import tables
    from realpolitik.simulation.api import SimulationResult, World, counterfactual, simulate
    from realpolitik.simulation.sensitivity import SensitivityResult, sensitivity
    from realpolitik.summary import Summary

# public name -> "module:attribute"
_EXPORTS: dict[str, str] = {
    "load_case": "realpolitik.scenario.loader:load_case",
    "fit": "realpolitik.estimation.api:fit",
    "fit_pooled": "realpolitik.estimation.api:fit_pooled",
    "cross_case": "realpolitik.estimation.crosscase:cross_case",
    "PooledFit": "realpolitik.estimation.pooled:PooledFit",
    "CrossCaseFit": "realpolitik.estimation.crosscase:CrossCaseFit",
    "simulate": "realpolitik.simulation.api:simulate",
    "counterfactual": "realpolitik.simulation.api:counterfactual",
    "World": "realpolitik.simulation.api:World",
    "tables": "realpolitik.scenario.tables:tables",
    "sensitivity": "realpolitik.simulation.sensitivity:sensitivity",
    "evaluate": "realpolitik.estimation.evaluation:evaluate",
    "FitResults": "realpolitik.estimation.results:FitResults",
    "SimulationResult": "realpolitik.simulation.api:SimulationResult",
    "SensitivityResult": "realpolitik.simulation.sensitivity:SensitivityResult",
    "Summary": "realpolitik.summary:Summary",
}

__all__ = [
    "load_case",
    "fit",
    "fit_pooled",
    "cross_case",
    "PooledFit",
    "CrossCaseFit",
    "simulate",
    "counterfactual",
    "World",
    "tables",
    "sensitivity",
    "evaluate",
    "FitResults",
    "SimulationResult",
    "SensitivityResult",
    "Summary",
    "__version__",
]


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'realpolitik' has no attribute '{name}'")
    module_name, attr = target.split(":")
    try:
        value = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        if name != "evaluate":
            raise
        value = _missing(name, exc)  # out-of-sample evaluation lands in its own module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _missing(name: str, exc: Exception) -> Any:
    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"realpolitik.{name} is not available in this build ({exc})")

    unavailable.__name__ = name
    unavailable.__doc__ = f"Not available in this build: {exc}"
    return unavailable
