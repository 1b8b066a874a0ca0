"""Thread figure T1 — rank 4: two learned vectors against one target. Both grow towards it; then one
(blue) turns away towards another target while the other (orange) catches up.

    python -m reproduce plot figT1_rank4_two_vectors

The run and the pair are found by a deterministic search over the config's seeds (`find_pair`):
  1. in factor 0, two learned vectors m_blue, m_orange whose nearest target at step 0 is the same l;
  2. blue's curve |ã_blue·a_l| is a bump (data/bump.toml) and, while it falls, its overlap with some
     other target rises by at least `shift_min` (it turns away);
  3. orange's curve on l is no bump and ends above blue's peak (it catches up).
Among all candidates the one whose blue curve falls most (peak − final) is shown; ties go to the lower seed.
"""
import numpy as np
import pandas as pd

from .. import analysis
from ..analysis import causes
from .common import claim, settings, subplots

SOURCE = "reproduced: comment thread [R], the rank-4 'two learned vectors, one target' plot (settings [S])"
FACTOR = 0


def _qualifies(curves, bump, orange, l, bumps, b, rule) -> bool:
    """Steps 2–3 of the criterion for a (blue bump, orange) pair on target l."""
    return (bump["other_rise"] >= rule.shift_min and (b, orange, l) not in bumps
            and curves[-1, orange, l] > bump["peak"])


def _bumps(run, rule):
    return {(x["seed_index"], x["learned"], x["target"]): x for x in analysis.find_bumps(run, rule)
            if x["factor"] == FACTOR}


def find_pair(run, rule):
    """The (seed_index, target, blue, orange, bump) chosen by the criterion in the module docstring."""
    bumps = _bumps(run, rule)
    best = None
    for b in range(len(run.seed)):
        curves = np.abs(run.overlap[b, :, FACTOR])       # (steps, k̃, k)
        nearest = curves[0].argmax(axis=1)               # nearest target of each learned vector at init
        for (bb, blue, l), bump in bumps.items():
            if bb != b or nearest[blue] != l:
                continue
            for orange in np.nonzero(nearest == l)[0]:
                if orange == blue or not _qualifies(curves, bump, orange, l, bumps, b, rule):
                    continue
                fall = bump["peak"] - bump["final"]
                if best is None or fall > best[0]:
                    best = (fall, (b, l, int(blue), int(orange), bump))
    return None if best is None else best[1]


def search_rates(run, rule):
    """Could the search have failed? Per seed, every (blue, orange, l) with orange nearest l at init, split
    by whether blue also starts nearest l (the thread's shared target) or not (the control); a candidate
    succeeds when steps 2–3 of the criterion hold. Returns per-seed lists (shared, control) of booleans."""
    bumps = _bumps(run, rule)
    shared, control = [[] for _ in run.seed], [[] for _ in run.seed]
    for b in range(len(run.seed)):
        curves = np.abs(run.overlap[b, :, FACTOR])
        nearest = curves[0].argmax(axis=1)
        for orange, l in enumerate(nearest):
            for blue in range(curves.shape[1]):
                if blue == orange:
                    continue
                bump = bumps.get((b, blue, l))
                ok = bump is not None and _qualifies(curves, bump, orange, l, bumps, b, rule)
                (shared if nearest[blue] == l else control)[b].append(ok)
    return shared, control


def figure_data(res) -> pd.DataFrame:
    run = res.runs[0]
    found = find_pair(run, analysis.bump_rule())
    if found is None:
        return pd.DataFrame(columns=["panel", "seed", "learned", "target", "step", "inner_product"])
    b, l, blue, orange, _ = found
    curves = np.abs(run.overlap[b, :, FACTOR])
    rows = [pd.DataFrame({"panel": "pair", "seed": run.seed[b], "learned": m, "target": l, "step": run.step,
                          "inner_product": curves[:, m, l]}) for m in (blue, orange)]
    rows += [pd.DataFrame({"panel": "blue_all_targets", "seed": run.seed[b], "learned": blue, "target": t,
                           "step": run.step, "inner_product": curves[:, blue, t]})
             for t in range(run.cfg.rank)]
    return pd.DataFrame(pd.concat(rows, ignore_index=True))


def plot(res, data):
    fig, (ax, ax2) = subplots(2, width=4.4)
    if data.empty:
        ax.text(0.5, 0.5, "no pair meets the criterion", ha="center", transform=ax.transAxes)
        return fig
    run = res.runs[0]
    b, l, blue, orange, bump = find_pair(run, analysis.bump_rule())
    pair = data[data.panel == "pair"]
    for m, color in ((blue, "C0"), (orange, "C1")):
        d = pair[pair.learned == m]
        ax.plot(d.step, d.inner_product, color=color, label=f"learned vector ã{m + 1}")
    xmax = 4 * bump["peak_step"]
    ax.set(xlabel="step", ylabel=f"|inner product with target a{l + 1}|", xlim=(0, xmax),
           title=f"Rank 4, seed {run.seed[b]}: two vectors, one target")
    ax.legend()
    for t, d in data[data.panel == "blue_all_targets"].groupby("target"):
        ax2.plot(d.step, d.inner_product, color="C0" if t == l else f"C{t + 2}", lw=2 if t == l else 1.2,
                 label=f"target a{t + 1}" + (" (shared)" if t == l else ""))
    ax2.axvline(bump["peak_step"], color="0.5", ls=":", lw=1, label="blue's peak")
    ax2.set(xlabel="step", ylabel=f"|ã{blue + 1} · a_l|", xlim=(0, xmax),
            title=f"Where the turning vector ã{blue + 1} goes")
    ax2.legend()
    return fig


def caption(res):
    rule = analysis.bump_rule()
    rates = [causes.pooled_rate(x)[0] for x in search_rates(res.runs[0], rule)]
    return (f"{res.stem} — {SOURCE}. Left: the inner products of two learned vectors with one target: both "
            f"start nearest it and grow; blue then turns away while orange catches up. Right: blue against "
            f"every target: as it leaves the shared target it aligns with another. The seed and the pair "
            f"are chosen by a written search over {res.cfg.seeds} seeds (module docstring): same nearest "
            f"target at init, a bump on blue ({rule.describe()}), "
            f"none on orange, largest fall wins. One example, not a rate: the criterion's steps 2–3 hold "
            f"for {rates[0]:.0%} of candidate pairs that share their nearest target at init and for "
            f"{rates[1]:.0%} of pairs where only orange starts nearest it (claim P4_T1). Factor 1 shown. "
            f"Settings: "
            f"{settings(res.cfg, 'N', 'rank', 'target', 'init_std', 'lr', 'steps')}.")


def claims(res):
    run, rule = res.runs[0], analysis.bump_rule()
    shared, control = search_rates(run, rule)
    diff = causes.rate_difference(shared, control)
    seeds_found = sum(any(x) for x in shared)
    rates = [causes.pooled_rate(x) for x in (shared, control)]
    return [claim("P4_T1", res.stem, "the figure's search criterion (a bump on blue that turns to another "
                  "target, orange catching up) is met more often when both vectors start nearest the same "
                  "target than when only orange does (difference of rates, 95 % interval)",
                  f"shared {rates[0][0]:.3f} of {rates[0][3]} pairs (qualifying in {seeds_found} of "
                  f"{len(run.seed)} seeds); control {rates[1][0]:.3f} of {rates[1][3]}; difference "
                  f"{diff[0]:+.3f} [{diff[1]:+.3f}, {diff[2]:+.3f}]", "interval above 0", diff[1] > 0)]
