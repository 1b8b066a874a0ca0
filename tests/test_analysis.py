"""The measuring code on small synthetic curves built to pass and built to fail: the bump rule, the end of
norm decay, and the predicates behind the thread's claims (reproduce/scurve/causes.py)."""
from types import SimpleNamespace

import numpy as np
import pytest

from reproduce.core import stats
from reproduce.core.bumps import BumpRule, bump_peaks
from reproduce.scurve import causes, measure, verdicts

RULE = BumpRule(peak_min=0.1, rise_factor=2.0, drop_frac=0.2, shift_min=0.1)
STEP = np.arange(11)
BUMP = np.array([0.01, 0.05, 0.2, 0.5, 0.4, 0.3, 0.25, 0.2, 0.2, 0.2, 0.2])     # rises, ends at 40 % of peak
RISE = np.array([0.01, 0.05, 0.2, 0.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8])      # rises, never falls
WOBBLE = np.array([0.01, 0.05, 0.2, 0.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.7])    # final dip 12.5 % < 20 %
DECAY = np.array([0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05])  # only falls
LOW = BUMP * 0.1                                                                   # peaks at 0.05 < peak_min


@pytest.mark.parametrize("curve, expected", [(BUMP, True), (RISE, False), (WOBBLE, False), (DECAY, False),
                                             (LOW, False)])
def test_bump_rule_on_synthetic_curves(curve, expected):
    is_bump, peak_index, peak, trough = bump_peaks(curve, RULE)
    assert bool(is_bump) is expected
    if expected:
        assert peak_index == 3 and peak == 0.5 and trough == 0.01


def test_rise_is_measured_from_the_running_minimum():
    """A curve that first decays (norm-decay phase), then bumps: the rise counts from its low point."""
    curve = np.concatenate([[0.3, 0.1, 0.05], BUMP[2:] * 0.6])
    assert bump_peaks(curve, RULE)[0]
    assert not bump_peaks(np.array([0.9, 0.6, 0.5, 0.7, 0.5, 0.4, 0.4]), RULE)[0]  # never 2× its minimum


def run_of(overlap, norm=None, loss=None, step=None):
    """A fake run: overlap (seeds, steps, n, k̃, k); norms default to a vector that grows throughout."""
    overlap = np.asarray(overlap, dtype=float)
    s, t, n, km, _ = overlap.shape
    step = STEP[:t] if step is None else step
    if norm is None:
        norm = np.broadcast_to(np.linspace(0.1, 1, t)[None, :, None, None], (s, t, n, km))
    loss = np.broadcast_to(np.linspace(1, 0, t) ** 2 + 1e-3, (s, t)) if loss is None else loss
    return SimpleNamespace(step=step, overlap=overlap, norm=np.asarray(norm, float),
                           loss=np.asarray(loss, float), seed=np.arange(s),
                           cfg=SimpleNamespace(rank=overlap.shape[-1]))


def two_vectors(blue_other=RISE, orange=RISE):
    """One seed, one factor, two learned vectors, two targets: blue bumps on a1; its a2 curve is given."""
    ov = np.zeros((1, len(STEP), 1, 2, 2))
    ov[0, :, 0, 0, 0], ov[0, :, 0, 0, 1] = BUMP, blue_other
    ov[0, :, 0, 1, 0], ov[0, :, 0, 1, 1] = orange, 0.01
    return run_of(ov)


def test_find_bumps_and_turning():
    turning = measure.find_bumps(two_vectors(), RULE)
    assert [(x["learned"], x["target"]) for x in turning] == [(0, 0)]
    assert turning[0]["other_rise"] == pytest.approx(0.3)  # RISE from its step-3 value 0.5 to 0.8
    flat = measure.find_bumps(two_vectors(blue_other=np.full(len(STEP), 0.3)), RULE)
    assert flat[0]["other_rise"] == 0.0


def test_norm_decay_end():
    norm = np.array([1.0, 0.8, 0.6, 0.5, 0.55, 0.7, 0.9, 1.0, 1.0, 1.0, 1.0])[None, :, None, None]
    assert measure.norm_decay_end(run_of(np.zeros((1, 11, 1, 1, 1)), norm=norm))[0] == 3
    growing = np.linspace(0.1, 1, 11)[None, :, None, None]
    assert measure.norm_decay_end(run_of(np.zeros((1, 11, 1, 1, 1)), norm=growing))[0] == 0


