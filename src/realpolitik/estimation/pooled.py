"""One actor across cases: a hierarchical model that pools an actor's recorded choices from
several cases, with a case-level deviation for each case it appears in (docs/estimation-pooled.md).

Terms are standardised within each case (divided by that case's pooled within-decision SD), so
a standardised weight means the same in every case. For an actor u that appears in several
cases (a *pooled identity*) and each case c it appears in:

    w[u, c, k] = v[u, k] + sigma[k] * e[u, c, k]          (case-level deviation)
    v[u, k]    = mu[k] + tau[k] * z[u, k]                 (the actor's own weight)

and for an actor that appears in one case only, w[a, k] = mu[k] + tau[k] * z[a, k] as in
`realpolitik.estimation.bayes`. z, e ~ Normal(0, 1) (non-centred); mu ~ Normal(0, 2.5);
tau, sigma ~ HalfNormal(1). Sampled with emcee; R-hat between independent ensembles and the
effective sample size (arviz-stats) are checked as in the single-case model.

Identities: an actor's identity is its `identity:` key, or else its id; `--same A=B` declares
that ids A and B (in whichever cases they occur) are one actor. An identity that made recorded
decisions in two or more cases is pooled.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from realpolitik.errors import ConvergenceError, InputError
from realpolitik.estimation.bayes import MU_SCALE, TAU_SCALE
from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.estimation.likelihood import group_log_softmax
from realpolitik.estimation.results import INTEREST_TERMS, VERDICT_LEVEL, verdict_word
from realpolitik.model.compiled import Compiled

SIGMA_SCALE = 1.0


def parse_same(values: tuple[str, ...] | list[str]) -> list[tuple[str, ...]]:
    """`--same USSR=USSR,PRC=CCP` (or repeated): groups of actor ids that are one actor."""
    groups = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            ids = tuple(x.strip() for x in item.split("="))
            if any(not x for x in ids):
                raise InputError(f"--same: expected ID=ID[=ID...], got '{item}'")
            groups.append(ids)
    return groups


def identities(comps: list[Compiled], same: list[tuple[str, ...]]) -> list[dict[str, str]]:
    """Per case: actor id -> identity. An actor's identity is its `identity:` key or its id;
    `--same` groups merge identities. A merged identity is named by its members, sorted and
    joined with '=' (`CCP=PRC`)."""
    from realpolitik.scenario.validate import closest_known

    known = {a for c in comps for a in c.actor_ids}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for c in comps:
        for actor in c.case.actors:
            union(actor.id, actor.identity or actor.id)
    for group in same:
        for x in group:
            if x not in known:
                raise InputError(f"--same: unknown actor '{x}' ({closest_known(x, known)})")
        for x in group[1:]:
            union(group[0], x)
    members: dict[str, set[str]] = {}
    for x in list(parent):
        members.setdefault(find(x), set()).add(x)
    name = {root: "=".join(sorted(m)) for root, m in members.items()}
    return [{a.id: name[find(a.id)] for a in c.case.actors} for c in comps]


@dataclass
class Unit:
    """One actor-in-a-case of the pooled data."""

    case: int
    actor: int  # actor index in that case
    identity: str
    row: int  # row of w (one per actor-in-case)


@dataclass
class PooledData:
    comps: list[Compiled]
    datas: list[ChoiceData]  # per case, all actors
    sds: list[np.ndarray]  # per case, the standardising scale
    units: list[Unit]
    pooled: list[str]  # identities with decisions in two or more cases
    singles: list[str]  # identities with decisions in one case
    terms: tuple[str, ...]
    Zs: np.ndarray  # stacked standardised terms (options, terms)
    chosen: np.ndarray
    starts: np.ndarray
    opt_unit: np.ndarray  # (options,) unit row of each option


def pooled_data(
    comps: list[Compiled], same: list[tuple[str, ...]], model: str = "full"
) -> PooledData:
    ids = identities(comps, same)
    datas = [choice_data(c, model) for c in comps]
    sds = [d.within_sd() for d in datas]
    units: list[Unit] = []
    cases_of: dict[str, set[int]] = {}
    for ci, d in enumerate(datas):
        for a in d.actors_present():
            ident = ids[ci][comps[ci].actor_ids[a]]
            units.append(Unit(ci, a, ident, len(units)))
            cases_of.setdefault(ident, set()).add(ci)
    pooled = sorted(k for k, v in cases_of.items() if len(v) > 1)
    singles = sorted(k for k, v in cases_of.items() if len(v) == 1)
    row = {(u.case, u.actor): u.row for u in units}
    Zs, chosen, opt_unit, starts = [], [], [], []
    offset = 0
    for ci, d in enumerate(datas):
        Zs.append(d.Z / sds[ci])
        chosen.append(d.chosen.astype(bool))
        opt_unit.append(np.array([row[(ci, a)] for a in d.actor]))
        starts.append(d.starts + offset)
        offset += len(d.Z)
    return PooledData(
        comps=comps,
        datas=datas,
        sds=sds,
        units=units,
        pooled=pooled,
        singles=singles,
        terms=datas[0].terms,
        Zs=np.vstack(Zs),
        chosen=np.concatenate(chosen),
        starts=np.concatenate(starts),
        opt_unit=np.concatenate(opt_unit),
    )


class PooledPosterior:
    """Log posterior of the pooled model; parameters packed as
    [z (identities x K), e (pooled units x K), mu (K), log tau (K), log sigma (K)]."""

    def __init__(self, data: PooledData):
        self.data = data
        self.K = len(data.terms)
        self.idents = data.pooled + data.singles
        self.NI = len(self.idents)
        pos = {k: i for i, k in enumerate(self.idents)}
        self.unit_ident = np.array([pos[u.identity] for u in data.units])
        self.pooled_units = [u.row for u in data.units if u.identity in data.pooled]
        self.E = len(self.pooled_units)
        self.dim = (self.NI + self.E + 3) * self.K

    def unpack(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        K, NI, E = self.K, self.NI, self.E
        n = theta.shape[0]
        z = theta[:, : NI * K].reshape(n, NI, K)
        e = theta[:, NI * K : (NI + E) * K].reshape(n, E, K)
        rest = theta[:, (NI + E) * K :]
        mu, tau, sigma = rest[:, :K], np.exp(rest[:, K : 2 * K]), np.exp(rest[:, 2 * K :])
        v = mu[:, None, :] + tau[:, None, :] * z  # (n, identities, K)
        w = v[:, self.unit_ident, :].copy()  # (n, units, K)
        if E:
            w[:, self.pooled_units, :] += sigma[:, None, :] * e
        return {"z": z, "e": e, "mu": mu, "tau": tau, "sigma": sigma, "v": v, "w": w}

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        p = self.unpack(np.atleast_2d(theta))
        d = self.data
        U = np.einsum("nok,ok->no", p["w"][:, d.opt_unit, :], d.Zs)
        ll = group_log_softmax(U, d.starts)[:, d.chosen].sum(axis=1)
        lp = -0.5 * (p["z"] ** 2).sum(axis=(1, 2)) - 0.5 * (p["e"] ** 2).sum(axis=(1, 2))
        lp += -0.5 * ((p["mu"] / MU_SCALE) ** 2).sum(axis=1)
        for scale, value in ((TAU_SCALE, p["tau"]), (SIGMA_SCALE, p["sigma"])):
            lp += (-0.5 * (value / scale) ** 2 + np.log(value)).sum(axis=1)
        out = ll + lp
        return np.where(np.isfinite(out), out, -np.inf)


@dataclass
class PooledFit:
    data: PooledData
    model: str
    seed: int
    alpha: float
    v: np.ndarray  # (draws, identities, K) standardised pooled weights
    w: np.ndarray  # (draws, units, K) standardised actor-in-case weights
    sigma: np.ndarray  # (draws, K)
    rhat_max: float
    ess_min: float
    idents: list[str] = field(default_factory=list)

    def _strength(self, draws_std: np.ndarray, units: list[Unit]) -> tuple[np.ndarray, ...]:
        """Signed ideology and interest strengths (docs/model.md, section 2) of standardised
        weights applied to the actor's decisions in the given cases, pooled over them."""
        d = self.data
        terms = d.terms
        ideo = np.array([t == "ideology" for t in terms])
        inter = np.array([t in INTEREST_TERMS for t in terms])
        sums = {"i": 0.0, "n": 0.0, "si": 0.0, "sn": 0.0}
        dof = 0
        for u in units:
            sub = d.datas[u.case].for_actor(u.actor)
            Zs = sub.Z / d.sds[u.case]
            sizes = np.diff(np.r_[sub.starts, len(sub.Z)])

            def within(U: np.ndarray, sub: ChoiceData = sub, sizes: np.ndarray = sizes):
                means = np.add.reduceat(U, sub.starts, axis=-1) / sizes
                return U - means[..., sub.group]

            for key, mask, ref in (("i", ideo, sub.X5[:, 0]), ("n", inter, sub.N)):
                if not mask.any():
                    continue
                dev = within(draws_std[:, mask] @ Zs[:, mask].T)
                sums[key] = sums[key] + (dev**2).sum(axis=1)
                sums["s" + key] = sums["s" + key] + dev @ within(ref)
            dof += len(sub.Z) - sub.n_groups
        dof = max(dof, 1)
        out = []
        for key in ("i", "n"):
            sq = np.asarray(sums[key], dtype=float) * np.ones(draws_std.shape[0])
            out.append(np.sign(sums["s" + key]) * np.sqrt(sq / dof))
        return out[0], out[1]

    def verdicts(self) -> pd.DataFrame:
        """Per pooled actor: the verdict across cases (its own weight v applied to all its
        decisions), then per case (its case-level weight w on that case's decisions)."""
        d = self.data
        rows = []
        pos = {k: i for i, k in enumerate(self.idents)}
        for ident in d.pooled:
            units = [u for u in d.units if u.identity == ident]
            scopes = [("all cases", units, self.v[:, pos[ident], :])]
            scopes += [(self.data.comps[u.case].case.id, [u], self.w[:, u.row, :]) for u in units]
            for scope, us, draws in scopes:
                ideo, inter = self._strength(draws, us)
                p = float(np.mean(inter > ideo))
                lo, hi = self.alpha / 2, 1 - self.alpha / 2
                row: dict[str, object] = {
                    "actor": ident,
                    "scope": scope,
                    "actor_ids": ",".join(
                        sorted({self.data.comps[u.case].actor_ids[u.actor] for u in us})
                    ),
                    "decisions": int(sum(d.datas[u.case].for_actor(u.actor).n_groups for u in us)),
                }
                for k, t in enumerate(d.terms):
                    row[f"w_{t}_std"] = float(np.mean(draws[:, k]))
                    row[f"w_{t}_std_low"] = float(np.quantile(draws[:, k], lo))
                    row[f"w_{t}_std_high"] = float(np.quantile(draws[:, k], hi))
                row["ideology_strength"] = float(np.median(ideo))
                row["interest_strength"] = float(np.median(inter))
                row["p_interest_outweighs"] = p
                word = verdict_word(p, "ok")
                if word.startswith(("interest", "ideology")):
                    # the pooled model has none of the single-case robustness checks behind it
                    word += " (probability rule only: robustness checks not run)"
                row["verdict"] = word
                rows.append(row)
        return pd.DataFrame(rows)

    def deviations(self) -> pd.DataFrame:
        """The case-level deviation scale sigma per term (standardised units)."""
        return pd.DataFrame(
            {
                "term": list(self.data.terms),
                "sigma_mean": self.sigma.mean(axis=0),
                "sigma_low": np.quantile(self.sigma, self.alpha / 2, axis=0),
                "sigma_high": np.quantile(self.sigma, 1 - self.alpha / 2, axis=0),
            }
        )


