"""What each option offers the actor who decides: the five features of docs/model.md.

ideology  I = mean A(d, favoured) - mean A(d, opposed),  A(d, a) = 1 - 2 |x_d - x_a| / width
          (signed: -1 for the opposite pole, so opposing an ideological enemy counts for I)
stakes    S = d's valuations of stakes gained (not already held, unless recurring)
              - stakes given up (only those d holds)
prevail   P = p(favoured coalition) - p(opposed coalition), p from a contest-success function
              on the sides' pooled capabilities (members and their defence/offence allies)
risk      R = risk level x (1 - hostility(d, rival))
security  Sec = security level - the price of breaching an alliance with an opposed actor
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


def signed_affinity(xd: np.ndarray, xa: np.ndarray, width: float) -> np.ndarray:
    """A = 1 - 2|x_d - x_a| / width, on [-1, 1]: 1 for the same position, 0 at half the
    scale's width, -1 for the opposite pole."""
    return 1.0 - 2.0 * np.abs(xd - xa) / width


def coalition_shares(
    comp: Compiled,
    cap: np.ndarray,
    m: np.ndarray,
    side_f: tuple[int, ...],
    side_g: tuple[int, ...],
    state: State,
) -> np.ndarray:
    """P = p_F - p_G per row: each side's strength is the sum of its members' capabilities and
    those of actors allied (defence or offence) with a member, not themselves on or allied with
    the other side; everyone else with a capability contests alone:
        p_F = C_F^m / (C_F^m + C_G^m + sum_other C_b^m).
    Zero where either side has no capability at all."""
    rows = cap.shape[0] if cap.shape[0] == state.alliance.shape[0] else state.alliance.shape[0]
    have = ~np.isnan(cap)
    capz = np.nan_to_num(cap)
    n = comp.n_actors
    in_f = np.zeros(n, dtype=bool)
    in_f[list(side_f)] = True
    in_g = np.zeros(n, dtype=bool)
    in_g[list(side_g)] = True
    wf = np.broadcast_to(in_f, (rows, n)).copy()
    wg = np.broadcast_to(in_g, (rows, n)).copy()
    if comp.alliances:
        M = comp.alliance_members()
        typed = comp.alliance_typed(("defence", "offence"))
        on = state.alliance & typed
        ally_f = (on[:, M[:, in_f].any(axis=1)].astype(float) @ M[M[:, in_f].any(axis=1)]) > 0
        ally_g = (on[:, M[:, in_g].any(axis=1)].astype(float) @ M[M[:, in_g].any(axis=1)]) > 0
        outside = ~(in_f | in_g)
        wf |= ally_f & ~ally_g & outside
        wg |= ally_g & ~ally_f & outside
    cf = (np.broadcast_to(capz, (rows, n)) * wf).sum(axis=1)
    cg = (np.broadcast_to(capz, (rows, n)) * wg).sum(axis=1)
    rest = np.broadcast_to(have, (rows, n)) & ~wf & ~wg
    mm = np.broadcast_to(m, (rows,)) if m.shape[0] != rows else m
    with np.errstate(divide="ignore", invalid="ignore"):
        pf, pg = np.power(cf, mm), np.power(cg, mm)
        po = (np.power(np.broadcast_to(capz, (rows, n)), mm[:, None]) * rest).sum(axis=1)
        total = pf + pg + po
        out = (pf - pg) / total
    both = (cf > 0) & (cg > 0)
    return np.where(both & np.isfinite(out), out, 0.0)


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

    def affinity(side: tuple[int, ...]) -> np.ndarray | float:
        """Mean signed affinity with a side's members (each member counts equally)."""
        if not side:
            return 0.0
        return np.mean([signed_affinity(xd, x[:, a], comp.scale_width) for a in side], axis=0)

    cap = None
    if d.arena >= 0 and any(d.favours) and any(d.opposes):
        cap = capability(comp, theta, state, d.arena, d.t, record)
        cap[:, ~comp.present(d.t)] = np.nan  # actors outside the case do not contest
        m = comp.arenas[d.arena].decisiveness.of(theta)
    values = np.zeros((theta.shape[0], len(comp.stake_ids)))  # the decider's valuations
    for (a, s), q in comp.valuations.items():
        if a == d.actor:
            values[:, s] = q.of(theta)
    # stakes: gains minus gives at the decider's valuations; a gain already held counts
    # nothing (unless the stake is recurring), a stake given up counts only when held
    base[:, :, 1] = values @ (d.gains - d.gives).T
    recurring = comp.recurring if len(comp.recurring) else np.zeros(d.gains.shape[1], bool)
    for s in np.flatnonzero(d.gains.any(axis=0) & ~recurring):
        held = state.holder[:, s] == d.actor
        if held.any():
            for j in np.flatnonzero(d.gains[:, s]):
                terms.append((j, 1, -(held * values[:, s])))
    for s in np.flatnonzero(d.gives.any(axis=0)):
        not_held = state.holder[:, s] != d.actor
        if not_held.any():
            for j in np.flatnonzero(d.gives[:, s]):
                terms.append((j, 1, not_held * values[:, s]))
    breach = None
    if comp.alliances and comp.breach:
        M = comp.alliance_members()
        price = comp.breach_price(theta)  # (theta rows, alliances)
        mine = M[:, d.actor]
        if mine.any():
            breach = (M, price, mine)
    for j in range(n_opt):
        f, g = d.favours[j], d.opposes[j]
        base[:, j, 0] = affinity(f) - affinity(g)
        if cap is not None and f and g:
            terms.append((j, 2, coalition_shares(comp, cap, m, f, g, state)))
        if breach is not None and g:
            M, price, mine = breach
            against = mine & M[:, list(g)].any(axis=1)  # alliances joining d to an opposed actor
            if against.any():
                on = state.alliance[:, against]
                cost = (on * price[:, against]).max(axis=1)
                if cost.any():
                    terms.append((j, 4, -cost))
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
