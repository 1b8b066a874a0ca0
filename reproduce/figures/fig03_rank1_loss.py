"""Figure 3 — rank-1 matrix target: loss vs step for four init scales σ, with the gradient-flow ODE.
Spec: paper/spec/post.md#fig03_rank1_loss.

    python -m reproduce plot fig03_rank1_loss
"""
import numpy as np
import pandas as pd

from ..scurve import measure, theory
from .common import claim, settings, subplots, sweep_colors

SOURCE = "reconstructed: post [U→S], rank-1 'Loss vs Step' (N, σ, lr, steps are this package's choice)"
SLOPE_TOL = 0.15      # paper/spec/post.md: drop step vs ln(1/σ) has slope 1/(η‖a‖‖b‖) within ±15 %
ODE_TOL = 0.10        # discrete GD grows by (1+η) a step, the flow by e^η: ~5 % apart at η = 0.1
FIT_MAX_NSIGMA2 = 1.0  # fit the log law only where Nσ² < 1 (at Nσ² ≥ 1 there is no plateau)


def _runs(res):
    return sorted(res.runs, key=lambda r: -r.cfg.init_std)


def figure_data(res, rules) -> pd.DataFrame:
    rows = []
    for run in _runs(res):
        sigma = run.cfg.init_std
        for b, loss in enumerate(run.loss):
            rows.append(pd.DataFrame({"kind": "gd", "sigma": sigma, "seed": run.seed[b], "step": run.step,
                                      "loss": loss}))
        flow = theory.rank1_flow_from_run(run, 0)
        rows.append(pd.DataFrame({"kind": "ode", "sigma": sigma, "seed": run.seed[0], "step": run.step,
                                  "loss": flow["loss"]}))
        drops = measure.drop_steps(run)
        rows.append(pd.DataFrame({"kind": "drop_step", "sigma": sigma, "seed": run.seed,
                                  "step": drops, "loss": 0.5 * run.loss[:, 0]}))
    # the two lines of the right panel, at the σ of the fit: step = ȳ + slope·(ln(1/σ) − x̄)
    slope, (xc, yc), used = _fit(res)
    x = np.log(1 / np.array(sorted(used)))
    for kind, k in (("fit_line", slope), ("theory_line", 1 / (res.cfg.lr * _ab(res)))):
        rows.append(pd.DataFrame({"kind": kind, "sigma": sorted(used), "seed": np.nan,
                                  "step": yc + k * (x - xc), "loss": np.nan}))
    return pd.DataFrame(pd.concat(rows, ignore_index=True))


def plot(res, data):
    fig, (ax, ax2) = subplots(2, width=4.4)
    colors = dict(zip(sorted(data.sigma.unique(), reverse=True), sweep_colors(data.sigma.nunique())))
    for (sigma, seed), d in data[data.kind == "gd"].groupby(["sigma", "seed"]):
        ax.plot(d.step, d.loss, color=colors[sigma], lw=1, alpha=0.6,
                label=f"σ = {sigma:g}" if seed == data.seed.min() else None)
    for sigma, d in data[data.kind == "ode"].groupby("sigma"):
        ax.plot(d.step, d.loss, "k--", lw=0.8, label="gradient-flow ODE" if sigma == data.sigma.max() else None)
    ax.set(xlabel="step", ylabel="loss", xlim=(0, 120), title="Rank 1: plateau, then a sudden drop")
    ax.legend()
    drops = data[data.kind == "drop_step"]
    for sigma, d in drops.groupby("sigma"):
        ax2.plot(np.log(1 / d.sigma), d.step, "o", color=colors[sigma], alpha=0.6)
    theory_line, fit_line = data[data.kind == "theory_line"], data[data.kind == "fit_line"]
    slope = np.polyfit(np.log(1 / fit_line.sigma), fit_line.step, 1)[0]
    ax2.plot(np.log(1 / theory_line.sigma), theory_line.step, "k--", lw=1,
             label=r"theory slope $1/(\eta\|a\|\|b\|)$")
    ax2.plot(np.log(1 / fit_line.sigma), fit_line.step, "r-", lw=1, label=f"fit: slope {slope:.2f}")
    ax2.set(xlabel="ln(1/σ)", ylabel="step at which loss halves", title="Plateau length ∝ ln(1/σ)")
    ax2.legend()
    return fig


