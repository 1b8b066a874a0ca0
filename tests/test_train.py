"""The trainer: closed forms, batching, the span basis, the step grid."""
import numpy as np
import pytest
import torch

from reproduce.scurve import model, theory, train
from reproduce.scurve.config import SCurveConfig
from helpers import batch, dense_loss, replace, tiny


@pytest.mark.parametrize("N, init", [(1, "zeros"), (100, "gaussian")])
def test_scalar_and_vector_follow_closed_form(N, init):
    """L_t = L₀(1−η)^{2t} for order 1 (paper/spec/post.md, Q1), to 1e-10 relative."""
    cfg = SCurveConfig(order=1, rank=1, N=N, lr=0.1, steps=100, seeds=2, target="ones" if N == 1 else "unit",
                       init=init, init_std=0.1, record_points=101)
    (run,) = train.train_config(cfg)
    for loss in run["loss"]:
        np.testing.assert_allclose(loss, theory.gd_linear_loss(loss[0], cfg.lr, run["step"]), rtol=1e-10)


def test_batched_equals_one_by_one():
    cfg = tiny(order=3, rank=3, N=20, seeds=4, steps=200)
    (together,) = train.train_config(cfg)
    for i, seed in enumerate(range(cfg.seed, cfg.seed + cfg.seeds)):
        (alone,) = train.train_config(replace(cfg, seed=seed, seeds=1))
        for key in ("loss", "overlap", "norm"):
            np.testing.assert_allclose(alone[key][0], together[key][i], rtol=1e-12, atol=1e-300)


def test_sweep_members_batched_together_equal_separate_runs():
    cfg = replace(tiny(seeds=2), sweep={"init_std": [0.3, 0.03]})
    runs = train.train_config(cfg)
    for run, member in zip(runs, cfg.runs()):
        (alone,) = train.train_config(member)
        np.testing.assert_allclose(alone["loss"], run["loss"], rtol=1e-12, atol=1e-300)


def test_span_basis_training_equals_full_space_gd():
    """GD in the span coordinates equals plain GD on the full vectors with autograd (a few steps)."""
    cfg = tiny(order=2, rank=2, N=15, steps=20, record_points=21, seeds=2)
    (run,) = train.train_config(cfg)
    targets, learned = batch(cfg)
    weights = model.component_weights(cfg)
    losses = []
    for _ in range(cfg.steps + 1):
        leaves = [M.clone().requires_grad_(True) for M in learned]
        loss = dense_loss(targets, leaves, weights)
        losses.append(loss.detach())
        loss.sum().backward()
        learned = [M - cfg.lr * leaf.grad for M, leaf in zip(learned, leaves)]
    np.testing.assert_allclose(run["loss"], torch.stack(losses, 1).numpy(), rtol=1e-10)


def test_adam_option_trains():
    cfg = tiny(optimizer="adam", lr=0.05, steps=300)
    (run,) = train.train_config(cfg)
    assert np.all(run["loss"][:, -1] < 1e-2 * run["loss"][:, 0])


@pytest.mark.parametrize("steps, points", [(3000, 2), (3000, 3), (10, 200), (1, 1)])
def test_step_grid_always_holds_both_ends(steps, points):
    grid = train.step_grid(steps, points)
    assert grid[0] == 0 and grid[-1] == steps and len(grid) <= max(points, 2)


def test_step_grid_is_log_spaced_with_both_ends():
    grid = train.step_grid(3000, 200)
    assert grid[0] == 0 and grid[-1] == 3000 and np.all(np.diff(grid) > 0)
    ratios = grid[50:][1:] / grid[50:][:-1]
    assert ratios.max() < 1.1  # evenly spread on a log axis once steps are apart


def test_records_have_documented_shapes():
    cfg = tiny(order=3, rank=2, model_rank=3)
    (run,) = train.train_config(cfg)
    S = len(run["step"])
    assert run["loss"].shape == (3, S)
    assert run["overlap"].shape == (3, S, 3, 3, 2)
    assert run["norm"].shape == (3, S, 3, 3)


def test_runs_differing_in_target_weights_or_init_batched_together_are_bit_identical():
    """Those runs share one batch (BATCHABLE), with the weights one row per seed: each must be bit for bit
    what it is trained alone (products are per matrix), so batching never moves a baseline."""
    cfg = replace(tiny(rank=3, model_rank=2, seeds=2),
                  sweep={"target": ["unit", "orthonormal"], "weight_ratio": [1.0, 0.5],
                         "init": ["gaussian", "collision"]})
    runs = train.train_config(cfg)
    for run, member in zip(runs, cfg.runs()):
        (alone,) = train.train_config(member)
        for key in ("loss", "overlap", "norm", "weights", "target_gram"):
            np.testing.assert_array_equal(alone[key], run[key], err_msg=f"{key} of {member.target}, "
                                          f"{member.weight_ratio}, {member.init}")


def test_record_modes_adds_the_mode_overlaps_and_changes_nothing_else():
    from reproduce.scurve import modes
    cfg = tiny(rank=3, model_rank=2, seeds=2)
    (plain,) = train.train_config(cfg)
    (rec,) = train.train_config(replace(cfg, record_modes=True))
    assert set(rec) - set(plain) == {"mode_overlap"}
    for key in plain:
        np.testing.assert_array_equal(plain[key], rec[key])
    # measured from the vectors in the trainer, it equals the target overlaps mapped through the basis
    basis = modes.basis(rec["target_gram"], rec["weights"])
    np.testing.assert_allclose(rec["mode_overlap"], modes.mode_overlaps(rec["overlap"], basis), atol=1e-12)
    assert rec["mode_overlap"].shape == rec["overlap"].shape
