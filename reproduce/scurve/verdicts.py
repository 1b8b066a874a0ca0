"""The thread's predicates as verdicts on one setting (a rank-1 control run and a rank-k run): the one
home of each predicate's test, which figT2 states per setting and figT4/figT5 map over settings.

Every verdict is "PASS", "FAIL" or "UNDETERMINED" (core/stats.py) and comes with the numbers behind it:
`value`, the effect (a difference to the predicate's control or base rate, or P1's bump rate) and its
95 % interval over seeds [`lo`, `hi`]. The controls and base rates: scurve/causes.py.

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

PREDICATES = ("P1", "P2_height", "P2_state", "P3", "P4", "P_premise", "P_premise_rise")
# What each predicate's PASS says, in a clause (figT4/figT5 build their range claims' sentences from it).
HOLDS = {"P1": "bumps need rank > 1 (every account of the bumps predicts this, so it does not tell them apart)",
         "P2_height": "bumps peak above the rising curves of their seed at the same step",
         "P2_state": "the bumping vector's norm grows at the peak more often than over its learning window",
         "P3": "bumps avoid the norm-decay phase more than other rising curves",
         "P4": "a bumping vector gains on another target more than non-bumping vectors over the same window",
         "P_premise": "sharing the nearest target at init raises the bump rate",
         "P_premise_rise": "sharing the nearest target where the rise starts raises the bump rate"}
# ... and what a setting's FAIL means for it.
FAILS = {**{p: "its interval lies at or below 0" for p in HOLDS},
         "P1": "the rank-1 control bumps or the rank-k run does not",
         "P_premise": f"the difference is within ±{causes.SHARE_MARGIN:g} (equivalence) or below 0",
         "P_premise_rise": f"the difference is within ±{causes.SHARE_MARGIN:g} (equivalence) or below 0"}
SCALES = (0.5, 1.0, 2.0)  # the bump thresholds halved, as written, doubled (figT4, figT5)
RISE_FACTOR = {0.5: 1.5, 1.0: None, 2.0: 4.0}  # rise_factor for each scale (None: the rule's own)


def scaled_rule(rule: BumpRule, scale: float) -> BumpRule:
    rise = RISE_FACTOR.get(scale) or rule.rise_factor
    return dataclasses.replace(rule, peak_min=rule.peak_min * scale, shift_min=rule.shift_min * scale,
                               drop_frac=min(rule.drop_frac * scale, 0.9), rise_factor=rise)


def _test(verdict, measured, value=np.nan, lo=np.nan, hi=np.nan, control=np.nan) -> dict:
    """One predicate's verdict on one setting; `control`: P1's number of bumps in the rank-1 control."""
    return dict(verdict=verdict, measured=measured, value=float(value), lo=float(lo), hi=float(hi),
                control=float(control))


def _ci(x) -> str:
    return f"{x[0]:+.2f} [{x[1]:+.2f}, {x[2]:+.2f}]"


def premise_test(run, rule: BumpRule, at: str) -> dict:
    p = causes.premise(run, rule, at)
    where = "at step 0" if at == "init" else "where each vector's rise starts"
    return _test(p["verdict"], f"shared − not, {where}: {_ci(p['ci95'])} (90 %: [{p['ci90'][1]:+.2f}, "
                 f"{p['ci90'][2]:+.2f}], margin ±{causes.SHARE_MARGIN:g}; rates {p['rates'][0]:.2f} vs "
                 f"{p['rates'][1]:.2f}, {p['vectors']} vectors)", *p["ci95"])


def verdicts(control, run, rule: BumpRule) -> dict[str, dict]:
    """predicate -> {verdict, measured, value, lo, hi, control} on one setting: `control` is its rank-1
    run, `run` its rank-k run."""
    with causes.shared_peaks():
        return _verdicts(control, run, rule)


def _verdicts(control, run, rule: BumpRule) -> dict[str, dict]:
    out = {}
    ctrl_bumps = int(causes.peaks(control, rule)[0].sum())
    rate = stats.rate_ci(causes.seed_has_bump(run, rule))
    p1 = "PASS" if ctrl_bumps == 0 and rate[1] > 0 else "FAIL" if ctrl_bumps or rate[2] == 0 else "UNDETERMINED"
    out["P1"] = _test(p1, f"rank 1: {ctrl_bumps} bumps; rank {run.cfg.rank}: {rate[0]:.2f} [{rate[1]:.2f}, "
                      f"{rate[2]:.2f}] of seeds", *rate, control=ctrl_bumps)
    if not causes.peaks(run, rule)[0].any():
        return {**out, **{p: _test("UNDETERMINED", "no bumps") for p in PREDICATES[1:]}}

    diffs, lonely = causes.matched_heights(run, rule)
    h = causes.pooled_rate(diffs)
    out["P2_height"] = _test(stats.interval_verdict(h[1], h[2], above=0.0),
                             f"bump peak − median of time-matched rising non-bump curves (winners left "
                             f"out) {_ci(h)} over {h[3]} bumps ({lonely} without a control)", *h[:3])

    at_peak, base, late = causes.bump_peak_state(run, rule)
    d = causes.rate_difference(at_peak, base)
    out["P2_state"] = _test(stats.interval_verdict(d[1], d[2], above=0.0),
                            f"norm growing at {causes.pooled(at_peak)[0]:.2f} of peaks vs "
                            f"{causes.pooled(base)[0]:.2f} of the same vectors' learning window (loss "
                            f"> {causes.LEARNING_LOSS_FRAC:g}·L0): {_ci(d)} ({late} bumps after it left out)", *d)

    bumps_in, base_in = causes.decay_peaks(run, rule)
    nb, nc = causes.pooled(bumps_in), causes.pooled(base_in)
    exposed = int(causes.real_decay(run).sum())
    if nb[1] == 0 or nc[1] == 0:
        out["P3"] = _test("UNDETERMINED", f"no real norm-decay phase to test in ({exposed} seeds with one)")
    else:
        d = causes.rate_difference(base_in, bumps_in)
        out["P3"] = _test(stats.interval_verdict(d[1], d[2], above=0.0),
                          f"peaks inside the real norm-decay phase ({exposed} seeds): non-bump rising curves "
                          f"{nc[0]:.3f} of {nc[1]}, bumps {nb[0]:.3f} of {nb[1]}; difference {_ci(d)}", *d)

    turns, ctl = causes.matched_window_turns(run, rule)
    d = causes.rate_difference(turns, ctl)
    out["P4"] = _test(stats.interval_verdict(d[1], d[2], above=0.0), f"turn − control {_ci(d)}", *d)
    out["P_premise"] = premise_test(run, rule, "init")
    out["P_premise_rise"] = premise_test(run, rule, "rise")
    return out


def settings_of(res) -> dict:
    """(N, lr, σ) -> (rank-1 run, rank-k run) of a results file swept over rank, N, lr and init_std."""
    pairs: dict = {}
    for run in res.runs:
        pairs.setdefault((run.cfg.N, run.cfg.lr, run.cfg.init_std), {})[run.cfg.rank] = run
    return {k: (v[1], v[max(v)]) for k, v in sorted(pairs.items())}


def verdict_table(res, rule: BumpRule, scales=SCALES):
    """One row per (threshold scale, setting, predicate): its verdict, the measured text and the numbers
    behind it (`value`, `lo`, `hi`), which carry the regression check's sensitivity: a verdict rarely
    flips under a 1 % change of a setting, the numbers behind it always move."""
    rows = []
    for scale in scales:
        scaled = scaled_rule(rule, scale)
        for (N, lr, sigma), (control, run) in settings_of(res).items():
            for pred, test in verdicts(control, run, scaled).items():
                rows.append(dict(kind="verdict", threshold_scale=scale, N=N, lr=lr, sigma=sigma,
                                 predicate=pred, **test))
    return pd.DataFrame(rows)


def range_verdict(table: pd.DataFrame, predicate: str) -> tuple[str, dict]:
    """Does `predicate` hold in every setting of a verdict_table? PASS when it passes in every setting
    under every threshold scale; FAIL when it fails in some setting under the rule as written (×1);
    UNDETERMINED otherwise (it holds as written but not under a halved or doubled rule, or some setting
    cannot tell). Also the verdict counts per scale, {scale: {verdict: count}}."""
    d = table[table.predicate == predicate]
    counts = {s: g.verdict.value_counts().to_dict() for s, g in d.groupby("threshold_scale")}
    written = d[d.threshold_scale == 1.0].verdict
    if (d.verdict == "PASS").all() and len(d):
        return "PASS", counts
    return ("FAIL" if (written == "FAIL").any() else "UNDETERMINED"), counts


def range_summary(table: pd.DataFrame, predicate: str, lr_symbol: str = "η") -> dict:
    """What a V_/A_ claim reports of one predicate over a verdict_table: the range_verdict, the number of
    settings, the per-scale tally, the settings it fails in under the written rule, and what it says."""
    verdict, counts = range_verdict(table, predicate)
    written = table[(table.threshold_scale == 1.0) & (table.predicate == predicate)]
    return dict(verdict=verdict, counts=counts, holds=HOLDS[predicate], why=FAILS[predicate],
                n=table[table.threshold_scale == 1.0].groupby(["N", "lr", "sigma"]).ngroups,
                n_fail=int((written.verdict == "FAIL").sum()),
                fails="; ".join(f"N={r.N}, {lr_symbol}={r.lr:g}, σ={r.sigma:g}" for r in written.itertuples()
                                if r.verdict == "FAIL"),
                tally="; ".join(f"×{s:g}: " + ", ".join(f"{c.get(v, 0)} {v}" for v in ("PASS", "FAIL", "UNDETERMINED"))
                                for s, c in counts.items()))
