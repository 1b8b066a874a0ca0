"""Modular-addition grokking (paper/spec/grokking.md): a one-layer transformer learns a + b mod p from 30 % of the pairs.

    python -m reproduce train data/configs/figG_grokking.toml

The model of Nanda et al. (2023): tokens `a b =`, learned positional embeddings, one attention layer
(n_heads × d_head), a ReLU MLP (d_mlp), no LayerNorm, float32 weights. Training is full batch AdamW.
Only the `=` position reaches the loss, so `Transformer.forward` computes only there: one query, the MLP
and the unembedding for `=` alone, keys and values for all three positions (projected once per possible
token, then looked up). `full_forward`, the plain three-position pass, is the reference the tests
compare it with (equal logits and gradients).

A config's `[sweep] seed = [...]` trains one run per seed (weight init and train/test split both follow
the seed), in parallel processes of one thread each. Training stores a float32 copy of the weights at
every eval epoch (~0.9 MB each at p = 113); after
training, the key frequencies of the final model fix the restricted and excluded losses, which are then
measured on every stored copy (reproduce/fourier.py).
"""
from __future__ import annotations

import math
import multiprocessing
import os
import sys
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import config, fourier
from .errors import TrainingDiverged

# One thread. Both 1 and 2 threads gave bit-identical weights (40-epoch check), but on the shared 2-core
# machine two threads spin-wait as soon as any other job runs: measured 0.38-1.2 s/epoch against 0.08 for
# one thread under the same load; alone, one thread takes ~0.062 s/epoch (the MLP's matmuls dominate).
THREADS = 1
# Seeds train in parallel processes, one thread each (bit-identical to training them one after another):
# at most this many at once, the cores of the 2-core machine the time budget is set for.
PROCESSES = 2


@dataclass(frozen=True)
class GrokConfig:
    """a + b mod p with a one-layer transformer (paper/spec/grokking.md, "Setup")."""
    # task
    p: int = 113                    # modulus (prime); vocabulary p numbers plus `=`
    frac_train: float = 0.3         # share of the p² pairs in the training set
    # model
    d_model: int = 128
    n_heads: int = 4
    d_head: int = 32
    d_mlp: int = 512
    # optimiser: AdamW, full batch; step t uses lr·min(1, (t+1)/warmup)
    lr: float = 1e-3
    weight_decay: float = 1.0
    beta1: float = 0.9
    beta2: float = 0.98
    warmup: int = 10
    # training and recording
    epochs: int = 10_000            # one full-batch step per epoch
    eval_every: int = 100           # record (and keep a weight copy) every this many epochs ...
    log_points: int = 20            # ... plus this many log-spaced epochs below eval_every (log axes)
    key_frac: float = 0.5           # a neuron votes for its best frequency if it holds this share of its energy
    seed: int = 0                   # weight init and train/test split (one generator draws both)
    device: str = "cpu"
    sweep: dict = field(default_factory=dict)   # only `seed = [...]`: one run per seed
    family: str = "grokking"

    def __post_init__(self):
        config._positive(self, "p", "d_model", "n_heads", "d_head", "d_mlp", "lr", "epochs", "eval_every")
        if self.p < 3 or any(self.p % q == 0 for q in range(2, math.isqrt(self.p) + 1)):
            raise ValueError(f"p: must be an odd prime (the Fourier basis pairs cos/sin), got {self.p}")
        if not 0 < self.frac_train < 1:
            raise ValueError(f"frac_train: must be strictly between 0 and 1, got {self.frac_train}")
        if self.weight_decay < 0 or self.warmup < 0 or self.log_points < 0 or self.seed < 0:
            bad = next(n for n in ("weight_decay", "warmup", "log_points", "seed") if getattr(self, n) < 0)
            raise ValueError(f"{bad}: must be >= 0, got {getattr(self, bad)}")
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name}: must be in [0, 1), got {getattr(self, name)}")
        if not 0 < self.key_frac <= 1:
            raise ValueError(f"key_frac: must be in (0, 1], got {self.key_frac}")
        config._choice(self, device=config.DEVICES)
        if set(self.sweep) - {"seed"}:
            raise ValueError("sweep: the grokking family sweeps `seed` only; write one config per setting")
        if self.family != "grokking":
            raise ValueError(f"family: must be 'grokking', got {self.family!r}")

    def runs(self) -> list[GrokConfig]:
        return config.expand_sweep(self)


