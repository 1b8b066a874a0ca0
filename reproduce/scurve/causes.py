"""What causes the bumps: per-seed and per-vector bump tables, and the controls the thread's predicates
are compared with (figT1, figT2, figT3 and their claims).

Every rate is resampled over **seeds** (the independent unit: curves of one seed share its targets and
its dynamics) with core/stats.py's seeded bootstrap.
"""
from __future__ import annotations

import numpy as np

from ..core.bumps import BumpRule, bump_peaks
from ..core.stats import bootstrap, ratio
from .measure import curve_bumps

def vector_table(run, rule: BumpRule) -> dict:
    """Per (seed, factor, learned vector): does any of its curves bump, and does it share its nearest
    target at step 0 with another learned vector of the same factor (the thread's premise)."""
    is_bump, _, _ = curve_bumps(run, rule)
    nearest = np.abs(run.overlap[:, 0]).argmax(axis=-1)           # (seeds, n, k̃)
    same = nearest[..., :, None] == nearest[..., None, :]            # (seeds, n, k̃, k̃)
    shares = same.sum(axis=-1) > 1                                   # itself plus at least one other
    return dict(bumped=is_bump.any(axis=-1), shares=shares)


def seed_has_bump(run, rule: BumpRule) -> np.ndarray:
    return curve_bumps(run, rule)[0].reshape(len(run.seed), -1).any(axis=1)


def vector_rate(run, rule: BumpRule) -> np.ndarray:
    """Per seed: the fraction of its learned vectors (all factors) with a bumping curve."""
    return vector_table(run, rule)["bumped"].reshape(len(run.seed), -1).mean(axis=1)


def conditional_difference(bumped, condition, **kw):
    """P(bumped | condition) − P(bumped | not condition) over (seeds, ...) arrays, with its interval;
    also the two rates. Resamples seeds (axis 0)."""
    b = np.asarray(bumped, dtype=float).reshape(len(bumped), -1)
    c = np.asarray(condition, dtype=bool).reshape(len(condition), -1)
    yes, no = ratio((b * c).sum(1), c.sum(1)), ratio((b * ~c).sum(1), (~c).sum(1))
    diff = bootstrap(lambda w: yes(w) - no(w), len(b), **kw)
    with np.errstate(invalid="ignore", divide="ignore"):
        ones = np.ones((1, len(b)))
        return diff, (float(yes(ones)[0]), float(no(ones)[0]))


def matched_window_turns(run, rule: BumpRule):
    """P4 and its control, on the same time windows.

    For each bump (seed, factor, vector m, target l), over the window from its peak to the end:
      turns   — m's overlap with some target other than l rises by ≥ shift_min;
      control — for each other vector m′ of that seed and factor whose curve on l does not bump, the same
                test on m′ over the same window (does a vector that does not bump also gain elsewhere?).
    Returns per-seed lists of booleans (turns, control), so the rates can be resampled over seeds.
    """
    is_bump, peak_index, _ = curve_bumps(run, rule)
    curves = np.abs(run.overlap)                                     # (seeds, steps, n, k̃, k)
    turns = [[] for _ in run.seed]
    control = [[] for _ in run.seed]
    for b, f, m, l in zip(*np.nonzero(is_bump)):
        p = peak_index[b, f, m, l]
        gain = curves[b, -1, f, :, :] - curves[b, p, f, :, :]       # (k̃, k): rise over the window
        gain = np.delete(gain, l, axis=1)
        if gain.shape[1] == 0:
            continue
        turns[b].append(gain[m].max() >= rule.shift_min)
        for m2 in range(curves.shape[3]):
            if m2 != m and not is_bump[b, f, m2, l]:
                control[b].append(gain[m2].max() >= rule.shift_min)
    return turns, control


def _counts(lists):
    return (np.array([sum(x) for x in lists], dtype=float), np.array([len(x) for x in lists], dtype=float))


def pooled_rate(lists, **kw):
    """Rate of True over per-seed lists of booleans, resampled over seeds; (estimate, lo, hi, count)."""
    hits, total = _counts(lists)
    return (*bootstrap(ratio(hits, total), len(lists), **kw), int(total.sum()))


GROWTH_MIN = 1e-4  # a norm "grows" when d ln‖ã‖/d step exceeds this; a settled vector drifts far slower


def norm_growing(run) -> np.ndarray:
    """Per (seed, record point, factor, vector): the norm grows there (central difference over the
    neighbouring record points, one-sided at the ends), shape (seeds, steps, n, k̃)."""
    log_norm, step = np.log(run.norm), run.step.astype(float)
    return np.gradient(log_norm, step, axis=1) > GROWTH_MIN


def bump_peak_state(run, rule: BumpRule):
    """P2, second reading — bumps happen while vectors grow. Per seed, for each bump: is the bumping
    vector's norm growing at the peak? And the base rate per seed: the fraction of the run's steps at
    which its vectors' norms grow (where a peak placed at a uniformly random step would land)."""
    is_bump, peak_index, _ = curve_bumps(run, rule)
    growing = norm_growing(run)
    at_peak = [[] for _ in run.seed]
    for b, f, m, l in zip(*np.nonzero(is_bump)):
        at_peak[b].append(bool(growing[b, peak_index[b, f, m, l], f, m]))
    width = np.gradient(run.step.astype(float))  # steps each record point stands for
    base = (growing * width[None, :, None, None]).sum(axis=1).mean(axis=(1, 2)) / width.sum()
    return at_peak, base


def rate_difference(lists_a, lists_b, **kw):
    """Pooled rate of True in per-seed lists a minus that in b, resampled over seeds together."""
    a, b = ratio(*_counts(lists_a)), ratio(*_counts(lists_b))
    return bootstrap(lambda w: a(w) - b(w), len(lists_a), **kw)


def rising_peaks(run, rule: BumpRule):
    """P2, first reading: peaks of bumps vs peaks of curves that rise as far (≥ rise_factor × running
    minimum, ≥ peak_min) but do not fall back. Returns (bump peaks, non-bump rising peaks), flattened."""
    c = np.moveaxis(np.abs(run.overlap), 1, -1)
    is_bump, _, peak, trough = bump_peaks(c, rule)
    rose = (peak >= rule.peak_min) & (peak >= rule.rise_factor * trough)
    return peak[is_bump], peak[rose & ~is_bump]
