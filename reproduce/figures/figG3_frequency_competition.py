"""Figure G3 — frequency competition: the embedding norm of every Fourier frequency over training; the
final key frequencies, and the frequencies that reached the top 6 and then lost out, highlighted.

    python -m reproduce plot figG3_frequency_competition

Per-frequency embedding norm: ‖ projection of the p number-token embeddings onto cos/sin(2πka/p) ‖.
A **competitor** is a frequency outside the final key set that, at some eval after memorisation, ranks
in the top TOP (by this norm) above at least one final key frequency. ("Reached the top 6" alone would be
empty of meaning here: with 5 key frequencies, one of the top 6 slots always holds a non-key frequency.)
A **bump** (data/bump.toml's rise_factor and drop_frac, measured from the curve's lowest point so far
rather than from step 0, since losses start at ln p): the curve reaches rise_factor × its running
minimum, and ends at most (1 − drop_frac) × that peak. peak_min, a scale for unit-norm inner products,
does not apply to norms or losses.
"""
import numpy as np
import pandas as pd

from .. import analysis
from .common import claim, subplots
from .figG1_grokking import SOURCE, phases

RESULTS_STEM = "figG_grokking"
FIGURE = __name__.rsplit(".", 1)[-1]   # claims name this figure, not the shared results stem
TOP = 6                 # "reached the top 6" (GROKKING.md)
PLOT_EVERY = 200        # figure_data keeps the evals at multiples of this (and the last): ~50 × (p−1)/2 rows


def bump(curve, rule=None):
    """The bump of a curve (see module docstring) as a dict, or None."""
    rule = rule or analysis.bump_rule()
    trough = np.minimum.accumulate(curve)
    rising = np.nonzero(curve >= rule.rise_factor * trough)[0]
    if not len(rising):
        return None
    j = rising[np.argmax(curve[rising])]
    if curve[-1] > (1 - rule.drop_frac) * curve[j]:
        return None
    return dict(index=int(j), trough=float(trough[j]), peak=float(curve[j]), final=float(curve[-1]))


def bump_text():
    rule = analysis.bump_rule()
    return (f"bump: ≥ {rule.rise_factor:g}× its running minimum, then ending ≤ {1 - rule.drop_frac:.0%} "
            f"of that peak")


def ranks(run) -> np.ndarray:
    """(evals, frequencies): 1 = the largest embedding norm at that eval."""
    order = np.argsort(-run.freq_norm, axis=1, kind="stable")
    r = np.empty_like(order)
    np.put_along_axis(r, order, np.arange(1, order.shape[1] + 1)[None], axis=1)
    return r


def competitors(run) -> dict:
    """Competitors (module docstring) → dict k: (best rank, epochs in the top TOP after memorisation)."""
    r, key = ranks(run), np.isin(run.freq, run.key_freqs)
    after = run.epoch >= phases(run)["memorised"]
    worst_key = r[:, key].max(axis=1) if key.any() else np.zeros(len(r), dtype=int)
    span = np.diff(run.epoch, append=run.epoch[-1])      # epochs until the next eval
    out = {}
    for i in np.nonzero(~key)[0]:
        top = after & (r[:, i] <= TOP)
        if (top & (r[:, i] < worst_key)).any():
            out[int(run.freq[i])] = (int(r[after, i].min()), int(span[top].sum()))
    return out


def roles(run) -> dict:
    comp = competitors(run)
    return {int(k): "key" if k in run.key_freqs else "competitor" if k in comp else "other" for k in run.freq}


def figure_data(res) -> pd.DataFrame:
    run = res.runs[0]
    keep = (run.epoch % PLOT_EVERY == 0) | (run.epoch == run.epoch[-1])
    r, role = ranks(run), roles(run)
    rows = [pd.DataFrame({"epoch": run.epoch[keep], "k": int(k), "role": role[int(k)],
                          "norm": run.freq_norm[keep, i], "rank": r[keep, i]})
            for i, k in enumerate(run.freq)]
    return pd.concat(rows, ignore_index=True)


