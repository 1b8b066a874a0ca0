"""Thread extension T5 — the thread's verdicts under Adam: P1–P4 and the premise (the tests of figT2 and
figT4, reproduce/scurve/verdicts.py) on N × lr × σ trained with Adam, bump thresholds halved, as
written and doubled.

    python -m reproduce plot figT5_adam_verdicts
"""
import pandas as pd

from ..scurve import verdicts
from .common import claim, settings, subplots, verdict_heatmap

SOURCE = "extension of the comment thread: its verdicts under Adam (settings are this package's choice)"
SCALES = verdicts.SCALES
# Which way each verdict goes under Adam, as under GD (figT4): "holds" means in at least MOST of the
# settings, "fails" in at most 1 − MOST (a 95 % interval excludes 0 by chance in ~2.5 % of settings).
HOLDS = {"P1": True, "P2_height": False, "P2_state": True, "P3": True, "P4": True, "P_premise": False}
MOST = 0.9


def figure_data(res, rules) -> pd.DataFrame:
    return verdicts.verdict_table(res, rules.inner_product, SCALES)


def plot(res, data):
    fig, ax = subplots(1, width=5.0, height=5.6)
    table = data.pivot_table(index=["threshold_scale", "N", "lr", "sigma"], columns="predicate",
                             values="holds", sort=False)[list(verdicts.PREDICATES)]
    verdict_heatmap(ax, table, [f"thresholds ×{c:g}: N={n}, lr={lr:g}, σ={s:g}" for c, n, lr, s in table.index],
                    "Adam: the thread's predicates per setting\n(green: holds, red: fails)")
    return fig


def caption(res, rules):
    return (f"{res.stem} — {SOURCE}. Each row a setting (bump thresholds, N, Adam learning rate, init σ), "
            f"each column one of the thread's predicates tested as in figT2 and figT4 (P1 against the same "
            f"setting at rank 1). Settings: {settings(res.cfg, 'optimizer', 'target', 'steps', 'seeds')}, "
            f"rank {max(res.cfg.sweep['rank'])} (rank 1 as P1's control).")


def claims(res, rules):
    d = figure_data(res, rules)
    n_settings, counts = verdicts.holds_counts(d)
    rows = []
    for pred in verdicts.PREDICATES:
        held, frac = int(counts[pred]), counts[pred] / n_settings
        fails = d[(d.predicate == pred) & (d.holds != HOLDS[pred])]
        where = "; ".join(f"×{r.threshold_scale:g}, N={r.N}, lr={r.lr:g}, σ={r.sigma:g}"
                          for r in fails.itertuples())
        rows.append(claim(f"A_{pred}", res.stem, f"under Adam, {pred} " + (
                          "holds in most settings" if HOLDS[pred] else "fails in most settings") +
                          " (N × lr × σ × bump thresholds)",
                          f"holds in {held} of {n_settings}" + (f"; exceptions: {where}" if where else ""),
                          f">= {MOST:.0%}" if HOLDS[pred] else f"<= {1 - MOST:.0%}",
                          frac >= MOST if HOLDS[pred] else frac <= 1 - MOST))
    return rows
