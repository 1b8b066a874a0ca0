"""Extension X1 — a rank-3 target with singular values s = 1, ½, ¼: a staircase of S-curves, learned in
order of decreasing s_l, each plateau ≈ ln(1/overlap)/s_l (FIGURES.md §1.3, Q5).

    python -m reproduce plot figX1_staircase
"""
import numpy as np
import pandas as pd

from .. import analysis
from .common import claim, settings, subplots

SOURCE = "extension [D]: rank-k with distinct singular values (every setting is this package's choice)"
SPREAD_TOL = 1.25  # Q5: t_l·s_l equal across components within a factor 1.25 (the log term ln s_l differs)


def learn_steps(run) -> np.ndarray:
    """(seeds, k): the step at which component l first holds half of its weight s_l."""
    c, s = analysis.component_strength(run), run.weights
    return np.array([[analysis.first_crossing(run.step, s[l] - np.abs(c[b, :, l]), s[l] / 2)
                      for l in range(len(s))] for b in range(c.shape[0])])


def figure_data(res) -> pd.DataFrame:
    run = res.runs[0]
    c = analysis.component_strength(run)
    frames = [pd.DataFrame({"seed": run.seed[b], "component": l, "weight": run.weights[l], "step": run.step,
                            "loss": run.loss[b], "strength": np.abs(c[b, :, l])})
              for b in range(c.shape[0]) for l in range(c.shape[2])]
    return pd.DataFrame(pd.concat(frames, ignore_index=True))


def plot(res, data):
    fig, (ax, ax2) = subplots(2, width=4.4)
    run = res.runs[0]
    t = np.median(learn_steps(run), axis=0)
    for seed, d in data[data.component == 0].groupby("seed"):
        ax.plot(d.step.clip(lower=1), d.loss / d.loss.iloc[0], color="C0", lw=0.8, alpha=0.6)
    for l, s in enumerate(run.weights):
        d = data[(data.seed == data.seed.min()) & (data.component == l)]
        ax2.plot(d.step.clip(lower=1), d.strength / s, color=f"C{l + 1}", label=f"s{l + 1} = {s:g}")
        for a in (ax, ax2):
            a.axvline(t[l], color=f"C{l + 1}", ls=":", lw=1)
    # log-y: the steps are s_l² apart in loss (1 : 1/4 : 1/16), too small to see on a linear axis
    ax.set(xscale="log", yscale="log", ylim=(1e-4, 2), xlabel="step", ylabel="loss / initial loss",
           title="A staircase of S-curves")
    ax2.set(xscale="log", xlabel="step", ylabel=r"learned share of component $l$",
            title=f"Seed {data.seed.min()}: components in order of s")
    ax2.legend(title="dotted: median step of half-learning")
    return fig


def caption(res):
    return (f"{res.stem} — {SOURCE}. Target T = Σ_l s_l a_l b_lᵀ with orthonormal a_l, b_l, so s_l are its "
            f"singular values. Left: loss of every seed (log step axis): one drop per component. Right: "
            f"Σ_m (ã_m·a_l)(b̃_m·b_l)/s_l, the share of component l the model holds, for one seed; dotted "
            f"lines mark the median step at which each reaches ½. Settings: "
            f"{settings(res.cfg, 'N', 'weights', 'init_std', 'lr', 'steps', 'seeds')}.")


def claims(res):
    run = res.runs[0]
    t = learn_steps(run)
    order = np.argsort(-run.weights)
    in_order = bool(np.all(np.diff(t[:, order], axis=1) > 0))
    ts = np.median(t, axis=0) * run.weights
    spread = float(ts.max() / ts.min())
    return [claim("Q5_order", res.stem, "components are learned in order of decreasing singular value, "
                  "in every seed", f"median steps {', '.join(f'{v:.0f}' for v in np.median(t, 0))}",
                  "increasing as s_l decreases, for every seed", in_order),
            claim("Q5_scaling", res.stem, "each plateau lasts ≈ ln(1/overlap)/s_l: t_l·s_l is the same "
                  "for every component", f"t_l·s_l = {', '.join(f'{v:.1f}' for v in ts)}; max/min "
                  f"{spread:.2f}", f"max/min <= {SPREAD_TOL}", spread <= SPREAD_TOL)]
