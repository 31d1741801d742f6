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
    """Capabilities cap[row, actor] in an arena from the record: each actor's last figure dated on
    or before t (nan for actors without one yet)."""
    cap = np.full((theta.shape[0], comp.n_actors), np.nan)
    for actor, series in comp.arenas[arena].series.items():
        cap[:, actor] = series.known(theta, t)
    return cap


def capability(
    comp: Compiled, theta: np.ndarray, state: State, arena: int, t: float, record: bool
) -> np.ndarray:
    """Capabilities at t: the record scaled by simulated deviations, or the simulated dynamics."""
    base = record_capability(comp, theta, arena, t)
    if record:
        return base
    cols = np.array(sorted(comp.arenas[arena].series), dtype=int)
    out = np.full((state.holder.shape[0], comp.n_actors), np.nan)
    live = state.capability[:, arena, cols]
    if np.isnan(live[:, 0]).all():
        out[:, cols] = base[:, cols] * np.exp(state.deviation[:, arena, cols])
    else:
        out[:, cols] = live
    return out


def contest_shares(cap: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Contest-success shares p_a = C_a^m / sum_b C_b^m over actors with a capability."""
    present = np.flatnonzero(~np.isnan(cap[0]))
    shares = np.full(cap.shape, np.nan)
    if len(present):
        powered = np.power(cap[:, present], m[:, None])
        shares[:, present] = powered / powered.sum(axis=1, keepdims=True)
    return shares


Term = tuple[int, int, np.ndarray]  # (option, feature, values per row)


def option_parts(
    comp: Compiled, d: CDecision, theta: np.ndarray, state: State, record: bool = False
) -> tuple[np.ndarray, list[Term]]:
    """The features of decision d split in two: a base X[theta row, option, feature] that is the
    same for every path sharing a parameter row, and the terms that depend on the path's state
    (stakes already held, the balance of forces, hostility with the rival), to be added."""
    n_opt = len(d.option_ids)
    base = np.zeros((theta.shape[0], n_opt, 5))
    terms: list[Term] = []
    x = ideology_positions(comp, theta, d.t)
    xd = x[:, d.actor]

    def affinity(a: int) -> np.ndarray:
        return 1.0 - np.abs(xd - x[:, a]) / comp.scale_width

    shares = None
    if d.arena >= 0 and (d.favours >= 0).any() and (d.opposes >= 0).any():
        cap = capability(comp, theta, state, d.arena, d.t, record)
        shares = contest_shares(cap, comp.arenas[d.arena].decisiveness.of(theta))
    values = np.zeros((theta.shape[0], len(comp.stake_ids)))  # the decider's valuations
    for (a, s), q in comp.valuations.items():
        if a == d.actor:
            values[:, s] = q.of(theta)
    # stakes: gains minus gives at the decider's valuations, less gains already held
    base[:, :, 1] = values @ (d.gains - d.gives).T
    for s in np.flatnonzero(d.gains.any(axis=0)):
        held = state.holder[:, s] == d.actor
        if held.any():
            for j in np.flatnonzero(d.gains[:, s]):
                terms.append((j, 1, -(held * values[:, s])))
    for j in range(n_opt):
        f, g = d.favours[j], d.opposes[j]
        base[:, j, 0] = (affinity(f) if f >= 0 else 0.0) - (affinity(g) if g >= 0 else 0.0)
        if shares is not None and f >= 0 and g >= 0:
            terms.append((j, 2, np.nan_to_num(shares[:, f] - shares[:, g], nan=0.0)))
        risk = d.risk[j].of(theta)
        base[:, j, 3] = risk
        rival = d.rival[j]
        if rival >= 0:
            hostile = state.hostility[:, d.actor, rival]
            if hostile.any():
                terms.append((j, 3, -risk * hostile))
        base[:, j, 4] = d.security[j].of(theta)
    return base, terms


def option_features(
    comp: Compiled, d: CDecision, theta: np.ndarray, state: State, record: bool = False
) -> np.ndarray:
    """Features X[row, option, feature] for decision d in the given state."""
    base, terms = option_parts(comp, d, theta, state, record)
    X = np.array(np.broadcast_to(base, (state.holder.shape[0], *base.shape[1:])))
    for j, f, values in terms:
        X[:, j, f] += values
    return X


def option_utility(
    comp: Compiled,
    d: CDecision,
    theta: np.ndarray,
    state: State,
    weights: np.ndarray,
    record: bool = False,
) -> np.ndarray:
    """Utilities U[row, option] = X . w for the decider's feature weights w[row or 1, 5],
    without building X for every path."""
    base, terms = option_parts(comp, d, theta, state, record)
    w = weights[:, d.actor, :]
    U = (
        np.einsum("tof,tf->to", base, w)
        if base.shape[0] == w.shape[0]
        else (base * w[:, None, :]).sum(-1)
    )
    U = np.array(np.broadcast_to(U, (state.holder.shape[0], U.shape[1])))
    for j, f, values in terms:
        U[:, j] += w[:, f] * values
    return U


def interest_index(comp: Compiled, X: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """N = S + price_prevail * P - price_risk * R + price_security * Sec, per row and option."""
    pp = comp.prices["prevail"].of(theta)[:, None]
    pr = comp.prices["risk"].of(theta)[:, None]
    ps = comp.prices["security"].of(theta)[:, None]
    return X[..., 1] + pp * X[..., 2] - pr * X[..., 3] + ps * X[..., 4]
