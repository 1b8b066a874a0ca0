"""The grokking measures: the scale-free bump rule on curves shaped like Nanda et al.'s, the key-frequency
votes, the per-frequency excluded loss, the verdicts over seeds, and the checkpoints beside the results."""
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from reproduce.core import bumps, paths, results
from reproduce.grokking import fourier, measure
from reproduce.grokking.model import load_checkpoint

RULES = bumps.load_rules()
RULE = RULES.excluded_loss

# Nanda et al.'s run (neelnanda-io/Grokking, "Excluded Loss (2D)"; lr 1e-3, 40 000 epochs), as issue 19
# tabulates it: key frequency -> (peak in nats, peak epoch, value at 40k). Non-key frequencies stay at the
# train-loss floor; the largest non-key transient is k = 25, a ~4x hump to 2e-6 near epoch 10 300.
NANDA_KEY = {14: (0.10, 9_000, 3e-4), 52: (0.68, 10_100, 0.030), 42: (1.50, 10_600, 0.066),
             35: (0.024, 10_800, 6e-4), 41: (0.006, 12_700, 1.5e-3)}
EPOCHS = np.arange(0, 40_001, 100.0)
LN_P = math.log(113)


def loglinear(points, epochs=EPOCHS):
    e, v = zip(*points)
    return np.exp(np.interp(epochs, e, np.log(v)))


TRAIN = loglinear([(0, LN_P), (1_400, 4e-7), (13_000, 1.3e-7), (40_000, 1e-7)])


def key_curve(peak, at, end):
    """Falls with the train loss in memorisation, sits near 1e-6, rises for ~4k epochs, falls, settles."""
    return loglinear([(0, LN_P), (1_400, 1e-6), (at - 4_000, 1.2e-6), (at, peak), (at + 3_000, 1.5 * end),
                      (40_000, end)])


def nonkey_curve(hump=None):
    pts = [(0, LN_P), (1_400, 6e-7), (9_000, 5e-7)] + ([(10_300, hump), (11_500, 3e-7)] if hump else [])
    return loglinear(pts + [(13_000, 1.5e-7), (40_000, 1e-7)])


def nanda_curves(noise=0.0, every=1, seed=0):
    """(7, T): the five key frequencies, k = 25's hump, a flat non-key frequency; and the train loss."""
    c = np.stack([key_curve(*v) for v in NANDA_KEY.values()] + [nonkey_curve(2e-6), nonkey_curve()])
    rng = np.random.default_rng(seed)   # float32 jitter, multiplicative
    c, train = c * np.exp(noise * rng.standard_normal(c.shape)), TRAIN * np.exp(noise * rng.standard_normal(len(TRAIN)))
    return c[:, ::every], train[::every]


@pytest.mark.parametrize("noise, every", [(0.0, 1), (0.3, 1), (0.3, 5), (0.0, 20)])
def test_nandas_five_key_frequencies_bump_and_his_largest_nonkey_hump_does_not(noise, every):
    curves, train = nanda_curves(noise, every)
    is_bump, _, peak, floor = bumps.bump_peaks(curves, RULE, reference=train)
    assert is_bump[:5].all(), dict(zip(NANDA_KEY, peak[:5] / floor[:5]))
    assert not is_bump[5] and not is_bump[6]
    # and with margin: the least key rise is far above the threshold, k = 25's far below
    risen = curves / np.minimum(np.minimum.accumulate(curves, axis=1), train)
    assert (peak[:5] / floor[:5]).min() > 10 * RULE.rise_factor
    assert risen[5].max() < RULE.rise_factor / 3


def test_a_curve_still_at_its_peak_is_no_bump_but_has_risen():
    curves, train = nanda_curves()
    upto = EPOCHS <= NANDA_KEY[41][1]   # Nanda's k = 41, cut at its peak
    is_bump, _, peak, floor = bumps.bump_peaks(curves[4, upto], RULE, reference=train[upto])
    assert not is_bump and peak >= RULE.rise_factor * floor


def test_the_train_loss_floor_counts_a_frequency_used_from_memorisation_on():
    """A frequency the model relies on early never falls to a low floor of its own (seed 2 k = 35 of the
    study: 0.07 at memorisation, 5.9 nats at grokking, 0.26 at the end): against the train loss it bumps."""
    epochs = np.arange(0, 3001, 50.0)
    train = loglinear([(0, LN_P), (100, 0.05), (1_300, 2e-7), (3_000, 9e-8)], epochs)
    curve = loglinear([(0, LN_P), (100, 0.07), (1_500, 5.9), (2_000, 0.3), (3_000, 0.26)], epochs)
    assert bumps.bump_peaks(curve, RULE, reference=train)[0]
    own_floor = bumps.BumpRule(peak_min=0, rise_factor=RULE.rise_factor, drop_frac=RULE.drop_frac)
    assert not bumps.bump_peaks(curve, own_floor)[0]
    with pytest.raises(ValueError, match="reference"):
        bumps.bump_peaks(curve, RULE)


def test_votes_count_neurons_above_the_energy_share():
    best = np.array([3, 3, 3, 5, 5, 1, 2])
    frac = np.array([0.9, 0.6, 0.4, 0.5, 0.8, 0.99, 0.1])
    v = fourier.votes(best, frac, 0.5, 6)
    np.testing.assert_array_equal(v, [1, 0, 2, 0, 2, 0])
    np.testing.assert_array_equal(fourier.key_freqs(v, 2), [3, 5])


