"""Intervals and verdicts shared by every family's claims.

Intervals: a seeded percentile bootstrap over the independent unit (seeds, for both families), BOOT times
with a fixed generator seed; a 95 % interval is the 2.5–97.5 percentile.

Verdicts: a claim is "PASS", "FAIL" or "UNDETERMINED". An interval verdict passes when the whole interval
lies in the claimed region, fails when the whole interval lies outside it, and is undetermined when it
straddles the boundary: the data cannot tell, and a verdict that would hinge on which side one noisy
estimate falls is not stated. A null claim is an equivalence test (two one-sided tests at level α: the
(1 − 2α) interval must lie inside ±margin, the margin fixed before looking at the data).
"""
from __future__ import annotations

import functools

import numpy as np

BOOT = 2000        # bootstrap resamples: the interval ends move by < 0.01 between generator seeds
BOOT_SEED = 12345  # fixed, so the intervals (and the claims that read them) repeat exactly
LEVEL = 0.95


def bootstrap(stat, n_units: int, boot: int = BOOT, seed: int = BOOT_SEED, level: float = LEVEL):
    """(estimate, lo, hi): a statistic on all units and its `level` percentile interval over resamples
    (95 %; 0.90 for the two one-sided tests of an equivalence claim at α = 0.05).

    `stat` takes a (resamples, n_units) array of weights (how often each unit is drawn; all ones for the
    estimate) and returns one value per row; NaN rows are dropped (e.g. a conditional rate whose
    condition never occurs in a resample). Every statistic here is a ratio of weighted sums over units.
    """
    if n_units == 0:
        return np.nan, np.nan, np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        est = float(stat(np.ones((1, n_units)))[0])
        draws = np.asarray(stat(resample_weights(n_units, boot, seed)), float)
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return est, np.nan, np.nan
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return est, float(lo), float(hi)


@functools.lru_cache(maxsize=16)
def resample_weights(n_units: int, boot: int = BOOT, seed: int = BOOT_SEED) -> np.ndarray:
    """The (boot, n_units) unit counts of every resample: the same draws for every statistic with these
    arguments, drawn once (a draw costs ~10 ms; figT6/figT7 take ~300 intervals over the same seeds)."""
    rng = np.random.default_rng(seed)
    # as floats: every statistic multiplies them into float sums (the same numbers; BLAS instead of a slow
    # integer matmul)
    draws = rng.multinomial(n_units, np.full(n_units, 1 / n_units), size=boot).astype(float)
    draws.flags.writeable = False
    return draws


def ratio(num, den):
    """Statistic for `bootstrap`: Σ w·num / Σ w·den over units."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    return lambda w: (w @ num) / (w @ den)


def rate_ci(flags, **kw):
    """A fraction of per-seed flags (or per-seed values in [0, 1]) with its bootstrap interval."""
    flags = np.asarray(flags, dtype=float)
    return bootstrap(ratio(flags, np.ones_like(flags)), len(flags), **kw)


VERDICTS = ("PASS", "FAIL", "UNDETERMINED")


def verdict(passed: bool | None) -> str:
    """A boolean predicate's verdict; None (the predicate cannot be decided on this data) is undetermined."""
    return "UNDETERMINED" if passed is None else ("PASS" if passed else "FAIL")


def interval_verdict(lo: float, hi: float, above: float | None = None, below: float | None = None) -> str:
    """PASS when all of [lo, hi] lies in the claimed region (> above and/or < below), FAIL when all of it
    lies outside, UNDETERMINED when it straddles a boundary or is missing (NaN)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "UNDETERMINED"
    inside = (above is None or lo > above) and (below is None or hi < below)
    outside = (above is not None and hi <= above) or (below is not None and lo >= below)
    return "PASS" if inside else "FAIL" if outside else "UNDETERMINED"


def equivalence_verdict(lo: float, hi: float, margin: float) -> str:
    """Two one-sided tests on an interval of a difference: PASS (equivalent to 0 within ±margin) when the
    (1 − 2α) interval [lo, hi] lies inside (−margin, margin); FAIL (a difference of at least the margin)
    when it lies wholly at or beyond one side; UNDETERMINED otherwise."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "UNDETERMINED"
    if -margin < lo and hi < margin:
        return "PASS"
    return "FAIL" if lo >= margin or hi <= -margin else "UNDETERMINED"


def weighted_median(values):
    """Statistic for `bootstrap`: the median of per-unit values under each row of weights (the mean of
    the lower and upper weighted medians, so that all-ones weights give np.median's value)."""
    values = np.asarray(values, float)
    order = np.argsort(values, kind="stable")
    v = values[order]

    def stat(w):
        cum = np.cumsum(np.asarray(w, float)[:, order], axis=1)
        half = cum[:, -1:] / 2
        lower = (cum < half).sum(axis=1)    # first index where the cumulative weight reaches half
        upper = (cum <= half).sum(axis=1)   # first index where it passes half
        return (v[lower] + v[np.minimum(upper, len(v) - 1)]) / 2
    return stat


def all_of(verdicts) -> str:
    """One verdict for "holds in every case": PASS when every case passes, FAIL when any case fails,
    UNDETERMINED otherwise (none fails, some cannot be told); UNDETERMINED for no cases."""
    verdicts = list(verdicts)
    if verdicts and all(v == "PASS" for v in verdicts):
        return "PASS"
    return "FAIL" if "FAIL" in verdicts else "UNDETERMINED"
