"""What causes the bumps: per-seed and per-vector bump tables, and the control or base rate each of the
thread's predicates is compared with (figT1–figT5 and their claims; the verdicts: scurve/verdicts.py).

Every rate is resampled over **seeds** (the independent unit: curves of one seed share its targets and
its dynamics) with core/stats.py's seeded bootstrap. Each comparison takes its control over the same
window as the quantity it is compared with:

- P2_state: the bumping vector's norm at the peak vs the same vector over the **learning window**
  (loss above LEARNING_LOSS_FRAC·L0), not the whole run, whose long settled tail would dominate it.
- P2_height: a bump's peak vs the other rising curves of its seed **at the same step**, leaving out each
  vector's final winning overlap (bound to end high, so it would make any bump look low).
- P3: bump peaks inside the norm-decay phase vs the peaks of the non-bump rising curves, in seeds whose
  norm-decay phase is real (Σ‖ã‖² at least halves), the only ones where a peak could fall inside it.
- the premise: a vector that shares its nearest target with another vs one that does not, at step 0
  and again where the vector's rise starts (at step 0 the overlaps are nearly tied).
"""
from __future__ import annotations

import numpy as np

import contextlib

from ..core import stats
from ..core.bumps import BumpRule, bump_peaks
from ..core.stats import bootstrap, ratio
from .measure import norm_decay_end

# --- thresholds, fixed before the verdicts they decide were computed ---
LEARNING_LOSS_FRAC = 1e-3  # the learning window ends where the loss first falls to 1e-3·L0: every
#                            component is then learned to three decades and the vectors only settle
REAL_DECAY_FRAC = 0.5      # a real norm-decay phase: Σ‖ã‖² falls to at most half its start (Q7's test);
#                            at small σ it dips by a hair for 1–10 steps, too short for a peak to fall in
SHARE_MARGIN = 0.10        # equivalence margin of a difference in the share of vectors that bump: a
#                            tenth of the probability scale, the smallest change a cause of bumps would
#                            have to make to be worth stating (the factors figT3 varies move the share
#                            by several tenths)
GROWTH_MIN = 1e-4  # a norm "grows" when d ln‖ã‖/d step exceeds this; a settled vector drifts far slower

_SHARED: dict | None = None  # (id(run), rule) -> (run, peaks) while `shared_peaks` is active


@contextlib.contextmanager
def shared_peaks():
    """Within the block, every function here applies the bump rule to a run once, not once per predicate
    (verdicts.verdicts tests seven predicates on the same runs; the runs are not changed inside)."""
    global _SHARED
    outer, _SHARED = _SHARED, {} if _SHARED is None else _SHARED
    try:
        yield
    finally:
        _SHARED = outer


def peaks(run, rule: BumpRule):
    """bump_peaks of every |⟨ã_m, a_l⟩| curve: (is_bump, peak_index, peak, trough), each (seeds, n, k̃, k)."""
    key = (id(run), rule)
    if _SHARED is not None and key in _SHARED:
        return _SHARED[key][1]
    out = bump_peaks(np.moveaxis(np.abs(run.overlap), 1, -1), rule)
    if _SHARED is not None:
        _SHARED[key] = (run, out)  # the reference keeps id(run) from being reused while cached
    return out


def _curve_bumps(run, rule: BumpRule):
    """(is_bump, peak_index, peak), as measure.curve_bumps, shared within `shared_peaks`."""
    return peaks(run, rule)[:3]


def vector_table(run, rule: BumpRule, at: str = "init") -> dict:
    """Per (seed, factor, learned vector): does any of its curves bump, does it share its nearest target
    with another learned vector of the same factor (the thread's premise), and is that defined.

    at="init": nearest targets at step 0. at="rise": each vector's nearest target where its own rise
    starts (rise_start); a vector that never rises has no such target (valid False)."""
    is_bump, _, _ = _curve_bumps(run, rule)
    curves = np.abs(run.overlap)                                     # (seeds, steps, n, k̃, k)
    if at == "init":
        nearest, valid = curves[:, 0].argmax(axis=-1), np.ones(curves.shape[:1] + curves.shape[2:4], bool)
    elif at == "rise":
        start, valid = rise_start(run, rule)
        at_start = np.take_along_axis(curves, start[:, None, ..., None], axis=1)[:, 0]
        nearest = np.where(valid, at_start.argmax(axis=-1), -1 - np.arange(curves.shape[3]))  # never equal
    else:
        raise ValueError(f"at: 'init' or 'rise', got {at!r}")
    same = nearest[..., :, None] == nearest[..., None, :]            # (seeds, n, k̃, k̃)
    shares = same.sum(axis=-1) > 1                                   # itself plus at least one other
    return dict(bumped=is_bump.any(axis=-1), shares=shares, valid=valid)


