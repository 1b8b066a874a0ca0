"""Modular-addition grokking (paper/spec/grokking.md): full-batch AdamW on 30 % of the pairs a + b mod p.

    python -m reproduce train data/configs/figG_grokking.toml

A config's `[sweep] seed = [...]` trains one run per seed (weight init and train/test split both follow
the seed), in parallel processes of one thread each. Training stores a float32 copy of the weights at
every eval epoch (~0.9 MB each at p = 113); after training, the key frequencies of the final model fix
the restricted and excluded losses, which are then measured on every stored copy (fourier.py).
"""
from __future__ import annotations

import multiprocessing
import os

import numpy as np
import torch

from ..core import progress
from ..core.errors import TrainingDiverged
from . import fourier
from .config import GrokConfig, grok_seconds
from .model import model_and_data, remove_frequency

# One thread. Both 1 and 2 threads gave bit-identical weights (40-epoch check), but on the shared 2-core
# machine two threads spin-wait as soon as any other job runs: measured 0.38-1.2 s/epoch against 0.08 for
# one thread under the same load; alone, one thread takes ~0.062 s/epoch (the MLP's matmuls dominate).
THREADS = 1
# Seeds train in parallel processes, one thread each (bit-identical to training them one after another):
# at most this many at once, the cores of the 2-core machine the time budget is set for.
PROCESSES = 2



def eval_epochs(cfg: GrokConfig) -> np.ndarray:
    """Every eval_every-th epoch and the last one, plus `log_points` log-spaced epochs below eval_every.

    The early epochs do not depend on `epochs`, so a shorter run's evals are a subset of a longer one's.
    """
    early = np.geomspace(1, cfg.eval_every, cfg.log_points) if cfg.log_points else []
    regular = np.arange(0, cfg.epochs + 1, cfg.eval_every)
    epochs = np.union1d(np.union1d(regular, np.round(early)), [cfg.epochs])
    return epochs[epochs <= cfg.epochs].astype(np.int64)


def train(cfg: GrokConfig, where: str = "config", ablate: tuple[int, int] | None = None, bar=None):
    """Full-batch AdamW; returns the model and its weights (float32, CPU) at every eval epoch.

    ablate = (epoch, k): at the start of that epoch remove frequency k from the embedding, then go on.
    `bar` (core.progress) counts the epochs; by default a bar of its own.
    """
    model, a, b, labels, train_mask = model_and_data(cfg)
    a_tr, b_tr, y_tr = a[train_mask], b[train_mask], labels[train_mask]
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                            betas=(cfg.beta1, cfg.beta2), fused=cfg.device == "cpu" or None)
    warm = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / max(cfg.warmup, 1)))
    epochs, snapshots = eval_epochs(cfg), []
    bar = progress.Bar(cfg.epochs, where, unit="epoch") if bar is None else bar
    for t in range(cfg.epochs + 1):
        if t == epochs[len(snapshots)]:
            snapshots.append({k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()})
        if t == cfg.epochs:
            break
        if ablate is not None and t == ablate[0]:
            remove_frequency(model, ablate[1])
        loss = fourier.cross_entropy(model(a_tr, b_tr), y_tr)   # float64 loss, see paper/spec/grokking.md
        if t == epochs[len(snapshots) - 1] and not torch.isfinite(loss):
            raise TrainingDiverged(f"{where}: training diverged (loss {loss.item():.3g}) at epoch {t}; lower 'lr'")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        warm.step()
        bar.update(1)
    return model, epochs, snapshots


@torch.no_grad()
def measure_snapshots(cfg: GrokConfig, model, epochs, snapshots) -> dict:
    """Every recorded metric at every eval epoch; key frequencies from the final weights."""
    _, a, b, labels, train = model_and_data(cfg)
    model.load_state_dict(snapshots[-1])
    _, acts = model(a, b, return_acts=True)
    best, frac = fourier.neuron_freqs(acts.view(cfg.p, cfg.p, -1))
    key = fourier.key_freqs(best, frac, cfg.key_frac)
    dev = a.device
    key_dirs = fourier.sum_directions(cfg.p, key).to(dev)
    each_dirs = [fourier.sum_directions(cfg.p, [k]).to(dev) for k in key]
    rows = []
    for snap in snapshots:
        model.load_state_dict(snap)
        logits = model(a, b).double()
        right = (logits.argmax(dim=1) == labels).double()
        rows.append(dict(
            train_loss=fourier.cross_entropy(logits[train], labels[train]),
            test_loss=fourier.cross_entropy(logits[~train], labels[~train]),
            train_acc=right[train].mean(), test_acc=right[~train].mean(),
            weight_norm=sum(v.double().pow(2).sum() for v in snap.values()),
            freq_norm=fourier.freq_norms(model.W_E[:cfg.p]),
            # the neuron-logit map W_out·W_U (d_mlp, p), its Fourier norms over the output residue
            logit_freq_norm=fourier.freq_norms((model.W_out.T @ model.W_U).T),
            **fourier.progress_measures(logits, labels, train, key_dirs, each_dirs)))
    out = {k: torch.stack([torch.as_tensor(r[k]).cpu() for r in rows]).numpy().astype(np.float64)
           for k in rows[0]}
    out.update(epoch=np.asarray(epochs), freq=np.arange(1, (cfg.p - 1) // 2 + 1), key_freqs=key,
               neuron_freq=best, neuron_frac=frac, train_mask=train.cpu().numpy())
    return out


def train_seed(cfg: GrokConfig, where: str = "config", bar=None) -> dict:
    """One seed, trained and measured on one thread: a dict of arrays."""
    torch.set_num_threads(THREADS)
    torch.manual_seed(cfg.seed)   # nothing should draw from the global RNG; this pins it if something does
    model, epochs, snapshots = train(cfg, where, bar=bar)
    return measure_snapshots(cfg, model, epochs, snapshots)


def _train_seed_args(args):
    return train_seed(*args, bar=progress.worker_bar())  # counts its epochs into the parent's bar


def train_config(cfg: GrokConfig, where: str = "config") -> list[dict]:
    """The CLI entry (python -m reproduce train): one dict of arrays per seed of the sweep.

    Seeds are independent one-thread runs, so training them in PROCESSES parallel processes gives the
    same numbers as training them in turn; on CUDA (one device) they train in turn.
    """
    runs = [(run, f"{where} seed {run.seed}" if len(cfg.runs()) > 1 else where) for run in cfg.runs()]
    workers = min(len(runs), PROCESSES, os.cpu_count() or 1)
    bar = progress.Bar(sum(run.epochs for run, _ in runs), where, unit="epoch",  # all seeds' epochs; the
                       estimate_s=grok_seconds(cfg))  # estimate is the ETA while the processes start
    if workers == 1 or cfg.device != "cpu":
        return [train_seed(*args, bar=bar) for args in runs]
    # spawn, not fork: a forked child inherits torch's OpenMP state, which can deadlock
    return progress.pool_map(multiprocessing.get_context("spawn"), workers, _train_seed_args, runs, bar)
