"""What each option offers the actor who decides: the five features of docs/model.md.

ideology  I = A(d, favoured) - A(d, opposed),  A(d, a) = 1 - |x_d - x_a| / width
stakes    S = sum of d's valuations of stakes gained (not already held) - stakes given up
prevail   P = p(favoured) - p(opposed), p from a contest-success function on capabilities
risk      R = risk level x (1 - hostility(d, rival))
security  Sec = security level
"""

from __future__ import annotations

import numpy as np

from realpolitik.model.compiled import CDecision, Compiled
from realpolitik.model.state import State


def ideology_positions(comp: Compiled, theta: np.ndarray, t: float) -> np.ndarray:
    """Positions x[row, actor] at time t."""
    return np.stack([s.step(theta, t) for s in comp.ideology], axis=1)


def record_capability(comp: Compiled, theta: np.ndarray, arena: int, t: float) -> np.ndarray:
    """Capabilities cap[row, actor] in an arena from the record (nan for actors without one)."""
    cap = np.full((theta.shape[0], comp.n_actors), np.nan)
    for actor, series in comp.arenas[arena].series.items():
        cap[:, actor] = series.loglinear(theta, t)
    return cap


def capability(comp: Compiled, theta: np.ndarray, state: State, arena: int, t: float,
               record: bool) -> np.ndarray:
    """Capabilities at t: the record scaled by simulated deviations, or the simulated dynamics."""
    base = record_capability(comp, theta, arena, t)
    if record:
        return base
    live = state.capability[:, arena, :]
    out = base * np.exp(state.deviation[:, arena, :])
    has_live = ~np.isnan(live)
    out[has_live] = live[has_live]
    return out


def contest_shares(cap: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Contest-success shares p_a = C_a^m / sum_b C_b^m over actors with a capability."""
    powered = np.where(np.isnan(cap), 0.0, np.power(np.where(np.isnan(cap), 1.0, cap), m[:, None]))
    total = powered.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(total > 0, powered / total, np.nan)
    return np.where(np.isnan(cap), np.nan, shares)


def option_features(comp: Compiled, d: CDecision, theta: np.ndarray, state: State,
                    record: bool = False) -> np.ndarray:
    """Features X[row, option, feature] for decision d in the given state."""
    rows, n_opt = theta.shape[0], len(d.option_ids)
    X = np.zeros((rows, n_opt, 5))
    x = ideology_positions(comp, theta, d.t)
    xd = x[:, d.actor]

    def affinity(a: int) -> np.ndarray:
        return 1.0 - np.abs(xd - x[:, a]) / comp.scale_width

    if d.arena >= 0:
        cap = capability(comp, theta, state, d.arena, d.t, record)
        shares = contest_shares(cap, comp.arenas[d.arena].decisiveness.of(theta))
    else:
        shares = None
    values = np.zeros((rows, len(comp.stake_ids)))  # the decider's valuations (rows, stakes)
    for (a, s), q in comp.valuations.items():
        if a == d.actor:
            values[:, s] = q.of(theta)
    unheld = values * (state.holder != d.actor)  # exact: products with 0/1
    for j in range(n_opt):
        f, g = d.favours[j], d.opposes[j]
        X[:, j, 0] = (affinity(f) if f >= 0 else 0.0) - (affinity(g) if g >= 0 else 0.0)
        X[:, j, 1] = (unheld * d.gains[j]).sum(axis=1) - (values * d.gives[j]).sum(axis=1)
        if shares is not None and f >= 0 and g >= 0:
            p = shares[:, f] - shares[:, g]
            X[:, j, 2] = np.nan_to_num(p, nan=0.0)
        rival = d.rival[j]
        hostile = state.hostility[:, d.actor, rival] if rival >= 0 else 0.0
        X[:, j, 3] = d.risk[j].of(theta) * (1.0 - hostile)
        X[:, j, 4] = d.security[j].of(theta)
    return X


def interest_index(comp: Compiled, X: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """N = S + price_prevail * P - price_risk * R + price_security * Sec, per row and option."""
    pp = comp.prices["prevail"].of(theta)[:, None]
    pr = comp.prices["risk"].of(theta)[:, None]
    ps = comp.prices["security"].of(theta)[:, None]
    return X[..., 1] + pp * X[..., 2] - pr * X[..., 3] + ps * X[..., 4]
