"""The grokking family's config: a + b mod p with a one-layer transformer (paper/spec/grokking.md, "Setup").

    python -m reproduce train data/configs/figG_grokking.toml

Read from TOML by `core.config.load`; imports no torch, so a bad file fails before anything trains.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ..core.config import DEVICES, check_choice, check_positive, expand_sweep

STUDY = "figG_grokking"  # the study's stem: data/configs/figG_grokking.toml, its results, the figG figures


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
    min_votes: int = 10             # a key frequency has at least this many votes (grokking/measure.py)
    same_lr_time: bool = False      # an lr sweep's runs train the same lr·epoch time (see `runs`)
    seed: int = 0                   # weight init and train/test split (one generator draws both)
    device: str = "cpu"
    sweep: dict = field(default_factory=dict)   # `seed = [...]` and `lr = [...]`: one run per combination
    family: str = "grokking"

    def __post_init__(self):
        check_positive(self, "p", "d_model", "n_heads", "d_head", "d_mlp", "lr", "epochs", "eval_every",
                       "min_votes")
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
        check_choice(self, device=DEVICES)
        if set(self.sweep) - {"seed", "lr"}:
            raise ValueError("sweep: the grokking family sweeps `seed` and `lr` only; write one config per "
                             "setting")
        if self.family != "grokking":
            raise ValueError(f"family: must be 'grokking', got {self.family!r}")

    def runs(self) -> list[GrokConfig]:
        """One config per sweep combination. With `same_lr_time`, `epochs` and `eval_every` are counted at
        the config's own `lr`, and a run at another lr trains the same lr·epoch time on the same lr·epoch
        grid (lr 3e-3 against 1e-3: a third of the epochs, evals every third as many)."""
        runs = expand_sweep(self)
        if not self.same_lr_time:
            return runs
        return [replace(r, epochs=round(self.epochs * self.lr / r.lr),
                        eval_every=max(1, round(self.eval_every * self.lr / r.lr))) for r in runs]


# Training time on the reference machine, from the config alone (core.config.load refuses a run above its
# limit before anything trains). Anchor: `make bench` (bench_grokking.csv, paper/docs/performance.md) on the
# reference machine (2 cores, one thread, torch 2.13.0 CPU, load average ≈ 2): 0.074 s per epoch of the
# study's model (this class's defaults). An epoch's cost scales with its multiply-adds (below); an eval
# epoch's measurement (a forward pass over all p² pairs, then the Fourier measures) costs ~1.5 epochs.
EPOCH_S = 0.074
MEASURE_EPOCHS = 1.5
START_S = 5.0            # spawning the seed processes, each importing torch
REFERENCE_PROCESSES = 2  # seeds train this many at a time on the reference machine (train.PROCESSES)


def epoch_macs(cfg: GrokConfig) -> int:
    """Multiply-adds of one forward pass of `=`-only training: keys and values once per token of the two
    input positions, then per training pair the attention output, the MLP and the unembedding."""
    hd = cfg.n_heads * cfg.d_head
    pairs = round(cfg.frac_train * cfg.p ** 2)
    return 4 * cfg.p * cfg.d_model * hd + pairs * (hd * cfg.d_model + 2 * cfg.d_model * cfg.d_mlp
                                                   + cfg.d_model * cfg.p)


def grok_seconds(cfg: GrokConfig) -> float:
    """Seconds the grokking trainer needs for a config on the reference machine (constants above)."""
    runs = cfg.runs()
    waves = -(-len(runs) // REFERENCE_PROCESSES)
    per_epoch = EPOCH_S * epoch_macs(cfg) / epoch_macs(GrokConfig())
    evals = max(run.epochs // run.eval_every + run.log_points + 2 for run in runs)  # ≥ train.eval_epochs
    return START_S + waves * (max(run.epochs for run in runs) + MEASURE_EPOCHS * evals) * per_epoch