class Transformer(torch.nn.Module):
    """One layer, no LayerNorm; weights act on row vectors (x @ W), the init scales of Nanda et al."""

    def __init__(self, cfg: GrokConfig, gen: torch.Generator):
        super().__init__()
        p, d, hd, m = cfg.p, cfg.d_model, cfg.n_heads * cfg.d_head, cfg.d_mlp
        w = lambda *shape, fan: torch.nn.Parameter(torch.randn(*shape, generator=gen) / math.sqrt(fan))
        self.p, self.H, self.dh = p, cfg.n_heads, cfg.d_head
        self.W_E, self.W_pos = w(p + 1, d, fan=d), w(3, d, fan=d)
        self.W_Q, self.W_K, self.W_V, self.W_O = w(d, hd, fan=d), w(d, hd, fan=d), w(d, hd, fan=d), w(hd, d, fan=d)
        self.W_in, self.b_in = w(m, d, fan=d), torch.nn.Parameter(torch.zeros(m))
        self.W_out, self.b_out = w(d, m, fan=d), torch.nn.Parameter(torch.zeros(d))
        self.W_U = w(d, p, fan=p)

    def forward(self, a, b, return_acts=False):
        """Logits at `=` for the inputs `a b =`, shape (B, p); with return_acts also the MLP activations."""
        B, H, dh = len(a), self.H, self.dh
        x_eq = self.W_E[self.p] + self.W_pos[2]      # residual at `=` before attention: the same for all inputs
        x_a, x_b = self.W_E[:self.p] + self.W_pos[0], self.W_E[:self.p] + self.W_pos[1]
        q = (x_eq @ self.W_Q).view(H, dh)
        # Keys and values: project the p possible residuals of each position once, then look rows up
        # (the same numbers as projecting all 3B residuals). Scores of the one query against them:
        score = lambda x: ((x @ self.W_K).view(-1, H, dh) * q).sum(-1) / math.sqrt(dh)   # (rows, H)
        value = lambda x: (x @ self.W_V).view(-1, H, dh)
        att = torch.softmax(torch.stack([score(x_a).index_select(0, a), score(x_b).index_select(0, b),
                                         score(x_eq).expand(B, H)], dim=1), dim=1)   # (B, 3, H)
        z = (att[:, 0, :, None] * value(x_a).index_select(0, a) + att[:, 1, :, None] * value(x_b).index_select(0, b)
             + att[:, 2, :, None] * value(x_eq))                                     # (B, H, dh)
        r = x_eq + z.reshape(B, H * dh) @ self.W_O
        acts = torch.relu(F.linear(r, self.W_in, self.b_in))
        logits = (r + F.linear(acts, self.W_out, self.b_out)) @ self.W_U
        return (logits, acts) if return_acts else logits

    def full_forward(self, tokens):
        """The plain pass over all three positions with a causal mask; logits (B, 3, p). Reference only."""
        B, H, dh = tokens.shape[0], self.H, self.dh
        x = self.W_E[tokens] + self.W_pos
        q, k, v = ((x @ W).view(B, 3, H, dh).transpose(1, 2) for W in (self.W_Q, self.W_K, self.W_V))
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
        causal = torch.triu(torch.ones(3, 3, dtype=torch.bool, device=x.device), diagonal=1)
        att = torch.softmax(scores.masked_fill(causal, -torch.inf), dim=-1)
        x = x + (att @ v).transpose(1, 2).reshape(B, 3, H * dh) @ self.W_O
        x = x + F.linear(torch.relu(F.linear(x, self.W_in, self.b_in)), self.W_out, self.b_out)
        return x @ self.W_U


