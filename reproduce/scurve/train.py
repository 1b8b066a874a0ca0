"""One trainer for every S-curve figure: full-batch GD (or Adam) on every seed of a run at once.

    python -m reproduce train data/configs/fig03_rank1_loss.toml
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from . import model
from . import modes as mode_basis
from .config import BATCHABLE
from ..core.errors import TrainingDiverged
from ..core.progress import Bar

THREADS = 1  # tiny batched matmuls: one thread is fastest and makes every reduction order fixed
DIVERGENCE_FACTOR = 1e6  # a loss this many times its start means the step size is too large
# Runs differing only in these train in one batch (config.BATCHABLE, where the time estimate reads it too).
BAR_EVERY = 16  # steps between progress-bar updates besides the recorded steps (late ones are sparse)


def step_grid(steps: int, points: int) -> np.ndarray:
    """Log-spaced record steps: always 0 and `steps`, every early step, at most `points` in all."""
    if points > steps:
        return np.arange(steps + 1)
    if points <= 2:
        return np.array([0, steps])
    grid = np.unique(np.round(np.geomspace(1, steps, points - 1)).astype(np.int64))
    return np.concatenate([[0], grid])


def _dtype(cfg):
    return getattr(torch, cfg.dtype)


@torch.inference_mode()  # no autograd bookkeeping: a step is ~10 tiny ops, so per-op overhead counts
def train_batch(cfg, targets, learned, weights, desc="train", progress=None, to_mode=None,
                keep_states=False, bar=None):
    """Train one batch; targets/learned are per-factor lists (or stacks) of (batch, N, ·) tensors and
    `weights` the s_l, (k,) or one row per batch element (batch, k).

    `progress(step, steps)`, if given, is called at every recorded step (the explorer's progress bar).
    `bar` (core.progress.Bar) counts the steps, with an ETA; by default one of its own.
    `to_mode` (batch, 2, k, k) (scurve.modes.Modes.to_mode): also record every learned vector's overlap
    with the modes of T, u_j = Σ_l a_l to_mode[·, 0, l, j] (factor 1) and v_j likewise (factor 2).
    `keep_states`: also keep the learned vectors at every record step (scurve/restart.py restarts from them).

    Returns a dict of numpy arrays on the log grid: step (S,), loss (B, S), overlap (B, S, n, k̃, k), norm
    (B, S, n, k̃), with to_mode also mode_overlap (B, S, n, k̃, k); with keep_states also the tensors
    states (S, n, B, D, k̃), span_targets (n, B, D, k) in the coordinates training ran in.
    """
    grid = step_grid(cfg.steps, cfg.record_points)
    record = grid.tolist()  # Python ints: the per-step `t == record[r]` test stays cheap
    # Factors stacked as (n, B, ·, ·) tensors: one call per product for all factors (see model.stacked).
    targets, learned = model.stacked(targets), model.stacked(learned)
    if cfg.optimizer == "gd":
        targets, learned = model.to_span(targets, learned)  # exact for GD, see model.to_span
    if weights.dim() == 2:
        weights = weights[:, None, :]  # (B, 1, k): broadcasts over each seed's coordinates
    weighted = targets * weights
    opt = torch.optim.Adam([learned], lr=cfg.lr) if cfg.optimizer == "adam" else None
    B, n, k, km = targets.shape[1], cfg.order, cfg.rank, cfg.k_model
    loss = torch.empty(B, len(grid), dtype=targets.dtype, device=targets.device)
    overlap = torch.empty(B, len(grid), n, km, k, dtype=loss.dtype, device=loss.device)
    norm = torch.empty(B, len(grid), n, km, dtype=loss.dtype, device=loss.device)
    if to_mode is not None:
        modes = targets @ to_mode.to(targets).transpose(0, 1)  # (n, B, D, k): u_j, v_j in training coordinates
        mode_overlap = torch.empty_like(overlap)
    states = torch.empty((len(grid),) + learned.shape, dtype=loss.dtype) if keep_states else None
    bar = Bar(cfg.steps, desc) if bar is None else bar
    done = bar.n
    r = 0
    for t in range(cfg.steps + 1):
        g_mt, g_mm = model.grams(targets, learned)
        if t == record[r]:
            loss[:, r] = model.exact_loss(targets, learned, weights)
            overlap[:, r] = g_mt.transpose(0, 1)
            norm[:, r] = torch.diagonal(g_mm, dim1=-2, dim2=-1).transpose(0, 1).sqrt()
            if to_mode is not None:
                mode_overlap[:, r] = (learned.mT @ modes).transpose(0, 1)
            if keep_states:
                states[r] = learned
            r += 1
            if progress is not None:
                progress(t, cfg.steps)
        if t % BAR_EVERY == 0 or t == cfg.steps:
            bar.update_to(done + t)
        if t == cfg.steps:
            break
        grads = model.neg_grads(weighted, learned, g_mt, g_mm)
        if opt is None:
            learned.add_(grads, alpha=cfg.lr)
        else:
            learned.grad = -grads
            opt.step()
    out = dict(step=grid, loss=loss.cpu().numpy(), overlap=overlap.cpu().numpy(), norm=norm.cpu().numpy())
    if to_mode is not None:
        out["mode_overlap"] = mode_overlap.cpu().numpy()
    if keep_states:
        out.update(states=states.cpu(), span_targets=targets.cpu())
    return out


def check_finite(where: str, grid, loss, seeds):
    """Raise TrainingDiverged naming the seed and step where the loss first blew up."""
    bad = ~np.isfinite(loss) | (loss > DIVERGENCE_FACTOR * np.maximum(loss[:, :1], 1e-300))
    if bad.any():
        b, s = np.argwhere(bad)[np.argmin(np.argwhere(bad)[:, 1])]
        raise TrainingDiverged(f"{where}: training diverged (loss {loss[b, s]:.3g}) at step {grid[s]} "
                               f"for seed {seeds[b]}; lower 'lr'")


def _group_key(run):
    return tuple((f.name, repr(getattr(run, f.name))) for f in dataclasses.fields(run)
                 if f.name not in BATCHABLE)


def train_config(cfg, where: str = "config", progress=None, keep_states=False) -> list[dict]:
    """Train every run of a config (its sweep); runs that differ only in BATCHABLE keys share a batch.

    `progress(step, steps)` is passed to train_batch for every batch, and `keep_states` too (the restarts of
    scurve/restart.py: each run's dict then also holds its states, span_targets and span_weights); one
    progress bar counts the steps of all batches.
    """
    torch.set_num_threads(THREADS)
    runs = cfg.runs()
    groups: dict[tuple, list[int]] = {}
    for i, run in enumerate(runs):
        groups.setdefault(_group_key(run), []).append(i)
    out: list[dict] = [{} for _ in runs]
    bar = Bar(sum(runs[members[0]].steps for members in groups.values()), where)
    for members in groups.values():
        first = runs[members[0]]
        seeds, draws, rows = [], [], []
        for i in members:
            for s in range(runs[i].seed, runs[i].seed + runs[i].seeds):
                seeds.append(s)
                draws.append(model.sample(runs[i], s))
                rows.append(model.component_weights(runs[i]))
        dev, dt = torch.device(first.device), _dtype(first)
        stack = lambda which, f: torch.stack([d[which][f] for d in draws]).to(dev, dt)
        targets = [stack(0, f) for f in range(first.order)]
        learned = [stack(1, f) for f in range(first.order)]
        weights = torch.stack(rows)  # (B, k): one row per seed, float64 on the CPU
        gram = torch.stack([torch.stack([A.mT @ A for A in d[0]]) for d in draws]).numpy()
        to_mode = None
        if first.record_modes:
            to_mode = torch.as_tensor(mode_basis.basis(gram, weights.numpy()).to_mode)
        got = train_batch(first, targets, learned, weights.to(dev, dt), desc=where, progress=progress,
                          to_mode=to_mode, keep_states=keep_states, bar=bar)
        check_finite(where, got["step"], got["loss"], seeds)
        start = 0
        for i in members:
            sl = slice(start, start + runs[i].seeds)
            start += runs[i].seeds
            out[i] = dict(step=got["step"], seed=np.array(seeds[sl]), loss=got["loss"][sl],
                          overlap=got["overlap"][sl], norm=got["norm"][sl], target_gram=gram[sl],
                          weights=weights[sl.start].to(dt).numpy())
            if to_mode is not None:
                out[i]["mode_overlap"] = got["mode_overlap"][sl]
            if keep_states:
                out[i].update(states=got["states"][:, :, sl], span_targets=got["span_targets"][:, sl],
                              span_weights=weights[sl].to(dt))
    return out