def test_bootstrap_interval_covers_and_excludes():
    est, lo, hi = stats.rate_ci(np.r_[np.ones(30), np.zeros(34)])
    assert lo < est < hi and lo > 0.3 and hi < 0.6
    assert stats.rate_ci(np.zeros(64)) == (0.0, 0.0, 0.0)
    assert stats.rate_ci(np.r_[np.ones(30), np.zeros(34)]) == (est, lo, hi)  # seeded: repeats exactly


def test_conditional_difference_detects_a_real_difference_and_not_a_fake_one():
    rng = np.random.default_rng(0)
    cond = rng.random((64, 8)) < 0.5
    bumped = np.where(cond, rng.random((64, 8)) < 0.8, rng.random((64, 8)) < 0.2)
    (_, lo, _), _ = causes.conditional_difference(bumped, cond)
    assert lo > 0.4
    (_, lo, hi), _ = causes.conditional_difference(rng.random((64, 8)) < 0.5, cond)
    assert lo < 0 < hi


def test_matched_window_turns_and_its_control():
    # blue turns (a2 rises after blue's peak); orange, which does not bump on a1, stays flat on a2: P4 holds
    turns, control = causes.matched_window_turns(two_vectors(), RULE)
    assert turns == [[True]] and control == [[False]]
    # a control vector that also gains on a2 over the same window makes the difference vanish
    run = two_vectors()
    run.overlap[0, :, 0, 1, 1] = RISE
    turns, control = causes.matched_window_turns(run, RULE)
    assert turns == [[True]] and control == [[True]]
    assert causes.rate_difference([[True]] * 8, [[True]] * 8)[0] == 0.0


def test_rising_peaks_separates_bumps_from_curves_that_only_rise():
    bump_pk, rising_pk = causes.rising_peaks(two_vectors(), RULE)
    assert list(bump_pk) == [0.5] and sorted(rising_pk) == [0.8, 0.8]


def test_bump_peak_state_growing_vs_shrinking_norm():
    at_peak, base, late = causes.bump_peak_state(two_vectors(), RULE)
    assert at_peak == [[True]] and 0.9 < base[0][0] <= 1.0 and late == 0
    shrinking = two_vectors()
    shrinking.norm = np.broadcast_to(np.linspace(1, 0.1, 11)[None, :, None, None], (1, 11, 1, 2)).copy()
    at_peak, base, _ = causes.bump_peak_state(shrinking, RULE)
    assert at_peak == [[False]] and base[0][0] == 0.0


def test_vector_table_premise():
    run = two_vectors()  # at step 0 both vectors are nearest a1 (0.01 vs 0.01: ties go to a1)
    run.overlap[0, 0, 0, 1, 1] = 0.5  # orange starts nearest a2: nobody shares
    assert not causes.vector_table(run, RULE)["shares"].any()
    assert causes.vector_table(two_vectors(), RULE)["shares"].all()


def test_scaled_rule_halves_and_doubles():
    half, double = verdicts.scaled_rule(RULE, 0.5), verdicts.scaled_rule(RULE, 2.0)
    assert (half.peak_min, half.drop_frac, half.shift_min, half.rise_factor) == (0.05, 0.1, 0.05, 1.5)
    assert (double.peak_min, double.drop_frac, double.shift_min, double.rise_factor) == (0.2, 0.4, 0.2, 4.0)


def test_verdicts_on_a_synthetic_setting():
    flat = run_of(np.full((4, 11, 1, 1, 1), 0.5))                  # rank-1 control: flat curves, no bump
    run = run_of(np.concatenate([two_vectors().overlap] * 4))       # four seeds, each with one turning bump
    got = {p: t["verdict"] for p, t in verdicts.verdicts(flat, run, RULE).items()}
    assert set(got) == set(verdicts.PREDICATES)
    assert got["P1"] == "PASS"
    assert got["P3"] == "UNDETERMINED"      # the norms never decay: no bump could peak inside a decay phase
    assert got["P2_state"] == "FAIL"        # norms grow at every step: growing at the peak is no contrast
    assert got["P_premise"] == "UNDETERMINED"  # every vector shares its nearest target: nothing to compare
    bumpy_control = run_of(np.concatenate([two_vectors().overlap] * 4))
    assert verdicts.verdicts(bumpy_control, run, RULE)["P1"]["verdict"] == "FAIL"  # a bump in the control
    run.norm = np.broadcast_to(np.minimum(np.linspace(0.1, 1.1, 11), 0.5)[None, :, None, None],
                               run.norm.shape).copy()              # grows until step 4, then settles
    assert verdicts.verdicts(flat, run, RULE)["P2_state"]["verdict"] == "PASS"
