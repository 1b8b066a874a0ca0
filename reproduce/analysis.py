"""Measurements on recorded curves: drop steps, growth rates, the norm-decay phase, and bumps.

A **bump** (the one definition every figure and test uses; thresholds in data/bump.toml): an
inner-product curve |⟨ã_m, a_l⟩| over the recorded steps that
  1. rises: its peak is at least `peak_min` and at least `rise_factor` × its value at step 0, and
  2. falls: after the peak it ends at or below (1 − `drop_frac`) × peak, so the fall happens before
     training ends and is not a final-step wobble.
The bump's **onset** is its peak step: where the curve turns from rising to falling.

The **end of the norm-decay phase** is the first recorded step at which the learned vectors' total
squared norm Σ‖ã‖² stops falling (step 0 when it never falls, e.g. at small init).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass

import numpy as np

from . import config, paths


@dataclass(frozen=True)
class BumpRule:
    peak_min: float      # the peak |inner product| must reach this (unit-norm targets: 1 = perfect)
    rise_factor: float   # … and be this many times the step-0 value (so decay-only curves are no bumps)
    drop_frac: float     # the final value must be at most (1 − drop_frac) × peak
    shift_min: float     # P4: rise of the falling vector's overlap with another target that counts

    def describe(self) -> str:
        """The rule in words, for captions and the report."""
        return (f"a curve |ã_m·a_l| that peaks at ≥ {self.peak_min:g} and ≥ {self.rise_factor:g}× its start, "
                f"then ends ≥ {self.drop_frac:.0%} below the peak (data/bump.toml)")

    def __post_init__(self):
        for name in ("peak_min", "rise_factor", "drop_frac", "shift_min"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be > 0, got {getattr(self, name)}")


def bump_rule(path=paths.BUMP_RULE) -> BumpRule:
    return config.build(BumpRule, tomllib.loads(path.read_text()), str(path))


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


def find_bumps(run, rule: BumpRule):
    """Every bump in a run, as a list of dicts: seed index, factor, learned m, target l, peak, steps."""
    curves = np.abs(run.overlap)  # (seeds, steps, n, k̃, k)
    peak_idx = curves.argmax(axis=1)
    peak = np.take_along_axis(curves, peak_idx[:, None], axis=1)[:, 0]
    start, end = curves[:, 0], curves[:, -1]
    is_bump = (peak >= rule.peak_min) & (peak >= rule.rise_factor * start) & \
              (end <= (1 - rule.drop_frac) * peak)
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
