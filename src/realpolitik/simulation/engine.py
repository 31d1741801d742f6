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
    capability,
    contest_shares,
    option_features,
    option_utility,
)
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
    if record or t <= state.t:
        state.t = max(state.t, t)
        return
    for a, arena in enumerate(comp.arenas):
        if arena.since is None or t <= arena.since:
            continue
        cur = max(state.t, arena.since)
        live = state.capability[:, a, :]
        if np.isnan(live).all():
            start = capability(comp, theta, state, a, arena.since, record=False)
            state.capability[:, a, :] = start
            live = state.capability[:, a, :]
        present = ~np.isnan(live[0])
        n_live = max(int(present.sum()), 1)
        m = arena.decisiveness.of(theta)
        drift = np.zeros_like(live)
        for actor, q in arena.drift.items():
            drift[:, actor] = q.of(theta)
        momentum = arena.momentum.of(theta)[:, None]
        while cur < t - 1e-12:
            dt = min(MAX_DT, t - cur)
            p = contest_shares(live, m)
            growth = drift + momentum * (np.nan_to_num(p) - 1.0 / n_live)
            live[:, present] *= np.exp(growth[:, present] * dt)
            cur += dt
    state.t = t


def arises(comp: Compiled, d: CDecision, state: State, choices: np.ndarray) -> np.ndarray:
    """Per row: do all of decision d's conditions hold on this path so far?"""
    ok = np.ones(state.holder.shape[0], dtype=bool)
    for r in d.requires:
        if r.kind == "chosen":
            held = np.isin(choices[:, r.decision], r.options)
        elif r.kind == "allied":
            held = allied(comp, state, r.a, r.b, r.types)
        else:
            held = state.holder[:, r.stake] == r.a
        ok &= held != r.negate
    return ok


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
) -> Path:
    """Run the case once per row of theta.

    feature_weights[row, actor, feature] drive the choices that are neither recorded nor
    forced; with record=True every decision takes its recorded option and capabilities follow
    the record, and the path's logp is the log-probability of the record under the weights.
    `uniforms[row, decision]`, when given, replaces the generator's draws (common random
    numbers across assumption settings in a sensitivity analysis). With `rows` larger than
    theta's single row, every path shares that parameter row (and feature_weights' single row):
    the work that does not depend on the path is then done once per step, not once per path.
    """
    if rows is None:
        rows = theta.shape[0]
    elif theta.shape[0] not in (1, rows):
        raise ValueError("theta must have one row or one row per path")
    forced = forced or {}
    moved = moved_events or {}
    state = State.initial(comp, rows)
    n_dec = len(comp.decisions)
    choices = np.zeros((rows, n_dec), dtype=np.int16)
    chosen_prob = np.full((rows, n_dec), np.nan)
    outcomes = np.zeros((rows, len(comp.outcomes)), dtype=bool)
    shares_at = np.full((rows, len(comp.outcomes)), np.nan)
    logp = np.zeros(rows)
    feats: list[np.ndarray] = []
    everyone = np.ones(rows, dtype=bool)
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
            if keep_features:
                feats.append(option_features(comp, d, theta, state, record=record))
            probs = None
            if feature_weights is not None:
                U = option_utility(comp, d, theta, state, feature_weights, record=record)
                e = np.exp(U - U.max(axis=1, keepdims=True))
                total = e.sum(axis=1)
                probs = e / total[:, None]
                chosen_prob[:, k] = probs[:, d.chosen]
            if record or not d.requires:
                happens = everyone
            else:
                happens = arises(comp, d, state, choices)
            if record:
                pick = np.full(rows, d.chosen)
            elif k in forced:
                pick = np.full(rows, forced[k])
            elif probs is not None:
                if uniforms is not None:
                    draw = uniforms[:, k]
                else:
                    assert rng is not None, "a seeded generator is needed to draw choices"
                    draw = rng.random(rows)
                pick = (np.cumsum(probs, axis=1) < draw[:, None]).sum(axis=1)
                pick = np.minimum(pick, probs.shape[1] - 1)
            else:
                pick = np.full(rows, d.chosen)
            if happens is not everyone:
                pick = np.where(happens, pick, -1)
                chosen_prob[~happens, k] = np.nan
            if probs is not None and k not in forced:
                took = pick >= 0
                logp[took] += np.log(probs[np.flatnonzero(took), pick[took]])
            choices[:, k] = pick
            for j, effects in enumerate(d.effects):
                mask = pick == j
                for eff in effects:
                    state.apply(eff, theta, mask)
            if not record:
                # the record path is the reference for capabilities before dynamics start
                for eff in d.effects[d.chosen]:
                    state.apply(eff, theta, everyone, sign=-1.0)
        else:
            o = comp.outcomes[step.index]
            i = step.index
            if o.kind == "prevails":
                cap = capability(comp, theta, state, o.arena, o.t, record)
                p = contest_shares(cap, comp.arenas[o.arena].decisiveness.of(theta))[:, o.actor]
                shares_at[:, i] = p
                outcomes[:, i] = np.nan_to_num(p) >= o.threshold.of(theta)
            elif o.kind == "alliance":
                outcomes[:, i] = allied(comp, state, o.members[0], o.members[1], o.types)
            else:
                outcomes[:, i] = state.holder[:, o.stake] == o.actor
    return Path(choices, outcomes, logp, chosen_prob, feats, shares_at)
