"""The state of the system, one row per Monte Carlo draw, and how effects change it.

State: capabilities per arena and actor (with the log-deviation from the record that
simulated aid creates), who holds each stake, hostility between pairs of actors, which side
each actor backs, and which alliances are in force (one flag per alliance of the case, see
`Compiled.alliances`; `allied` answers for a pair).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realpolitik.model.compiled import CEffect, Compiled


@dataclass
class State:
    holder: np.ndarray  # (rows, stakes) int, -1 = nobody
    hostility: np.ndarray  # (rows, actors, actors) in [0, 1]
    align: np.ndarray  # (rows, actors) int, -1 = none
    alliance: np.ndarray  # (rows, alliances) bool: which of the case's alliances are in force
    deviation: np.ndarray  # (rows, arenas, actors) log-deviation of capability from the record
    capability: (
        np.ndarray
    )  # (rows, arenas, actors) simulated capability once dynamics run; nan before
    t: float

    @classmethod
    def initial(cls, comp: Compiled, rows: int) -> State:
        n, a = comp.n_actors, len(comp.arenas)
        return cls(
            holder=np.tile(comp.holder0, (rows, 1)),
            hostility=np.zeros((rows, n, n)),
            align=np.full((rows, n), -1, dtype=int),
            alliance=np.tile(
                np.array([al.initially for al in comp.alliances], dtype=bool), (rows, 1)
            ),
            deviation=np.zeros((rows, a, n)),
            capability=np.full((rows, a, n), np.nan),
            t=comp.start,
        )

    def apply(
        self, effect: CEffect, theta: np.ndarray, mask: np.ndarray, sign: float = 1.0
    ) -> None:
        """Apply one effect to the rows in `mask`.

        `sign=-1` removes an aid effect's mark from the deviation (used to keep the record path
        as the reference: see docs/model.md, "capabilities")."""
        if not mask.any():
            return
        rows = np.flatnonzero(mask)
        if effect.kind == "aid":
            amount = _pick(effect.q.of(theta), rows)
            step = sign * np.log1p(amount)
            live = ~np.isnan(self.capability[rows, effect.arena, effect.a])
            self.deviation[rows[~live], effect.arena, effect.a] += step[~live]
            if sign > 0:
                self.capability[rows[live], effect.arena, effect.a] *= np.exp(step[live])
        elif sign < 0:
            return
        elif effect.kind == "transfer":
            self.holder[rows, effect.stake] = effect.b
        elif effect.kind == "align":
            self.align[rows, effect.a] = effect.b
        elif effect.kind == "alliance":
            # ends the alliances it names and those it supersedes (declared incompatibilities)
            if effect.ends:
                self.alliance[np.ix_(rows, list(effect.ends))] = False
            if effect.active:
                self.alliance[rows, effect.alliance] = True
        elif effect.kind == "hostility":
            level = np.clip(_pick(effect.q.of(theta), rows), 0.0, 1.0)
            self.hostility[rows, effect.a, effect.b] = level
            self.hostility[rows, effect.b, effect.a] = level


def allied(
    comp: Compiled,
    state: State,
    a: int,
    b: int,
    types: frozenset[str] | tuple[str, ...] | None = None,
) -> np.ndarray:
    """Per row: are a and b members of one alliance in force (of one of `types`)?"""
    if not comp.alliances:
        return np.zeros(state.alliance.shape[0], dtype=bool)
    M = comp.alliance_members()
    both = M[:, a] & M[:, b] & comp.alliance_typed(types)
    if not both.any():
        return np.zeros(state.alliance.shape[0], dtype=bool)
    return state.alliance[:, both].any(axis=1)


def _pick(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Values for the given rows; one parameter row is shared by every path."""
    return np.broadcast_to(values, (len(rows),)) if len(values) == 1 else values[rows]
