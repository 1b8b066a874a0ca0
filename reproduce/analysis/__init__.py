"""Derived measurements on recorded results: the analysis layer every figure and claim reads.

    bumps.py    the one bump rule, for every family (thresholds in data/bump.toml)
    scurve.py   S-curve runs: drop steps, growth rates, norm decay, bumps of inner-product curves
    grokking.py grokking runs: phases, per-frequency shares and ranks, competitors, per-seed summary
"""
from .bumps import BumpRule, bump_peaks, bump_rule  # noqa: F401
from .scurve import (component_strength, drop_steps, find_bumps, first_crossing, log_slope,  # noqa: F401
                     norm_decay_end, peak_values)
