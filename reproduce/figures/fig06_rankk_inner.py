"""Figure 6 — rank-2 and rank-4 "Inner Product w/ Truth": every |ã_m·a_l| over steps; bumps appear.
Spec: paper/spec/post.md#fig06_rankk_inner.

    python -m reproduce plot fig06_rankk_inner
"""
import numpy as np
import pandas as pd

from ..core import stats
from ..scurve import causes, measure
from .common import claim, settings, subplots

SOURCE = "reproduced: post [R title], rank-k 'Inner Product w/ Truth' (settings are this package's choice)"
FACTOR = 0  # plot the first factor's vectors (ã_m · a_l); the second behaves alike


def _runs(res):
    return sorted(res.runs, key=lambda r: r.cfg.rank)


def shown_seed(run, rule) -> int:
    """The plotted seed: the one with the most bumps in FACTOR (lowest seed on ties), a written rule."""
    counts = np.zeros(len(run.seed), dtype=int)
    for bump in measure.find_bumps(run, rule):
        counts[bump["seed_index"]] += bump["factor"] == FACTOR
    return int(np.argmax(counts))


def figure_data(res, rules) -> pd.DataFrame:
    rule = rules.inner_product
    rows = []
    for run in _runs(res):
        b = shown_seed(run, rule)
        bumpy = {(x["learned"], x["target"]) for x in measure.find_bumps(run, rule)
                 if x["seed_index"] == b and x["factor"] == FACTOR}
        for m in range(run.cfg.k_model):
            for l in range(run.cfg.rank):
                rows.append(pd.DataFrame({"rank": run.cfg.rank, "seed": run.seed[b], "learned": m,
                                          "target": l, "bump": (m, l) in bumpy, "step": run.step,
                                          "inner_product": np.abs(run.overlap[b, :, FACTOR, m, l])}))
    return pd.DataFrame(pd.concat(rows, ignore_index=True))


BUMP_COLORS = [f"C{i}" for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)]  # tab10 without its grey: one per bump


def plot(res, data):
    fig, axes = subplots(2, width=4.6)
    for ax, (k, d) in zip(axes, data.groupby("rank")):
        n_bumps = 0
        for (m, l), c in d.groupby(["learned", "target"]):
            if c.bump.iloc[0]:
                ax.plot(c.step.clip(lower=1), c.inner_product, lw=2.2,
                        color=BUMP_COLORS[n_bumps % len(BUMP_COLORS)], label=f"ã{m + 1}·a{l + 1} (bump)")
                n_bumps += 1
            else:
                ax.plot(c.step.clip(lower=1), c.inner_product, color="0.55", lw=0.8, alpha=0.6, ls="--")
        ax.plot([], [], "--", color="0.55", lw=0.8, alpha=0.6, label="every other pair")
        ax.set(xscale="log", xlabel="step", ylabel="|inner product with truth|",
               title=f"Rank {k}, seed {d.seed.iloc[0]}: {n_bumps} bump(s)")
        ax.legend(fontsize=7)
    return fig


def caption(res, rules):
    rule = rules.inner_product
    return (f"{res.stem} — {SOURCE} (spec: paper/spec/post.md). "
            f"|ã_m·a_l| for every learned vector m and target l of the first "
            f"factor. Thick, one colour each: bumps, by the package's one rule: {rule.describe()}; dashed "
            f"grey: every other curve. Shown per rank: the seed "
            f"with the most bumps (a written rule, not a hand-picked seed). "
            f"Settings: {settings(res.cfg, 'N', 'target', 'init_std', 'lr', 'steps', 'seeds')}.")


def claims(res, rules):
    """Q4 against a base rate: the bump rate over seeds must be above 0 beyond sampling noise (95 %
    bootstrap interval over seeds), not one lucky seed; rank 1 (fig04, claim P1_rank1 there, and
    P1 in figT2) is the control at which the same rule finds none."""
    rule = rules.inner_product
    rates = {run.cfg.rank: stats.rate_ci(causes.seed_has_bump(run, rule)) for run in _runs(res)}
    return [claim("Q4_bumps", res.stem, "bumps appear in the inner-product curves at rank > 1, in a share of "
                  "seeds whose 95 % interval lies above 0",
                  "; ".join(f"rank {k}: {r[0]:.2f} of {res.cfg.seeds} seeds [{r[1]:.2f}, {r[2]:.2f}]"
                            for k, r in rates.items()), "interval above 0 at every rank shown",
                  stats.all_of(stats.interval_verdict(r[1], r[2], above=0.0) for r in rates.values()),
                  says={"PASS": "Bumps appear at every rank > 1 shown, in more than a chance share of seeds.",
                        "FAIL": "At some rank > 1 no seed bumps.",
                        "UNDETERMINED": "Whether bumps appear at every rank > 1 shown cannot be told from "
                                        f"{res.cfg.seeds} seeds."})]
