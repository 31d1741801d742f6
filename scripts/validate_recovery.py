"""Parameter-recovery validation of the choice model on the built-in case's own structure.

    .venv/bin/python scripts/validate_recovery.py            # about 5 minutes on 2 cores

Simulates choices from known weights on the decisions of `east-asia-1945` (the packaged
template if that case is absent), refits, and checks how often the nominal 90% intervals
cover the truth:
  * maximum likelihood, pooled (one weight vector for all actors) and per actor, with every
    decision observed 1, 4 and 16 times (`--replications` each);
  * Bayes: simulation-based calibration with weights drawn from the hierarchical prior, at the
    default MCMC settings of `realpolitik.fit` (`--bayes-replications`).
Writes docs/figures/recovery-coverage.png, docs/figures/recovery-scatter.png,
docs/figures/recovery-sbc.png and docs/recovery-table.md. Everything is seeded (`--seed`).
"""

from __future__ import annotations

import argparse
import inspect
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from realpolitik.estimation.api import as_compiled  # noqa: E402
from realpolitik.estimation.bayes import fit_bayes  # noqa: E402
from realpolitik.estimation.recovery import (  # noqa: E402
    base_data,
    binomial_band,
    coverage_summary,
    recover,
    standardised,
)
from realpolitik.model.compiled import Compiled  # noqa: E402
from realpolitik.scenario.loader import builtin_names, parse, template_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COPIES = (1, 4, 16)
TRUE_STANDARDISED = (0.5, 1.0)  # ideology, interest: log-odds per within-decision SD


def the_case() -> Compiled:
    if "east-asia-1945" in builtin_names():
        return as_compiled("east-asia-1945")
    return as_compiled(parse(template_text()))


def fmt(v: object) -> str:
    if isinstance(v, float | np.floating):
        return "n/a" if not np.isfinite(v) else f"{v:.3f}"
    return str(v)


