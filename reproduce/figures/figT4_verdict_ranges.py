"""Thread extension T4 — where do the thread's verdicts hold? P1–P4 and the premise (the tests of figT2,
reproduce/analysis/verdicts.py) on every setting of N × lr × σ, each with the bump thresholds halved,
as written (data/bump.toml) and doubled.

    python -m reproduce plot figT4_verdict_ranges
"""
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd

from .. import analysis
from ..analysis import verdicts
from .common import claim, settings, subplots

SOURCE = ("extension of the comment thread: its verdicts over settings it does not state "
          "(this package's choice)")
SCALES = (0.5, 1.0, 2.0)


def figure_data(res) -> pd.DataFrame:
    return verdicts.verdict_table(res, analysis.bump_rule(), SCALES)


def plot(res, data):
    fig, axes = subplots(len(SCALES), width=3.0, height=5.2)
    cmap = mcolors.ListedColormap(["#d9826f", "#7fbf7b"])
    for ax, (scale, d) in zip(axes, data.groupby("threshold_scale")):
        table = d.pivot_table(index=["N", "lr", "sigma"], columns="predicate", values="holds", sort=False)
        table = table[list(verdicts.PREDICATES)]
        ax.imshow(table.values, cmap=cmap, vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(table.shape[1]), table.columns, rotation=60, fontsize=7)
        ax.set_yticks(range(table.shape[0]), [f"N={n}, η={lr:g}, σ={s:g}" for n, lr, s in table.index]
                      if scale == SCALES[0] else [], fontsize=6)
        ax.set_xticks(np.arange(table.shape[1] + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(table.shape[0] + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="w", lw=1)
        ax.grid(which="major", visible=False)
        ax.tick_params(which="minor", length=0)
        ax.set_title(f"bump thresholds ×{scale:g}\n(green: holds, red: fails)", fontsize=8)
    return fig


def caption(res):
    rule = analysis.bump_rule()
    return (f"{res.stem} — {SOURCE}. Each row a setting (N, learning rate η, init σ), each column one of the "
            f"thread's predicates tested as in figT2 (P1 against the same setting at rank 1; P2_height: bump "
            f"peaks above those of curves that rise as far without falling; P2_state: norm growing at the "
            f"peak more often than at a random step; P3: no bump inside norm decay; P4: the bumping vector "
            f"gains on another target more than non-bumping vectors over the same window; P_premise: shared "
            f"nearest target at init raises the bump rate, 95 % interval above 0). The written rule: "
            f"{rule.describe()}; halved and doubled as in reproduce/analysis/verdicts.py. "
            f"Settings: {settings(res.cfg, 'target', 'steps', 'seeds')}, rank {max(res.cfg.sweep['rank'])} "
            f"(rank 1 as P1's control).")


# The range each verdict was found to hold in: a stated finding, so a rerun that moves a count fails.
FOUND = {"P1": "every", "P2_height": "no", "P2_state": "every", "P3": "every", "P4": "every",
         "P_premise": "no"}


def claims(res):
    d = figure_data(res)
    n_settings, counts = verdicts.holds_counts(d)
    rows = []
    for pred in verdicts.PREDICATES:
        held, found = int(counts[pred]), FOUND[pred]
        rows.append(claim(f"V_{pred}", res.stem, f"{pred} holds in {found} setting tested "
                          f"(N × η × σ × bump thresholds)", f"holds in {held} of {n_settings}",
                          str(n_settings) if found == "every" else "0",
                          held == (n_settings if found == "every" else 0)))
    return rows
