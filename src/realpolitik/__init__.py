"""realpolitik: when states choose sides, does ideology or national interest decide?

Data in (`realpolitik.scenario`, `realpolitik.alliances`), model (`realpolitik.model`),
estimation (`realpolitik.estimation`), simulation (`realpolitik.simulation`), reports out
(`realpolitik.reports`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from realpolitik.scenario.schema import Case

__all__ = ["load_case", "fit", "simulate", "counterfactual", "__version__"]


def load_case(name_or_path: str) -> Case:
    """Load and validate a built-in case by name or a scenario file by path."""
    from realpolitik.scenario.loader import load_case as _load

    return _load(name_or_path)


def fit(case: Any, **kwargs: Any) -> Any:
    """Estimate each actor's weights on ideology and interest; see `realpolitik.estimation.fit`."""
    from realpolitik.estimation.api import fit as _fit

    return _fit(case, **kwargs)


def simulate(case: Any, **kwargs: Any) -> Any:
    """Replay a case forward; see `realpolitik.simulation.api.simulate`."""
    from realpolitik.simulation.api import simulate as _simulate

    return _simulate(case, **kwargs)


def counterfactual(case: Any, **kwargs: Any) -> Any:
    """Compare a changed world against the baseline; see `realpolitik.simulation.api`."""
    from realpolitik.simulation.api import counterfactual as _cf

    return _cf(case, **kwargs)
