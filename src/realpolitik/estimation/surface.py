"""What a statsmodels user expects of a fit, mixed into `FitResults`.

`llf`, `nobs`, `df_model`, `tvalues`, `pvalues`, `summary()` (a `realpolitik.summary.Summary`
with `as_text()`, `as_html()`, `as_latex()`), a short `repr`, `_repr_html_` for Jupyter and,
for a Bayesian fit, `to_inference_data()` (ArviZ). The formulas are in docs/api.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.summary import Summary


class FitSurface:
    """Mixed into `FitResults`: needs `actors`, `terms`, `method`, `alpha`, `loglik`,
    `params`, `bse`, `conf_int()`, `verdict_frame()`, `warnings`, `case_id`, `model`, `seed`."""

    actors: list[Any]
    terms: tuple[str, ...]
    method: str
    alpha: float
    loglik: float
    case_id: str
    model: str
    seed: int
    warnings: list[str]

    # ---- statsmodels names ----------------------------------------------------------------
    @property
    def llf(self) -> float:
        """Log-likelihood of the recorded choices at the estimates (the posterior mean for
        Bayes), summed over the actors fitted."""
        return float(self.loglik)

    @property
    def nobs(self) -> int:
        """Number of observations: recorded decisions (choice sets), not options."""
        return int(sum(a.n_decisions for a in self.actors))

    @property
    def df_model(self) -> int:
        """Number of estimated weights (finite ones)."""
        return int(sum(np.isfinite(a.params).sum() for a in self.actors))

    @property
    def tvalues(self) -> pd.Series:
        """Estimate divided by its standard error (z for maximum likelihood)."""
        p = self.params  # type: ignore[attr-defined]
        se = self.bse  # type: ignore[attr-defined]
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.Series(p.to_numpy() / se.to_numpy(), index=p.index, name="z")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of weight = 0. Maximum likelihood: Wald, 2 (1 - Phi(|z|)).
        Bayes: the posterior tail probability 2 min(P(w < 0), P(w > 0)), its analogue (not a
        frequentist p-value)."""
        from scipy.stats import norm

        p = self.params  # type: ignore[attr-defined]
        if self.method == "mle":
            z = np.abs(self.tvalues.to_numpy())
            values = np.where(np.isfinite(z), 2 * norm.sf(z), np.nan)
        else:
            values = []
            for a in self.actors:
                d = a.draws
                for j in range(d.shape[1]):
                    col = d[:, j][np.isfinite(d[:, j])]
                    values.append(
                        2 * min(float(np.mean(col < 0)), float(np.mean(col > 0)))
                        if col.size
                        else np.nan
                    )
            values = np.minimum(np.asarray(values, dtype=float), 1.0)
        return pd.Series(values, index=p.index, name="p_value")

    # ---- summary --------------------------------------------------------------------------
    def summary(self, alpha: float | None = None) -> Summary:
        """A statsmodels-style summary: the fit's facts, the weights table and the verdicts."""
        alpha = self.alpha if alpha is None else alpha
        level = f"{100 * (1 - alpha):.0f}%"
        ci = self.conf_int(alpha)  # type: ignore[attr-defined]
        params = self.params  # type: ignore[attr-defined]
        p_name = "P>|z|" if self.method == "mle" else "tail prob."
        table = pd.DataFrame(
            {
                "actor": params.index.get_level_values(0),
                "term": params.index.get_level_values(1),
                "coef": params.to_numpy(),
                "std err": self.bse.to_numpy(),  # type: ignore[attr-defined]
                p_name: self.pvalues.to_numpy(),
                f"[{level}": ci["lower"].to_numpy(),
                f"{level}]": ci["upper"].to_numpy(),
            }
        )
        facts: list[tuple[str, object]] = [
            ("Case", self.case_id),
            ("Model", self.model),
            (
                "Method",
                "maximum likelihood" if self.method == "mle" else "hierarchical Bayes (emcee)",
            ),
            ("No. decisions", self.nobs),
            ("No. actors", len(self.actors)),
            ("Log-likelihood", self.llf),
            ("Log-likelihood is", getattr(self, "_llf_label", lambda: "unpenalised")()),
            ("Intervals", f"{level} ({'Wald' if self.method == 'mle' else 'posterior'})"),
            ("Seed", self.seed),
        ]
        s = Summary(f"realpolitik fit: {self.case_id}", facts)
        s.add_table("weights", table)
        vf = self.verdict_frame()  # type: ignore[attr-defined]
        cols = [
            c
            for c in ("actor", "n_decisions", "p_interest_outweighs", "status", "verdict")
            if c in vf
        ]
        if "failed_checks" in vf:
            cols.append("failed_checks")
        s.add_table("verdict: P(interest outweighs ideology)", vf[cols])
        if self.method == "bayes":
            diag = pd.DataFrame(
                [
                    {
                        "actor": a.actor,
                        "term": t,
                        "R-hat": float(a.rhat[j]),
                        "ESS": float(a.ess[j]),
                    }
                    for a in self.actors
                    if a.rhat is not None
                    for j, t in enumerate(self.terms)
                ]
            )
            if not diag.empty:
                s.add_table("MCMC diagnostics", diag)
        s.notes = list(self.warnings)
        return s

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} case={self.case_id!r} model={self.model!r} "
            f"method={self.method!r} actors={len(self.actors)} nobs={self.nobs} "
            f"llf={self.llf:.3f}>"
        )

    # ---- ArviZ ----------------------------------------------------------------------------
    def to_inference_data(self) -> Any:
        """The posterior as ArviZ data (an `xarray.DataTree` with a `posterior` group holding
        `w[chain, draw, actor, term]`), for `arviz` plots and diagnostics. Bayes fits only;
        needs the `arviz` extra (arviz-base)."""
        from realpolitik.errors import InputError

        if self.method != "bayes":
            raise InputError(
                "to_inference_data: a maximum-likelihood fit has no posterior; fit with "
                "method='bayes'"
            )
        try:
            from arviz_base import from_dict
        except ImportError:  # pragma: no cover - the extra is in the test environment
            raise InputError(
                "to_inference_data: needs arviz-base (pip install 'realpolitik[arviz]')"
            ) from None
        chains = int(self.settings.get("chains", 4))  # type: ignore[attr-defined]
        draws = np.stack([a.draws for a in self.actors], axis=1)  # (draws, actors, terms)
        if draws.shape[0] % chains:
            chains = 1
        w = draws.reshape(chains, draws.shape[0] // chains, *draws.shape[1:])
        tree = from_dict(
            {"posterior": {"w": w}},
            coords={"actor": [a.actor for a in self.actors], "term": list(self.terms)},
            dims={"w": ["actor", "term"]},
        )
        tree.attrs.update({"case": self.case_id, "model": self.model, "seed": self.seed})
        return tree

    def save_posterior(self, path: str | Path) -> Path:
        """Write the posterior to a netCDF file (`.nc`), atomically, for ArviZ."""
        from realpolitik.errors import InputError
        from realpolitik.export import atomic_write

        target = Path(path)
        if target.suffix.lower() != ".nc":
            raise InputError(f"{target}: --posterior: expected a file ending in .nc")
        tree = self.to_inference_data()
        return atomic_write(target, lambda tmp: tree.to_netcdf(tmp, engine="h5netcdf"))
