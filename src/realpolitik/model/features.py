"""What each option offers the actor who decides: the five features of docs/model.md.

ideology  I = mean A(d, favoured) - mean A(d, opposed),  A(d, a) = 1 - 2 |x_d - x_a| / width
          (signed: -1 for the opposite pole, so opposing an ideological enemy counts for I)
stakes    S = d's valuations of stakes gained (not already held, unless recurring)
              - stakes given up (only those d holds)
prevail   P = p(favoured coalition) - p(opposed coalition), p from a contest-success function
              on the sides' pooled capabilities (members and their defence/offence allies);
              a `prevails` outcome compares the actor's coalition share with its threshold
              (`prevail_share`)
risk      R = risk level x (1 - hostility(d, rival))
security  Sec = security level - the price of breaching an alliance with an opposed actor
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from realpolitik.model.compiled import CDecision, Compiled
from realpolitik.model.kept import Kept
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


def arena_actors(comp: Compiled, arena: int) -> np.ndarray:
    """The actors with a capability in an arena, in index order."""
    return np.array(sorted(comp.arenas[arena].series), dtype=np.intp)


def class_log_capability(
    comp: Compiled, theta: np.ndarray, state: State, arena: int, t: float, record: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Log capabilities L[class, k] of the arena's actors (`arena_actors`) at t, and the class
    of each path (None when the rows of L are the rows of theta, as in record mode).

    The record scaled by the simulated deviation before the arena's dynamics start, the
    simulated capability after (see model/state.py for the classes)."""
    cols = arena_actors(comp, arena)
    base = np.log(record_capability(comp, theta, arena, t)[:, cols])
    if record:
        return base, None
    tab = state.cap_table[arena][:, cols]
    labels = None if state.per_path else state.cap_class[:, arena]
    return (tab if state.live[arena] else base + tab), labels


