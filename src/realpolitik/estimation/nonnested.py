"""Scale-free tests of the question: Vuong's and Clarke's non-nested tests of the
ideology-only model against the interest-only model (docs/estimation.md, section 8).

Neither model contains the other, so their log-likelihoods are compared decision by decision:
m_g = l_ideology,g - l_interest,g at each model's own estimate. Vuong (1989) tests whether the
mean of m_g is zero with a normal statistic, with Schwarz's correction for the number of
weights; Clarke (2007) tests whether its median is zero with a sign (binomial) test. Neither
depends on how the two motives are scaled. Positive statistics favour ideology-only.
Several actors are tested at once, so Holm's (1979) step-down adjustment is reported too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom, norm

from realpolitik.estimation.data import ChoiceData
from realpolitik.estimation.likelihood import group_log_softmax
from realpolitik.estimation.mle import fit_actor

TEST_LEVEL = 0.10  # a (Holm-adjusted) p-value below this gives the test a direction


def per_decision_loglik(data: ChoiceData) -> tuple[np.ndarray, int]:
    """log P(chosen) of every decision at the model's maximum-likelihood (or Firth) estimate,
    and the number of weights; an unidentified fit scores every option at chance with 0
    weights."""
    f = fit_actor(data, -1)
    if f.status == "unidentified":
        w = np.zeros(data.Z.shape[1])
        k = 0
    else:
        w, k = f.params, len(f.params)
    logp = group_log_softmax(data.Z @ w, data.starts)
    return logp[data.chosen == 1], k


def vuong(m: np.ndarray, k1: int, k2: int) -> tuple[float, float]:
    """Vuong's statistic with Schwarz's correction and its two-sided p-value.

    LR = sum m_g - (k1 - k2)/2 ln n;  omega^2 = mean(m^2) - mean(m)^2;
    Z = LR / (sqrt(n) omega) ~ N(0, 1) under equal closeness."""
    n = len(m)
    if n < 2:
        return np.nan, np.nan
    lr = float(m.sum()) - (k1 - k2) / 2 * np.log(n)
    omega = float(np.sqrt(max(np.mean(m**2) - np.mean(m) ** 2, 0.0)))
    if omega == 0:
        return (np.nan, np.nan) if lr == 0 else (np.copysign(np.inf, lr), 0.0)
    z = lr / (np.sqrt(n) * omega)
    return float(z), float(2 * norm.sf(abs(z)))


def clarke(m: np.ndarray, k1: int, k2: int) -> tuple[int, int, float]:
    """Clarke's distribution-free test: B = #{g: m_g - (k1 - k2) ln n / (2 n) > 0} among the
    decisions whose corrected difference is not exactly zero (n' of them); B ~ Binomial(n', 1/2)
    under equal closeness; two-sided p = min(1, 2 min(P(B' >= B), P(B' <= B)))."""
    n = len(m)
    if n < 1:
        return 0, 0, np.nan
    d = m - (k1 - k2) * np.log(n) / (2 * n)
    d = d[np.abs(d) > 1e-12]
    n_eff = len(d)
    if n_eff == 0:
        return 0, 0, np.nan
    b = int((d > 0).sum())
    p = 2 * min(binom.sf(b - 1, n_eff, 0.5), binom.cdf(b, n_eff, 0.5))
    return b, n_eff, float(min(1.0, p))


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN entries are left out of the family)."""
    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for i, idx in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[idx]))
        out[idx] = running
    return out


def direction(stat: float, p: float, level: float = TEST_LEVEL) -> str:
    if not np.isfinite(p) or p >= level:
        return "neither"
    return "ideology-only" if stat > 0 else "interest-only"


def nonnested_tests(
    ideology: ChoiceData,
    interest: ChoiceData,
    actor_names: dict[int, str],
    skip: set[int] | None = None,
) -> pd.DataFrame:
    """Per actor and pooled: Vuong's and Clarke's tests of ideology-only vs interest-only.

    `ideology` and `interest` are the same decisions under the two models; actors in `skip`
    (unidentified) are reported with NaN and left out of the Holm family and the pooled test."""
    skip = skip or set()
    rows = []
    pooled_m: list[np.ndarray] = []
    pooled_l: list[tuple[float, float]] = []
    k_i_tot, k_n_tot = 0, 0
    for a in ideology.actors_present():
        sub_i, sub_n = ideology.for_actor(a), interest.for_actor(a)
        row = {"actor": actor_names[a], "decisions": sub_i.n_groups}
        if a in skip:
            rows.append(row | _empty())
            continue
        li, ki = per_decision_loglik(sub_i)
        ln, kn = per_decision_loglik(sub_n)
        m = li - ln
        pooled_m.append(m)
        pooled_l.append((li.sum(), ln.sum()))
        k_i_tot += ki
        k_n_tot += kn
        rows.append(row | {"loglik_ideology": li.sum(), "loglik_interest": ln.sum()})
        rows[-1] |= _tests(m, ki, kn)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["vuong_p_holm"] = holm(frame["vuong_p"].to_numpy())
    frame["clarke_p_holm"] = holm(frame["clarke_p"].to_numpy())
    frame["actors_tested"] = int(np.isfinite(frame["vuong_p"]).sum())
    for test in ("vuong", "clarke"):
        stat = frame["vuong_z"] if test == "vuong" else frame["clarke_b"] - frame["clarke_n"] / 2
        frame[f"{test}_favours"] = [
            direction(s, p) for s, p in zip(stat, frame[f"{test}_p_holm"], strict=True)
        ]
    if pooled_m:
        m = np.concatenate(pooled_m)
        pooled = {
            "actor": "pooled",
            "decisions": len(m),
            "loglik_ideology": float(sum(x for x, _ in pooled_l)),
            "loglik_interest": float(sum(y for _, y in pooled_l)),
        } | _tests(m, k_i_tot, k_n_tot)
        pooled["vuong_p_holm"] = pooled["vuong_p"]
        pooled["clarke_p_holm"] = pooled["clarke_p"]
        pooled["actors_tested"] = len(pooled_m)
        pooled["vuong_favours"] = direction(pooled["vuong_z"], pooled["vuong_p"])
        pooled["clarke_favours"] = direction(
            pooled["clarke_b"] - pooled["clarke_n"] / 2, pooled["clarke_p"]
        )
        frame = pd.concat([frame, pd.DataFrame([pooled])], ignore_index=True)
    return frame


def _tests(m: np.ndarray, ki: int, kn: int) -> dict[str, float]:
    z, pv = vuong(m, ki, kn)
    b, n_eff, pc = clarke(m, ki, kn)
    return {
        "lr": float(m.sum()),
        "vuong_z": z,
        "vuong_p": pv,
        "clarke_b": b,
        "clarke_n": n_eff,
        "clarke_p": pc,
    }


def _empty() -> dict[str, float]:
    return {
        "loglik_ideology": np.nan,
        "loglik_interest": np.nan,
        "lr": np.nan,
        "vuong_z": np.nan,
        "vuong_p": np.nan,
        "clarke_b": np.nan,
        "clarke_n": np.nan,
        "clarke_p": np.nan,
    }
