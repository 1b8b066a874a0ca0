"""Measurements on recorded grokking runs (grokking/train.py): key frequencies, per-frequency excluded-loss
bumps, shares, competitors, completeness, and the counts over seeds that the figG claims read. The bump
rule itself: core/bumps.py, passed in as `rules`; the phases: grokking/phases.py.

**Key frequencies** (paper/spec/grokking.md): a neuron votes for its best Fourier frequency when that
frequency holds ≥ `key_frac` of its activation energy; a key frequency has ≥ `min_votes` votes (10 of 512
neurons: an even spread over the 56 frequencies gives each 9.1). The set is read at a fixed phase,
`phases.KEY_PHASE` (grokked), and the set at the end of the run is reported beside it: read at the end,
a frequency that rises and then loses its place would count as key while it still has votes, and could
not count as a competitor.

**Excluded loss of one frequency**: the train loss with that frequency's cos/sin(w_k(a+b)) logit parts
removed, recorded for every frequency. Under the scale-free rule ([excluded_loss], floor = the lower of
the curve's running minimum and the train loss) a curve is in one of three states:
  "bump"    it rose ≥ rise_factor × its floor and fell back ≥ the rule's drop by the end;
  "rising"  it rose, but ends at or near its peak: a bump still under way, or a plateau (incomplete);
  "flat"    it never rose: removing the frequency alone never costs the model more than the train loss.
A key frequency is **relied on** when its curve rose (bump or rising), **spare** when flat.

**Share of a frequency**: its squared norm over the squared norm of all non-constant frequencies, in the
embedding of the p number tokens (`freq_norm`) or the neuron-logit map (`logit_freq_norm`). Weight decay
shrinks the whole embedding during cleanup, so an absolute norm can fall while the place grows.

A **competitor** is a key frequency (from the set read at KEY_PHASE) that has lost its place by the end:
fewer than `min_votes` votes left. It **loses out** in the embedding when its share bumps.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import stats
from ..core.bumps import BumpRules, bump_peaks
from .phases import (CLEANED_FACTOR, CLEANUP_DROP, KEY_PHASE, PHASES, TEST_ACC, TRAIN_ACC,  # noqa: F401
                     first_epoch, key_eval, phases)

TOP = 6   # figG3 caption: frequencies ranked in the top 6 of the embedding


def shares(norms: np.ndarray) -> np.ndarray:
    """(evals, frequencies) norms → each frequency's share of the squared norm at that eval."""
    sq = np.asarray(norms, dtype=float) ** 2
    return sq / sq.sum(axis=1, keepdims=True)


def ranks(norms: np.ndarray) -> np.ndarray:
    """(evals, frequencies): 1 = the largest at that eval."""
    order = np.argsort(-np.asarray(norms), axis=1, kind="stable")
    r = np.empty_like(order)
    np.put_along_axis(r, order, np.arange(1, order.shape[1] + 1)[None], axis=1)
    return r


def columns(run, freqs) -> np.ndarray:
    """Column of each frequency (1-based) in the per-frequency arrays."""
    return np.searchsorted(run.freq, np.asarray(freqs, dtype=int))


def key_epoch(run) -> float:
    """The epoch at which the run's key frequencies were read (phases.key_eval)."""
    return float(run.epoch[key_eval(run.epoch, phases(run))])


def lr_time(run, epochs):
    """Epochs → lr·epochs, the time axis on which runs at different learning rates compare."""
    return np.asarray(epochs, dtype=float) * run.cfg.lr


def excluded_states(run, rules: BumpRules, freqs=None) -> dict:
    """{k: dict(state, peak, peak_epoch, floor, final)} of the excluded loss of each frequency (default: the
    key set) under [excluded_loss] (module docstring); the whole run, floor against the train loss."""
    freqs = run.key_freqs if freqs is None else np.asarray(freqs, dtype=int)
    curves = run.excluded_loss_freq[:, columns(run, freqs)].T
    rule = rules.excluded_loss
    is_bump, idx, peak, floor = bump_peaks(curves, rule, reference=run.data[rule.reference][None])
    risen = peak >= rule.rise_factor * floor
    return {int(k): dict(state="bump" if is_bump[j] else "rising" if risen[j] else "flat",
                         peak=float(peak[j]), peak_epoch=float(run.epoch[idx[j]]), floor=float(floor[j]),
                         final=float(curves[j, -1])) for j, k in enumerate(freqs)}


def relied_on(run, rules: BumpRules) -> list[int]:
    """The key frequencies whose excluded loss rose (bump or rising): removing one alone costs the model."""
    return [k for k, s in excluded_states(run, rules).items() if s["state"] != "flat"]


def nonkey_risen(run, rules: BumpRules) -> list[int]:
    """Frequencies outside the key set whose excluded loss rose (Nanda et al.: they stay at the train floor)."""
    others = np.setdiff1d(run.freq, run.key_freqs)
    return [k for k, s in excluded_states(run, rules, others).items() if s["state"] != "flat"]


def completeness(run, rules: BumpRules) -> str:
    """"complete" when the run grokked, cleaned up, and no key frequency's excluded loss ends at or near its
    peak (state "rising"), whatever its level; otherwise what is missing."""
    ph, missing = phases(run), []
    if not np.isfinite(ph["grokked"]):
        missing.append(f"test accuracy never reaches {TEST_ACC}")
    if not np.isfinite(ph["cleaned"]):
        missing.append("cleanup does not end")
    rising = {k: s for k, s in excluded_states(run, rules).items() if s["state"] == "rising"}
    if rising:
        missing.append("excluded loss at or near its peak at the end for k = " + ", ".join(
            f"{k} ({s['final']:.2g} nat, peak {s['peak']:.2g} at epoch {s['peak_epoch']:.0f})"
            for k, s in rising.items()))
    return "complete" if not missing else "; ".join(missing)


