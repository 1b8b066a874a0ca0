"""Thread figure T2 — the thread's evidence for the "competition" story (P1–P4, FIGURES.md §3) tested on
64 seeds per rank and init scale, with the one bump rule of data/bump.toml.

    python -m reproduce plot figT2_bump_statistics
"""
import numpy as np
import pandas as pd

from .. import analysis
from .common import claim, settings, subplots

SOURCE = "extension of the comment thread [R claims]: P1–P4 over many seeds (settings are this package's choice)"
P4_MIN_RATE = 0.5  # P4 holds if most bumps (more than half) show the falling vector turning to another target


def bump_table(res) -> pd.DataFrame:
    """One row per bump, with its run's rank and σ and its seed's end of norm decay."""
    rule, rows = analysis.bump_rule(), []
    for run in res.runs:
        decay_end = analysis.norm_decay_end(run)
        for x in analysis.find_bumps(run, rule):
            rows.append(dict(rank=run.cfg.rank, sigma=run.cfg.init_std, decay_end=int(decay_end[x["seed_index"]]),
                             turns=x["other_rise"] >= rule.shift_min, **x))
    cols = ["rank", "sigma", "decay_end", "turns", "seed", "seed_index", "factor", "learned", "target",
            "peak", "peak_step", "final", "other_rise"]
    return pd.DataFrame(rows, columns=cols)


def figure_data(res) -> pd.DataFrame:
    """Per rank and σ: the rates behind every panel, and the peak quantiles of bumps and of all curves."""
    bumps, rows = bump_table(res), []
    for run in res.runs:
        b = bumps[(bumps["rank"] == run.cfg.rank) & (bumps.sigma == run.cfg.init_std)]
        peaks = analysis.peak_values(run)
        rows.append(dict(rank=run.cfg.rank, sigma=run.cfg.init_std, seeds=len(run.seed), bumps=len(b),
                         seeds_with_bump=b.seed.nunique(), seed_rate=b.seed.nunique() / len(run.seed),
                         curve_rate=len(b) / peaks.size,
                         median_peak_all=float(np.median(peaks)),
                         median_peak_bumps=float(np.median(b.peak)) if len(b) else np.nan,
                         bumps_in_decay=int((b.peak_step <= b.decay_end).sum()),
                         median_decay_end=float(np.median(analysis.norm_decay_end(run))),
                         turn_rate=float(b.turns.mean()) if len(b) else np.nan))
    return pd.DataFrame(rows)


def plot(res, data):
    fig, axes = subplots(2, 2, width=4.3, height=3.1)
    (a1, a2), (a3, a4) = axes
    bumps = bump_table(res)
    sigmas = sorted(data.sigma.unique())
    for i, s in enumerate(sigmas):
        d = data[data.sigma == s]
        a1.plot(d["rank"], d.seed_rate, "o-", color=f"C{i}", label=f"σ = {s:g}: seeds with a bump")
        a1.plot(d["rank"], d.curve_rate, "s--", color=f"C{i}", alpha=0.6, label=f"σ = {s:g}: curves that bump")
        a4.plot(d["rank"], d.turn_rate, "o-", color=f"C{i}", label=f"σ = {s:g}")
    for a in (a1, a4):
        a.set_xscale("log")
        a.minorticks_off()
        a.set_xticks(sorted(data["rank"].unique()), [str(k) for k in sorted(data["rank"].unique())])
    a1.set(xlabel="rank k", ylabel="fraction", ylim=(-0.03, 1.03), title="P1: bump rate vs rank")
    a1.legend(fontsize=6)
    all_peaks = np.concatenate([analysis.peak_values(r) for r in res.runs if r.cfg.rank > 1])
    bins = np.linspace(0, max(1.2, all_peaks.max()), 31)
    a2.hist(all_peaks, bins=bins, density=True, alpha=0.5, color="0.5", label="all curves (k > 1)")
    a2.hist(bumps.peak, bins=bins, density=True, alpha=0.6, color="C3", label="bumps")
    a2.axvline(np.median(all_peaks), color="0.3", ls=":", label="median, all curves")
    a2.axvline(np.median(bumps.peak), color="C3", ls=":", label="median, bumps")
    a2.set(xlabel="peak |inner product with truth|", ylabel="density", title="P2: how high do bumps peak?")
    a2.legend(fontsize=6)
    for i, s in enumerate(sigmas):
        b = bumps[bumps.sigma == s]
        a3.hist(b.peak_step - b.decay_end, bins=40, alpha=0.6, color=f"C{i}", label=f"σ = {s:g}")
    a3.axvline(0, color="k", lw=1)
    a3.set(xlabel="bump peak step − end of norm decay", ylabel="bumps", title="P3: no bump inside norm decay")
    a3.legend(fontsize=6)
    a4.set(xlabel="rank k", ylabel="fraction of bumps", ylim=(-0.03, 1.03),
           title="P4: falling vector turns to another target")
    a4.legend(fontsize=6)
    return fig


def caption(res):
    rule = analysis.bump_rule()
    return (f"{res.stem} — {SOURCE}. {res.cfg.seeds} seeds per rank and σ; a bump is {rule.describe()}; "
            f"its onset is its peak step. The norm-decay phase ends at the "
            f"first step where Σ‖ã‖² stops falling. P4 counts a bump as turning when the falling vector's "
            f"overlap with another target rises by ≥ {rule.shift_min} between the peak and the end. "
            f"Settings: {settings(res.cfg, 'N', 'target', 'lr', 'steps', 'seeds')}, ranks "
            f"{res.cfg.sweep['rank']}, σ ∈ {res.cfg.sweep['init_std']}.")


def claims(res):
    d = figure_data(res)
    r1, rest = d[d["rank"] == 1], d[d["rank"] > 1]
    rising = all(np.all(np.diff(g.sort_values("rank").seed_rate) > 0) for _, g in d.groupby("sigma"))
    bumps = bump_table(res)
    all_peaks = np.concatenate([analysis.peak_values(r) for r in res.runs if r.cfg.rank > 1])
    med_b, med_all = float(np.median(bumps.peak)), float(np.median(all_peaks))
    inside = int(d.bumps_in_decay.sum())
    turn = float(bumps.turns.mean())
    fmt = lambda col: "; ".join(f"k={int(r['rank'])},σ={r.sigma:g}: {r[col]:.2f}"  # noqa: E731
                                for _, r in d.iterrows())
    return [
        claim("P1", res.stem, "no bumps at rank 1; the fraction of seeds with a bump rises with rank",
              f"rank-1 bumps {int(r1.bumps.sum())}; seed rates {fmt('seed_rate')}",
              "0 at rank 1; strictly rising with rank at each σ", r1.bumps.sum() == 0 and rising),
        claim("P2", res.stem, "bumps peak at high alignment: the median bump peak lies above the median "
              "peak of all curves (ranks > 1)", f"median bump peak {med_b:.3f} vs all curves {med_all:.3f}",
              "bump median > all-curves median", med_b > med_all),
        claim("P3", res.stem, "no bump happens during the initial norm-decay phase (peak after its end)",
              f"{inside} of {len(bumps)} bumps peak inside it", "0", inside == 0),
        claim("P4", res.stem, "in a bump the falling vector turns to another target: its overlap with some "
              "other target rises while it falls", f"{turn:.1%} of {len(bumps)} bumps",
              f"> {P4_MIN_RATE:.0%}", turn > P4_MIN_RATE and len(rest) > 0),
    ]