def dataset(cfg: GrokConfig, gen: torch.Generator):
    """Every pair, a-major (index a·p + b), labels (a + b) mod p, and a random train mask of frac_train."""
    p = cfg.p
    a, b = torch.arange(p).repeat_interleave(p), torch.arange(p).repeat(p)
    train = torch.zeros(p * p, dtype=torch.bool)
    train[torch.randperm(p * p, generator=gen)[:round(cfg.frac_train * p * p)]] = True
    return a, b, (a + b) % p, train


def eval_epochs(cfg: GrokConfig) -> np.ndarray:
    """Every eval_every-th epoch and the last one, plus `log_points` log-spaced epochs below eval_every.

    The early epochs do not depend on `epochs`, so a shorter run's evals are a subset of a longer one's.
    """
    early = np.geomspace(1, cfg.eval_every, cfg.log_points) if cfg.log_points else []
    regular = np.arange(0, cfg.epochs + 1, cfg.eval_every)
    epochs = np.union1d(np.union1d(regular, np.round(early)), [cfg.epochs])
    return epochs[epochs <= cfg.epochs].astype(np.int64)


def model_and_data(cfg: GrokConfig):
    """Model and data of a config, on its device: weights first, then the split, from one seeded generator."""
    gen = torch.Generator().manual_seed(cfg.seed)
    model = Transformer(cfg, gen)
    a, b, labels, train = dataset(cfg, gen)
    dev = torch.device(cfg.device)
    return model.to(dev), a.to(dev), b.to(dev), labels.to(dev), train.to(dev)


def remove_frequency(model, k: int):
    """Project frequency k's cos/sin directions out of the p number-token embeddings (the causal probe)."""
    F = fourier.basis(model.p)[[2 * k - 1, 2 * k]].to(model.W_E)     # (2, p), orthonormal rows
    with torch.no_grad():
        model.W_E[:model.p] -= F.T @ (F @ model.W_E[:model.p])


def train(cfg: GrokConfig, where: str = "config", ablate: tuple[int, int] | None = None):
    """Full-batch AdamW; returns the model and its weights (float32, CPU) at every eval epoch.

    ablate = (epoch, k): at the start of that epoch remove frequency k from the embedding, then go on.
    """
    model, a, b, labels, train_mask = model_and_data(cfg)
    a_tr, b_tr, y_tr = a[train_mask], b[train_mask], labels[train_mask]
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                            betas=(cfg.beta1, cfg.beta2), fused=cfg.device == "cpu" or None)
    warm = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / max(cfg.warmup, 1)))
    epochs, snapshots = eval_epochs(cfg), []
    bar = tqdm(total=cfg.epochs, desc=where, disable=not sys.stderr.isatty(), leave=False)
    for t in range(cfg.epochs + 1):
        if t == epochs[len(snapshots)]:
            snapshots.append({k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()})
            bar.update(t - bar.n)
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
    bar.close()
    return model, epochs, snapshots


@torch.no_grad()
def measure(cfg: GrokConfig, model, epochs, snapshots) -> dict:
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


def train_seed(cfg: GrokConfig, where: str = "config") -> dict:
    """One seed, trained and measured on one thread: a dict of arrays."""
    torch.set_num_threads(THREADS)
    torch.manual_seed(cfg.seed)   # nothing should draw from the global RNG; this pins it if something does
    model, epochs, snapshots = train(cfg, where)
    return measure(cfg, model, epochs, snapshots)


def _train_seed_args(args):
    return train_seed(*args)


def train_config(cfg: GrokConfig, where: str = "config") -> list[dict]:
    """The CLI entry (python -m reproduce train): one dict of arrays per seed of the sweep.

    Seeds are independent one-thread runs, so training them in PROCESSES parallel processes gives the
    same numbers as training them in turn; on CUDA (one device) they train in turn.
    """
    runs = [(run, f"{where} seed {run.seed}" if len(cfg.runs()) > 1 else where) for run in cfg.runs()]
    workers = min(len(runs), PROCESSES, os.cpu_count() or 1)
    if workers == 1 or cfg.device != "cpu":
        return [train_seed(*args) for args in runs]
    # spawn, not fork: a forked child inherits torch's OpenMP state, which can deadlock
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return pool.map(_train_seed_args, runs, chunksize=1)
