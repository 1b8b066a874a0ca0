"""Competition as an intervention (figT7): every bump of a run is restarted from the step where its curve
first reaches half its peak, once with every other learned pair frozen (kept in the model, no longer
updated) and once with them removed (paper/spec/thread.md, "Competition as an intervention").

    python -m reproduce train data/configs/figT7_competition.toml

The trainer of the "scurve_restart" family: it trains the config with the S-curve trainer (the same
numbers), keeps the learned vectors at every record step, finds the bumps with the one bump rule
(data/bump.toml [inner_product]) and runs all the restarts of the config in one batch.

Why one learned pair per restart: with the other pairs frozen, pair m follows the gradient of
½‖T − Σ_{m'≠m} ⊗_f ã_m'⁽ᶠ⁾ − ⊗_f ã_m⁽ᶠ⁾‖², i.e. it fits a target of the same form whose extra components
are the frozen pairs with weight −1; with them removed it fits T. So a restart is a k̃ = 1 run on
k + k̃ − 1 target components: the dynamics of masking the others' updates (equal to ~1e-14, tests/
test_restart.py), at a fraction of the cost, and all restarts of one span width run as one batch.

Results per run, besides the S-curve arrays: `bump` (R, 5) = (seed index, factor, learned m, target l,
record index of the restart), and `frozen`, `removed` (R, S): the bump's curve |⟨ã_m, a_l⟩| up to the
restart and the intervention's continuation after it.
"""
from __future__ import annotations

import numpy as np
import torch

from ..core import bumps as core_bumps
from . import model, train
from .measure import half_peak_restarts

THREADS = train.THREADS
INTERVENTIONS = ("frozen", "removed")


def lone_pair(run: dict, row, frozen: bool):
    """The restart of one bump as a single learned pair: (targets (n, D, k + k̃ − 1), weights, pair (n, D, 1)).

    Frozen: the other pairs become target components of weight −1; removed: components of weight 0."""
    b, _, m, _, h = (int(x) for x in row)
    state = run["states"][h, :, b]                                    # (n, D, k̃)
    others = torch.cat([state[..., :m], state[..., m + 1:]], dim=-1)
    weight = torch.full((others.shape[-1],), -1.0 if frozen else 0.0, dtype=state.dtype)
    targets = torch.cat([run["span_targets"][:, b], others if frozen else torch.zeros_like(others)], dim=-1)
    return targets, torch.cat([run["span_weights"][b], weight]), state[..., m:m + 1]


def _padded(x, shape):
    """x zero-padded at the end of every axis to `shape` (a wider span; more, weightless components)."""
    out = torch.zeros(shape, dtype=x.dtype)
    out[tuple(slice(0, s) for s in x.shape)] = x
    return out


@torch.inference_mode()
def continue_lone_pairs(targets, weights, pair, start, watch, lr, steps: int, grid) -> np.ndarray:
    """GD on one learned pair per row r from step start[r] to `steps`, step size lr[r]; returns
    |⟨ã⁽ᶠ⁾, a_l⁽ᶠ⁾⟩| with (f, l) = watch[r] at every grid step after the start, NaN elsewhere: (R, S).

    targets (n, R, D, K) with weights (R, K); pair (n, R, D, 1), updated in place."""
    weighted = targets * weights[:, None, :]
    at = np.full(steps + 1, -1)
    at[grid] = np.arange(len(grid))
    out = np.full((len(start), len(grid)), np.nan)
    f, l = torch.as_tensor(watch[:, 0]), torch.as_tensor(watch[:, 1])
    rows, rate = torch.arange(len(start)), torch.as_tensor(lr, dtype=pair.dtype)[None, :, None, None]
    last = steps - int(start.min())
    for i in range(last + 1):
        g_mt, g_mm = model.grams(targets, pair)
        if i:
            hit = np.nonzero(start + i <= steps)[0]
            hit = hit[at[start[hit] + i] >= 0]
            if len(hit):
                sel = torch.as_tensor(hit)
                out[hit, at[start[hit] + i]] = g_mt[f[sel], rows[sel], 0, l[sel]].abs().numpy()
        if i < last:
            pair.add_(model.neg_grads(weighted, pair, g_mt, g_mm) * rate)
    return out


def intervene(runs: list[dict], cfgs, rule) -> None:
    """Find every bump of every run and add its `bump`, `frozen` and `removed` arrays (see module doc).
    Runs that share steps, record grid and span width are restarted in one batch."""
    rows = [half_peak_restarts(run["overlap"], rule) for run in runs]
    batches: dict[tuple, list] = {}
    for i, (run, cfg) in enumerate(zip(runs, cfgs)):
        # one batch per span width too: padding a k̃ = 2 restart to k̃ = 8's width would double its work
        key = (cfg.steps, tuple(run["step"]), run["span_targets"].shape[-2], run["states"].shape[-1])
        batches.setdefault(key, []).extend((i, frozen, r) for frozen in (True, False) for r in range(len(rows[i])))
    cont: dict[tuple, np.ndarray] = {}
    for (steps, grid, _, _), pieces in batches.items():
        if not pieces:
            continue
        parts = [lone_pair(runs[i], rows[i][r], frozen) for i, frozen, r in pieces]
        n, D = parts[0][0].shape[0], max(p[0].shape[1] for p in parts)
        K = max(p[0].shape[2] for p in parts)
        targets = torch.stack([_padded(t, (n, D, K)) for t, _, _ in parts], dim=1)
        weights = torch.stack([_padded(w, (K,)) for _, w, _ in parts])
        pair = torch.stack([_padded(p, (n, D, 1)) for _, _, p in parts], dim=1).clone()
        start = np.array([grid[rows[i][r][4]] for i, _, r in pieces])
        watch = np.array([rows[i][r][[1, 3]] for i, _, r in pieces])
        lr = np.array([cfgs[i].lr for i, _, _ in pieces])
        got = continue_lone_pairs(targets, weights, pair, start, watch, lr, steps, np.array(grid))
        cont.update({piece: got[p] for p, piece in enumerate(pieces)})
    for i, run in enumerate(runs):
        b, f, m, l, h = rows[i].T
        for frozen, name in ((True, "frozen"), (False, "removed")):
            curve = np.abs(run["overlap"][b, :, f, m, l])
            for r in range(len(rows[i])):
                curve[r, h[r] + 1:] = cont[(i, frozen, r)][h[r] + 1:]
            run[name] = curve
        run["bump"] = rows[i]


def train_config(cfg, where: str = "config", progress=None) -> list[dict]:
    """Train the config (the S-curve trainer, keeping the states), then restart every bump."""
    rules = core_bumps.load_rules()
    runs = train.train_config(cfg, where, progress=progress, keep_states=True)
    intervene(runs, cfg.runs(), rules.inner_product)
    for run in runs:
        for key in ("states", "span_targets", "span_weights"):
            del run[key]
    return runs
