"""The thread's predicates against their controls and base rates (reproduce/scurve/causes.py, verdicts.py),
the equivalence and interval verdicts (reproduce/core/stats.py) and the seed-interval slope and rank tests
of the post's claims, each on small synthetic curves built to pass and built to fail."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from reproduce.core import stats
from reproduce.core.bumps import BumpRule
from reproduce.figures import fig03_rank1_loss, fig05_rankk_loss, figX2_order_n
from reproduce.scurve import causes, verdicts

RULE = BumpRule(peak_min=0.1, rise_factor=2.0, drop_frac=0.2, shift_min=0.1)
T = 11
STEP = np.arange(T)
BUMP = np.array([0.01, 0.05, 0.2, 0.5, 0.4, 0.3, 0.25, 0.2, 0.2, 0.2, 0.2])      # peaks at step 3
FLAT = np.full(T, 0.01)


def run_of(overlap, norm=None, loss=None):
    """A fake run: overlap (seeds, steps, n, k̃, k); norms grow throughout unless given; the loss falls
    below 1e-3·L0 only at the last step unless given."""
    overlap = np.asarray(overlap, dtype=float)
    s, t, n, km, _ = overlap.shape
    if norm is None:
        norm = np.broadcast_to(np.linspace(0.1, 1, t)[None, :, None, None], (s, t, n, km))
    if loss is None:
        loss = np.broadcast_to(np.r_[np.linspace(1, 0.01, t - 1), 1e-4], (s, t))
    return SimpleNamespace(step=STEP[:t], overlap=overlap, norm=np.array(norm, float), loss=np.array(loss, float),
                           seed=np.arange(s), cfg=SimpleNamespace(rank=overlap.shape[-1]))


def seeds(one, n=8):
    """n copies of a one-seed overlap array: a setting whose every seed behaves the same."""
    return np.concatenate([one] * n)


# --- verdict helpers ---
def test_interval_and_equivalence_verdicts():
    assert stats.interval_verdict(0.1, 0.3, above=0) == "PASS"
    assert stats.interval_verdict(-0.3, -0.1, above=0) == "FAIL"
    assert stats.interval_verdict(-0.1, 0.3, above=0) == "UNDETERMINED"
    assert stats.interval_verdict(0.9, 1.1, above=0.85, below=1.15) == "PASS"
    assert stats.interval_verdict(0.5, 0.8, above=0.85, below=1.15) == "FAIL"
    assert stats.interval_verdict(0.8, 1.0, above=0.85, below=1.15) == "UNDETERMINED"
    assert stats.equivalence_verdict(-0.05, 0.08, 0.1) == "PASS"
    assert stats.equivalence_verdict(-0.05, 0.12, 0.1) == "UNDETERMINED"   # reaches past the margin
    assert stats.equivalence_verdict(0.11, 0.3, 0.1) == "FAIL"
    assert stats.all_of(["PASS", "PASS"]) == "PASS"
    assert stats.all_of(["PASS", "UNDETERMINED"]) == "UNDETERMINED"
    assert stats.all_of(["UNDETERMINED", "FAIL", "PASS"]) == "FAIL"
    assert stats.all_of([]) == "UNDETERMINED"


def test_weighted_median_matches_numpy_and_resamples():
    x = np.array([3.0, 1.0, 2.0, 10.0])
    med = stats.weighted_median(x)
    assert med(np.ones((1, 4)))[0] == np.median(x)
    assert list(med(np.array([[0, 0, 1, 0], [2, 0, 0, 2]]))) == [2.0, 6.5]   # {2}; {3, 3, 10, 10}


def test_effect_verdict_shows_an_effect_rules_one_out_or_cannot_tell():
    rng = np.random.default_rng(1)
    cond = rng.random((400, 8)) < 0.5
    real = np.where(cond, rng.random((400, 8)) < 0.8, rng.random((400, 8)) < 0.2)
    none = rng.random((400, 8)) < 0.5
    for bumped, expected in ((real, "PASS"), (none, "FAIL")):
        ci95, _ = causes.conditional_difference(bumped, cond)
        ci90, _ = causes.conditional_difference(bumped, cond, level=0.9)
        assert causes.effect_verdict(ci95, ci90) == expected
    few = slice(0, 6)  # six seeds, no effect: the interval is too wide to rule out ±0.1
    ci95, _ = causes.conditional_difference(none[few], cond[few])
    ci90, _ = causes.conditional_difference(none[few], cond[few], level=0.9)
    assert causes.effect_verdict(ci95, ci90) == "UNDETERMINED"
    assert causes.effect_verdict((-0.3, -0.4, -0.2), (-0.3, -0.38, -0.22)) == "FAIL"  # a decrease


# --- P2_state: base rate over the learning window ---
def one_bump(norm_curve, loss=None):
    ov = np.zeros((1, T, 1, 2, 2))
    ov[0, :, 0, 0, 0], ov[0, :, 0, 1, 1] = BUMP, np.linspace(0.01, 1, T)
    norm = np.broadcast_to(np.asarray(norm_curve)[None, :, None, None], (1, T, 1, 2)).copy()
    return run_of(seeds(ov), norm=seeds(norm), loss=loss)


def test_p2_state_passes_when_the_norm_grows_at_the_peak_more_than_in_the_window():
    # grows up to step 4, then shrinks while the loss is still falling: half of the window, peak at step 3
    norm = np.r_[np.linspace(0.1, 1, 5), np.linspace(0.95, 0.6, 6)]
    got = verdicts.verdicts(run_of(np.full((8, T, 1, 1, 1), 0.5)), one_bump(norm), RULE)["P2_state"]
    assert got["verdict"] == "PASS" and got["value"] > 0.3


def test_p2_state_fails_when_the_norm_grows_throughout_the_learning_window():
    """The old base rate (whole run) would pass this: the norm settles after the window, so a random step
    of the run finds it flat; over the window alone it grows everywhere, like at the peak."""
    norm = np.r_[np.linspace(0.1, 1, 6), np.full(5, 1.0)]
    loss = np.r_[np.linspace(1, 0.01, 6), np.full(5, 1e-5)]      # learned by step 5; settled tail after it
    run = one_bump(norm, loss=np.broadcast_to(loss, (8, T)))
    at_peak, base, late = causes.bump_peak_state(run, RULE)
    assert at_peak == [[True]] * 8 and base[0][0] == 1.0 and late == 0
    assert verdicts.verdicts(run_of(np.full((8, T, 1, 1, 1), 0.5)), run, RULE)["P2_state"]["verdict"] == "FAIL"


# --- P2_height: time-matched control without the winners ---
def height_run(other_at_peak):
    """Vector 0 bumps on a1 (peak 0.5 at step 3) and ends on a2 (its winner); vector 1's curve on a1 rises
    to `other_at_peak` by step 3 and stays there (no bump, and not its winner: it ends higher on a2)."""
    ov = np.zeros((1, T, 1, 2, 2))
    ov[0, :, 0, 0, 0] = BUMP
    ov[0, :, 0, 0, 1] = np.linspace(0.01, 0.9, T)                              # vector 0's winner
    ov[0, :, 0, 1, 0] = np.minimum(np.linspace(0.01, 4 * other_at_peak, T), other_at_peak)
    ov[0, :, 0, 1, 1] = np.linspace(0.01, 1.0, T)                              # vector 1's winner
    return run_of(seeds(ov))


def test_p2_height_against_curves_at_the_same_step():
    high, low = height_run(0.8), height_run(0.2)
    assert causes.matched_heights(low, RULE)[0][0] == [pytest.approx(0.3)]
    assert verdicts.verdicts(run_of(np.full((8, T, 1, 1, 1), 0.5)), low, RULE)["P2_height"]["verdict"] == "PASS"
    assert verdicts.verdicts(run_of(np.full((8, T, 1, 1, 1), 0.5)), high, RULE)["P2_height"]["verdict"] == "FAIL"


def test_p2_height_leaves_out_each_vectors_winning_overlap():
    run = height_run(0.2)
    run.overlap[:, :, 0, 1, 0] = np.linspace(0.01, 1.2, T)  # now a1 is vector 1's winner, and high
    run.overlap[:, :, 0, 1, 1] = np.linspace(0.01, 0.3, T)
    diffs, lonely = causes.matched_heights(run, RULE)
    # at step 3 only vector 1's a2 curve (0.097 < peak_min) and its winner are left: neither counts
    assert diffs == [[]] * 8 and lonely == 8


# --- P3: base rate from the non-bump curves, in seeds with a real decay phase ---
def decay_run(early_peak: bool, decays: bool = True):
    """Norms halve over steps 0–4, then grow. Vector 0 bumps on a1 after the phase (peak at step 7);
    vector 1's a1 curve rises and stays (no bump), peaking at step 2 (inside) or at the end (outside)."""
    late_bump = np.array([0.05, 0.04, 0.03, 0.02, 0.05, 0.2, 0.4, 0.6, 0.4, 0.3, 0.3])
    rise = np.array([0.03, 0.1, 0.5, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45]) if early_peak else \
        np.linspace(0.01, 0.8, T)
    ov = np.zeros((1, T, 1, 2, 2))
    ov[0, :, 0, 0, 0], ov[0, :, 0, 1, 0] = late_bump, rise
    ov[0, :, 0, :, 1] = 0.01
    norm = np.r_[np.linspace(1, 0.5, 5), np.linspace(0.6, 1, 6)] if decays else np.linspace(0.1, 1, T)
    return run_of(seeds(ov), norm=seeds(np.broadcast_to(norm[None, :, None, None], (1, T, 1, 2))))


