"""Competition as an intervention (reproduce/scurve/restart.py): restarts at half peak with the other
learned pairs frozen or removed."""
import numpy as np
import torch

from reproduce.core import bumps
from reproduce.scurve import measure, model, restart, train
from reproduce.scurve.config import RestartConfig
from helpers import replace, tiny

RULE = bumps.load_rules().inner_product


def _masked_continuation(run, row, steps, lr, frozen):
    """The reference the lone-pair restart must equal: the full model from the restart state, every other
    pair's update masked out (frozen) or the other pairs zeroed (removed); |⟨ã_m⁽ᶠ⁾, a_l⁽ᶠ⁾⟩| per step."""
    b, f, m, l, h = (int(x) for x in row)
    learned = run["states"][h, :, b:b + 1].clone()
    targets = run["span_targets"][:, b:b + 1]
    weighted = targets * run["span_weights"][b]
    mask = torch.zeros(learned.shape[-1], dtype=learned.dtype)
    mask[m] = 1
    if not frozen:
        learned = learned * mask
    out = []
    for _ in range(steps - int(run["step"][h])):
        g_mt, g_mm = model.grams(targets, learned)
        learned = learned + lr * model.neg_grads(weighted, learned, g_mt, g_mm) * mask
        out.append(float(model.grams(targets, learned)[0][f, 0, m, l].abs()))
    return np.array(out)


def test_a_lone_pair_on_the_residual_target_is_the_masked_update():
    cfg = tiny(rank=3, model_rank=3, N=15, steps=300, record_points=301, seeds=4, init_std=0.01)
    (run,) = train.train_config(cfg, keep_states=True)
    rows = measure.half_peak_restarts(run["overlap"], RULE)
    assert len(rows) > 0, "the test config must bump"
    restart.intervene([run], [cfg], RULE)
    for r, row in enumerate(rows[:4]):
        h = row[4]
        for name, frozen in (("frozen", True), ("removed", False)):
            ref = _masked_continuation(run, row, cfg.steps, cfg.lr, frozen)
            np.testing.assert_allclose(run[name][r, h + 1:], ref, rtol=1e-10, atol=1e-14)
            np.testing.assert_array_equal(run[name][r, :h + 1], np.abs(run["overlap"][row[0], :h + 1, row[1],
                                                                                      row[2], row[3]]))


def test_with_no_other_pair_both_restarts_continue_the_run_itself():
    """k̃ = 1: nothing to freeze or remove, so both continuations are the trained curve (a check on the
    restart state, the start step and the recording grid)."""
    cfg = tiny(rank=4, model_rank=1, N=20, steps=400, record_points=80, seeds=6, init_std=0.01,
               weight_ratio=0.9, target="orthonormal")
    (run,) = train.train_config(cfg, keep_states=True)
    restart.intervene([run], [cfg], RULE)
    assert len(run["bump"]) > 0
    b, f, m, l, _ = run["bump"].T
    trained = np.abs(run["overlap"][b, :, f, m, l])
    for name in restart.INTERVENTIONS:
        np.testing.assert_allclose(run[name], trained, rtol=1e-10, atol=1e-14)


def test_half_peak_is_the_first_point_of_the_rise_at_half_the_peak():
    t = np.arange(50.0)
    curve = np.where(t < 20, 0.01 * 1.3 ** t, 0.01 * 1.3 ** 20 * 0.9 ** (t - 20))  # rises to ~1.9, falls
    overlap = np.zeros((1, 50, 2, 1, 1))
    overlap[0, :, 0, 0, 0] = curve
    (row,) = measure.half_peak_restarts(overlap, RULE)
    peak = curve.max()
    assert tuple(row[:4]) == (0, 0, 0, 0)
    assert curve[row[4]] >= peak / 2 > curve[row[4] - 1]


def test_a_bump_needs_the_others_exactly_when_its_continuation_no_longer_falls():
    """The predicate figT7 counts, on made curves: a continuation that still falls keeps the bump (made to
    not need the others); one that stays at its peak loses it (made to need them)."""
    t = np.arange(60.0)
    rise = 0.01 * 1.25 ** np.minimum(t, 25)
    falls = np.where(t <= 25, rise, rise[25] * 0.95 ** (t - 25))
    stays = rise.copy()
    still = bumps.bump_peaks(np.stack([falls, stays]), RULE)[0]
    assert list(still) == [True, False]


def test_a_restart_config_refuses_adam():
    import pytest
    with pytest.raises(ValueError, match="optimizer"):
        RestartConfig(order=2, rank=2, N=5, lr=0.1, steps=5, seeds=1, optimizer="adam")


def test_restart_results_hold_the_documented_arrays():
    cfg = replace(RestartConfig(order=2, rank=3, N=15, lr=0.1, steps=300, seeds=3, init_std=0.01,
                                record_points=60), sweep={"model_rank": [2, 3]})
    runs = restart.train_config(cfg)
    for run in runs:
        R = len(run["bump"])
        S = len(run["step"])
        assert run["bump"].shape == (R, 5) and run["frozen"].shape == run["removed"].shape == (R, S)
        assert not {"states", "span_targets", "span_weights"} & set(run)
