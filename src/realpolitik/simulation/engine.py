"""The engine: walks a case's timeline for many rows (draws) at once.

At each step: capabilities advance (the record, or the balance rule once an arena's dynamics
start), exogenous events apply, the deciding actor picks an option (the recorded one, a forced
one, or a draw from the choice model), and the chosen option's effects change the state.
In record mode it replays what happened, which gives the features the estimation uses.
A conditional decision (`requires:`) arises only on the paths where its conditions hold; on the
others it is skipped (choice -1, no effects, no probability).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from realpolitik.model.compiled import CDecision, Compiled
from realpolitik.model.features import (
    arena_actors,
    class_log_capability,
    class_shares,
    option_base,
    option_features,
    prevail_share,
    record_capability,
    utility_columns,
)
from realpolitik.model.kept import Kept
from realpolitik.model.state import State, allied

MAX_DT = 0.25  # years per integration sub-step of the balance rule


@dataclass
class Path:
    choices: np.ndarray  # (rows, decisions); -1 where a conditional decision did not arise
    outcomes: np.ndarray  # (rows, outcomes) bool
    logp: np.ndarray  # (rows,) log-probability of the choices made (0 where forced)
    chosen_prob: np.ndarray  # (rows, decisions) probability of the recorded option
    features: list[np.ndarray] = field(default_factory=list)  # per decision (rows, opts, 5)
    shares: np.ndarray | None = None  # (rows, outcomes) the contest share at prevails outcomes


def _advance(comp: Compiled, theta: np.ndarray, state: State, t: float, record: bool) -> None:
    """Move the state to time t: integrate each live arena's balance rule (docs/model.md).

    The rule runs on the capability classes (model/state.py), not on every path: with one
    parameter row, a handful of classes stands for all the paths of a chunk. It is integrated
    on log capabilities, d ln C_a / dt = drift_a + momentum (p_a - 1/n), where the contest
    shares p are a softmax of m ln C: the same rule as on capabilities, without powers."""
    if record or t <= state.t:
        state.t = max(state.t, t)
        return
    for a, arena in enumerate(comp.arenas):
        if arena.since is None or t <= arena.since:
            continue
        cols = arena_actors(comp, a)
        if not len(cols):
            continue
        cur = max(state.t, arena.since)
        if not state.live[a]:
            # dynamics start: the record at that date, scaled by each class's deviation
            start = np.log(record_capability(comp, theta, a, arena.since)[:, cols])
            tab = np.full(state.cap_table[a].shape, np.nan)
            tab[:, cols] = start + state.cap_table[a][:, cols]
            state.cap_table[a] = tab
            state.live[a] = True
        # actors without a figure at the start (nan) take no part, as before the class layout
        cols = cols[~np.isnan(state.cap_table[a][0, cols])]
        if not len(cols):
            continue
        L = state.cap_table[a][:, cols]
        m = arena.decisiveness.of(theta)
        drift = np.zeros((theta.shape[0], len(cols)))
        for i, actor in enumerate(cols):
            if int(actor) in arena.drift:
                drift[:, i] = arena.drift[int(actor)].of(theta)
        momentum = arena.momentum.of(theta)[:, None]
        while cur < t - 1e-12:
            dt = min(MAX_DT, t - cur)
            p = class_shares(L, m)
            L += (drift + momentum * (p - 1.0 / len(cols))) * dt
            cur += dt
        state.cap_table[a][:, cols] = L
    state.t = t


# option_base of each decision for a single parameter row, kept per compiled case: it does not
# depend on the path, so the chunks of a simulation (and repeated runs) compute it once.
_BASES = Kept(cases=8, entries=4096)


def _option_base(comp: Compiled, k: int, theta: np.ndarray) -> np.ndarray:
    """`option_base` of decision k, kept when theta is a single row (then read only)."""
    if theta.shape[0] != 1:
        return option_base(comp, comp.decisions[k], theta)
    return _BASES.get(
        comp, (k, theta.tobytes()), lambda: option_base(comp, comp.decisions[k], theta)
    )


def arises(comp: Compiled, d: CDecision, state: State, choices: np.ndarray) -> np.ndarray:
    """Per row: do all of decision d's conditions hold on this path so far? (`choices` is
    (rows, decisions).)"""
    ok = np.ones(state.rows, dtype=bool)
    for r in d.requires:
        if r.kind == "chosen":
            held = np.isin(choices[:, r.decision], r.options)
        elif r.kind == "allied":
            held = allied(comp, state, r.a, r.b, r.types)
        else:
            held = state.holder[:, r.stake] == r.a
        ok &= held != r.negate
    return ok


def _allies_in_force(comp: Compiled, state: State, actor: int) -> bool:
    """Is a defence or offence alliance naming `actor` in force on some path? (If not, its
    coalition is itself on every path and the per-class share is its coalition's share.)"""
    if not comp.alliances:
        return False
    M = comp.alliance_members()
    mine = M[:, actor] & comp.alliance_typed(("defence", "offence"))
    return bool(mine.any() and state.alliance[:, mine].any())


def _weights(cols: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Unnormalised logit weights e[option] of options with utilities `cols` (one array per
    option) and their total: probabilities are e / total.

    The weights are taken relative to option 0, one exponential fewer than relative to each
    path's best option; the best option is the reference only when a gap overflows."""
    e = [np.ones(1)] + [np.exp(c - cols[0]) for c in cols[1:]]
    total = np.add.reduce(np.broadcast_arrays(*e)) if len(e) > 1 else e[0]
    if not np.isfinite(total).all():
        top = np.maximum.reduce(np.broadcast_arrays(*cols))
        e = [np.exp(c - top) for c in cols]
        total = np.add.reduce(np.broadcast_arrays(*e))
    return e, total


def _draw(
    e: list[np.ndarray], total: np.ndarray, draw: np.ndarray, labels: np.ndarray | None = None
) -> np.ndarray:
    """The option each path picks by inverse CDF with its uniform `draw`: the number of
    cumulative probabilities below the draw. `labels`, when given, maps each path to its entry
    of the weights (one per capability class, or per key: `utility_columns`): only the
    cumulative probabilities are gathered to the paths."""
    if len(e) < 2:
        return np.zeros(len(draw), dtype=np.int8)
    pick = np.empty(0, dtype=np.int8)
    acc = e[0]
    for j in range(len(e) - 1):
        if j:
            acc = acc + e[j]
        below = acc / total
        less = (below if labels is None else below.take(labels)) < draw
        if j:
            pick += less
        else:
            pick = less.view(np.int8)  # (a new array: 0 or 1)
    return pick


def run(
    comp: Compiled,
    theta: np.ndarray,
    *,
    feature_weights: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    record: bool = False,
    forced: dict[int, int] | None = None,
    skip_events: frozenset[str] = frozenset(),
    moved_events: dict[str, float] | None = None,
    keep_features: bool = False,
    uniforms: np.ndarray | None = None,
    rows: int | None = None,
    diagnostics: bool = True,
) -> Path:
    """Run the case once per row of theta.

    feature_weights[row, actor, feature] drive the choices that are neither recorded nor
    forced; with record=True every decision takes its recorded option and capabilities follow
    the record, and the path's logp is the log-probability of the record under the weights.
    `uniforms[row, decision]`, when given, replaces the generator's draws (common random
    numbers across assumption settings in a sensitivity analysis). With `rows` larger than
    theta's single row, every path shares that parameter row (and feature_weights' single row):
    the work that does not depend on the path is then done once per step, not once per path.
    `diagnostics=False` skips `logp` and `chosen_prob` (left 0 and nan), which a simulation
    that only counts choices and outcomes does not need; the draws are the same either way.
    """
    if rows is None:
        rows = theta.shape[0]
    elif theta.shape[0] not in (1, rows):
        raise ValueError("theta must have one row or one row per path")
    forced = forced or {}
    moved = moved_events or {}
    state = State.initial(comp, rows, theta.shape[0])
    n_dec = len(comp.decisions)
    # decision-major buffers: each decision writes one contiguous row (transposed at the end)
    choices = np.zeros((n_dec, rows), dtype=np.int16)
    # without diagnostics, a read-only view of nan (no memory)
    chosen_prob = (
        np.full((n_dec, rows), np.nan) if diagnostics else np.broadcast_to(np.nan, (n_dec, rows))
    )
    outcomes = np.zeros((len(comp.outcomes), rows), dtype=bool)
    shares_at = np.full((len(comp.outcomes), rows), np.nan)
    logp = np.zeros(rows)
    feats: list[np.ndarray] = []
    everyone = np.ones(rows, dtype=bool)
    drawn_into = np.empty(rows)  # each decision's uniforms (used before the next is drawn)
    steps = comp.steps(skip_events=skip_events, moved=moved)
    # the record is the reference for capabilities before dynamics start, and it includes every
    # event's aid at the event's recorded date: take that aid out there (as for the recorded
    # option of a decision below), so a simulated path deviates from the record only where its
    # events were removed or moved. An event that happens as recorded nets to zero.
    undo_iter = sorted((e.t, i) for i, e in enumerate(comp.events))
    u = 0
    for step in steps:
        while u < len(undo_iter) and undo_iter[u][0] <= step.t:
            _advance(comp, theta, state, undo_iter[u][0], record)
            for eff in comp.events[undo_iter[u][1]].effects:
                state.apply(eff, theta, everyone, sign=-1.0)
            u += 1
        _advance(comp, theta, state, step.t, record)
        if step.kind == "event":
            for eff in comp.events[step.index].effects:
                state.apply(eff, theta, everyone)
        elif step.kind == "decision":
            k = step.index
            d = comp.decisions[k]
            base = _option_base(comp, k, theta)
            if keep_features:
                feats.append(option_features(comp, d, theta, state, record=record))
            drawn = not record and k not in forced and feature_weights is not None
            pick: np.ndarray | int = forced.get(k, d.chosen)  # one option for every path
            # a conditional decision arises on some paths only: there the choice is per path
            # (-1 where it does not arise), and the scalar `pick` short cut does not apply
            happens = None if record or not d.requires else arises(comp, d, state, choices.T)
            if happens is not None and happens.all():
                happens = None
            if feature_weights is not None and (drawn or diagnostics):
                cols, labels = utility_columns(
                    comp, d, theta, state, feature_weights, record=record, base=base
                )
                e, total = _weights(cols)
                if drawn:
                    if uniforms is not None:
                        draw = uniforms[:, k]
                    else:
                        assert rng is not None, "a seeded generator is needed to draw choices"
                        # drawn on every path, so the stream is the same; into one buffer
                        draw = rng.random(out=drawn_into)
                    pick = _draw(e, total, draw, labels)
                if happens is not None:
                    pick = np.where(happens, pick, -1).astype(np.int8)
                if diagnostics:
                    prob = [np.broadcast_to(x / total, total.shape) for x in e]
                    prob = [np.broadcast_to(x if labels is None else x[labels], rows) for x in prob]
                    chosen_prob[k] = (
                        prob[d.chosen]
                        if happens is None
                        else np.where(happens, prob[d.chosen], np.nan)
                    )
                    if k not in forced:
                        if isinstance(pick, int):
                            logp += np.log(prob[pick])
                        elif happens is None:
                            logp += np.log(np.choose(pick, prob))
                        else:  # no probability where the decision did not arise
                            mine = np.choose(np.maximum(pick, 0), prob)
                            logp += np.where(happens, np.log(mine), 0.0)
            elif happens is not None:
                pick = np.where(happens, pick, -1).astype(np.int8)
            choices[k] = pick
            if isinstance(pick, int):
                for eff in d.effects[pick]:
                    state.apply(eff, theta, everyone)
            else:
                for j, effects in enumerate(d.effects):
                    if effects:
                        mask = pick == j
                        for eff in effects:
                            state.apply(eff, theta, mask)
            if not record:
                # the record path is the reference for capabilities before dynamics start
                for eff in d.effects[d.chosen]:
                    if eff.kind == "aid":
                        state.apply(eff, theta, everyone, sign=-1.0)
        else:
            o = comp.outcomes[step.index]
            i = step.index
            if o.kind == "prevails" and _allies_in_force(comp, state, o.actor):
                # the coalition's share: allies in force pool capabilities (per path)
                p = prevail_share(comp, theta, state, o.actor, o.arena, o.t, record)
                if p is not None:
                    p = np.nan_to_num(np.broadcast_to(p, (state.rows,)))
                    shares_at[i] = p
                    outcomes[i] = p >= o.threshold.of(theta)
            elif o.kind == "prevails":  # no ally in force on any path: the per-class share
                L, labels = class_log_capability(comp, theta, state, o.arena, o.t, record)
                where = list(arena_actors(comp, o.arena))
                if o.actor in where:
                    m = comp.arenas[o.arena].decisiveness.of(theta)
                    p = np.nan_to_num(class_shares(L, m)[:, where.index(o.actor)])
                    met = p >= o.threshold.of(theta)
                    if labels is not None and len(p) > 1:  # per class: gathered to the paths
                        p, met = p[labels], met[labels]
                    shares_at[i] = p
                    outcomes[i] = met
            elif o.kind == "alliance":
                outcomes[i] = allied(comp, state, o.members[0], o.members[1], o.types)
            else:
                outcomes[i] = state.holder[:, o.stake] == o.actor
    return Path(choices.T, outcomes.T, logp, chosen_prob.T, feats, shares_at.T)
