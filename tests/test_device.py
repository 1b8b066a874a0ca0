"""The GPU path: a tiny config trained on CUDA gives the CPU's numbers (skipped without a GPU).

cuBLAS and the CPU kernels round differently (~1e-16); a short run with no long plateau amplifies that
by far less than 1e4, hence 1e-12 (relative to each array's largest entry).
"""
import dataclasses

import numpy as np
import pytest
import torch

from reproduce.checks import bench
from reproduce.scurve import train
from reproduce.scurve.config import SCurveConfig

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_cuda_matches_cpu(optimizer):
    cfg = SCurveConfig(order=3, rank=2, N=10, lr=0.1 if optimizer == "gd" else 0.01, steps=200,
                              seeds=4, init_std=0.3, optimizer=optimizer, record_points=50)
    (cpu,) = train.train_config(cfg)
    (gpu,) = train.train_config(dataclasses.replace(cfg, device="cuda"))
    for key in ("loss", "overlap", "norm"):
        np.testing.assert_allclose(gpu[key], cpu[key], rtol=1e-12, atol=1e-12 * np.abs(cpu[key]).max(),
                                   err_msg=key)


def test_bench_runs_the_package_on_cuda():
    row = bench.compare("tiny", dict(order=2, rank=2, N=8, init_std=0.05, steps=100), 1, 100, device="cuda")
    assert row["device"] == "cuda" and row["max_rel_loss_diff"] <= bench.AGREE_RTOL
