"""Measurements on recorded grokking runs (grokking/train.py): phases, per-frequency shares, ranks,
competitors, and the bumps of per-frequency curves (the rule itself: core/bumps.py, passed in as `rules`).

**Phases** (Nanda et al. 2023), located on the recorded curves of one seed:
  memorisation       epoch 0 → the first eval with train accuracy ≥ TRAIN_ACC ("memorised"),
  circuit formation  → the first later eval at which the test loss has fallen to CLEANUP_DROP × its
                       post-memorisation peak ("cleanup" starts),
  cleanup            → the first eval at which the test loss is within CLEANED_FACTOR × its final value.
"grokked" is the first eval with test accuracy ≥ TEST_ACC.

**Share of a frequency**: its squared norm over the squared norm of all non-constant frequencies, for
the embedding of the p number tokens (`freq_norm`) or the neuron-logit map (`logit_freq_norm`). Weight
decay shrinks the whole embedding by about a third during cleanup, so an absolute norm can fall while the
frequency's place in the embedding grows; a share measures the place. Ranks are the same either way.

A **competitor** is a frequency outside the final key set that, at some eval after memorisation, ranks
in the top TOP above at least one final key frequency ("reached the top 6" alone would be empty: with
5 key frequencies one of the top 6 always holds a non-key one). It **loses out** when its share bumps.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.bumps import BumpRules, bump_peaks

TRAIN_ACC = 0.99      # memorised: train accuracy first reaches this
TEST_ACC = 0.95       # grokked: test accuracy first reaches this
CLEANUP_DROP = 0.5    # cleanup starts when the test loss has halved from its post-memorisation peak
CLEANED_FACTOR = 10   # ... and ends when the test loss is within 10× of its end-of-run value
TOP = 6               # "reached the top 6"


def first_epoch(epoch, curve, level, below=False, after=0):
    """First recorded epoch ≥ `after` at which `curve` is ≥ level (≤ level with below=True); NaN if never."""
    hit = (curve <= level if below else curve >= level) & (epoch >= after)
    return float(epoch[np.argmax(hit)]) if hit.any() else np.nan


def phases(run) -> dict:
    """Phase boundaries of one seed in epochs (module docstring); NaN where a phase never ends."""
    e = run.epoch
    memorised = first_epoch(e, run.train_acc, TRAIN_ACC)
    grokked = first_epoch(e, run.test_acc, TEST_ACC)
    after = e >= (memorised if np.isfinite(memorised) else e[-1])
    peak_epoch = e[after][np.argmax(run.test_loss[after])]
    peak = run.test_loss[e == peak_epoch][0]
    cleanup = first_epoch(e, run.test_loss, CLEANUP_DROP * peak, below=True, after=peak_epoch)
    cleaned = (first_epoch(e, run.test_loss, CLEANED_FACTOR * run.test_loss[-1], below=True, after=cleanup)
               if np.isfinite(cleanup) else np.nan)
    return {"memorised": memorised, "cleanup": cleanup, "grokked": grokked, "cleaned": cleaned}


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


def key_index(run) -> np.ndarray:
    """Column of each final key frequency in the per-frequency arrays."""
    return np.searchsorted(run.freq, run.key_freqs)


def competitors(run) -> dict:
    """Competitors (module docstring) → {k: (best rank after memorisation, epochs spent in the top TOP)}."""
    r, key = ranks(run.freq_norm), np.isin(run.freq, run.key_freqs)
    after = run.epoch >= phases(run)["memorised"]
    worst_key = r[:, key].max(axis=1) if key.any() else np.zeros(len(r), dtype=int)
    span = np.diff(run.epoch, append=run.epoch[-1])      # epochs until the next eval
    out = {}
    for i in np.nonzero(~key)[0]:
        top = after & (r[:, i] <= TOP)
        if (top & (r[:, i] < worst_key)).any():
            out[int(run.freq[i])] = (int(r[after, i].min()), int(span[top].sum()))
    return out


def excluded_bumps(run, rules: BumpRules) -> dict:
    """{key k: (bumps?, peak epoch, peak, final)} for the train loss with frequency k's logit part removed."""
    is_bump, idx, peak, _ = bump_peaks(run.excluded_loss_each.T, rules.excluded_loss)
    return {int(k): (bool(is_bump[j]), float(run.epoch[idx[j]]), float(peak[j]),
                     float(run.excluded_loss_each[-1, j])) for j, k in enumerate(run.key_freqs)}