def test_p3_passes_when_other_curves_peak_inside_the_decay_phase_and_bumps_do_not():
    run = decay_run(early_peak=True)
    assert causes.real_decay(run).all()
    bumps, base = causes.decay_peaks(run, RULE)
    assert bumps == [[False]] * 8 and base == [[True]] * 8
    assert verdicts.verdicts(run_of(np.full((8, T, 1, 1, 1), 0.5)), run, RULE)["P3"]["verdict"] == "PASS"


def test_p3_fails_when_no_curve_peaks_inside_and_cannot_be_tested_without_a_real_phase():
    control = run_of(np.full((8, T, 1, 1, 1), 0.5))
    assert verdicts.verdicts(control, decay_run(early_peak=False), RULE)["P3"]["verdict"] == "FAIL"
    flat = decay_run(early_peak=True, decays=False)
    assert not causes.real_decay(flat).any()
    assert verdicts.verdicts(control, flat, RULE)["P3"]["verdict"] == "UNDETERMINED"


# --- the premise, at step 0 and where the rise starts ---
def test_premise_where_the_rise_starts():
    """At step 0 the two vectors are nearest different targets; both then rise towards a1."""
    ov = np.zeros((1, T, 1, 2, 2))
    ov[0, :, 0, 0, 0] = BUMP                                                  # vector 0 rises on a1 and bumps
    ov[0, :, 0, 1, 0] = np.r_[0.01, np.linspace(0.05, 0.9, T - 1)]            # vector 1 rises on a1
    ov[0, :, 0, 1, 1] = np.r_[0.02, np.full(T - 1, 0.02)]                     # ... but starts nearest a2
    ov[0, :, 0, 0, 1] = 0.005
    run = run_of(ov)
    start, valid = causes.rise_start(run, RULE)
    assert valid.all() and list(start[0, 0]) == [2, 2]
    assert not causes.vector_table(run, RULE, "init")["shares"].any()
    assert causes.vector_table(run, RULE, "rise")["shares"].all()
    never = run_of(np.full((1, T, 1, 2, 2), 0.01))                            # nothing rises: undefined
    assert not causes.vector_table(never, RULE, "rise")["valid"].any()