def class_shares(log_cap: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Contest-success shares p_a = C_a^m / sum_b C_b^m, computed from log capabilities
    L[class, k] as a softmax of m * L (the same numbers, without overflow). An actor without a
    capability (nan) does not contest: its share is nan, as in `contest_shares`."""
    z = m.reshape(-1, 1) * log_cap
    have = ~np.isnan(z)
    if not have.all():  # some actor has no figure yet: left out of the contest
        if not have.any():
            return np.full(z.shape, np.nan)
        z = np.where(have, z, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out = e / e.sum(axis=1, keepdims=True)
    return out if have.all() else np.where(have, out, np.nan)


def capability(
    comp: Compiled, theta: np.ndarray, state: State, arena: int, t: float, record: bool
) -> np.ndarray:
    """Capabilities at t: the record scaled by simulated deviations, or the simulated dynamics."""
    if record:
        return record_capability(comp, theta, arena, t)
    L, labels = class_log_capability(comp, theta, state, arena, t, record)
    out = np.full((state.rows, comp.n_actors), np.nan)
    out[:, arena_actors(comp, arena)] = np.exp(L if labels is None else L[labels])
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
    alliance: np.ndarray | None,
) -> np.ndarray:
    """P = p_F - p_G per row: each side's strength is the sum of its members' capabilities and
    those of actors allied (defence or offence) with a member, not themselves on or allied with
    the other side; everyone else with a capability contests alone:
        p_F = C_F^m / (C_F^m + C_G^m + sum_other C_b^m).
    Zero where either side has no capability at all.

    `alliance[row, k]`: which of the case's alliances are in force on each path (`State`), or
    None when no defence or offence alliance is in force on any path (then the rows are those of
    `cap`, e.g. one per capability class)."""
    rows = cap.shape[0] if alliance is None else alliance.shape[0]
    have = ~np.isnan(cap)
    capz = np.nan_to_num(cap)
    n = comp.n_actors
    in_f = np.zeros(n, dtype=bool)
    in_f[list(side_f)] = True
    in_g = np.zeros(n, dtype=bool)
    in_g[list(side_g)] = True
    wf = np.broadcast_to(in_f, (rows, n)).copy()
    wg = np.broadcast_to(in_g, (rows, n)).copy()
    if comp.alliances and alliance is not None:
        M = comp.alliance_members()
        typed = comp.alliance_typed(("defence", "offence"))
        on = alliance & typed
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


# coalition_shares per capability class for a single parameter row, kept per compiled case:
# the classes of a chunk of paths recur in the next chunk (the same aid histories), so the
# shares of a class are computed once per process, not once per chunk.
_SHARES = Kept(cases=4, entries=1024)
_SHARES_ROWS = 128  # larger inputs (one row per path) are not kept


def _class_coalition_shares(
    comp: Compiled,
    cap: np.ndarray,
    m: np.ndarray,
    side_f: tuple[int, ...],
    side_g: tuple[int, ...],
    alliance: np.ndarray | None,
) -> np.ndarray:
    """`coalition_shares`, kept for inputs of a few rows (then read only)."""
    if cap.shape[0] > _SHARES_ROWS:
        return coalition_shares(comp, cap, m, side_f, side_g, alliance)
    key = (
        side_f,
        side_g,
        cap.shape,
        cap.tobytes(),
        m.tobytes(),
        None if alliance is None else (alliance.shape, alliance.tobytes()),
    )
    return _SHARES.get(comp, key, lambda: coalition_shares(comp, cap, m, side_f, side_g, alliance))


def prevail_share(
    comp: Compiled,
    theta: np.ndarray,
    state: State,
    actor: int,
    arena: int,
    t: float,
    record: bool = False,
) -> np.ndarray | None:
    """The contest share of `actor`'s coalition in `arena` at t, the number a `prevails`
    outcome compares with its threshold (docs/model.md, "Outcomes"): the actor and the actors
    sharing a defence or offence alliance in force with it on the path pool their
    capabilities, as an option's side does (`coalition_shares`), and every other actor in the
    case with a capability contests alone:
        p = C_F^m / (C_F^m + sum_other C_b^m),   C_F = C_actor + sum_allies C_b.
    One value per path (per theta row in record mode); None when the actor has no capability
    series in the arena; nan where it has no figure yet."""
    cols = arena_actors(comp, arena)
    if actor not in cols:
        return None
    L, labels = class_log_capability(comp, theta, state, arena, t, record)
    rows = state.rows if labels is not None else L.shape[0]
    Lp = L if labels is None else L[labels]
    logc = np.full((rows, comp.n_actors), np.nan)
    logc[:, cols] = Lp
    logc[:, ~comp.present(t)] = np.nan  # actors outside the case do not contest
    side = np.zeros((rows, comp.n_actors), dtype=bool)
    side[:, actor] = True
    if comp.alliances:
        M = comp.alliance_members()
        on = state.alliance & comp.alliance_typed(("defence", "offence"))
        mine = M[:, actor]
        if (on[:, mine]).any():
            side |= (on[:, mine].astype(float) @ M[mine].astype(float)) > 0
    have = ~np.isnan(logc)
    m = comp.arenas[arena].decisiveness.of(theta)
    mm = np.broadcast_to(m, (rows,)) if m.shape[0] != rows else m
    with np.errstate(invalid="ignore", divide="ignore"):
        cap = np.where(have, np.exp(np.where(have, logc, 0.0)), 0.0)
        z_side = mm * np.log((cap * side).sum(axis=1))
        z = mm[:, None] * np.where(have & ~side, logc, -np.inf)
        top = np.maximum(z_side, z.max(axis=1))
        num = np.exp(z_side - top)
        p = num / (num + np.exp(z - top[:, None]).sum(axis=1))
    return np.where(have[:, actor], p, np.nan)


def contest_shares(cap: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Contest-success shares p_a = C_a^m / sum_b C_b^m over actors with a capability."""
    present = np.flatnonzero(~np.isnan(cap[0]))
    shares = np.full(cap.shape, np.nan)
    if len(present):
        powered = np.power(cap[:, present], m[:, None])
        shares[:, present] = powered / powered.sum(axis=1, keepdims=True)
    return shares


Term = tuple[int, int, np.ndarray]  # (option, feature, values per row, or one value for all)
_NO_YES = np.array([False, True])  # the two codes of a `Coded` term, as its table's factors


def option_base(comp: Compiled, d: CDecision, theta: np.ndarray) -> np.ndarray:
    """The part of decision d's features X[theta row, option, feature] that does not depend on
    the path: the same for every path sharing a parameter row."""
    n_opt = len(d.option_ids)
    base = np.zeros((theta.shape[0], n_opt, 5))
    x = ideology_positions(comp, theta, d.t)
    xd = x[:, d.actor]

    def affinity(side: tuple[int, ...]) -> np.ndarray | float:
        """Mean signed affinity with a side's members (each member counts equally)."""
        if not side:
            return 0.0
        return np.mean([signed_affinity(xd, x[:, a], comp.scale_width) for a in side], axis=0)

    # stakes: gains minus gives at the decider's valuations (a gain already held, unless the
    # stake is recurring, and a stake given up that d does not hold: terms, see _state_terms)
    base[:, :, 1] = _decider_values(comp, d, theta) @ (d.gains - d.gives).T
    for j in range(n_opt):
        base[:, j, 0] = affinity(d.favours[j]) - affinity(d.opposes[j])
        base[:, j, 3] = d.risk[j].of(theta)
        base[:, j, 4] = d.security[j].of(theta)
    return base


def _decider_values(comp: Compiled, d: CDecision, theta: np.ndarray) -> np.ndarray:
    values = np.zeros((theta.shape[0], len(comp.stake_ids)))  # the decider's valuations
    for (a, s), q in comp.valuations.items():
        if a == d.actor:
            values[:, s] = q.of(theta)
    return values


def option_terms(
    comp: Compiled, d: CDecision, theta: np.ndarray, state: State, record: bool = False
) -> list[Term]:
    """The terms of decision d's features that depend on the path's state (stakes already
    held or not held, the balance of forces between the coalitions, breach of an alliance,
    hostility with the rival), to be added to `option_base`.

    A term's values have one entry per path, or a single entry when every path has the same
    value (then the engine draws the choice without per-path work)."""
    by_class, labels, by_path = _state_terms(comp, d, theta, state, record)
    return [(j, f, v[labels]) for j, f, v in by_class] + by_path


def _allies_matter(
    comp: Compiled,
    state: State,
    pairs: list[tuple[int, tuple[int, ...], tuple[int, ...]]],
    contests: np.ndarray,
) -> bool:
    """Can an alliance change a side's strength on some path? Only a defence or offence
    alliance in force on some path that joins a member of a side to an actor outside both sides
    who contests (has a capability and is in the case): otherwise `coalition_shares` gives the
    same numbers without the alliance state, once per capability class."""
    typed = comp.alliance_typed(("defence", "offence"))
    if not typed.any():
        return False
    on = typed & state.alliance.any(axis=0)
    if not on.any():
        return False
    M = comp.alliance_members()[on]
    for _, f, g in pairs:
        sides = np.zeros(comp.n_actors, dtype=bool)
        sides[list(f) + list(g)] = True
        if (M[:, sides].any(axis=1) & M[:, contests & ~sides].any(axis=1)).any():
            return True
    return False


class Coded(NamedTuple):
    """A per-path term that takes one of two values: `table[codes[source]]` on each path, with
    `codes[source]` a boolean per path (see `_state_terms`). Several terms may share a source."""

    table: np.ndarray
    source: tuple[str, int]


def _state_terms(
    comp: Compiled,
    d: CDecision,
    theta: np.ndarray,
    state: State,
    record: bool,
    codes: dict[tuple[str, int], np.ndarray] | None = None,
) -> tuple[list[Term], np.ndarray | None, list[Term]]:
    """`option_terms` in two lists: terms with one value per capability class, the class of
    each path (model/state.py), and terms with one value per path (or one for all).

    With `codes` (a dict to fill; only when every path shares one parameter row), a per-path
    term that takes two values only (a stake held or not, hostility at one of two levels) is
    given as `Coded(table, source)` and `codes[source]` says which value each path takes:
    `table[codes[source]]` are exactly the values the plain term would have."""
    by_class: list[Term] = []
    by_path: list[Term] = []
    labels = None
    n_opt = len(d.option_ids)
    pairs = [(j, d.favours[j], d.opposes[j]) for j in range(n_opt)]
    pairs = [(j, f, g) for j, f, g in pairs if f and g]
    if d.arena >= 0 and pairs:
        L, labels = class_log_capability(comp, theta, state, d.arena, d.t, record)
        cols = arena_actors(comp, d.arena)
        contests = np.zeros(comp.n_actors, dtype=bool)  # a capability, inside the case
        contests[cols] = ~np.isnan(L[0])
        contests &= comp.present(d.t)
        alliance = None
        if comp.alliances and _allies_matter(comp, state, pairs, contests):
            # allies join a side path by path, which the capability classes do not carry:
            # the shares are computed once per (class, alliances in force) pair that occurs
            # (a handful), or per path when each path has its own parameters or there are too
            # many alliances for that (the general path, as before i14)
            alliance = state.alliance
            k = alliance.shape[1]
            if labels is not None and k <= 16 and len(L) << k <= 4 * state.rows:
                bits = np.zeros(state.rows, dtype=np.intp)
                for a in range(k):
                    bits += alliance[:, a].astype(np.intp) << a
                key = (labels << k) + bits
                used = np.flatnonzero(np.bincount(key, minlength=len(L) << k))
                remap = np.zeros(len(L) << k, dtype=np.intp)
                remap[used] = np.arange(len(used))
                labels = remap[key]
                L = L[used >> k]
                alliance = ((used[:, None] >> np.arange(k)) & 1).astype(bool)
            elif labels is not None:
                L, labels = L[labels], None
        cap = np.full((len(L), comp.n_actors), np.nan)
        cap[:, cols] = np.exp(L)
        cap[:, ~contests] = np.nan  # actors outside the case do not contest
        m = comp.arenas[d.arena].decisiveness.of(theta)
        # one value per class: a single class (or record mode) has one per parameter row
        into = by_class if labels is not None and len(L) > 1 else by_path
        shares = _class_coalition_shares if theta.shape[0] == 1 else coalition_shares
        for j, f, g in pairs:
            into.append((j, 2, shares(comp, cap, m, f, g, alliance)))
        if not by_class:
            labels = None
    values = None
    recurring = comp.recurring if len(comp.recurring) else np.zeros(d.gains.shape[1], bool)
    # a gain already held counts nothing (unless the stake is recurring)
    for s in np.flatnonzero(d.gains.any(axis=0) & ~recurring):
        held = state.holder[:, s] == d.actor
        if held.any():
            values = _decider_values(comp, d, theta) if values is None else values
            # every path holds it: one value for all
            if held.all():
                v = values[:, s]
            elif codes is not None:
                codes[("held", s)] = held
                for j in np.flatnonzero(d.gains[:, s]):
                    by_path.append((j, 1, Coded(-(_NO_YES * values[:, s]), ("held", s))))
                continue
            else:
                v = held * values[:, s]
            for j in np.flatnonzero(d.gains[:, s]):
                by_path.append((j, 1, -v))
    # a stake given up counts only when held
    for s in np.flatnonzero(d.gives.any(axis=0)):
        not_held = state.holder[:, s] != d.actor
        if not_held.any():
            values = _decider_values(comp, d, theta) if values is None else values
            if not_held.all():
                v = values[:, s]
            elif codes is not None:
                codes[("not_held", s)] = not_held
                for j in np.flatnonzero(d.gives[:, s]):
                    by_path.append((j, 1, Coded(_NO_YES * values[:, s], ("not_held", s))))
                continue
            else:
                v = not_held * values[:, s]
            for j in np.flatnonzero(d.gives[:, s]):
                by_path.append((j, 1, v))
    breach = None
    if comp.alliances and comp.breach:
        M = comp.alliance_members()
        mine = M[:, d.actor]
        if mine.any():
            breach = (M, comp.breach_price(theta), mine)  # price: (theta rows, alliances)
    for j in range(n_opt):
        g = d.opposes[j]
        if breach is not None and g:
            M, price, mine = breach
            against = mine & M[:, list(g)].any(axis=1)  # alliances joining d to an opposed actor
            if against.any():
                on = state.alliance[:, against]
                same = on[:1] if (on.min(axis=0) == on.max(axis=0)).all() else on
                cost = (same * price[:, against]).max(axis=1)
                if cost.any():
                    by_path.append((j, 4, -cost))
        rival = d.rival[j]
        if rival >= 0 and (d.actor, rival) in state.hostile_pairs:  # (others: 0 on every path)
            hostile = state.hostility[:, d.actor, rival]
            low, high = hostile.min(), hostile.max()  # (in [0, 1]; no boolean temporaries)
            if high > 0:
                if low == high:
                    hostile = hostile[:1]
                elif codes is not None:
                    is_high = hostile == high
                    if (is_high | (hostile == low)).all():  # two levels: coded
                        codes[("hostility", rival)] = is_high
                        table = -d.risk[j].of(theta) * np.array([low, high])
                        by_path.append((j, 3, Coded(table, ("hostility", rival))))
                        continue
                by_path.append((j, 3, -d.risk[j].of(theta) * hostile))
    return by_class, labels, by_path


def option_parts(
    comp: Compiled, d: CDecision, theta: np.ndarray, state: State, record: bool = False
) -> tuple[np.ndarray, list[Term]]:
    """The features of decision d split in two: a base X[theta row, option, feature] that is the
    same for every path sharing a parameter row, and the terms that depend on the path's state
    (stakes held or not, the balance of forces, breach, hostility with the rival), to be added."""
    return option_base(comp, d, theta), option_terms(comp, d, theta, state, record)


def option_features(
    comp: Compiled, d: CDecision, theta: np.ndarray, state: State, record: bool = False
) -> np.ndarray:
    """Features X[row, option, feature] for decision d in the given state."""
    base, terms = option_parts(comp, d, theta, state, record)
    X = np.array(np.broadcast_to(base, (state.rows, *base.shape[1:])))
    for j, f, values in terms:
        X[:, j, f] += values
    return X


def utility_columns(
    comp: Compiled,
    d: CDecision,
    theta: np.ndarray,
    state: State,
    weights: np.ndarray,
    record: bool = False,
    base: np.ndarray | None = None,
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Utilities of decision d's options, one array per option, and `labels`.

    With labels None, each array has one entry per path, or a single entry when it is the same
    for every path; otherwise one entry per capability class, labels[row] being each path's
    class (when only the balance of forces differs between paths, the choice probabilities
    are then computed once per class). `base` may pass `option_base` already computed for these
    parameters (it does not depend on the path)."""
    if base is None:
        base = option_base(comp, d, theta)
    w = weights[:, d.actor, :]
    U = (
        np.einsum("tof,tf->to", base, w)
        if base.shape[0] == w.shape[0]
        else (base * w[:, None, :]).sum(-1)
    )
    cols = [U[:, j] for j in range(U.shape[1])]
    codes: dict[tuple[str, int], np.ndarray] | None = (
        {} if theta.shape[0] == 1 and not record else None
    )
    by_class, labels, by_path = _state_terms(comp, d, theta, state, record, codes)
    if codes:
        keyed = _keyed(by_class, labels, by_path, codes, state.rows)
        if keyed is not None:
            terms, key, used = keyed
            for j, f, values in terms:
                cols[j] = cols[j] + w[:, f] * values
            return _fill_unused(cols, used), key
        # too many combinations: every coded term per path, as the plain terms
        by_path = [
            (j, f, v.table[codes[v.source].view(np.uint8)] if isinstance(v, Coded) else v)
            for j, f, v in by_path
        ]
    if labels is not None and any(len(v) > 1 for _, _, v in by_path):
        by_path = [(j, f, v[labels]) for j, f, v in by_class] + by_path  # per path after all
        by_class, labels = [], None
    for j, f, values in by_class + by_path:
        cols[j] = cols[j] + w[:, f] * values
    return cols, labels


MAX_KEYS = 4096  # combinations of capability class and coded terms computed one by one


def _keyed(
    by_class: list[Term],
    labels: np.ndarray | None,
    by_path: list[Term],
    codes: dict[tuple[str, int], np.ndarray],
    rows: int,
) -> tuple[list[Term], np.ndarray, np.ndarray] | None:
    """The terms of `utility_columns` with one value per *key* instead of per path, the key of a
    path being its capability class and the codes of its coded terms (`Coded`), or None when a
    term has one value per path anyway or there are too many keys.

    Returns the terms in their order (so each key's utility is the same sum, in the same order,
    as a path's), the key of each path, and which keys some path has. Exact: a key's terms are the
    values its paths' terms would have, taken from the same tables."""
    if any(not isinstance(v, Coded) and len(v) > 1 for _, _, v in by_path):
        return None
    sources = list(codes)
    n_class = len(by_class[0][2]) if by_class and labels is not None else 1
    n_keys = n_class << len(sources)
    if len(sources) > 8 or n_keys > MAX_KEYS:
        return None
    bits = np.zeros(rows, dtype=np.uint8)
    for i, src in enumerate(sources):
        bits |= codes[src].view(np.uint8) << np.uint8(i)
    key = bits if n_class == 1 else (labels << len(sources)) + bits
    used = np.bincount(key, minlength=n_keys) > 0
    every = np.arange(n_keys)
    cls = every >> len(sources)
    bit = {src: (every >> i) & 1 for i, src in enumerate(sources)}
    terms: list[Term] = [(j, f, v[cls] if n_class > 1 else v) for j, f, v in by_class]
    for j, f, v in by_path:
        terms.append((j, f, v.table[bit[v.source]] if isinstance(v, Coded) else v))
    return terms, key, used


def _fill_unused(cols: list[np.ndarray], used: np.ndarray) -> list[np.ndarray]:
    """Utilities per key with the keys no path has set to those of a key some path has: they
    are never gathered to a path, and so cannot decide `_weights`' overflow test either."""
    if used.all():
        return cols
    first = int(np.argmax(used))
    return [np.where(used, c, c[first]) if len(c) > 1 else c for c in cols]


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
    cols, labels = utility_columns(comp, d, theta, state, weights, record)
    U = np.empty((state.rows, len(cols)), order="F")
    for j, c in enumerate(cols):
        U[:, j] = c if labels is None else c[labels]
    return U


def interest_index(comp: Compiled, X: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """N = S + price_prevail * P - price_risk * R + price_security * Sec, per row and option."""
    pp = comp.prices["prevail"].of(theta)[:, None]
    pr = comp.prices["risk"].of(theta)[:, None]
    ps = comp.prices["security"].of(theta)[:, None]
    return X[..., 1] + pp * X[..., 2] - pr * X[..., 3] + ps * X[..., 4]
