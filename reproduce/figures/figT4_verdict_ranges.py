"""Thread extension T4 — where do the thread's verdicts hold? P1–P4 and the premise (the tests of figT2,
reproduce/scurve/verdicts.py) on every setting of N × lr × σ, each with the bump thresholds halved,
as written (data/bump.toml) and doubled.

    python -m reproduce plot figT4_verdict_ranges
"""
import pandas as pd

from ..scurve import verdicts
from .common import claim, settings, subplots, verdict_heatmap

SOURCE = ("extension of the comment thread: its verdicts over settings it does not state "
          "(this package's choice)")
SCALES = verdicts.SCALES


def figure_data(res, rules) -> pd.DataFrame:
    return verdicts.verdict_table(res, rules.inner_product, SCALES)


def plot(res, data):
    fig, axes = subplots(len(SCALES), width=3.0, height=5.2)
    for ax, (scale, d) in zip(axes, data.groupby("threshold_scale")):
        table = d.pivot_table(index=["N", "lr", "sigma"], columns="predicate", values="holds", sort=False)
        table = table[list(verdicts.PREDICATES)]
        labels = [f"N={n}, η={lr:g}, σ={s:g}" for n, lr, s in table.index] if scale == SCALES[0] else []
        verdict_heatmap(ax, table, labels, f"bump thresholds ×{scale:g}\n(green: holds, red: fails)")
    return fig


def caption(res, rules):
    rule = rules.inner_product
    return (f"{res.stem} — {SOURCE}. Each row a setting (N, learning rate η, init σ), each column one of the "
            f"thread's predicates tested as in figT2 (P1 against the same setting at rank 1; P2_height: bump "
            f"peaks above those of curves that rise as far without falling; P2_state: norm growing at the "
            f"peak more often than at a random step; P3: no bump inside norm decay; P4: the bumping vector "
            f"gains on another target more than non-bumping vectors over the same window; P_premise: shared "
            f"nearest target at init raises the bump rate, 95 % interval above 0). The written rule: "
            f"{rule.describe()}; halved and doubled as in reproduce/scurve/verdicts.py. "
            f"Settings: {settings(res.cfg, 'target', 'steps', 'seeds')}, rank {max(res.cfg.sweep['rank'])} "
            f"(rank 1 as P1's control).")


# The range each verdict was found to hold in: a stated finding, so a rerun that moves a count fails.
FOUND = {"P1": "every", "P2_height": "no", "P2_state": "every", "P3": "every", "P4": "every",
         "P_premise": "no"}
# What the report says of each range (the verdict of V_<predicate>): PASS sentence, FAIL sentence.
SAYS = {"P1": ("Bumps need rank > 1 (P1) in every setting of figT4.",
               "P1 (bumps need rank > 1) fails in some setting of figT4."),
        "P2_state": ("They happen while the bumping vector's norm grows (P2, second reading), in every setting.",
                     "P2's second reading (norm growing at the peak) fails in some setting."),
        "P3": ("They never peak inside the norm-decay phase (P3), in every setting.", "P3 fails in some setting."),
        "P4": ("The bumping vector gains on another target more than non-bumping vectors do over the same "
               "window (P4), in every setting.", "P4 fails against its control somewhere."),
        "P2_height": ("P2's first reading (bumps peak higher than curves that rise as far without falling) "
                      "holds in no setting: bumps peak lower.", "P2's first reading holds in some setting."),
        "P_premise": ("The premise (shared nearest target at init) raises the bump rate in no setting.",
                      "The premise holds in some setting.")}


def claims(res, rules):
    d = figure_data(res, rules)
    n_settings, counts = verdicts.holds_counts(d)
    rows = []
    for pred in verdicts.PREDICATES:
        held, found = int(counts[pred]), FOUND[pred]
        rows.append(claim(f"V_{pred}", res.stem, f"{pred} holds in {found} setting tested "
                          f"(N × η × σ × bump thresholds)", f"holds in {held} of {n_settings}",
                          str(n_settings) if found == "every" else "0",
                          held == (n_settings if found == "every" else 0),
                          says=dict(zip(("PASS", "FAIL"), SAYS[pred]))))
    return rows
