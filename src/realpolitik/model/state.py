"""The state of the system, one row per Monte Carlo draw, and how effects change it.

State: capabilities per arena and actor (with the log-deviation from the record that
simulated aid creates), who holds each stake, hostility between pairs of actors, which side
each actor backs, and which alliances are in force (one flag per alliance of the case, see
`Compiled.alliances`; `allied` answers for a pair).

Layout (for speed; see benchmarks/README.md):
- Every per-path array is (rows, ...) in Fortran (column-major) order, so that one stake's
  holders, one pair's hostility or one actor's side is a contiguous run of memory across paths:
  the engine reads and writes whole columns, never scattered elements.
- Capabilities are kept per *capability class*, not per path. Paths that have received the same
  aid share one row of `cap_table[arena]` (log units), and `cap_class[:, arena]` says which row
  each path uses. When every path shares one parameter row (a `simulate` chunk), a handful of
  classes stands for thousands of paths, so the balance-of-forces rule and the contest shares
  are computed once per class rather than once per path. When each path has its own parameter
  row (a sensitivity analysis, record mode), each path is its own class (`per_path`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from realpolitik.model.compiled import CEffect, Compiled


@dataclass
class State:
    holder: np.ndarray  # (rows, stakes) int16, -1 = nobody
    hostility: np.ndarray  # (rows, actors, actors) in [0, 1]
    align: np.ndarray  # (rows, actors) int16, -1 = none
    alliance: np.ndarray  # (rows, alliances) bool: which of the case's alliances are in force
    # cap_table[arena][class, actor]: before the arena's dynamics start, the log-deviation of
    # the capability from the record; afterwards the log capability itself (nan for an actor
    # without one). cap_class[row, arena]: the class of each path.
    cap_table: list[np.ndarray]
    cap_class: np.ndarray  # (rows, arenas) int
    live: list[bool]  # per arena: has the balance rule started?
    per_path: bool  # True: class i is path i (one parameter row per path), never split
    t: float
    # the (a, b) pairs whose hostility some effect has set: every other pair is 0 on every path
    hostile_pairs: set[tuple[int, int]] = field(default_factory=set)

    @classmethod
    def initial(cls, comp: Compiled, rows: int, param_rows: int = 1) -> State:
        """The state at the case's start for `rows` paths; `param_rows` is the number of rows
        of theta (1: every path shares it; `rows`: one per path)."""
        n, a = comp.n_actors, len(comp.arenas)
        per_path = param_rows > 1
        classes = rows if per_path else 1
        holder = np.empty((rows, len(comp.holder0)), dtype=np.int16, order="F")
        for s, h in enumerate(comp.holder0):  # column fills: no element-wise cast
            holder[:, s].fill(h)
        return cls(
            holder=holder,
            hostility=np.zeros((rows, n, n), order="F"),
            align=np.full((rows, n), -1, dtype=np.int16, order="F"),
            alliance=np.asfortranarray(
                np.tile(np.array([al.initially for al in comp.alliances], dtype=bool), (rows, 1))
            ).reshape(rows, len(comp.alliances), order="F"),
            cap_table=[np.zeros((classes, n)) for _ in range(a)],
            cap_class=(
                np.asfortranarray(np.tile(np.arange(rows)[:, None], (1, a)))
                if per_path
                else np.zeros((rows, a), dtype=np.intp, order="F")
            ),
            live=[False] * a,
            per_path=per_path,
            t=comp.start,
        )

    @property
    def rows(self) -> int:
        return self.holder.shape[0]

    # ---- per-path views of the capability classes (for inspection and tests) ------------------

    @property
    def deviation(self) -> np.ndarray:
        """(rows, arenas, actors) log-deviation of capability from the record (0 once live)."""
        out = np.zeros((self.rows, len(self.cap_table), self.holder_actors))
        for a, tab in enumerate(self.cap_table):
            if not self.live[a]:
                out[:, a, :] = tab[self.cap_class[:, a]]
        return out

    @property
    def capability(self) -> np.ndarray:
        """(rows, arenas, actors) simulated capability once dynamics run; nan before."""
        out = np.full((self.rows, len(self.cap_table), self.holder_actors), np.nan)
        for a, tab in enumerate(self.cap_table):
            if self.live[a]:
                out[:, a, :] = np.exp(tab[self.cap_class[:, a]])
        return out

    @property
    def holder_actors(self) -> int:
        return self.align.shape[1]

    # ---- effects -------------------------------------------------------------------------------

    def apply(
        self, effect: CEffect, theta: np.ndarray, mask: np.ndarray, sign: float = 1.0
    ) -> None:
        """Apply one effect to the rows in `mask`.

        `sign=-1` removes an aid effect's mark from the deviation (used to keep the record path
        as the reference: see docs/model.md, "capabilities")."""
        if not mask.any():
            return
        every = bool(mask.all())  # (both stop at the first path that differs)
        if effect.kind == "aid":
            # log units: the deviation before dynamics start, the capability itself after;
            # a live capability is only ever raised (the record's aid is not taken out of it)
            if sign < 0 and self.live[effect.arena]:
                return
            step = sign * np.log1p(effect.q.of(theta))
            self._add_capability(effect.arena, effect.a, step, mask, every)
        elif sign < 0:
            return
        # masked writes into contiguous columns (Fortran order), see `_put`
        elif effect.kind == "transfer":
            _put(self.holder[:, effect.stake], mask, effect.b, every)
        elif effect.kind == "align":
            _put(self.align[:, effect.a], mask, effect.b, every)
        elif effect.kind == "alliance":
            # ends the alliances it names and those it supersedes (declared incompatibilities)
            for ended in effect.ends:
                _put(self.alliance[:, ended], mask, False, every)
            if effect.active:
                _put(self.alliance[:, effect.alliance], mask, True, every)
        elif effect.kind == "hostility":
            level = np.clip(effect.q.of(theta), 0.0, 1.0)
            self.hostile_pairs.update(((effect.a, effect.b), (effect.b, effect.a)))
            _put(self.hostility[:, effect.a, effect.b], mask, level)
            _put(self.hostility[:, effect.b, effect.a], mask, level)

    def _add_capability(
        self, arena: int, actor: int, step: np.ndarray, mask: np.ndarray, every: bool | None = None
    ) -> None:
        """Add `step` (log units) to `actor`'s capability in the paths of `mask` (`every`: whether
        that is every path, when already known)."""
        tab = self.cap_table[arena]
        if self.per_path:
            np.add(tab[:, actor], step, out=tab[:, actor], where=mask)
            return
        if mask.all() if every is None else every:  # every path: every class moves together
            tab[:, actor] += step
            return
        # some paths only: each class splits into the paths with the aid and those without
        n = len(tab)
        moved = tab.copy()
        moved[:, actor] += step
        labels = self.cap_class[:, arena]
        labels += mask * n  # branch-free: a masked add (where=) mispredicts on a random mask
        self._compact(arena, np.concatenate([tab, moved]))

    def _compact(self, arena: int, tab: np.ndarray) -> None:
        """Drop classes no path uses and merge identical ones (keeps the tables tiny)."""
        labels = self.cap_class[:, arena]
        used = np.flatnonzero(np.bincount(labels, minlength=len(tab)))
        key = np.nan_to_num(tab[used], nan=np.inf)
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        remap = np.zeros(len(tab), dtype=np.intp)
        remap[used] = inverse.ravel()
        labels[:] = remap[labels]
        self.cap_table[arena] = tab[used][first]


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


def _put(col: np.ndarray, mask: np.ndarray, value: object, every: bool = False) -> None:
    """col[mask] = value, in place, without branches: a masked store (np.putmask, boolean
    indexing) mispredicts on a random mask and costs several times these few passes. Exact:
    integers blend by adding mask * (value - col); floats keep one of two products, the other
    being zero; booleans are or-ed or and-ed. `every`: the mask is all true, so integers and
    booleans are simply filled (the same numbers in one pass)."""
    if every and col.dtype.kind in "bi":
        col.fill(value)
    elif col.dtype == bool:
        if value:
            np.logical_or(col, mask, out=col)
        else:
            np.logical_and(col, ~mask, out=col)
    elif np.issubdtype(col.dtype, np.integer):
        np.add(col, mask * (col.dtype.type(value) - col), out=col)
    else:
        np.multiply(col, ~mask, out=col)
        np.add(col, np.multiply(value, mask), out=col)
