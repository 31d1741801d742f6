"""One actor across cases: a hierarchical model that pools an actor's recorded choices from
several cases, with a case-level deviation for each case it appears in (docs/estimation-pooled.md).

Terms are standardised within each case (divided by that case's pooled within-decision SD), so
a standardised weight means the same in every case. For an actor u that appears in several
cases (a *pooled identity*) and each case c it appears in:

    w[u, c, k] = v[u, k] + sigma[k] * e[u, c, k]          (case-level deviation)
    v[u, k]    = mu[k] + tau[k] * z[u, k]                 (the actor's own weight)

and for an actor that appears in one case only, w[a, k] = mu[k] + tau[k] * z[a, k] as in
`realpolitik.estimation.bayes`. z, e ~ Normal(0, 1) (non-centred); mu ~ Normal(0, 2.5);
tau, sigma ~ HalfNormal(1) (every scale multiplied by `prior_scale` in the robustness refits).
Sampled with emcee (the ensembles of `realpolitik.estimation.ensemble`, shared with the
single-case model); R-hat between independent ensembles and the effective sample size
(arviz-stats) are checked as in the single-case model, and a run that has not converged is
continued (doubling its length, the first half always discarded) up to `max_steps`.

The verdicts rest on checks, as a single case's do (`realpolitik.estimation.robustness`): the
fit itself, refits at the prior scale x0.2 and x2, and refits leaving out each case in turn
(`pooled_checks`); the printed verdict is a direction only when every check gives it.

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
from realpolitik.estimation import robustness as rb
from realpolitik.estimation.bayes import MU_SCALE, TAU_SCALE
from realpolitik.estimation.data import ChoiceData, choice_data
from realpolitik.estimation.likelihood import group_log_softmax
from realpolitik.estimation.results import VERDICT_LEVEL, verdict_word
from realpolitik.estimation.strength import strengths
from realpolitik.model.compiled import Compiled

SIGMA_SCALE = 1.0
DEFAULT_STEPS = 3000  # first run of each ensemble
MAX_STEPS = 12000  # a fit that has not converged by then is refused
CHECK_STEPS = 1500  # first run of each robustness refit (also extended until it converges)
ALL_CASES = "all cases"


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


def identities(
    comps: list[Compiled], same: list[tuple[str, ...]], strict: bool = True
) -> list[dict[str, str]]:
    """Per case: actor id -> identity. An actor's identity is its `identity:` key or its id;
    `--same` groups merge identities. A merged identity is named by its members, sorted and
    joined with '=' (`CCP=PRC`). `strict`: an id in `same` that no case has is an error (not
    so for a refit that leaves a case out, where the name must stay the same)."""
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
            if x not in known and strict:
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
    comps: list[Compiled], same: list[tuple[str, ...]], model: str = "full", strict: bool = True
) -> PooledData:
    ids = identities(comps, same, strict)
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

    def __init__(self, data: PooledData, prior_scale: float = 1.0):
        self.data = data
        self.K = len(data.terms)
        self.idents = data.pooled + data.singles
        self.NI = len(self.idents)
        pos = {k: i for i, k in enumerate(self.idents)}
        self.unit_ident = np.array([pos[u.identity] for u in data.units])
        self.pooled_units = [u.row for u in data.units if u.identity in data.pooled]
        self.E = len(self.pooled_units)
        self.dim = (self.NI + self.E + 3) * self.K
        self.mu_scale = MU_SCALE * prior_scale
        self.tau_scale = TAU_SCALE * prior_scale
        self.sigma_scale = SIGMA_SCALE * prior_scale

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
        lp += -0.5 * ((p["mu"] / self.mu_scale) ** 2).sum(axis=1)
        for scale, value in ((self.tau_scale, p["tau"]), (self.sigma_scale, p["sigma"])):
            lp += (-0.5 * (value / scale) ** 2 + np.log(value)).sum(axis=1)
        out = ll + lp
        return np.where(np.isfinite(out), out, -np.inf)


def scope_data(data: PooledData, units: list[Unit]) -> ChoiceData:
    """The decisions of some actors-in-cases stacked into one ChoiceData, each case's terms
    divided by that case's standardising scale: the signed strengths of docs/model.md, section
    2 (`strength.strengths`), of standardised weights on it pool the within-decision
    deviations over the cases."""
    subs = [data.datas[u.case].for_actor(u.actor) for u in units]
    offsets = np.cumsum([0] + [len(s.Z) for s in subs[:-1]])
    groups = np.cumsum([0] + [s.n_groups for s in subs[:-1]])
    return ChoiceData(
        comp=subs[0].comp,
        model=subs[0].model,
        terms=subs[0].terms,
        Z=np.vstack([s.Z / data.sds[u.case] for s, u in zip(subs, units, strict=True)]),
        X5=np.vstack([s.X5 for s in subs]),
        N=np.concatenate([s.N for s in subs]),
        chosen=np.concatenate([s.chosen for s in subs]),
        group=np.concatenate([s.group + g for s, g in zip(subs, groups, strict=True)]),
        actor=np.concatenate([s.actor for s in subs]),
        decisions=[d for s in subs for d in s.decisions],
        starts=np.concatenate([s.starts + o for s, o in zip(subs, offsets, strict=True)]),
    )


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
    steps: int = 0  # steps per ensemble it took to converge
    prior_scale: float = 1.0
    checks: pd.DataFrame | None = None  # robustness checks (`pooled_checks`), one row each
    limits: tuple[float, float, int] = (1.01, 400.0, MAX_STEPS)  # max R-hat, min ESS, max steps

    def case_ids(self) -> list[str]:
        return [c.case.id for c in self.data.comps]

    def scopes(self) -> list[tuple[str, str, list[Unit], np.ndarray]]:
        """(identity, scope, its units, standardised weight draws) of every verdict: per pooled
        actor, its own weight v over all its cases, then its case-level weight w per case."""
        pos = {k: i for i, k in enumerate(self.idents)}
        out = []
        for ident in self.data.pooled:
            units = [u for u in self.data.units if u.identity == ident]
            out.append((ident, ALL_CASES, units, self.v[:, pos[ident], :]))
            for u in units:
                out.append((ident, self.data.comps[u.case].case.id, [u], self.w[:, u.row, :]))
        return out

    def draws_for(self, ident: str, scope: str) -> tuple[list[Unit], np.ndarray] | None:
        """The units and draws of an identity's scope in this fit (None when it has none);
        an identity that decides in one case here (after a case is left out) has w = v."""
        pos = {k: i for i, k in enumerate(self.idents)}
        units = [u for u in self.data.units if u.identity == ident]
        if not units or ident not in pos:
            return None
        if scope == ALL_CASES:
            return units, self.v[:, pos[ident], :]
        mine = [u for u in units if self.data.comps[u.case].case.id == scope]
        if not mine:
            return None
        return mine, self.w[:, mine[0].row, :]

    def verdicts(self) -> pd.DataFrame:
        """Per pooled actor: the verdict across cases (its own weight v applied to all its
        decisions), then per case (its case-level weight w on that case's decisions). The
        verdict is that of the checks (`pooled_checks`) when they ran, else the probability
        rule alone, marked as such."""
        d = self.data
        rows = []
        lo, hi = self.alpha / 2, 1 - self.alpha / 2
        for ident, scope, us, draws in self.scopes():
            sub = scope_data(d, us)
            ideo, inter = strengths(draws, sub, d.terms)
            p = float(np.mean(inter > ideo))
            row: dict[str, object] = {
                "actor": ident,
                "scope": scope,
                "actor_ids": ",".join(sorted({d.comps[u.case].actor_ids[u.actor] for u in us})),
                "decisions": int(sub.n_groups),
            }
            for k, t in enumerate(d.terms):
                row[f"w_{t}_std"] = float(np.mean(draws[:, k]))
                row[f"w_{t}_std_low"] = float(np.quantile(draws[:, k], lo))
                row[f"w_{t}_std_high"] = float(np.quantile(draws[:, k], hi))
            row["ideology_strength"] = float(np.median(ideo))
            row["interest_strength"] = float(np.median(inter))
            row["p_interest_outweighs"] = p
            if self.checks is None:
                word = verdict_word(p, "ok")
                if word.startswith(("interest", "ideology")):
                    word += " (probability rule only: robustness checks not run)"
                row.update(verdict=word, failed_checks="", checks_not_run="all")
            else:
                mine = self.checks[
                    (self.checks["actor"] == ident) & (self.checks["scope"] == scope)
                ]
                verdict, failed, not_run = rb.final_verdict(mine, "ok", primary="bayes")
                row.update(verdict=verdict, failed_checks=failed, checks_not_run=not_run)
            rows.append(row)
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per actor, scope ("all cases" or a case id) and term, with the
        standardised weight, its interval, P(interest outweighs ideology) and the verdict."""
        v = self.verdicts()
        rows = []
        for _, r in v.iterrows():
            for t in self.data.terms:
                rows.append(
                    {
                        "actor": r["actor"],
                        "scope": r["scope"],
                        "actor_ids": r["actor_ids"],
                        "decisions": r["decisions"],
                        "term": t,
                        "estimate_std": r[f"w_{t}_std"],
                        "conf_low": r[f"w_{t}_std_low"],
                        "conf_high": r[f"w_{t}_std_high"],
                        "level": 1 - self.alpha,
                        "p_interest_outweighs": r["p_interest_outweighs"],
                        "verdict": r["verdict"],
                        "failed_checks": r["failed_checks"],
                    }
                )
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
    steps: int = DEFAULT_STEPS,
    max_steps: int = MAX_STEPS,
    thin: int = 10,
    rhat_max: float = 1.01,
    ess_min: float = 400.0,
    prior_scale: float = 1.0,
    progress: bool = False,
    strict_same: bool = True,
) -> PooledFit:
    """Fit the pooled hierarchical model to several cases. Each ensemble runs `steps`; while
    the second half of the chains fails the convergence rule (max R-hat, min ESS) the run is
    continued to twice its length, up to `max_steps` (then ConvergenceError). Same seed, same
    numbers."""
    from realpolitik.estimation.ensemble import Ensembles

    if len(comps) < 2:
        raise InputError("CASE: pooling needs at least two cases")
    ids = [c.case.id for c in comps]
    if len(set(ids)) != len(ids):
        raise InputError(f"CASE: the same case is named twice ({', '.join(ids)})")
    if steps < 20:
        raise InputError(f"--steps: expected at least 20 MCMC steps per chain, got {steps}")
    data = pooled_data(comps, list(same or []), model, strict_same)
    if not data.pooled:
        raise InputError(
            "--same: no actor made recorded decisions in two or more of these cases; "
            "name the same actor across cases with --same ID=ID or an `identity:` key"
        )
    post = PooledPosterior(data, prior_scale)
    ens = Ensembles(post, post.dim, seed, chains=chains, n_log_scales=2 * post.K)
    ens.run(steps, progress=progress)
    while True:
        p, worst, least = _diagnose(post, ens, thin)
        ok = np.isfinite(worst) and worst <= rhat_max and least >= ess_min
        if ok or 2 * ens.steps > max(max_steps, steps):
            break
        ens.run(ens.steps, progress=progress)  # continue every chain to twice its length
    if not ok:
        raise ConvergenceError(
            f"pooled MCMC did not converge: max R-hat {worst:.3f} (limit {rhat_max}), "
            f"min effective sample size {least:.0f} (limit {ess_min:.0f}) after "
            f"{ens.steps} steps; run longer (--steps) and do not use these numbers"
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
        steps=ens.steps,
        prior_scale=prior_scale,
        limits=(rhat_max, ess_min, max_steps),
    )


