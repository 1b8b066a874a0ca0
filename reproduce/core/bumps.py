"""The one definition of a **bump**, for every curve the package measures (thresholds in data/bump.toml).

A bump is a curve that rises well above everything before it and then falls back before the record ends:
  1. its **peak** is the highest point that stands at least `rise_factor` × the curve's running minimum
     (the lowest value up to that point), and it reaches at least `peak_min`;
  2. the curve **ends** at or below (1 − `drop_frac`) × that peak, so the fall is real and not a
     final-step wobble.
Measuring the rise from the running minimum rather than from the first value is what lets one rule serve
curves that start high (a loss starts at ln p; an inner product may first decay in the norm-decay phase)
as well as curves that start near zero. The bump's **onset** is its peak: where it turns from rising
to falling. Each measured quantity has its own thresholds (its own scale) in a section of data/bump.toml.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from . import config, paths


@dataclass(frozen=True)
class BumpRule:
    peak_min: float      # the peak must reach this (in the quantity's own units)
    rise_factor: float   # ... and be this many times the curve's running minimum at the peak
    drop_frac: float     # the final value must be at most (1 − drop_frac) × peak
    shift_min: float = 0.0  # P4 only: rise of a falling vector's overlap with another target that counts
    quantity: str = "inner_product"  # the section of data/bump.toml these thresholds come from

    def describe(self) -> str:
        """The rule in words, for captions and the report."""
        return (f"a curve that peaks at ≥ {self.peak_min:g} and ≥ {self.rise_factor:g}× its running minimum, "
                f"then ends ≥ {self.drop_frac:.0%} below the peak (data/bump.toml [{self.quantity}])")

    def __post_init__(self):
        for name in ("rise_factor", "drop_frac"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: must be > 0, got {getattr(self, name)}")
        if not 0 <= self.peak_min < np.inf or not 0 <= self.shift_min < np.inf:
            raise ValueError("peak_min: must be finite and >= 0" if not 0 <= self.peak_min < np.inf
                             else "shift_min: must be finite and >= 0")
        if not self.drop_frac < 1:
            raise ValueError(f"drop_frac: must be < 1, got {self.drop_frac}")


@dataclass(frozen=True)
class BumpRules:
    """Every section of data/bump.toml: the rule of each measured quantity. Loaded once by the caller
    (the CLI, the report, the explorer, a test) and passed down to every figure and measurement."""
    inner_product: BumpRule     # S-curves: |<learned, target>| curves
    excluded_loss: BumpRule     # grokking: train loss with one key frequency removed
    frequency_share: BumpRule   # grokking: a frequency's share of the embedding


def load_rules(path=paths.BUMP_RULE) -> BumpRules:
    """The thresholds of every section of data/bump.toml, or a ConfigError naming the file and key."""
    data = config.read_toml(path)
    sections = {}
    for f in dataclasses.fields(BumpRules):
        if f.name not in data:
            raise config.ConfigError(f"{path}: key '{f.name}': missing section; sections: {', '.join(data)}")
        sections[f.name] = config.from_dict(BumpRule, {**data[f.name], "quantity": f.name},
                                            f"{path} [{f.name}]")
    unknown = sorted(set(data) - set(sections))
    if unknown:
        raise config.ConfigError(f"{path}: key '{unknown[0]}': unknown section; sections: "
                                 f"{', '.join(sections)}")
    return BumpRules(**sections)


def bump_peaks(curves, rule: BumpRule):
    """Apply the rule along the last axis of `curves` (..., T).

    Returns (is_bump, peak_index, peak, trough), each of shape (...): trough is the running minimum at
    the peak. Where no point rises `rise_factor` above its running minimum, peak_index is 0.
    """
    c = np.asarray(curves, dtype=float)
    running_min = np.minimum.accumulate(c, axis=-1)
    risen = c >= rule.rise_factor * running_min
    peak_index = np.where(risen, c, -np.inf).argmax(axis=-1)
    take = lambda x: np.take_along_axis(x, peak_index[..., None], axis=-1)[..., 0]  # noqa: E731
    peak, trough = take(c), take(running_min)
    is_bump = risen.any(axis=-1) & (peak >= rule.peak_min) & (c[..., -1] <= (1 - rule.drop_frac) * peak)
    return is_bump, peak_index, peak, trough