def markdown(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(fmt(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def coverage_figure(summary: pd.DataFrame, replications: int, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    lo, hi = binomial_band(np.array([replications]), 0.9, 0.95)
    for ax, term in zip(axes, ("ideology", "interest"), strict=True):
        ax.axhspan(
            float(lo[0]), float(hi[0]), color="0.85", label=f"95% binomial band (n={replications})"
        )
        ax.axhline(0.9, color="0.4", lw=1, ls="--")
        part = summary[summary["term"] == term]
        for actor, g in part.groupby("actor", sort=False):
            g = g.sort_values("copies")
            style = {"lw": 2.5, "color": "k"} if actor == "pooled" else {"lw": 1.2, "marker": "o"}
            ax.plot(g["copies"], g["coverage"], label=actor, **style)
        ax.set_xscale("log", base=2)
        ax.set_xticks(COPIES, [str(c) for c in COPIES])
        ax.set_xlabel("copies of each recorded decision")
        ax.set_title(f"{term} weight")
        ax.set_ylim(0.6, 1.0)
    axes[0].set_ylabel("coverage of nominal 90% intervals (MLE)")
    axes[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def scatter_figure(mle: pd.DataFrame, sbc: pd.DataFrame, path: Path) -> None:
    fig, axes = plt.subplots(1, len(COPIES) + 1, figsize=(15, 4))
    rng = np.random.default_rng(0)  # jitter only
    for ax, copies in zip(axes, COPIES, strict=False):
        part = mle[(mle["copies"] == copies) & mle["estimate"].notna() & ~mle["pooled"]]
        for term, marker in (("ideology", "o"), ("interest", "s")):
            p = part[part["term"] == term]
            x = p["true"] + rng.normal(0, 0.03, len(p))
            ax.scatter(x, p["estimate"], s=6, alpha=0.25, marker=marker, label=term)
        lim = np.nanquantile(np.abs(part["estimate"]), 0.98) * 1.1
        ax.plot([-lim, lim], [-lim, lim], color="k", lw=1)
        ax.set_ylim(-lim, lim)
        ax.set_title(f"MLE per actor, copies={copies}")
        ax.set_xlabel("true weight (jittered)")
    axes[0].set_ylabel("estimate")
    axes[0].legend(fontsize=8)
    ok = sbc[sbc["status"] == "ok"]
    bad = sbc[sbc["status"] != "ok"]
    ax = axes[-1]
    ax.scatter(ok["true"], ok["estimate"], s=8, alpha=0.5, label="converged")
    ax.scatter(bad["true"], bad["estimate"], s=8, alpha=0.5, marker="x", label="not converged")
    lim = np.nanmax(np.abs(sbc[["true", "estimate"]].to_numpy())) * 1.05
    ax.plot([-lim, lim], [-lim, lim], color="k", lw=1)
    ax.set_title("Bayes (SBC): posterior mean")
    ax.set_xlabel("true weight (drawn from the prior)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def sbc_figure(sbc: pd.DataFrame, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, term in zip(axes, ("ideology", "interest"), strict=True):
        r = sbc.loc[sbc["term"] == term, "rank"].dropna()
        ax.hist(r, bins=10, range=(0, 1), color="0.5", edgecolor="k")
        ax.axhline(len(r) / 10, color="k", ls="--", lw=1)
        ax.set_title(f"SBC rank of the true {term} weight (all runs)")
        ax.set_xlabel("share of posterior draws below the truth")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--bayes-replications", type=int, default=30)
    ap.add_argument("--bayes-steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    args = ap.parse_args()
    figures = args.out / "figures"
    figures.mkdir(parents=True, exist_ok=True)

    comp = the_case()
    data = base_data(comp)
    truth = standardised(data, TRUE_STANDARDISED)
    decisions = {comp.actor_ids[a]: data.for_actor(a).n_groups for a in data.actors_present()}
    print(f"case {comp.case.id}: {data.n_groups} decisions {decisions}")
    print(f"true weights (raw scale): ideology {truth[0]:.3f}, interest {truth[1]:.3f}")

    frames = []
    t0 = time.perf_counter()
    for i, copies in enumerate(COPIES):
        for pooled in (True, False):
            frames.append(
                recover(
                    comp,
                    true_weights=truth,
                    replications=args.replications,
                    copies=copies,
                    seed=args.seed + 10 * i + pooled,
                    pooled=pooled,
                    workers=args.workers,
                    progress=True,
                )
            )
    mle = pd.concat(frames, ignore_index=True)
    t_mle = time.perf_counter() - t0
    t0 = time.perf_counter()
    sbc = recover(
        comp,
        method="bayes",
        replications=args.bayes_replications,
        steps=args.bayes_steps,
        seed=args.seed + 100,
        workers=args.workers,
        progress=True,
    )
    t_bayes = time.perf_counter() - t0

    mle_sum = coverage_summary(mle)
    sbc_sum = coverage_summary(sbc, by=("method", "term"))
    coverage_figure(mle_sum, args.replications, figures / "recovery-coverage.png")
    scatter_figure(mle, sbc, figures / "recovery-scatter.png")
    sbc_figure(sbc, figures / "recovery-sbc.png")

    keep = [
        "pooled",
        "copies",
        "actor",
        "term",
        "n_intervals",
        "coverage",
        "band_low",
        "band_high",
        "coverage_all",
        "share_firth",
        "share_unidentified",
        "bias",
        "rmse",
        "median_width",
    ]
    ranks = sbc["rank"].dropna()
    limits = inspect.signature(fit_bayes).parameters
    rule_rhat, rule_ess = limits["rhat_max"].default, limits["ess_min"].default
    rule = sbc.groupby("replication")["status"].first().eq("ok")
    all_cov = sbc.groupby("term")["covered"].mean()
    n_all = int(sbc.groupby("term").size().min())
    all_lo, all_hi = binomial_band(n_all, 0.9, 0.95)
    text = [
        "# Parameter recovery: generated table",
        "",
        f"Generated by `scripts/validate_recovery.py --seed {args.seed}` on case "
        f"`{comp.case.id}` ({data.n_groups} decisions: "
        + ", ".join(f"{k} {v}" for k, v in decisions.items())
        + ").",
        f"True weights: {TRUE_STANDARDISED[0]} (ideology) and {TRUE_STANDARDISED[1]} (interest) "
        f"log-odds per within-decision SD, i.e. {truth[0]:.3f} and {truth[1]:.3f} on the raw scale.",
        f"Maximum likelihood: {args.replications} replications per row ({t_mle:.0f} s). "
        "`coverage` is over replications with an interval; its 95% binomial band is "
        "`band_low`-`band_high`; `coverage_all` counts unidentified fits as misses.",
        "",
        markdown(mle_sum[keep]),
        "",
        f"Bayes (simulation-based calibration, {args.bayes_replications} replications, "
        f"{args.bayes_steps} steps x 4 chains, {t_bayes:.0f} s): "
        f"{int(rule.sum())} of {len(rule)} runs pass the convergence rule "
        f"(max R-hat <= {rule_rhat}, min ESS >= {rule_ess:.0f}); max R-hat over runs: median "
        f"{sbc.groupby('replication')['rhat'].first().median():.3f}. "
        "`coverage` is over the runs that pass; over all runs the 90% intervals covered "
        + ", ".join(f"{t} {v:.3f}" for t, v in all_cov.items())
        + f" of {n_all} intervals each (95% binomial band {float(all_lo):.3f}-{float(all_hi):.3f}"
        "; the intervals of one run are not independent, so the band is only a guide)"
        + f"; mean SBC rank {ranks.mean():.3f} (0.5 if calibrated).",
        "",
        markdown(
            sbc_sum[
                [
                    "term",
                    "replications",
                    "n_intervals",
                    "coverage",
                    "band_low",
                    "band_high",
                    "coverage_all",
                    "share_not_converged",
                    "bias",
                    "rmse",
                    "median_width",
                ]
            ]
        ),
        "",
        "Per actor (all runs, converged or not):",
        "",
        markdown(
            sbc.groupby(["actor", "term"], sort=False)["covered"]
            .mean()
            .rename("coverage_all_runs")
            .reset_index()
        ),
        "",
    ]
    (args.out / "recovery-table.md").write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