def rise_start(run, rule: BumpRule):
    """Per (seed, factor, vector): the first record index at which the vector's largest overlap with any
    target has risen as the bump rule asks of a peak (≥ peak_min and ≥ rise_factor × its running minimum),
    and whether it ever does. Shapes (seeds, n, k̃)."""
    top = np.abs(run.overlap).max(axis=-1)                           # (seeds, steps, n, k̃)
    risen = (top >= rule.peak_min) & (top >= rule.rise_factor * np.minimum.accumulate(top, axis=1))
    return risen.argmax(axis=1), risen.any(axis=1)


def seed_has_bump(run, rule: BumpRule) -> np.ndarray:
    return _curve_bumps(run, rule)[0].reshape(len(run.seed), -1).any(axis=1)


def vector_rate(run, rule: BumpRule) -> np.ndarray:
    """Per seed: the fraction of its learned vectors (all factors) with a bumping curve."""
    return vector_table(run, rule)["bumped"].reshape(len(run.seed), -1).mean(axis=1)


def conditional_difference(bumped, condition, valid=None, **kw):
    """P(bumped | condition) − P(bumped | not condition) over (seeds, ...) arrays, with its interval;
    also the two rates. Resamples seeds (axis 0); entries where `valid` is False are left out."""
    b = np.asarray(bumped, dtype=float).reshape(len(bumped), -1)
    c = np.asarray(condition, dtype=bool).reshape(len(condition), -1)
    v = np.ones_like(c) if valid is None else np.asarray(valid, dtype=bool).reshape(len(c), -1)
    yes, no = ratio((b * (c & v)).sum(1), (c & v).sum(1)), ratio((b * (~c & v)).sum(1), (~c & v).sum(1))
    diff = bootstrap(lambda w: yes(w) - no(w), len(b), **kw)
    with np.errstate(invalid="ignore", divide="ignore"):
        ones = np.ones((1, len(b)))
        return diff, (float(yes(ones)[0]), float(no(ones)[0]))


def effect_verdict(ci95, ci90, margin: float = SHARE_MARGIN) -> str:
    """A claimed increase (e.g. the premise: sharing raises the bump rate), read from a difference:
    PASS when its 95 % interval lies above 0; FAIL when an effect of the margin's size is ruled out (two
    one-sided tests at α = 0.05: the 90 % interval inside ±margin) or the 95 % interval lies below 0;
    UNDETERMINED when the data can tell neither."""
    if stats.interval_verdict(ci95[1], ci95[2], above=0.0) == "PASS":
        return "PASS"
    if stats.equivalence_verdict(ci90[1], ci90[2], margin) == "PASS" or ci95[2] < 0:
        return "FAIL"
    return "UNDETERMINED"


def premise(run, rule: BumpRule, at: str = "init") -> dict:
    """The premise's difference (shared − not shared) with its 95 % and 90 % intervals, its verdict
    (effect_verdict, margin SHARE_MARGIN) and the two rates."""
    vt = vector_table(run, rule, at)
    ci95, rates = conditional_difference(vt["bumped"], vt["shares"], vt["valid"])
    ci90, _ = conditional_difference(vt["bumped"], vt["shares"], vt["valid"], level=0.9)
    return dict(ci95=ci95, ci90=ci90, rates=rates, verdict=effect_verdict(ci95, ci90),
                vectors=int(vt["valid"].sum()))


def matched_window_turns(run, rule: BumpRule):
    """P4 and its control, on the same time windows.

    For each bump (seed, factor, vector m, target l), over the window from its peak to the end:
      turns   — m's overlap with some target other than l rises by ≥ shift_min;
      control — for each other vector m′ of that seed and factor whose curve on l does not bump, the same
                test on m′ over the same window (does a vector that does not bump also gain elsewhere?).
    Returns per-seed lists of booleans (turns, control), so the rates can be resampled over seeds.
    """
    is_bump, peak_index, _ = _curve_bumps(run, rule)
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
    """Rate of True (or mean value) over per-seed lists, resampled over seeds; (estimate, lo, hi, count)."""
    hits, total = _counts(lists)
    return (*bootstrap(ratio(hits, total), len(lists), **kw), int(total.sum()))


def pooled(lists) -> tuple[float, int]:
    """Rate of True (or mean value) over per-seed lists and its count, without an interval."""
    hits, total = _counts(lists)
    return (float(hits.sum() / total.sum()) if total.sum() else np.nan), int(total.sum())


def rate_difference(lists_a, lists_b, **kw):
    """Pooled rate (or mean) in per-seed lists a minus that in b, resampled over seeds together."""
    a, b = ratio(*_counts(lists_a)), ratio(*_counts(lists_b))
    return bootstrap(lambda w: a(w) - b(w), len(lists_a), **kw)


def learning_window(run) -> np.ndarray:
    """(seeds, steps): the record points at which the loss is still above LEARNING_LOSS_FRAC·L0."""
    return run.loss > LEARNING_LOSS_FRAC * run.loss[:, :1]


def norm_growing(run) -> np.ndarray:
    """Per (seed, record point, factor, vector): the norm grows there (central difference over the
    neighbouring record points, one-sided at the ends), shape (seeds, steps, n, k̃)."""
    log_norm, step = np.log(run.norm), run.step.astype(float)
    return np.gradient(log_norm, step, axis=1) > GROWTH_MIN


