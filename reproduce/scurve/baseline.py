"""The obvious implementation, kept as the yardstick for `python -m reproduce.checks.bench`.

One seed at a time: build the dense N^n target and model tensors from outer products, take the loss
½‖T − T̃‖², let autograd find the gradient, and step plain GD in a Python loop. Float64. It draws the
same targets and inits as the package (`model.sample`), so its loss curve must match the trainer's.
"""
from __future__ import annotations

import functools

import torch

from . import model


def outer(vectors) -> torch.Tensor:
    """v⁽¹⁾ ⊗ v⁽²⁾ ⊗ … ⊗ v⁽ⁿ⁾ as a dense N^n tensor."""
    return functools.reduce(lambda x, v: torch.tensordot(x, v, dims=0), vectors)


def tensor(factors, weights=None) -> torch.Tensor:
    """Σ_c w_c ⊗_f x_c⁽ᶠ⁾ from factors of shape (N, components), one outer product per component."""
    total = 0
    for c in range(factors[0].shape[1]):
        term = outer([x[:, c] for x in factors])
        total = total + (term if weights is None else weights[c] * term)
    return total


def train_seed(cfg, seed: int, steps: int | None = None) -> list[float]:
    """The loss ½‖T − T̃‖² at steps 0 … `steps` (default cfg.steps) of plain GD on one seed."""
    steps = cfg.steps if steps is None else steps
    targets, learned = model.sample(cfg, seed)
    T = tensor(targets, model.component_weights(cfg))
    params = [M.clone().requires_grad_(True) for M in learned]
    losses = []
    for t in range(steps + 1):
        loss = 0.5 * (T - tensor(params)).pow(2).sum()
        losses.append(loss.item())
        if t == steps:
            break
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= cfg.lr * p.grad
                p.grad = None
    return losses