def _diagnose(post: PooledPosterior, ens, thin: int) -> tuple[dict[str, np.ndarray], float, float]:
    """The kept draws (the second half of every chain, thinned), max R-hat between the
    ensembles and min effective sample size over all walkers, of every v, w and mu."""
    from arviz_stats.base import array_stats

    chains, walkers = ens.chains, ens.walkers
    samples = np.stack([ens.chain(c, discard=ens.steps // 2, thin=thin) for c in range(chains)])
    n_draw = samples.shape[1]  # samples: (chains, draws, walkers, dim)
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
    return p, worst, least


# ---- the checks behind the pooled verdicts -------------------------------------------------------
def pooled_checks(
    res: PooledFit,
    same: list[tuple[str, ...]] | None = None,
    *,
    steps: int = CHECK_STEPS,
    which: str = "all",
    progress: bool = False,
) -> pd.DataFrame:
    """Refit the pooled model as the single-case checks do and attach the check table to `res`
    (`res.checks`; `res.verdicts()` then applies the single-case rule, `robustness.
    final_verdict`, with the pooled fit as the primary check). Per verdict (actor and scope):

    * estimator `bayes`: the fit itself (it converged, or there is no fit);
    * prior `prior x0.2`, `prior x2`: refits with every prior scale (mu, tau, sigma) multiplied
      by 0.2 and 2, judged as the single-case prior refits (`robustness.bayes_rows`: a changed
      verdict or a weight's posterior mean changing sign makes the verdict prior-driven);
    * cases `drop CASE`: a refit leaving that case out (every case but the scope's own); its
      probability-rule verdict must agree. Not run with two cases (one would be left).

    Refits start at `steps` and are extended until they converge (`fit_pooled`); one that does
    not is a failed check (`not converged`); the refits use the fit's convergence limits.
    `which="prior"` runs only the prior refits."""
    comps = res.data.comps
    kw = {
        "model": res.model,
        "seed": res.seed,
        "alpha": res.alpha,
        "steps": steps,
        "rhat_max": res.limits[0],
        "ess_min": res.limits[1],
        "max_steps": res.limits[2],
    }

    def refit(cs: list[Compiled], scale: float) -> PooledFit | str:
        # `same` may name an id only the left-out case has (the CCP of east-asia-1945): the
        # identities keep their names (`strict_same=False`)
        try:
            return fit_pooled(
                cs, same, prior_scale=scale, progress=progress, strict_same=False, **kw
            )
        except ConvergenceError as exc:
            return str(exc)
        except InputError as exc:  # e.g. no actor left in two cases
            return f"not run: {exc}"

    prior = {scale: refit(comps, scale) for scale in rb.PRIOR_SCALES}
    drops: dict[str, PooledFit | str] = {}
    if which == "all":
        for i, c in enumerate(comps):
            if len(comps) < 3:
                drops[c.case.id] = "not run: pooling needs two cases left"
            else:
                drops[c.case.id] = refit(comps[:i] + comps[i + 1 :], res.prior_scale)
    rows: list[dict[str, object]] = []
    d = res.data
    for ident, scope, units, draws in res.scopes():
        sub = scope_data(d, units)
        runs = [rb.BayesRun(1.0, {0: draws})]
        for scale, r in prior.items():
            got = r.draws_for(ident, scope) if isinstance(r, PooledFit) else None
            if got is None or isinstance(r, str):
                runs.append(rb.BayesRun(scale, {}, r if isinstance(r, str) else "no estimate"))
            else:
                runs.append(rb.BayesRun(scale, {0: got[1]}))
        scope_rows = rb.bayes_rows(ident, 0, runs, sub, d.terms)
        scope_rows[0]["note"] = (
            f"converged: max R-hat {res.rhat_max:.3f}, min ESS {res.ess_min:.0f}, {res.steps} steps"
        )
        for case_id, r in drops.items():
            check = f"drop {case_id}"
            if case_id == scope:
                continue
            if isinstance(r, str):
                verdict = rb.NOT_RUN if r.startswith("not run") else rb.NOT_CONVERGED
                scope_rows.append(rb.row(ident, check, "cases", np.nan, verdict, note=r))
                continue
            got = r.draws_for(ident, scope)
            if got is None:
                scope_rows.append(
                    rb.row(ident, check, "cases", np.nan, rb.NOT_RUN, note="actor left out")
                )
                continue
            us, dr = got
            sI, sN = strengths(dr, scope_data(r.data, us), d.terms)
            pr = float(np.mean(sN > sI))
            mI, mN = strengths(dr.mean(axis=0)[None], scope_data(r.data, us), d.terms)
            scope_rows.append(rb.row(ident, check, "cases", pr, rb.word(pr), mI[0], mN[0]))
        for r_ in scope_rows:
            r_["scope"] = scope
        rows += scope_rows
    columns = ["actor", "scope", *[k for k in rb.row("", "", "", 0, "") if k != "actor"]]
    res.checks = pd.DataFrame(rows)[columns]
    return res.checks


__all__ = [
    "VERDICT_LEVEL",
    "PooledFit",
    "fit_pooled",
    "identities",
    "parse_same",
    "pooled_checks",
    "scope_data",
]
