"""Figure 1 — scalar target: loss vs step on log-y, with the exact GD line L₀(1−η)^{2t}.

    python -m reproduce plot fig01_scalar
"""
import numpy as np
import pandas as pd

from .. import theory
from .common import claim, settings, source, subplots

SOURCE = "reproduced: post [R], Figure 1 (settings are this package's choice [S])"
MAX_REL_DEV = 1e-10  # FIGURES.md §6: the GD loss matches the closed form to 1e-10 relative


def figure_data(res) -> pd.DataFrame:
    run = res.runs[0]
    frames = [pd.DataFrame({"seed": run.seed[b], "step": run.step, "loss": loss,
                            "theory_loss": theory.gd_linear_loss(loss[0], run.cfg.lr, run.step)})
              for b, loss in enumerate(run.loss)]
    return pd.DataFrame(pd.concat(frames))


def plot(res, data):
    fig, ax = subplots()
    for seed, d in data.groupby("seed"):
        ax.semilogy(d.step, d.loss, "o", ms=3, alpha=0.6, label=f"GD, seed {seed}")
    d = data[data.seed == data.seed.min()]
    ax.semilogy(d.step, d.theory_loss, "k--", lw=1, label=r"$L_0(1-\eta)^{2t}$")
    ax.set(xlabel="step", ylabel="loss", title=_title(res))
    ax.legend()
    return fig


def _title(res):
    return "Scalar target: exponential convergence" if res.cfg.N == 1 else \
        f"Vector target (N = {res.cfg.N}): exponential convergence"


def caption(res):
    return (f"{res.stem} — {source(res.stem)}. Loss ½‖a − ã‖² under plain gradient descent; dashed: the exact "
            f"GD solution L₀(1−η)^(2t). No plateau: log-loss is a straight line from step 0. "
            f"Settings: {settings(res.cfg, 'N', 'target', 'init', 'init_std', 'lr', 'steps', 'seeds')}.")


def claims(res):
    data = figure_data(res)
    dev = float(np.max(np.abs(data.loss / data.theory_loss - 1)))
    return [claim(f"Q1_{res.stem[:5]}", res.stem, "loss decays exactly as L0(1-lr)^(2t) from step 0 (no plateau)",
                  f"max relative deviation {dev:.2e}", f"<= {MAX_REL_DEV:.0e}", dev <= MAX_REL_DEV)]