def _ab(res):
    """‖a‖‖b‖ (1 for the unit-norm targets of this figure), averaged over seeds."""
    gram = res.runs[0].target_gram
    return float(np.mean(np.sqrt(gram[:, 0, 0, 0] * gram[:, 1, 0, 0])))


def _fit(res):
    """Least-squares line of the median drop step against ln(1/σ), over the σ with Nσ² < 1.

    Returns slope, the centroid (x̄, ȳ) through which the theory line is drawn, and the σ used.
    """
    used = [r for r in res.runs if r.cfg.N * r.cfg.init_std ** 2 < FIT_MAX_NSIGMA2]
    x = np.log(1 / np.array([r.cfg.init_std for r in used]))
    y = np.array([np.median(measure.drop_steps(r)) for r in used])
    return float(np.polyfit(x, y, 1)[0]), (x.mean(), y.mean()), [r.cfg.init_std for r in used]


def caption(res, rules):
    return (f"{res.stem} — {SOURCE} (spec: paper/spec/post.md). "
            f"Left: loss ½‖abᵀ − ãb̃ᵀ‖² of every seed (thin lines) and the "
            f"gradient-flow solution of the reduced ODE in x = a·ã, y = b·b̃, ‖ã‖², ‖b̃‖² (dashed, seed 0's "
            f"start, time = η·step; scipy LSODA). Right: the step at which the loss halves, per seed, vs "
            f"ln(1/σ); the log law predicts slope 1/(η‖a‖‖b‖) (dashed), fitted over σ with Nσ² < 1 (red). "
            f"Settings: {settings(res.cfg, 'N', 'target', 'lr', 'steps', 'seeds')}, "
            f"σ ∈ {{{', '.join(f'{r.cfg.init_std:g}' for r in _runs(res))}}}.")


def claims(res, rules):
    rows = []
    plateau_ok, worst = True, np.inf
    for run in res.runs:
        if run.cfg.N * run.cfg.init_std ** 2 > 0.01:
            continue  # the plateau claim is about small inits
        rel = run.loss / run.loss[:, :1]
        t90 = np.array([measure.first_crossing(run.step, r, 0.9) for r in rel])
        t10 = np.array([measure.first_crossing(run.step, r, 0.1) for r in rel])
        ratio = t90 / (t10 - t90)  # plateau length over drop duration
        worst = min(worst, float(ratio.min()))
        plateau_ok &= bool(np.all(ratio > 1) and np.all(rel[:, -1] < 1e-6))
    rows.append(claim("Q2a", res.stem, "for Nσ² ≤ 0.01 the loss stays above 90 % of L0 longer than it then "
                      "takes to fall to 10 %, and ends below 1e-6 L0 (plateau, then a sudden drop)",
                      f"min plateau/drop-duration ratio {worst:.2f}", "> 1 for every seed", plateau_ok))
    slope, _, _ = _fit(res)
    expected = 1 / (res.cfg.lr * _ab(res))
    rows.append(claim("Q2b", res.stem, "the drop step grows linearly in ln(1/σ) with slope 1/(η‖a‖‖b‖)",
                      f"slope {slope:.2f} steps per unit ln(1/σ)",
                      f"{expected:.2f} ± {SLOPE_TOL:.0%}", abs(slope / expected - 1) <= SLOPE_TOL))
    devs = []
    for run in res.runs:
        flow = theory.rank1_flow_from_run(run, 0)
        devs.append(measure.first_crossing(run.step, run.loss[0], 0.5 * run.loss[0, 0]) /
                    measure.first_crossing(run.step, flow["loss"], 0.5 * flow["loss"][0]) - 1)
    dev = float(np.max(np.abs(devs)))
    rows.append(claim("Q2c", res.stem, "GD drops when the gradient-flow ODE (time = η·step) says it should",
                      f"max relative difference of halving steps {dev:.3f}", f"<= {ODE_TOL}",
                      dev <= ODE_TOL))
    return rows
