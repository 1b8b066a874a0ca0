"""The bench's correctness check: the obvious baseline (dense N^n tensors, autograd, one seed at a time)
and the trainer (batched, span basis, Gram-form gradients) give the same loss curves.

Speed is measured by `make bench`, never here: these tests only guard what the bench compares.
"""
import numpy as np
import pytest
import torch

from reproduce.checks import bench
from reproduce.scurve import baseline, model, train

SEEDS = 2


@pytest.mark.parametrize("settings", [
    dict(order=1, rank=1, N=7, init_std=0.3, steps=60),      # vector: exponential, no plateau
    dict(order=2, rank=3, N=9, init_std=0.05, steps=300),    # matrix: S-curves through saddles
    dict(order=3, rank=2, N=5, init_std=0.3, steps=300),     # order-3 tensor
], ids=["order1", "order2", "order3"])
def test_baseline_matches_trainer(settings):
    cfg = bench.case_config(settings, seeds=SEEDS)
    (run,) = train.train_config(cfg)
    curves = np.array([baseline.train_seed(cfg, seed) for seed in range(SEEDS)])
    assert curves.shape == (SEEDS, cfg.steps + 1)
    assert run["loss"][:, -1].max() < 1e-3 * run["loss"][:, 0].min()  # the curves do drop
    assert bench.max_rel_diff(run, curves) <= bench.AGREE_RTOL


def test_check_catches_a_different_run():
    """The comparison is not vacuous: a baseline with a 1 % larger step size fails it."""
    settings = dict(order=2, rank=2, N=8, init_std=0.05, steps=200)
    cfg = bench.case_config(settings, seeds=1)
    (run,) = train.train_config(cfg)
    curves = np.array([baseline.train_seed(bench.case_config({**settings, "lr": 0.101}, seeds=1), 0)])
    assert bench.max_rel_diff(run, curves) > 1e-4


def test_baseline_steps_and_truncation():
    """A baseline run shorter than the trainer's is compared on the steps it covers only."""
    cfg = bench.case_config(dict(order=2, rank=1, N=6, init_std=0.1, steps=100), seeds=1)
    (run,) = train.train_config(cfg)
    short = np.array([baseline.train_seed(cfg, 0, steps=20)])
    assert short.shape == (1, 21)
    assert bench.max_rel_diff(run, short) <= bench.AGREE_RTOL


def test_recorded_loss_in_span_coordinates_stays_accurate():
    """The trainer records exact_loss on span coordinates, where it skips its own QR: the loss must still
    match the dense N^n one far below where the Gram form has no correct digit (L ~ 1e-18)."""
    cfg = bench.case_config(dict(order=2, rank=2, N=30, init_std=0.1, steps=1), seeds=3)
    draws = [model.sample(cfg, seed) for seed in range(cfg.seeds)]
    targets = torch.stack([torch.stack([d[0][f] for d in draws]) for f in range(cfg.order)])
    noise = torch.randn(targets.shape, generator=torch.Generator().manual_seed(0), dtype=targets.dtype)
    learned = targets + 1e-9 * noise
    weights = model.component_weights(cfg)
    dense = 0.5 * (model.dense(targets, weights) - model.dense(learned)).pow(2).flatten(1).sum(1)
    assert dense.max() < 1e-15
    span_targets, span_learned = model.to_span(targets, learned)
    assert span_targets.shape[-2] == 2 * cfg.rank  # k + k̃ rows instead of N: no QR inside exact_loss
    torch.testing.assert_close(model.exact_loss(span_targets, span_learned, weights), dense,
                               rtol=1e-6, atol=0)


def test_pipeline_parts_read_off_the_make_log():
    """The fresh `make all` row is split where the test run starts; training times are what `reproduce
    train` printed, found even when another job's progress bar shares the line."""
    from reproduce.checks import bench_pipeline
    log = [(0.5, ".venv/bin/python -m reproduce train data/configs/figG_grokking.toml"),
           (9.0, "seeds:  50%|#####     | 2/4\rtrained fig01_scalar: 1 run(s), 3.5 s -> data/results/fig01_scalar.npz"),
           (480.0, "trained figG_grokking: 4 run(s), 470.2 s -> data/results/figG_grokking.npz"),
           (600.0, "python -m pytest"), (700.0, "350 passed")]
    rows = {row["stage"].split(": ", 1)[1]: row["seconds"] for row in bench_pipeline.parts(log, total=800.0)}
    assert rows["train, figures, claims, report (2 jobs)"] == 600.0
    assert rows["the test suite"] == 200.0
    assert rows["training figG_grokking (its own clock)"] == 470.2
    assert rows["training the 1 S-curve configs (their clocks, summed)"] == 3.5


def test_pipeline_targets_fail_on_a_slow_or_failed_stage(capsys):
    from reproduce.checks import bench_pipeline
    ok = dict(stage="make all, fresh", seconds=800.0, status="ok")
    assert bench_pipeline.report([ok])
    assert not bench_pipeline.report([dict(ok, seconds=901.0)])
    assert not bench_pipeline.report([dict(ok, status="failed (rc 2): 1 failed")])
    assert "MISSED" in capsys.readouterr().out