def competitors(run) -> dict:
    """{k: (votes at KEY_PHASE, votes at the end)} for the key frequencies that end with < min_votes votes."""
    gone = np.setdiff1d(run.key_freqs, run.final_key_freqs)
    return {int(k): (int(run.votes_key[k - 1]), int(run.votes_final[k - 1])) for k in gone}


def share_bumps(run, freqs, rules: BumpRules, measure="freq_norm") -> dict:
    """{k: bumps?} for the share curves of the given frequencies (data/bump.toml [frequency_share])."""
    s = shares(run.data[measure])[:, columns(run, freqs)]
    is_bump = bump_peaks(s.T, rules.frequency_share)[0] if len(freqs) else []
    return {int(k): bool(b) for k, b in zip(freqs, is_bump)}


def share_lost_before(run, end_epoch, rules: BumpRules, measure="freq_norm") -> dict:
    """{key k: epoch} for key frequencies whose share already bumped (rose, then fell by the rule's
    drop_frac) at some eval before `end_epoch`; the epoch is the first eval at which the fall completes."""
    s = shares(run.data[measure])[:, columns(run, run.key_freqs)]
    out = {}
    for i in np.nonzero(run.epoch < end_epoch)[0]:
        for k, b in zip(run.key_freqs, bump_peaks(s[:i + 1].T, rules.frequency_share)[0]):
            if b and int(k) not in out:
                out[int(k)] = float(run.epoch[i])
    return out


def seed_summary(res, rules: BumpRules) -> pd.DataFrame:
    """One row per seed: phases, final accuracies, the key and final sets, and the per-frequency counts the
    figG claims and the report's answer read (one home for each count)."""
    rows = []
    for run in res.runs:
        ph, comp = phases(run), competitors(run)
        states = excluded_states(run, rules)
        relied = [k for k, s in states.items() if s["state"] != "flat"]
        shed = [k for k, b in share_bumps(run, run.key_freqs, rules).items() if b]   # over the whole run
        lost = share_lost_before(run, ph["cleanup"] if np.isfinite(ph["cleanup"]) else np.inf, rules)
        rows.append(dict(
            seed=int(run.cfg.seed), lr=float(run.cfg.lr), **ph, key_epoch=key_epoch(run),
            final_train_acc=float(run.train_acc[-1]), final_test_acc=float(run.test_acc[-1]),
            key_freqs=" ".join(map(str, run.key_freqs)), n_key=len(run.key_freqs),
            final_key_freqs=" ".join(map(str, run.final_key_freqs)), n_final=len(run.final_key_freqs),
            n_bump=sum(s["state"] == "bump" for s in states.values()),
            n_rising=sum(s["state"] == "rising" for s in states.values()),
            n_flat=sum(s["state"] == "flat" for s in states.values()),
            n_nonkey=len(run.freq) - len(run.key_freqs), n_nonkey_risen=len(nonkey_risen(run, rules)),
            competitors=" ".join(map(str, comp)), n_competitors=len(comp),
            n_competitors_lose_out=sum(share_bumps(run, list(comp), rules).values()),
            n_relied=len(relied), n_relied_share_bumps=sum(k in relied for k in shed),
            n_spare=len(states) - len(relied), n_spare_share_bumps=sum(k not in relied for k in shed),
            n_key_share_lost=len(lost), key_share_lost=" ".join(map(str, sorted(lost))),
            status=completeness(run, rules)))
    return pd.DataFrame(rows)


def over_seeds(num, den, claimed: str, at: float = 0.5) -> dict:
    """A count over seeds as a rate with its bootstrap interval over seeds (core/stats.py) and a verdict.

    num, den: per-seed counts (the rate is Σ num / Σ den). `claimed`: "all" (rate 1), "none" (rate 0) or
    "at_least" (rate ≥ at). PASS needs the whole 95 % interval in the claimed region, FAIL the whole
    interval outside it; in between, or when the units come from fewer than two seeds, UNDETERMINED: a
    verdict that one seed could overturn is not stated.
    """
    num, den = np.asarray(num, float), np.asarray(den, float)
    est, lo, hi = stats.bootstrap(stats.ratio(num, den), len(den))
    if (den > 0).sum() < 2:
        verdict = "UNDETERMINED"
    elif claimed == "all":
        verdict = "PASS" if lo >= 1 else "FAIL" if hi < 1 else "UNDETERMINED"
    elif claimed == "none":
        verdict = "PASS" if hi <= 0 else "FAIL" if lo > 0 else "UNDETERMINED"
    else:
        verdict = stats.interval_verdict(lo, hi, above=at - 1e-12)
    where = (f"95 % interval over seeds {lo:.0%}–{hi:.0%}" if (den > 0).sum() >= 2
             else f"all from {int((den > 0).sum())} seed, no interval")
    return dict(rate=est, lo=lo, hi=hi, n=int(num.sum()), of=int(den.sum()), verdict=verdict,
                text=f"{int(num.sum())} of {int(den.sum())} ({est:.0%}; {where})")


def smoothed_log(epoch, curve, every: int, window: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """log10 of a loss, a centred running median over `window` evals, kept at multiples of `every`.

    A stable form of a float32 curve: the median removes single-eval spikes, log10 and decimation keep
    the shape a reader sees; the regression tolerance on it is stated where it is compared.
    """
    c = np.log10(np.maximum(np.asarray(curve, dtype=float), 1e-30))
    pad = np.pad(c, window // 2, mode="edge")
    med = np.median(np.lib.stride_tricks.sliding_window_view(pad, window), axis=1)
    keep = (np.asarray(epoch) % every == 0)
    return np.asarray(epoch)[keep], med[keep]