def test_excluded_losses_equal_removing_one_frequency_at_a_time():
    p, K = 13, 6
    gen = torch.Generator().manual_seed(1)
    logits = 3 * torch.randn(p * p, p, generator=gen, dtype=torch.float64)
    labels = (torch.arange(p).repeat_interleave(p) + torch.arange(p).repeat(p)) % p
    train = torch.rand(p * p, generator=gen) < 0.3
    dirs = fourier.sum_directions(p, range(1, K + 1))
    coef = fourier.coefficients(logits, dirs)
    fast = fourier.excluded_losses(logits[train], labels[train], dirs[:, train], coef)
    for k in range(1, K + 1):
        d = fourier.sum_directions(p, [k])
        slow = fourier.cross_entropy((logits - d.T @ (d @ logits))[train], labels[train])
        assert fast[k - 1].item() == pytest.approx(slow.item(), rel=1e-12)
    whole = fourier.set_losses(logits[train], labels, train, coef, logits.mean(0), [2, 5], dirs)
    d = fourier.sum_directions(p, [2, 5])
    part = d.T @ (d @ logits)
    assert whole["excluded_loss"].item() == pytest.approx(
        fourier.cross_entropy((logits - part)[train], labels[train]).item(), rel=1e-12)
    assert whole["restricted_loss"].item() == pytest.approx(
        fourier.cross_entropy(part + logits.mean(0), labels).item(), rel=1e-12)


@pytest.mark.parametrize("num, den, claimed, verdict", [
    ([5, 3, 4, 6], [5, 3, 4, 6], "all", "PASS"),
    ([4, 3, 4, 6], [5, 3, 4, 6], "all", "UNDETERMINED"),   # short in one seed only: that seed decides
    ([4, 2, 3, 6], [5, 3, 4, 6], "all", "FAIL"),           # short in three seeds
    ([0, 0, 0, 0], [5, 3, 4, 6], "none", "PASS"),
    ([1, 0, 0, 0], [5, 3, 4, 6], "none", "UNDETERMINED"),
    ([0, 0, 0, 1], [0, 0, 0, 1], "all", "UNDETERMINED"),   # units from one seed: no interval over seeds
    ([1, 1, 1, 1], [1, 1, 1, 1], "at_least", "PASS"),
    ([1, 1, 0, 0], [1, 1, 1, 1], "at_least", "UNDETERMINED"),
    ([0, 0, 0, 0], [1, 1, 1, 1], "at_least", "FAIL"),
])
def test_counts_over_seeds_give_a_verdict_no_single_seed_decides(num, den, claimed, verdict):
    out = measure.over_seeds(num, den, claimed)
    assert out["verdict"] == verdict, out
    assert out["lo"] <= out["rate"] <= out["hi"] and f"{sum(num)} of {sum(den)}" in out["text"]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ckpt")
    proc = subprocess.run([sys.executable, "-m", "reproduce", "train", str(paths.TEST_CONFIGS / "grok_smoke.toml"),
                           "--out", str(out)], capture_output=True, text=True, cwd=paths.ROOT)
    assert proc.returncode == 0, proc.stderr
    return out, results.load("grok_smoke", out)


def test_checkpoints_lie_beside_the_results_and_recompute_the_recorded_numbers(smoke_run):
    """The end checkpoint reloads into a model whose train and test loss are the recorded ones exactly."""
    out, res = smoke_run
    files = sorted(p.name for p in (out / "grok_smoke.checkpoints").iterdir())
    run = res.runs[0]
    marks = [k for k, v in measure.phases(run).items() if np.isfinite(v)] + ["end"]
    assert files == sorted(f"{m}.pt" for m in marks)   # no sweep: the name alone
    model, a, b, labels, train, cfg, ckpt = load_checkpoint(out / "grok_smoke.checkpoints" / "end.pt")
    assert ckpt["config_hash"] == res.meta["config_hash"] and ckpt["epoch"] == cfg.epochs
    with torch.no_grad():
        logits = model(a, b).double()
    assert fourier.cross_entropy(logits[train], labels[train]).item() == run.train_loss[-1]
    assert fourier.cross_entropy(logits[~train], labels[~train]).item() == run.test_loss[-1]


def test_smoke_run_records_the_key_set_and_every_frequency(smoke_run):
    _, res = smoke_run
    run, cfg = res.runs[0], res.cfg
    K = (cfg.p - 1) // 2
    assert run.excluded_loss_freq.shape == (len(run.epoch), K) and np.all(run.excluded_loss_freq > 0)
    assert run.votes_key.shape == run.votes_final.shape == (K,)
    np.testing.assert_array_equal(run.key_freqs, fourier.key_freqs(run.votes_key, cfg.min_votes))
    np.testing.assert_array_equal(run.final_key_freqs, fourier.key_freqs(run.votes_final, cfg.min_votes))
    assert measure.key_epoch(run) in run.epoch
    states = measure.excluded_states(run, RULES, run.freq)
    assert {s["state"] for s in states.values()} <= {"bump", "rising", "flat"}
