"""A case's fits kept in the run store, for `realpolitik run` and `realpolitik report` alike.

The maximum-likelihood fit (with the model comparison, the fast checks and each model's
in-sample predictions) and the hierarchical Bayesian fit are stored by `realpolitik.cache`
under a key made of the case's hash, the seed, the method and the source of the code that
fits and simulates (`fit_spec`); a later command with the same inputs reads them back."""

from __future__ import annotations

from typing import Any

from realpolitik.cache import FIT_CODE, case_spec, lookup, save


def fit_spec(comp: Any, seed: int, method: str) -> dict[str, Any]:
    """What determines a fit of this case: its hash, the seed, the method and the code."""
    return case_spec(comp, (*FIT_CODE, "simulation"), seed=seed, method=method)


def ml_fit(comp: Any, seed: int, store: Any) -> tuple[Any, Any]:
    """The maximum-likelihood fit with the model comparison and the fast checks, and each
    model's in-sample predictions per actor; from the run store when this case, seed and
    code were fitted before (then stored)."""
    from realpolitik.estimation.api import fit
    from realpolitik.estimation.compare import per_actor_predictions

    spec = {**fit_spec(comp, seed, "mle"), "compare": True, "checks": "fast"}
    found, value = lookup(store, "fit-mle", spec, {"comp": comp})
    if found and isinstance(value, tuple) and len(value) == 2:
        return value
    value = (fit(comp, seed=seed, compare=True), per_actor_predictions(comp))
    save(store, "fit-mle", spec, value, {"comp": comp})
    return value


def stored_bayes(comp: Any, seed: int, store: Any) -> tuple[bool, Any]:
    """(True, the stored hierarchical Bayesian fit) or (False, None)."""
    return lookup(store, "fit-bayes", fit_spec(comp, seed, "bayes"), {"comp": comp})  # type: ignore[no-any-return]


def save_bayes(comp: Any, seed: int, store: Any, value: Any) -> None:
    save(store, "fit-bayes", fit_spec(comp, seed, "bayes"), value, {"comp": comp})


def bayes_fit(comp: Any, seed: int, store: Any) -> Any:
    """The hierarchical Bayesian fit, from the run store or fitted here (then stored)."""
    from realpolitik.estimation.api import fit

    found, value = stored_bayes(comp, seed, store)
    if found:
        return value
    value = fit(comp, method="bayes", seed=seed)
    save_bayes(comp, seed, store, value)
    return value