# --- range claims over settings ---
def test_range_verdict_needs_every_setting_under_every_scale():
    def table(written, other):
        return pd.DataFrame([dict(threshold_scale=s, predicate="P4", verdict=v)
                             for s, vs in ((0.5, other), (1.0, written), (2.0, other)) for v in vs])
    assert verdicts.range_verdict(table(["PASS"] * 3, ["PASS"] * 3), "P4")[0] == "PASS"
    assert verdicts.range_verdict(table(["PASS", "FAIL", "PASS"], ["PASS"] * 3), "P4")[0] == "FAIL"
    assert verdicts.range_verdict(table(["PASS"] * 3, ["PASS", "FAIL", "PASS"]), "P4")[0] == "UNDETERMINED"
    assert verdicts.range_verdict(table(["PASS", "UNDETERMINED", "PASS"], ["PASS"] * 3), "P4")[0] == "UNDETERMINED"


# --- seed intervals of the post's slope and rank claims ---
def drop_run(sigma, drop_steps, order=2, N=10, rank=1):
    """A fake run whose seed b's loss halves at drop_steps[b] (a step down from 1 to 0.1)."""
    step = np.arange(200)
    loss = np.where(step[None, :] < np.asarray(drop_steps)[:, None], 1.0, 0.1)
    return SimpleNamespace(step=step, loss=loss, seed=np.arange(len(drop_steps)),
                           cfg=SimpleNamespace(order=order, init_std=sigma, N=N, rank=rank, lr=0.1))