def bump_peak_state(run, rule: BumpRule):
    """P2, second reading — bumps happen while vectors grow, against a base rate over the same window.

    For each bump whose peak lies inside its seed's learning window: is the bumping vector's norm growing
    at the peak, and the base rate of that same vector, the step-weighted fraction of the learning window
    in which its norm grows (where a peak placed at a random step of the window would find it growing).
    Returns per-seed lists (at_peak booleans, base fractions), paired bump by bump, and the number of
    bumps left out because they peak after the window."""
    is_bump, peak_index, _ = _curve_bumps(run, rule)
    growing, window = norm_growing(run), learning_window(run)
    width = np.gradient(run.step.astype(float))                      # steps each record point stands for
    at_peak, base, late = [[] for _ in run.seed], [[] for _ in run.seed], 0
    for b, f, m, l in zip(*np.nonzero(is_bump)):
        p = peak_index[b, f, m, l]
        if not window[b, p]:
            late += 1
            continue
        w = width * window[b]
        at_peak[b].append(bool(growing[b, p, f, m]))
        base[b].append(float((growing[b, :, f, m] * w).sum() / w.sum()))
    return at_peak, base, late


def matched_heights(run, rule: BumpRule):
    """P2, first reading — bumps peak at high alignment, against a time-matched control.

    For each bump (seed b, factor f, vector m, target l, peak step p): its peak height, and the median
    height at step p of the control curves of the same seed and factor, those that at p stand at least
    `peak_min` high (risen as far as a bump must), do not bump, and are not their vector's final winning
    overlap (its largest |overlap| at the end). Returns per-seed lists of (peak − control median) and the
    number of bumps with no control curve at their peak step (left out)."""
    is_bump, peak_index, peak = _curve_bumps(run, rule)
    curves = np.abs(run.overlap)                                     # (seeds, steps, n, k̃, k)
    winner = curves[:, -1].argmax(axis=-1)                           # (seeds, n, k̃)
    k = curves.shape[-1]
    eligible = ~is_bump & (np.arange(k) != winner[..., None])        # (seeds, n, k̃, k)
    diffs, lonely = [[] for _ in run.seed], 0
    for b, f, m, l in zip(*np.nonzero(is_bump)):
        p = peak_index[b, f, m, l]
        at_p = curves[b, p, f]                                       # (k̃, k)
        ctrl = at_p[eligible[b, f] & (at_p >= rule.peak_min)]
        if ctrl.size == 0:
            lonely += 1
            continue
        diffs[b].append(float(peak[b, f, m, l] - np.median(ctrl)))
    return diffs, lonely


def real_decay(run) -> np.ndarray:
    """Per seed: its norm-decay phase is real (Σ‖ã‖² falls to ≤ REAL_DECAY_FRAC of its start by its end)."""
    total = (run.norm ** 2).sum(axis=(2, 3))                         # (seeds, steps)
    end = np.searchsorted(run.step, norm_decay_end(run))
    return total[np.arange(len(total)), end] <= REAL_DECAY_FRAC * total[:, 0]


def decay_offsets(run, rule: BumpRule):
    """Per seed with a real norm-decay phase (empty lists elsewhere): the peak step minus the phase's end
    of every bump and of every non-bump curve that rises as far (peak ≥ peak_min and ≥ rise_factor × its
    running minimum), and whether the peak is past step 0. Returns per-seed lists of (offset, past_0)
    pairs (bumps, non-bump rising curves)."""
    is_bump, peak_index, peak, trough = peaks(run, rule)
    rose = (peak >= rule.peak_min) & (peak >= rule.rise_factor * trough) & ~is_bump
    step = run.step[peak_index]
    offset = step - norm_decay_end(run)[:, None, None, None]
    real = real_decay(run)
    pick = lambda mask, b: list(zip(offset[b][mask[b]].tolist(), (step[b][mask[b]] > 0).tolist()))  # noqa: E731
    return ([pick(is_bump, b) if real[b] else [] for b in range(len(run.seed))],
            [pick(rose, b) if real[b] else [] for b in range(len(run.seed))])


def decay_peaks(run, rule: BumpRule):
    """P3 against a base rate from the non-bump curves, in the seeds with a real norm-decay phase only
    (elsewhere no peak could fall inside it): per seed, for every bump and every non-bump rising curve
    (decay_offsets), whether its peak lies inside the phase (0 < peak step ≤ its end). Returns per-seed
    lists of booleans (bumps, non-bump rising curves)."""
    return tuple([[o <= 0 and past for o, past in seed] for seed in lists] for lists in decay_offsets(run, rule))


def rising_peaks(run, rule: BumpRule):
    """Peaks of bumps vs peaks of curves that rise as far (≥ rise_factor × running minimum, ≥ peak_min)
    but do not fall back (figT2's histogram). Returns (bump peaks, non-bump rising peaks), flattened."""
    is_bump, _, peak, trough = peaks(run, rule)
    rose = (peak >= rule.peak_min) & (peak >= rule.rise_factor * trough)
    return peak[is_bump], peak[rose & ~is_bump]
