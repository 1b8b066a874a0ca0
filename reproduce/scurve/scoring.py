"""How well predicted curves match trained ones under the one bump rule (figT6, figT7): a continuous bump
score, ROC AUC, accuracy and median relative errors, each with its bootstrap interval over seeds.

The score of a curve is its **rule margin**, min(fall / drop_frac, peak / peak_min, rise / rise_factor),
with fall = 1 − final/peak at the rule's peak and rise the largest ratio of the curve to its running
minimum: the rule finds a bump exactly when the margin is ≥ 1, so the AUC ranks curves by how clearly the
rule would call them bumps. Every interval resamples seeds (the independent unit), via core.stats.
"""
from __future__ import annotations

import numpy as np

from ..core import bumps as core_bumps
from ..core import stats


def margin(curves, rule) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(is_bump, peak_index, peak, margin) along the last axis of `curves`."""
    c = np.asarray(curves, dtype=float)
    is_bump, peak_index, peak, _ = core_bumps.bump_peaks(c, rule)
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.nanmax(c / np.minimum.accumulate(c, axis=-1), axis=-1)
        fall = 1 - c[..., -1] / peak
    score = np.minimum.reduce([np.nan_to_num(fall, nan=0.0) / rule.drop_frac, peak / rule.peak_min,
                               np.nan_to_num(rise, nan=1.0, posinf=np.inf) / rule.rise_factor])
    return is_bump, peak_index, peak, score


def auc_stat(score, label, unit, n_units: int):
    """A `stats.bootstrap` statistic: the ROC AUC of `score` for `label` (ties count ½) under unit weights.

    With M[a, b] = Σ over bumps i of unit a and non-bumps j of unit b of 1[x_i > x_j] + ½·1[x_i = x_j],
    the AUC of a resample with unit weights w is wᵀMw / ((w·P)(w·Q)) (P, Q: bumps and non-bumps per
    unit): exact, and 100× cheaper than re-ranking every resample's curves.
    """
    score, label, unit = np.asarray(score, float), np.asarray(label, bool), np.asarray(unit)
    M = np.zeros((n_units, n_units))
    pos_x, pos_u = score[label], unit[label]
    for b in range(n_units):
        neg = np.sort(score[~label & (unit == b)])
        lt, le = np.searchsorted(neg, pos_x, "left"), np.searchsorted(neg, pos_x, "right")
        M[:, b] = np.bincount(pos_u, weights=lt + 0.5 * (le - lt), minlength=n_units)
    P = np.bincount(pos_u, minlength=n_units).astype(float)
    Q = np.bincount(unit[~label], minlength=n_units).astype(float)
    return lambda w: ((w @ M) * w).sum(axis=1) / ((w @ P) * (w @ Q))


def median_stat(values, unit, n_units: int):
    """A `stats.bootstrap` statistic: the median of per-curve `values` under unit weights."""
    order = np.argsort(values, kind="stable")
    x = np.asarray(values, float)[order]
    # cum[i, a]: curves of unit a among the i + 1 smallest; a resample's cumulative weight is w @ cumᵀ
    cum = np.cumsum(np.eye(n_units)[np.asarray(unit)[order]], axis=0)

    def stat(w):
        if not len(x):
            return np.full(len(w), np.nan)
        reach = w @ cum.T
        mid = x[np.argmax(reach >= 0.5 * reach[:, -1:], axis=1)]
        return np.where(reach[:, -1] > 0, mid, np.nan)
    return stat


def agreement(pred_bump, act_bump, unit, n_units: int):
    """(estimate, lo, hi) of the share of curves on which predicted and trained agree (bump or not)."""
    same = (np.asarray(pred_bump) == np.asarray(act_bump)).astype(float)
    return stats.bootstrap(stats.ratio(np.bincount(unit, same, n_units), np.bincount(unit, minlength=n_units)),
                           n_units)


def rule_table(actual, predicted, step, rule, unit) -> dict:
    """The rule on trained and predicted curves (both (..., S), `unit` the seed of each curve), flattened
    to one entry per curve: what `score_table` scores (tables of several runs concatenate)."""
    a_bump, a_idx, a_peak, _ = (x.ravel() for x in margin(actual, rule))
    p_bump, p_idx, p_peak, p_score = (x.ravel() for x in margin(predicted, rule))
    t = np.asarray(step, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        step_err = np.abs(t[p_idx] - t[a_idx]) / np.maximum(t[a_idx], 1)
        height_err = np.abs(p_peak - a_peak) / a_peak
    return dict(actual=a_bump, predicted=p_bump, score=p_score, step_error=step_err, height_error=height_err,
                unit=np.broadcast_to(unit, np.shape(actual)[:-1]).ravel())


def concat(tables) -> dict:
    return {key: np.concatenate([t[key] for t in tables]) for key in tables[0]}


def score_table(table: dict, n_units: int) -> dict:
    """AUC, accuracy, and the median relative error of peak step and peak height over curves that bump in
    both, each an (estimate, lo, hi) triple; NaN where undefined (no bump, or no non-bump)."""
    a_bump, p_bump, unit = table["actual"], table["predicted"], table["unit"]
    nan3 = (np.nan, np.nan, np.nan)
    out = dict(curves=a_bump.size, bumps=int(a_bump.sum()), predicted=int(p_bump.sum()),
               both=int((a_bump & p_bump).sum()), accuracy=agreement(p_bump, a_bump, unit, n_units))
    out["auc"] = stats.bootstrap(auc_stat(table["score"], a_bump, unit, n_units), n_units) \
        if a_bump.any() and not a_bump.all() else nan3
    both = a_bump & p_bump
    for name in ("step_error", "height_error"):
        out[name] = stats.bootstrap(median_stat(table[name][both], unit[both], n_units), n_units) \
            if both.any() else nan3
    return out
