"""Measurements on recorded S-curve runs: drop steps, growth rates, the norm-decay phase, and bumps
of the inner-product-with-truth curves |⟨ã_m, a_l⟩| (the rule itself: core/bumps.py, passed in).

The **end of the norm-decay phase** is the first recorded step at which the learned vectors' total
squared norm Σ‖ã‖² stops falling (step 0 when it never falls, e.g. at small init).
"""
from __future__ import annotations

import numpy as np

from ..core.bumps import BumpRule, bump_peaks


def first_crossing(step, curve, level):
    """First step at which `curve` falls to `level`, interpolated linearly in log(curve); NaN if never."""
    below = np.nonzero(curve <= level)[0]
    if len(below) == 0:
        return np.nan
    i = below[0]
    if i == 0:
        return float(step[0])
    y0, y1 = np.log(curve[i - 1]), np.log(curve[i])
    return float(step[i - 1] + (step[i] - step[i - 1]) * (y0 - np.log(level)) / (y0 - y1))


def drop_steps(run, frac=0.5):
    """Per seed: the step at which the loss first falls to `frac` of its start."""
    return np.array([first_crossing(run.step, l, frac * l[0]) for l in run.loss])


def log_slope(x, y):
    """Least-squares slope of log|y| against x."""
    return float(np.polyfit(x, np.log(np.abs(y)), 1)[0])


def norm_decay_end(run) -> np.ndarray:
    """Per seed: the step at which Σ‖ã‖² first stops falling (see module docstring)."""
    total = (run.norm ** 2).sum(axis=(2, 3))  # (seeds, steps)
    rising = np.diff(total, axis=1) >= 0
    first = np.where(rising.any(axis=1), rising.argmax(axis=1), total.shape[1] - 1)
    return run.step[first]


def curve_bumps(run, rule: BumpRule):
    """is_bump and peak index of every |⟨ã_m, a_l⟩| curve, each of shape (seeds, n, k̃, k)."""
    is_bump, peak_index, peak, _ = bump_peaks(np.moveaxis(np.abs(run.overlap), 1, -1), rule)
    return is_bump, peak_index, peak


def find_bumps(run, rule: BumpRule):
    """Every bump in a run, as a list of dicts: seed index, factor, learned m, target l, peak, steps.

    `other_rise` is how much the bumping vector's overlap with its best other target grows from the peak
    to the end (P4: does it turn to another target?).
    """
    curves = np.abs(run.overlap)  # (seeds, steps, n, k̃, k)
    is_bump, peak_idx, peak = curve_bumps(run, rule)
    end = curves[:, -1]
    bumps = []
    for b, f, m, l in zip(*np.nonzero(is_bump)):
        p = peak_idx[b, f, m, l]
        others = np.delete(curves[b, :, f, m, :], l, axis=1)  # this vector vs the other targets
        shift = (others[-1] - others[p]).max() if others.size else 0.0
        bumps.append(dict(seed=int(run.seed[b]), seed_index=int(b), factor=int(f), learned=int(m),
                          target=int(l), peak=float(peak[b, f, m, l]), peak_step=int(run.step[p]),
                          final=float(end[b, f, m, l]), other_rise=float(shift)))
    return bumps


def peak_values(run) -> np.ndarray:
    """The peak |inner product| of every (seed, factor, learned, target) curve, flattened."""
    return np.abs(run.overlap).max(axis=1).ravel()


def component_strength(run) -> np.ndarray:
    """⟨T̃, ⊗_f a_l⁽ᶠ⁾⟩ = Σ_m Π_f ⟨ã_m⁽ᶠ⁾, a_l⁽ᶠ⁾⟩, shape (seeds, steps, k): how much of target component l
    the model holds (equal to its weight s_l once learned, for orthonormal targets)."""
    return np.prod(run.overlap, axis=2).sum(axis=2)


# --- the thread's two-vector picture (figT1; the explorer's two-vector view uses the same rule) ---
def bumps_by_curve(run, rule: BumpRule, factor: int = 0) -> dict:
    """{(seed index, learned m, target l): bump} of one factor's bumps (find_bumps' dicts)."""
    return {(x["seed_index"], x["learned"], x["target"]): x for x in find_bumps(run, rule)
            if x["factor"] == factor}


def pair_qualifies(curves, bump, orange: int, l: int, bumps: dict, b: int, rule: BumpRule) -> bool:
    """The thread's picture for a (blue bump, orange) pair on target l of seed b: blue turns to another
    target as it falls (its overlap elsewhere rises by ≥ shift_min) while orange, with no bump on l, ends
    above blue's peak (it catches up). `curves`: that seed's |overlap| of the factor, (steps, k̃, k)."""
    return (bump["other_rise"] >= rule.shift_min and (b, orange, l) not in bumps
            and curves[-1, orange, l] > bump["peak"])


def thread_pair(run, rule: BumpRule, seed_index: int | None = None, target: int | None = None,
                factor: int = 0):
    """The (seed index, target l, blue, orange, bump) of the thread's plot, chosen by a written criterion:
      1. two learned vectors, blue and orange, whose nearest target at step 0 is the same l;
      2. blue's curve on l is a bump and blue turns away while orange catches up (pair_qualifies).
    Among all candidates (optionally of one seed and/or one target) the pair whose blue curve falls most
    (peak − final) wins; ties go to the lower seed. None when no pair meets the criterion."""
    bumps = bumps_by_curve(run, rule, factor)
    best = None
    for (b, blue, l), bump in bumps.items():
        if (seed_index is not None and b != seed_index) or (target is not None and l != target):
            continue
        curves = np.abs(run.overlap[b, :, factor])       # (steps, k̃, k)
        nearest = curves[0].argmax(axis=1)               # nearest target of each learned vector at init
        if nearest[blue] != l:
            continue
        for orange in np.nonzero(nearest == l)[0]:
            if orange == blue or not pair_qualifies(curves, bump, orange, l, bumps, b, rule):
                continue
            key = (bump["peak"] - bump["final"], -b)
            if best is None or key > best[0]:
                best = (key, (b, l, int(blue), int(orange), bump))
    return None if best is None else best[1]


def half_peak_restarts(overlap, rule: BumpRule) -> np.ndarray:
    """Every bump of (B, S, n, k̃, k) overlaps as rows (b, f, m, l, h), h the first record index at which
    the curve reaches half its peak, on the rise: where figT7's interventions restart it."""
    curves = np.moveaxis(np.abs(np.asarray(overlap)), 1, -1)         # (B, n, k̃, k, S)
    is_bump, peak_index, peak, _ = bump_peaks(curves, rule)
    rows = [(b, f, m, l, int(np.argmax(curves[b, f, m, l, : peak_index[b, f, m, l] + 1]
                                      >= peak[b, f, m, l] / 2)))
            for b, f, m, l in zip(*np.nonzero(is_bump))]
    return np.array(rows, dtype=np.int64).reshape(-1, 5)