def plot(res, data):
    run = res.runs[0]
    fig, (ax, ax_r) = subplots(2, width=4.6, height=3.5)
    ph = phases(run)
    colors = iter([f"C{i}" for i in range(10)] * 3)
    for k, d in data.groupby("k"):
        role = d.role.iloc[0]
        if role == "other":
            ax.plot(d.epoch, d.norm, color="0.75", lw=0.5, zorder=1)
            continue
        c, ls = next(colors), "-" if role == "key" else "--"
        ax.plot(d.epoch, d.norm, color=c, ls=ls, lw=1.6, zorder=3, label=f"k = {k} ({role})")
        ax_r.plot(d.epoch, d["rank"], color=c, ls=ls, lw=1.4, label=f"k = {k}")
    ax.plot([], [], color="0.75", lw=0.5, label="other frequencies")
    for a in (ax, ax_r):
        for key, ls in (("memorised", ":"), ("cleanup", "--"), ("grokked", "-.")):
            if np.isfinite(ph[key]):
                a.axvline(ph[key], color="0.3", ls=ls, lw=0.8)
    ax.set(xlabel="epoch", ylabel="embedding norm at frequency k", title="Per-frequency embedding norm")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3)
    ax_r.axhspan(0.5, TOP + 0.5, color="0.93", zorder=0, label=f"top {TOP}")
    ax_r.set_yscale("log")
    ax_r.set_yticks([1, 2, 3, 6, 10, 20, len(run.freq)], ["1", "2", "3", "6", "10", "20", str(len(run.freq))])
    ax_r.minorticks_off()
    ax_r.set_ylim(len(run.freq) + 8, 0.8)             # rank 1 on top
    ax_r.set(xlabel="epoch", ylabel="rank by embedding norm (1 = largest)",
             title="Rank of the highlighted frequencies")
    ax_r.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=4)
    return fig


def caption(res):
    run = res.runs[0]
    comp = competitors(run)
    comp_text = "; ".join(f"k = {k}: best rank {b}, {n} epochs in the top {TOP}" for k, (b, n) in comp.items())
    idx = {int(k): i for i, k in enumerate(run.freq)}
    key_bumps = [int(k) for k in run.key_freqs if bump(run.freq_norm[:, idx[int(k)]])]
    return (f"{FIGURE} — {SOURCE}. Norm of the {res.cfg.p} number-token embeddings projected on "
            f"cos/sin(2πka/{res.cfg.p}), for every k. Solid: the final key frequencies "
            f"{', '.join(map(str, run.key_freqs))}"
            + (f" (of which k = {', '.join(map(str, key_bumps))} bumps: it peaks, then falls in cleanup while "
               "staying a key frequency)" if key_bumps else "")
            + f". Dashed: competitors, frequencies outside the key set that ranked in the top {TOP} above a key "
            f"frequency after memorisation ({comp_text or 'none'}). Grey: all other frequencies. Vertical lines: "
            f"memorised (dotted), cleanup starts (dashed), grokked (dash-dot). Evals every {PLOT_EVERY} epochs drawn.")


def claims(res):
    run = res.runs[0]
    comp = competitors(run)
    rows = [claim("G3_competition", FIGURE,
                  f"competition: at least one frequency ranks in the top {TOP} above a final key frequency "
                  "after memorisation and ends outside the key set",
                  f"{len(comp)} competitor(s): " + (", ".join(f"k={k} (best rank {b}, {n} epochs in the top {TOP})"
                                                           for k, (b, n) in comp.items()) or "none"),
                  "≥ 1", len(comp) >= 1)]
    idx = {int(k): i for i, k in enumerate(run.freq)}
    key_bumps = [int(k) for k in run.key_freqs if bump(run.freq_norm[:, idx[int(k)]])]
    rows.append(claim("G3_key_no_bump", FIGURE,
                      "thread's question: do the key frequencies show bumps in their embedding norm? "
                      f"(GROKKING.md: no, they rise monotonically; {bump_text()})",
                      f"{len(key_bumps)} of {len(run.key_freqs)} key frequencies bump"
                      + (f" (k = {', '.join(map(str, key_bumps))})" if key_bumps else ""),
                      "0", len(key_bumps) == 0))
    comp_bumps = [k for k in comp if bump(run.freq_norm[:, idx[k]])]
    rows.append(claim("G3_competitor_bumps", FIGURE,
                      "the bumps are on the losers: every competitor's embedding norm shows a bump",
                      f"{len(comp_bumps)} of {len(comp)} competitors bump",
                      f"{len(comp)} of {len(comp)}, at least 1", len(comp) >= 1 and len(comp_bumps) == len(comp)))
    return rows
