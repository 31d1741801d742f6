"""The choice data: one row per option of every recorded decision, with its model terms.

Built by replaying the record (`engine.run(record=True)`), so stakes already won, hostility
after the London conference and the balance of forces at each date enter the features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from realpolitik.model.compiled import FEATURES, Compiled
from realpolitik.model.features import interest_index
from realpolitik.model.specs import check_model, design
from realpolitik.simulation.engine import run


@dataclass
class ChoiceData:
    """Stacked options: Z[option, term], the decision each belongs to, and who chose."""

    comp: Compiled
    model: str
    terms: tuple[str, ...]
    Z: np.ndarray  # (options, terms)
    X5: np.ndarray  # (options, 5)
    N: np.ndarray  # (options,) the interest index, the reference direction of interest
    chosen: np.ndarray  # (options,) 0/1
    group: np.ndarray  # (options,) decision index within this data
    actor: np.ndarray  # (options,) actor index
    decisions: list[int]  # compiled decision index of each group
    starts: np.ndarray  # first option row of each group

    @property
    def n_groups(self) -> int:
        return len(self.decisions)

    def actors_present(self) -> list[int]:
        return sorted(set(self.actor.tolist()))

    def subset(self, keep_groups: np.ndarray) -> ChoiceData:
        keep = np.isin(self.group, keep_groups)
        groups = self.group[keep]
        _, new_group = np.unique(groups, return_inverse=True)
        starts = np.flatnonzero(np.r_[True, np.diff(new_group) != 0])
        return ChoiceData(
            comp=self.comp,
            model=self.model,
            terms=self.terms,
            Z=self.Z[keep],
            X5=self.X5[keep],
            N=self.N[keep],
            chosen=self.chosen[keep],
            group=new_group,
            actor=self.actor[keep],
            decisions=[self.decisions[g] for g in sorted(set(groups.tolist()))],
            starts=starts,
        )

    def for_actor(self, actor: int) -> ChoiceData:
        groups = np.unique(self.group[self.actor == actor])
        return self.subset(groups)

    def within_sd(self) -> np.ndarray:
        """Pooled within-decision standard deviation of each term (the standardising scale)."""
        dev = self.Z - group_means(self.Z, self.group, self.n_groups)[self.group]
        sd = np.sqrt((dev**2).sum(axis=0) / max(len(self.Z) - self.n_groups, 1))
        return np.where(sd > 0, sd, 1.0)


def group_means(Z: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    sums = np.zeros((n, Z.shape[1]))
    np.add.at(sums, group, Z)
    counts = np.bincount(group, minlength=n)[:, None]
    return sums / counts


def choice_data(
    comp: Compiled, model: str = "full", theta: np.ndarray | None = None, actor: int | None = None
) -> ChoiceData:
    terms = check_model(model)
    theta = comp.theta() if theta is None else theta[:1]
    path = run(comp, theta, record=True, keep_features=True)
    Zs, Xs, Ns, chosen, group, actors, decisions = [], [], [], [], [], [], []
    g = 0
    for k, (d, X) in enumerate(zip(comp.decisions, path.features, strict=True)):
        if actor is not None and d.actor != actor:
            continue
        X5 = X[0]
        Z = design(model, comp, X5[None], theta)[0]
        Zs.append(Z)
        Xs.append(X5)
        Ns.append(interest_index(comp, X5[None], theta)[0])
        c = np.zeros(len(d.option_ids))
        c[d.chosen] = 1
        chosen.append(c)
        group.append(np.full(len(d.option_ids), g))
        actors.append(np.full(len(d.option_ids), d.actor))
        decisions.append(k)
        g += 1
    group_arr = np.concatenate(group) if group else np.zeros(0, dtype=int)
    return ChoiceData(
        comp=comp,
        model=model,
        terms=terms,
        Z=np.vstack(Zs) if Zs else np.zeros((0, len(terms))),
        X5=np.vstack(Xs) if Xs else np.zeros((0, 5)),
        N=np.concatenate(Ns) if Ns else np.zeros(0),
        chosen=np.concatenate(chosen) if chosen else np.zeros(0),
        group=group_arr,
        actor=np.concatenate(actors) if actors else np.zeros(0, dtype=int),
        decisions=decisions,
        starts=np.flatnonzero(np.r_[True, np.diff(group_arr) != 0])
        if len(group_arr)
        else np.zeros(0, dtype=int),
    )


def options_frame(comp: Compiled, theta: np.ndarray | None = None) -> pd.DataFrame:
    """Tidy table of every option's five features and both model terms on the recorded path."""
    data = choice_data(comp, "components", theta)
    rows = []
    for i in range(len(data.Z)):
        k = data.decisions[data.group[i]]
        d = comp.decisions[k]
        j = i - data.starts[data.group[i]]
        row = {
            "decision": d.id,
            "actor": comp.actor_ids[d.actor],
            "option": d.option_ids[j],
            "chosen": bool(data.chosen[i]),
        }
        row.update({f: float(data.X5[i, n]) for n, f in enumerate(FEATURES)})
        row["interest"] = float(data.N[i])
        rows.append(row)
    return pd.DataFrame(rows)
