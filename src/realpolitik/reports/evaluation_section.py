"""The report's out-of-sample section: rolling-origin scores against a uniform baseline, and a
calibration figure (docs/evaluation.md)."""

from __future__ import annotations

from typing import Any

from realpolitik.reports.figures import BLACK, BLUE, GREY, VERMILLION, Chart, new_figure, style

MODEL_STYLE = {
    "full": (BLACK, "o"),
    "interest": (BLUE, "s"),
    "ideology": (VERMILLION, "D"),
    "uniform": (GREY, "X"),
}


def calibration_chart(ev: Any) -> Chart:
    """Observed frequency of the chosen option against predicted probability, per model."""
    cal = ev.calibration()
    fig = new_figure(6.4, 4.4)
    chart = Chart(
        "calibration",
        fig,
        f"Calibration of out-of-sample predictions ({ev.scheme}): every option of every scored "
        "decision, binned by the probability the model gave it; the share of the options in a "
        "bin that were the ones chosen. A calibrated model lies on the diagonal; marker area "
        "grows with the number of options in the bin.",
    )
    with style():
        ax = fig.subplots()
        ax.plot([0, 1], [0, 1], color=GREY, lw=1, ls="--")
        for model, sub in cal.groupby("model", sort=False):
            sub = sub[sub["options"] > 0]
            colour, marker = MODEL_STYLE.get(model, (BLACK, "o"))
            ax.plot(sub["mean_predicted"], sub["observed"], color=colour, lw=1, alpha=0.6)
            for _, r in sub.iterrows():
                dot = ax.scatter(
                    [r["mean_predicted"]],
                    [r["observed"]],
                    s=18 + 3 * float(r["options"]),
                    color=colour,
                    marker=marker,
                    label=model if r.name == sub.index[0] else None,
                )
                chart.tip(
                    dot,
                    f"{model}, bin {r['bin']}: {int(r['options'])} options, mean predicted "
                    f"{r['mean_predicted']:.2f}, chosen {r['observed']:.2f}",
                )
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("predicted probability of the option")
        ax.set_ylabel("share of options chosen")
        ax.legend(loc="upper left")
    return chart


def evaluation_section(comp: Any, figs: Any, run: Any) -> Any:
    """Rolling-origin scores for the full, interest-only and ideology-only models."""
    from realpolitik.estimation.evaluation import evaluate
    from realpolitik.reports.html import Section, command, esc, table

    run.say("scoring the models out of sample (rolling origin)")
    from realpolitik.cache import cached, case_spec

    # kept in the run store (when there is one), keyed by the case and the estimation code
    spec = case_spec(comp, scheme="rolling")
    store = getattr(run, "store", None)
    ev, _ = cached(store, "evaluation", spec, lambda: evaluate(comp, rolling=True))
    overall = ev.overall()[
        [
            "model",
            "decisions",
            "log_score",
            "brier",
            "hits",
            "d_log_score",
            "se_d_log_score",
            "d_brier",
            "se_d_brier",
        ]
    ].rename(
        columns={
            "log_score": "log score",
            "brier": "Brier (mean)",
            "hits": "right (ties are misses)",
            "d_log_score": "log score − uniform, per decision",
            "se_d_log_score": "its paired s.e.",
            "d_brier": "Brier − uniform",
            "se_d_brier": "its s.e.",
        }
    )
    notes = "".join(f"<p>{esc(n)}</p>" for n in ev.notes)
    body = (
        '<p class="lead">Each decision predicted by weights fitted only on the same actor\'s '
        "decisions dated before it (an expanding window), scored by the log probability of "
        "the recorded option, the Brier score and accuracy, against a baseline that gives every "
        "option the same probability. A positive log-score difference (negative for Brier) is "
        "a gain over the baseline; the standard errors are paired over decisions.</p>"
        + table(overall, {"log score": "{:.2f}", "decisions": "{:.0f}"})
        + notes
        + figs.add(calibration_chart(ev))
        + command("realpolitik", "evaluate", run.case_arg, "--rolling")
    )
    return Section("evaluation", "Out-of-sample scores", body)
