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

**Loss-like curves** (grokking's excluded loss per frequency) span eight decades, so their rule is
scale-free: `peak_min = 0`, and rise and fall are factors, i.e. distances on a log scale. A section may
name a `reference` curve (the train loss): the floor the rise is measured from is then the lower of the
curve's running minimum and the reference at the same eval, because a loss the model relies on from
memorisation on never falls to its own low floor (the excluded loss of a frequency used early stays near
the memorisation-time train loss, then rises to nats), while a loss that only tracks the train loss stands
no higher than it.
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
    reference: str = ""     # a curve the rise is also measured from (floor = the lower of the two), e.g. train_loss
    quantity: str = "inner_product"  # the section of data/bump.toml these thresholds come from

    def describe(self) -> str:
        """The rule in words, for captions and the report."""
        floor = (f"its floor (the lower of its running minimum and the {self.reference.replace('_', ' ')})"
                 if self.reference else "its running minimum")
        if self.peak_min == 0:   # scale-free: factors only, at any level
            return (f"a curve that rises to ≥ {self.rise_factor:g}× {floor}, at any level, then ends "
                    f"≥ {1 / (1 - self.drop_frac):.3g}× below its peak (data/bump.toml [{self.quantity}])")
        return (f"a curve that peaks at ≥ {self.peak_min:g} and ≥ {self.rise_factor:g}× {floor}, "
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


def bump_peaks(curves, rule: BumpRule, reference=None):
    """Apply the rule along the last axis of `curves` (..., T).

    Returns (is_bump, peak_index, peak, trough), each of shape (...): trough is the floor at the peak
    (the running minimum, or the reference there where that is lower). Where no point rises
    `rise_factor` above its floor, peak_index is 0. `reference` (broadcast against `curves`) is required
    exactly when the rule names one.
    """
    if bool(rule.reference) != (reference is not None):
        raise ValueError(f"[{rule.quantity}]: the rule's reference is {rule.reference or 'none'!r}; "
                         f"{'pass that curve' if rule.reference else 'pass no reference curve'}")
    c = np.asarray(curves, dtype=float)
    running_min = np.minimum.accumulate(c, axis=-1)
    if reference is not None:
        running_min = np.minimum(running_min, np.broadcast_to(np.asarray(reference, dtype=float), c.shape))
    risen = c >= rule.rise_factor * running_min
    peak_index = np.where(risen, c, -np.inf).argmax(axis=-1)
    take = lambda x: np.take_along_axis(x, peak_index[..., None], axis=-1)[..., 0]  # noqa: E731
    peak, trough = take(c), take(running_min)
    is_bump = risen.any(axis=-1) & (peak >= rule.peak_min) & (c[..., -1] <= (1 - rule.drop_frac) * peak)
    return is_bump, peak_index, peak, trough