def sigma_sweep(slope, seeds_=8, sigmas=(0.1, 0.07, 0.05, 0.035), order=2, N=10):
    rng = np.random.default_rng(3)
    offset = 20 + rng.integers(0, 10, seeds_)  # each seed its own prefactor, the same at every σ
    return SimpleNamespace(runs=[drop_run(s, offset + np.round(slope * np.log(1 / s)).astype(int), order, N)
                                 for s in sigmas], cfg=SimpleNamespace(lr=0.1))


def test_q6_n2_slope_test_fails_a_plateau_that_does_not_depend_on_sigma():
    law = 1 / np.log1p(0.1)
    tol = figX2_order_n.Q6_SLOPE_TOL
    for slope, expected in ((law, "PASS"), (0.0, "FAIL"), (4 * law, "FAIL")):
        (est, lo, hi), used = figX2_order_n.log_law_slope(sigma_sweep(slope), 2)
        assert used == 8
        assert stats.interval_verdict(lo / law, hi / law, above=1 - tol, below=1 + tol) == expected


def test_q2b_fit_is_the_mean_of_per_seed_slopes_over_small_sigma():
    res = sigma_sweep(10.0, sigmas=(0.1, 0.03, 0.01, 0.003), N=100)  # σ = 0.1 has Nσ² = 1: left out
    (slope, lo, hi), _, used = fig03_rank1_loss._fit(res)
    assert sorted(used) == [0.003, 0.01, 0.03] and lo <= slope <= hi and abs(slope - 10) < 0.3


def test_q4_rank_steps_have_intervals_over_seeds():
    def res_with(t90s):
        rng = np.random.default_rng(4)
        runs = []
        for k, t in zip((1, 2, 4, 8), t90s):
            step = np.arange(300)
            drop = t + rng.integers(0, 3, 16)
            # loss 1 until the drop, then a linear fall to 0.01 over 20 steps
            loss = np.clip(1 - (step[None, :] - drop[:, None]) / 20, 0.01, 1)
            runs.append(SimpleNamespace(step=step, loss=loss, seed=np.arange(16), cfg=SimpleNamespace(rank=k)))
        return SimpleNamespace(runs=runs)
    def t90(run):
        return fig05_rankk_loss._times(run)["t90"]
    falling = fig05_rankk_loss._steps_between_ranks(res_with([40, 35, 30, 25]), t90)
    assert all(stats.interval_verdict(d[1], d[2], below=0.0) == "PASS" for _, _, d in falling)
    flat = fig05_rankk_loss._steps_between_ranks(res_with([40, 40, 40, 40]), t90)
    assert stats.all_of(stats.interval_verdict(d[1], d[2], below=0.0) for _, _, d in flat) != "PASS"
