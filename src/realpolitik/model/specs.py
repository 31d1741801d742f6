"""The choice models: which terms enter an option's utility.

  full        U = w_I * I + w_N * N            (ideology against one interest index)
  ideology    U = w_I * I                      (ideology alone)
  interest    U = w_N * N                      (interest alone)
  components  U = w_I * I + w_S * S + w_P * P + w_R * R + w_Sec * Sec

N folds the interest components together with the scenario's declared prices; see docs/model.md.
"""

from __future__ import annotations

import numpy as np

from realpolitik.model.compiled import FEATURES, Compiled
from realpolitik.model.features import interest_index

MODELS: dict[str, tuple[str, ...]] = {
    "full": ("ideology", "interest"),
    "ideology": ("ideology",),
    "interest": ("interest",),
    "components": FEATURES,
}
INTEREST_TERMS = {"interest", "stakes", "prevail", "risk", "security"}


def check_model(model: str) -> tuple[str, ...]:
    from realpolitik.errors import InputError

    if model not in MODELS:
        raise InputError(f"model: expected one of {', '.join(MODELS)}, got '{model}'")
    return MODELS[model]


def design(model: str, comp: Compiled, X5: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Model terms Z[..., term] from the five features X5[..., feature]."""
    terms = check_model(model)
    if model == "components":
        return X5
    cols = []
    for term in terms:
        cols.append(X5[..., 0] if term == "ideology" else interest_index(comp, X5, theta))
    return np.stack(cols, axis=-1)


def to_feature_weights(model: str, comp: Compiled, w: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Turn model weights w[row, actor, term] into weights on the five features."""
    terms = check_model(model)
    rows, actors = w.shape[0], w.shape[1]
    W = np.zeros((rows, actors, 5))
    if model == "components":
        return w.astype(float).copy()
    pp = comp.prices["prevail"].of(theta)[:, None]
    pr = comp.prices["risk"].of(theta)[:, None]
    ps = comp.prices["security"].of(theta)[:, None]
    for k, term in enumerate(terms):
        if term == "ideology":
            W[:, :, 0] = w[:, :, k]
        else:
            wn = w[:, :, k]
            W[:, :, 1] = wn
            W[:, :, 2] = wn * pp
            W[:, :, 3] = -wn * pr
            W[:, :, 4] = wn * ps
    return W