def essential_freqs(run, rules: BumpRules) -> list[int]:
    """The key frequencies the model cannot spare: those whose own excluded loss bumps (excluded_bumps).

    The sturdier part of a seed's key set: on another CPU kernel (ATEN_CPU_CAPABILITY=default) seed 0 kept
    the same two (k = 38, 46), while a marginal key frequency (k = 7, removing it alone cost < 0.03 nat)
    dropped out of the key set and another's final share moved from 9 % to 21 %. A frequency whose
    excluded loss sits near the rule's threshold can still change sides, so no regression row is keyed by
    one (figG2).
    """
    return [k for k, (b, *_) in excluded_bumps(run, rules).items() if b]


def share_bumps(run, freqs, rules: BumpRules, measure="freq_norm") -> dict:
    """{k: bumps?} for the share curves of the given frequencies (data/bump.toml [frequency_share])."""
    s = shares(run.data[measure])[:, np.searchsorted(run.freq, freqs)]
    is_bump = bump_peaks(s.T, rules.frequency_share)[0] if len(freqs) else []
    return {int(k): bool(b) for k, b in zip(freqs, is_bump)}


def share_lost_before(run, end_epoch, rules: BumpRules, measure="freq_norm") -> dict:
    """{key k: epoch} for key frequencies whose share already bumped (rose, then fell by the rule's
    drop_frac) at some eval before `end_epoch`; the epoch is the first eval at which the fall completes."""
    rule = rules.frequency_share
    s = shares(run.data[measure])[:, key_index(run)]
    out = {}
    for i in np.nonzero(run.epoch < end_epoch)[0]:
        is_bump = bump_peaks(s[:i + 1].T, rule)[0]
        for k, b in zip(run.key_freqs, is_bump):
            if b and int(k) not in out:
                out[int(k)] = float(run.epoch[i])
    return out


def excluded_still_rising(run, rules: BumpRules) -> dict:
    """{key k: final value} for key frequencies whose excluded loss is at its highest at the last eval and has
    reached the bump rule's peak_min: a bump that may still be under way when the run ends."""
    rule = rules.excluded_loss
    c = excluded_after_memorisation(run)
    return {int(k): float(c[-1, j]) for j, k in enumerate(run.key_freqs)
            if c[-1, j] >= c[:, j].max() and c[-1, j] >= rule.peak_min}


def excluded_after_memorisation(run) -> np.ndarray:
    """(evals, keys) excluded loss of each key frequency from memorisation on (the whole run if never)."""
    mem = phases(run)["memorised"]
    return run.excluded_loss_each[run.epoch >= (mem if np.isfinite(mem) else 0)]


def completeness(run, rules: BumpRules) -> str:
    """"complete" when the run grokked, cleaned up, and no key frequency's excluded loss is a bump still
    under way at the end (excluded_still_rising); otherwise what is missing, so a short run says so. A key
    frequency whose excluded loss never reaches peak_min has no bump to wait for: removing it alone costs
    the trained model almost nothing (figG2 reports those)."""
    missing = []
    ph = phases(run)
    if not np.isfinite(ph["grokked"]):
        missing.append(f"test accuracy never reaches {TEST_ACC}")
    if not np.isfinite(ph["cleaned"]):
        missing.append("cleanup does not end")
    rising = excluded_still_rising(run, rules)
    if rising:
        missing.append("excluded loss still rising at the end for k = "
                       + ", ".join(f"{k} ({v:.2g} nat)" for k, v in rising.items()))
    return "complete" if not missing else "; ".join(missing)


def seed_summary(res, rules: BumpRules) -> pd.DataFrame:
    """One row per seed: phase epochs, final accuracies, key frequencies and the per-frequency findings."""
    rows = []
    for run in res.runs:
        ph, comp = phases(run), competitors(run)
        exc = excluded_bumps(run, rules)
        lost = share_lost_before(run, ph["cleanup"] if np.isfinite(ph["cleanup"]) else np.inf, rules)
        comp_bumps = share_bumps(run, sorted(comp), rules)
        essential = essential_freqs(run, rules)
        shed = [k for k, b in share_bumps(run, run.key_freqs, rules).items() if b]   # over the whole run
        rows.append(dict(
            seed=int(run.cfg.seed), **ph,
            final_train_acc=float(run.train_acc[-1]), final_test_acc=float(run.test_acc[-1]),
            key_freqs=" ".join(map(str, run.key_freqs)), n_key=len(run.key_freqs),
            n_key_excluded_bumps=sum(b for b, *_ in exc.values()),
            competitors=" ".join(map(str, sorted(comp))), n_competitors=len(comp),
            n_competitors_lose_out=sum(comp_bumps.values()),
            key_share_lost=" ".join(map(str, sorted(lost))), n_key_share_lost=len(lost),
            n_essential=len(essential), n_essential_share_bumps=sum(k in essential for k in shed),
            n_spare_share_bumps=sum(k not in essential for k in shed),
            status=completeness(run, rules)))
    return pd.DataFrame(rows)


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
