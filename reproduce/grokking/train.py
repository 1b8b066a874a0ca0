"""Modular-addition grokking (paper/spec/grokking.md): full-batch AdamW on 30 % of the pairs a + b mod p.

    python -m reproduce train data/configs/figG_grokking.toml

A config's `[sweep] seed = [...]` trains one run per seed (weight init and train/test split both follow
the seed), in parallel processes of one thread each (`lr = [...]` too, for the learning-rate comparison).
Training stores a float32 copy of the weights at every eval epoch (~0.9 MB each at p = 113); after
training every copy is measured (measure_snapshots), and the copies at the phase boundaries and the end
are kept as checkpoints beside the results.
"""
from __future__ import annotations

import multiprocessing
import os
from types import SimpleNamespace

import numpy as np
import torch

from ..core import progress
from ..core.errors import TrainingDiverged
from . import fourier
from .config import GrokConfig, grok_seconds
from .model import model_and_data, remove_frequency
from .phases import key_eval, phases

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
    """Every recorded metric at every eval epoch, the key frequencies, and the weights to keep.

    First pass, every eval: losses, accuracies, norms, and the excluded loss of every frequency alone
    (`excluded_loss_freq`, (evals, K)). Then the phases fix the key eval (phases.KEY_PHASE); the neuron
    votes there and at the end give `key_freqs` (≥ min_votes votes) and `final_key_freqs`, and the
    restricted and excluded losses of the key set follow from the coefficients kept in the first pass.
    `checkpoints`: the weights at each phase boundary and at the end (core/results.py writes them).
    """
    _, a, b, labels, train = model_and_data(cfg)
    p, K = cfg.p, (cfg.p - 1) // 2
    dirs = fourier.sum_directions(p, range(1, K + 1)).to(a.device)
    train_dirs, train_labels = dirs[:, train], labels[train]
    rows, kept = [], []
    for snap in snapshots:
        model.load_state_dict(snap)
        logits = model(a, b).double()
        coef = fourier.coefficients(logits, dirs)
        right = (logits.argmax(dim=1) == labels).double()
        rows.append(dict(
            train_loss=fourier.cross_entropy(logits[train], train_labels),
            test_loss=fourier.cross_entropy(logits[~train], labels[~train]),
            train_acc=right[train].mean(), test_acc=right[~train].mean(),
            weight_norm=sum(v.double().pow(2).sum() for v in snap.values()),
            freq_norm=fourier.freq_norms(model.W_E[:cfg.p]),
            # the neuron-logit map W_out·W_U (d_mlp, p), its Fourier norms over the output residue
            logit_freq_norm=fourier.freq_norms((model.W_out.T @ model.W_U).T),
            excluded_loss_freq=fourier.excluded_losses(logits[train], train_labels, train_dirs, coef)))
        kept.append((coef, logits.mean(dim=0), logits[train].float()))  # float32 logits: lossless
    out = {k: torch.stack([torch.as_tensor(r[k]).cpu() for r in rows]).numpy().astype(np.float64)
           for k in rows[0]}
    out.update(epoch=np.asarray(epochs), freq=np.arange(1, K + 1), train_mask=train.cpu().numpy())
    ph = phases(SimpleNamespace(**out))
    key_i = key_eval(out["epoch"], ph)
    for name, i in (("votes_key", key_i), ("votes_final", len(epochs) - 1)):
        model.load_state_dict(snapshots[i])
        _, acts = model(a, b, return_acts=True)
        best, frac = fourier.neuron_freqs(acts.view(p, p, -1))
        out[name] = fourier.votes(best, frac, cfg.key_frac, K)
    out.update(neuron_freq=best, neuron_frac=frac, key_freqs=fourier.key_freqs(out["votes_key"], cfg.min_votes),
               final_key_freqs=fourier.key_freqs(out["votes_final"], cfg.min_votes))
    sets = [fourier.set_losses(tr.double(), labels, train, coef, mean, out["key_freqs"], dirs)
            for coef, mean, tr in kept]
    out.update({k: np.array([float(s[k]) for s in sets]) for k in sets[0]})
    marks = {name: at for name, at in ph.items() if np.isfinite(at)} | {"end": float(epochs[-1])}
    out["checkpoints"] = {name: {"epoch": int(at), "state_dict": snapshots[int(np.searchsorted(epochs, at))]}
                          for name, at in marks.items()}
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
    label = lambda r: " ".join([where] + [f"{k} {getattr(r, k):g}" for k in cfg.sweep])  # noqa: E731
    runs = [(run, label(run)) for run in cfg.runs()]
    workers = min(len(runs), PROCESSES, os.cpu_count() or 1)
    bar = progress.Bar(sum(run.epochs for run, _ in runs), where, unit="epoch",  # all seeds' epochs; the
                       estimate_s=grok_seconds(cfg))  # estimate is the ETA while the processes start
    if workers == 1 or cfg.device != "cpu":
        return [train_seed(*args, bar=bar) for args in runs]
    # spawn, not fork: a forked child inherits torch's OpenMP state, which can deadlock
    return progress.pool_map(multiprocessing.get_context("spawn"), workers, _train_seed_args, runs, bar)
