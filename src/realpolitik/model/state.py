"""The state of the system, one row per Monte Carlo draw, and how effects change it.

State: capabilities per arena and actor (with the log-deviation from the record that
simulated aid creates), who holds each stake, hostility between pairs of actors, which side
each actor backs, and which alliances exist.
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
    alliance: np.ndarray  # (rows, actors, actors) bool
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
            alliance=np.zeros((rows, n, n), dtype=bool),
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
            self.alliance[rows, effect.a, effect.b] = effect.active
            self.alliance[rows, effect.b, effect.a] = effect.active
        elif effect.kind == "hostility":
            level = np.clip(_pick(effect.q.of(theta), rows), 0.0, 1.0)
            self.hostility[rows, effect.a, effect.b] = level
            self.hostility[rows, effect.b, effect.a] = level


def _pick(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Values for the given rows; one parameter row is shared by every path."""
    return np.broadcast_to(values, (len(rows),)) if len(values) == 1 else values[rows]