def fit_pooled(
    comps: list[Compiled],
    same: list[tuple[str, ...]] | None = None,
    *,
    model: str = "full",
    seed: int = 0,
    alpha: float = 0.1,
    chains: int = 4,
    steps: int = 3000,
    thin: int = 10,
    rhat_max: float = 1.01,
    ess_min: float = 400.0,
    progress: bool = False,
) -> PooledFit:
    """Fit the pooled hierarchical model to several cases."""
    import emcee
    from arviz_stats.base import array_stats

    if len(comps) < 2:
        raise InputError("CASE: pooling needs at least two cases")
    ids = [c.case.id for c in comps]
    if len(set(ids)) != len(ids):
        raise InputError(f"CASE: the same case is named twice ({', '.join(ids)})")
    if steps < 20:
        raise InputError(f"--steps: expected at least 20 MCMC steps per chain, got {steps}")
    data = pooled_data(comps, list(same or []), model)
    if not data.pooled:
        raise InputError(
            "--same: no actor made recorded decisions in two or more of these cases; "
            "name the same actor across cases with --same ID=ID or an `identity:` key"
        )
    post = PooledPosterior(data)
    walkers = max(2 * post.dim + 2, 32)
    walkers += walkers % 2
    burn = steps // 2
    seeds = np.random.SeedSequence(seed).spawn(chains)
    chunks = []
    for c in range(chains):
        rng = np.random.default_rng(seeds[c])
        p0 = rng.normal(0.0, 0.3, size=(walkers, post.dim))
        p0[:, -2 * post.K :] = rng.normal(-0.5, 0.2, size=(walkers, 2 * post.K))
        sampler = emcee.EnsembleSampler(
            walkers,
            post.dim,
            post,
            vectorize=True,
            moves=[(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)],
        )
        sampler.random_state = np.random.RandomState(int(rng.integers(2**31 - 1))).get_state()
        sampler.run_mcmc(p0, steps, progress=progress)
        chunks.append(sampler.get_chain(discard=burn, thin=thin))  # (draws, walkers, dim)
    samples = np.stack(chunks)  # (chains, draws, walkers, dim)
    n_draw = samples.shape[1]
    flat = samples.reshape(-1, post.dim)
    p = post.unpack(flat)

    # R-hat between ensembles (each ensemble's walkers over its draws as one chain); ESS over
    # every walker as its own chain
    def per_ensemble(x: np.ndarray) -> np.ndarray:
        return x.reshape(chains, n_draw * walkers, -1)

    def per_walker(x: np.ndarray) -> np.ndarray:
        return (
            x.reshape(chains, n_draw, walkers, -1)
            .transpose(0, 2, 1, 3)
            .reshape(chains * walkers, n_draw, -1)
        )

    watched = np.concatenate(
        [p["v"].reshape(len(flat), -1), p["w"].reshape(len(flat), -1), p["mu"]], axis=1
    )
    rhat = np.asarray(array_stats.rhat(per_ensemble(watched), chain_axis=0, draw_axis=1))
    ess = np.asarray(array_stats.ess(per_walker(watched), chain_axis=0, draw_axis=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        worst, least = float(np.nanmax(rhat)), float(np.nanmin(ess))
    if not np.isfinite(worst) or worst > rhat_max or least < ess_min:
        raise ConvergenceError(
            f"pooled MCMC did not converge: max R-hat {worst:.3f} (limit {rhat_max}), "
            f"min effective sample size {least:.0f} (limit {ess_min:.0f}); "
            "run longer (--steps) and do not use these numbers"
        )
    return PooledFit(
        data=data,
        model=model,
        seed=seed,
        alpha=alpha,
        v=p["v"],
        w=p["w"],
        sigma=p["sigma"],
        rhat_max=worst,
        ess_min=least,
        idents=post.idents,
    )


__all__ = ["VERDICT_LEVEL", "PooledFit", "fit_pooled", "identities", "parse_same"]
