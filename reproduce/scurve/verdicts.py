"""The thread's predicates as verdicts on one setting (a rank-1 control run and a rank-k run), so that
figT4 can say in how many settings each holds. Each verdict is the same test figT2 states as a claim.

Thresholds are varied with `scaled_rule`: "halved" and "doubled" scale peak_min, drop_frac and
shift_min by ½ and 2, and move rise_factor from 2 to 1.5 and 4 (½ of it would be 1, where every
point counts as risen, so the rule would no longer ask for a rise).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from . import causes
from ..core import stats
from ..core.bumps import BumpRule
from .measure import find_bumps, norm_decay_end

PREDICATES = ("P1", "P2_height", "P2_state", "P3", "P4", "P_premise")
SCALES = (0.5, 1.0, 2.0)  # the bump thresholds halved, as written, doubled (figT4, figT5)
RISE_FACTOR = {0.5: 1.5, 1.0: None, 2.0: 4.0}  # rise_factor for each scale (None: the rule's own)


def scaled_rule(rule: BumpRule, scale: float) -> BumpRule:
    rise = RISE_FACTOR.get(scale) or rule.rise_factor
    return dataclasses.replace(rule, peak_min=rule.peak_min * scale, shift_min=rule.shift_min * scale,
                               drop_frac=min(rule.drop_frac * scale, 0.9), rise_factor=rise)


def verdicts(control, run, rule: BumpRule) -> dict[str, tuple[bool, str, float, float]]:
    """predicate -> (holds, measured, value, reference) on one setting: `control` is its rank-1 run, `run`
    its rank-k run; value and reference are the two numbers the verdict compares (NaN where none)."""
    out = {}
    ctrl_bumps = len(find_bumps(control, rule))
    rate = stats.rate_ci(causes.seed_has_bump(run, rule))
    out["P1"] = (ctrl_bumps == 0 and rate[1] > 0, f"rank 1: {ctrl_bumps} bumps; rank {run.cfg.rank}: "
                 f"{rate[0]:.2f} [{rate[1]:.2f}, {rate[2]:.2f}] of seeds", rate[1], ctrl_bumps)
    bump_pk, rising_pk = causes.rising_peaks(run, rule)
    if len(bump_pk) == 0:
        for p in PREDICATES[1:]:
            out[p] = (False, "no bumps", np.nan, np.nan)
        return out
    med_b, med_r = np.median(bump_pk), np.median(rising_pk) if len(rising_pk) else np.nan
    out["P2_height"] = (bool(med_b > med_r), f"median peak {med_b:.2f} vs {med_r:.2f}", med_b, med_r)
    at_peak, base = causes.bump_peak_state(run, rule)
    grow = causes.pooled_rate(at_peak)[0]
    out["P2_state"] = (bool(grow > base.mean()), f"norm growing at {grow:.2f} of peaks vs {base.mean():.2f}",
                       grow, base.mean())
    ends = norm_decay_end(run)
    bumps = find_bumps(run, rule)
    inside = sum(0 < x["peak_step"] <= ends[x["seed_index"]] for x in bumps)
    exposed = sum(ends[x["seed_index"]] > 0 for x in bumps)  # P3 can fail only for these
    out["P3"] = (inside == 0, f"{inside} bumps inside norm decay ({exposed} in seeds with a decay phase)",
                 inside, exposed)
    turns, ctl = causes.matched_window_turns(run, rule)
    d = causes.rate_difference(turns, ctl)
    out["P4"] = (bool(d[1] > 0), f"turn − control {d[0]:+.2f} [{d[1]:+.2f}, {d[2]:+.2f}]", d[0], d[1])
    vt = causes.vector_table(run, rule)
    (p, lo, hi), _ = causes.conditional_difference(vt["bumped"], vt["shares"])
    out["P_premise"] = (bool(lo > 0), f"shared − not {p:+.2f} [{lo:+.2f}, {hi:+.2f}]", p, lo)
    return out


def settings_of(res) -> dict:
    """(N, lr, σ) -> (rank-1 run, rank-k run) of a results file swept over rank, N, lr and init_std."""
    pairs: dict = {}
    for run in res.runs:
        pairs.setdefault((run.cfg.N, run.cfg.lr, run.cfg.init_std), {})[run.cfg.rank] = run
    return {k: (v[1], v[max(v)]) for k, v in sorted(pairs.items())}


def verdict_table(res, rule: BumpRule, scales=SCALES):
    """One row per (threshold scale, setting, predicate): holds (1.0 or 0.0), the measured text and the two
    numbers it compares (`value`, `reference`), which carry the regression check's sensitivity: a verdict
    rarely flips under a 1 % change of a setting, the numbers behind it always move."""
    rows = []
    for scale in scales:
        scaled = scaled_rule(rule, scale)
        for (N, lr, sigma), (control, run) in settings_of(res).items():
            for pred, (holds, measured, value, reference) in verdicts(control, run, scaled).items():
                rows.append(dict(kind="verdict", threshold_scale=scale, N=N, lr=lr, sigma=sigma,
                                 predicate=pred, holds=float(holds), measured=measured,
                                 value=float(value), reference=float(reference)))
    return pd.DataFrame(rows)


def holds_counts(table: pd.DataFrame) -> tuple[int, pd.Series]:
    """Of a verdict_table: the number of settings, and per predicate the number it holds in."""
    n_settings = table.groupby(["threshold_scale", "N", "lr", "sigma"]).ngroups
    return n_settings, table.groupby("predicate", sort=False).holds.sum().astype(int)
