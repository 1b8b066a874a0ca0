"""Small helpers shared by the tests: tiny configs and a dense reference written the obvious way."""
import dataclasses

import torch

from reproduce.scurve import model
from reproduce.scurve.config import SCurveConfig


def tiny(**overrides) -> SCurveConfig:
    base = dict(order=2, rank=2, N=12, lr=0.1, steps=60, seeds=3, init_std=0.1, record_points=30)
    return SCurveConfig(**{**base, **overrides})


def batch(cfg, seeds=None):
    """Targets and inits of `seeds` stacked on a batch axis, as train_config does."""
    draws = [model.sample(cfg, s) for s in (seeds if seeds is not None else range(cfg.seed, cfg.seed + cfg.seeds))]
    return ([torch.stack([d[0][f] for d in draws]) for f in range(cfg.order)],
            [torch.stack([d[1][f] for d in draws]) for f in range(cfg.order)])


def dense_loss(targets, learned, weights):
    """½‖T − T̃‖² from the full N^n tensors (the reference the Gram form must equal)."""
    T = model.dense(targets, weights)
    M = model.dense(learned)
    return 0.5 * (T - M).pow(2).flatten(1).sum(1)


def replace(cfg, **kw):
    return dataclasses.replace(cfg, **kw)
