"""The S-curve family's config: target T = Σ_l s_l a_l⁽¹⁾⊗…⊗a_l⁽ⁿ⁾ learned by T̃ = Σ_m ã_m⁽¹⁾⊗…⊗ã_m⁽ⁿ⁾.

Read from TOML by `core.config.load` (a config file is the whole run, see data/configs/); this module
imports no torch, so every file is checked before training starts.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..core.config import DEVICES, check_choice, check_positive, expand_sweep

# Valid choices of the string fields: the one list of each (scurve/model.py samples by these names).
TARGETS = ("gaussian", "unit", "orthonormal", "ones")
INITS = ("gaussian", "zeros", "collision", "distinct")
OPTIMIZERS = ("gd", "adam")
DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class SCurveConfig:
    """Target T = Σ_l s_l a_l⁽¹⁾⊗…⊗a_l⁽ⁿ⁾ learned by T̃ = Σ_m ã_m⁽¹⁾⊗…⊗ã_m⁽ⁿ⁾ with loss ½‖T − T̃‖²."""
    # task
    order: int                      # n: factors per component; 1 = scalar/vector baseline, 2 = matrix
    rank: int                       # k: target components
    N: int                          # length of every vector
    lr: float                       # learning rate η
    steps: int                      # optimiser steps
    seeds: int                      # seeds trained together as one batch
    model_rank: int | None = None   # k̃: learned components; None means k̃ = k
    target: str = "unit"            # a_l distribution: one of TARGETS
    target_std: float | None = None  # entry std for target="gaussian"; None means 1/√N (norm ≈ 1)
    weights: list[float] = field(default_factory=list)  # s_l; empty means weight_ratio^(l-1)
    weight_ratio: float = 1.0       # s_l = weight_ratio^(l-1) when weights is empty; 1 = all ones
    init: str = "gaussian"          # ã_m distribution: one of INITS
    init_std: float = 0.01          # σ: entry std of the learned vectors at step 0
    # training
    optimizer: str = "gd"           # one of OPTIMIZERS
    seed: int = 0                   # first seed; seeds seed … seed+seeds-1
    record_points: int = 300        # size of the log-spaced step grid (0 and `steps` always included)
    record_modes: bool = False      # order 2: also record overlaps with T's singular vectors (scurve/modes.py)
    dtype: str = "float64"
    device: str = "cpu"
    # sweep: key -> list of values; one run per combination
    sweep: dict = field(default_factory=dict)
    family: str = "scurve"

    def __post_init__(self):
        check_positive(self, "order", "rank", "N", "lr", "steps", "seeds", "record_points")
        if self.order > 6:
            raise ValueError("order: must be at most 6 (the loss uses (2k)^n-entry tensors)")
        if self.model_rank is not None:
            check_positive(self, "model_rank")
        check_choice(self, target=TARGETS, init=INITS, optimizer=OPTIMIZERS, device=DEVICES, dtype=DTYPES)
        if self.weights and len(self.weights) != self.rank:
            raise ValueError(f"weights: must list one weight per target component ({self.rank}), "
                             f"got {len(self.weights)}")
        if self.target == "orthonormal" and self.rank > self.N:
            raise ValueError(f"rank: orthonormal targets need rank <= N ({self.N}), got {self.rank}")
        if not 0 < self.weight_ratio <= 1 or (self.weights and self.weight_ratio != 1):
            raise ValueError("weight_ratio: must be in (0, 1], and 1 when weights are listed")
        if self.init in ("collision", "distinct") and not self.init_std > 0:
            raise ValueError(f"init_std: init {self.init!r} needs init_std > 0")
        if self.record_modes and self.order != 2:
            raise ValueError(f"record_modes: the mode basis (singular vectors of T) needs order 2, got "
                             f"order {self.order}")
        if self.init_std < 0 or (self.target_std is not None and self.target_std <= 0):
            raise ValueError("init_std: must be >= 0" if self.init_std < 0 else "target_std: must be > 0")

    @property
    def k_model(self) -> int:
        return self.rank if self.model_rank is None else self.model_rank

    def runs(self) -> list[SCurveConfig]:
        return expand_sweep(self)


def scurve_bytes(cfg) -> int:
    """Bytes the S-curve trainer holds for a config: recorded curves plus per-seed working tensors.

    Curves: loss, overlaps (n·k̃·k, twice with record_modes) and norms (n·k̃) at `record_points` steps;
    working set: the factors
    and their gradients (n·N·(k+k̃)) and the loss's Gram products ((k+k̃)^n entries per seed).
    """
    total = 0
    for run in expand_sweep(cfg):
        n, k, km = run.order, run.rank, run.k_model
        curves = (run.record_points + 2) * (1 + n * km * k * (2 if run.record_modes else 1) + n * km)
        work = 4 * n * run.N * (k + km) + (k + km) ** n
        total += 8 * run.seeds * (curves + work)
    return total


# Training time on the reference machine, from the config alone (core.config.load refuses a run above its
# limit before anything trains; the progress bar then measures the real rate). The trainer's cost is a
# fixed cost per step of a batch plus each seed's share, which grows with the size n·D·k̃ of a step's
# tensors (D = k + k̃ in GD's span basis, N for Adam, whose vectors stay N-long), plus the recorded steps.
# Anchors: `make bench` on the reference machine (2 cores, one thread, torch 2.13.0 CPU, load average
# 0.3-0.8; paper/docs/performance.md), rank 4, order 2, N = 100: 41 µs per step for one seed, 1.9 µs
# per seed-step for 1 024 seeds (bench_scaling.csv), 0.11 s of set-up for 1 024 seeds (0.75 s at N = 1 000).
# Shapes: runs of 1 000-2 000 steps side by side at 1 and 256 seeds (scratch timings, load average 6-8,
# ratios only): the seed share goes as size^0.67 over orders 1-6 and ranks 1-16 (within ×2.5), Adam costs
# ~4× GD per step, a recorded loss costs ~0.35 µs per factor plus 0.5 ns per (k + k̃)^(n+1) entry per seed.
# `make bench` prints measured time / this estimate for its cases (bench.csv, bench_scaling.csv).
STEP_S = 39e-6           # a GD step's fixed cost per batch (order 2; × n/2 above), whatever the seeds
SEED_STEP_S = 1.6e-6     # one seed's share of a GD step at size 64 (rank 4, order 2), records excluded
ADAM_STEP_S = 4 * STEP_S         # Adam: the step's fixed cost ...
ADAM_SEED_STEP_S = 10e-6         # ... and one seed's share at size 800 (rank 4, order 2, N = 100)
SIZE_POWER = 0.67
RECORD_S = 60e-6         # a recorded step's fixed cost per batch (the exact loss: ~10 more calls)
RECORD_FACTOR_S = 0.35e-6         # ... per seed and factor
RECORD_ENTRY_S = 0.5e-9           # ... per seed and entry-product of the (k + k̃)^n residual
SETUP_S = 60e-6          # per seed: drawing its vectors and the span basis, plus per N-vector entry:
SETUP_ENTRY_S = 42e-9
REDRAW_S = 15e-6         # a constructed init ("collision", "distinct") redraws each vector ~k times
# Runs differing only in these train in one batch (scurve/train.py): the weights travel as one row per seed,
# and every product is per matrix, so a run's numbers are bit for bit those it gets in a batch of its own.
BATCHABLE = ("init_std", "seed", "seeds", "target", "target_std", "weights", "weight_ratio", "init")


def scurve_seconds(cfg) -> float:
    """Seconds the S-curve trainer needs for a config on the reference machine (constants above)."""
    batches: dict[tuple, list] = {}
    for run in expand_sweep(cfg):
        key = tuple((f.name, repr(getattr(run, f.name))) for f in dataclasses.fields(run) if f.name not in BATCHABLE)
        batches.setdefault(key, []).append(run)
    total = 0.0
    for runs in batches.values():
        run, seeds = runs[0], sum(r.seeds for r in runs)
        n, d, km = run.order, run.rank + run.k_model, run.k_model
        records = min(run.record_points, run.steps + 1)
        if run.optimizer == "gd":
            step = STEP_S * max(1.0, n / 2) + seeds * SEED_STEP_S * (n * d * km / 64) ** SIZE_POWER
        else:
            step = ADAM_STEP_S * max(1.0, n / 2) + seeds * ADAM_SEED_STEP_S * (n * run.N * km / 800) ** SIZE_POWER
        record = RECORD_S * n / 2 + seeds * (RECORD_FACTOR_S * n + RECORD_ENTRY_S * d ** (n + 1))
        redraws = REDRAW_S * n * km * run.rank if run.init in ("collision", "distinct") else 0.0
        setup = seeds * (SETUP_S + SETUP_ENTRY_S * n * run.N * d + redraws)
        total += run.steps * step + records * record + setup
    return total


def perturb(cfg):
    """A real, small change for tests/test_teeth.py: the learning rate 1 % higher (in a sweep over lr,
    every swept value), which moves every drop step by ~1 %."""
    sweep = {k: ([v * 1.01 for v in vals] if k == "lr" else vals) for k, vals in cfg.sweep.items()}
    return dataclasses.replace(cfg, lr=cfg.lr * 1.01, sweep=sweep)


@dataclass(frozen=True)
class RestartConfig(SCurveConfig):
    """The intervention runs of scurve/restart.py (family "scurve_restart"): an S-curve config trained as
    usual, whose every bump is then restarted with the other learned pairs frozen, and removed."""
    family: str = "scurve_restart"

    def __post_init__(self):
        super().__post_init__()
        if self.optimizer != "gd":
            raise ValueError(f"optimizer: a restart continues plain gradient descent ('gd'), got "
                             f"{self.optimizer!r}")


def restart_bytes(cfg) -> int:
    """scurve_bytes plus what the restarts hold: the learned vectors at every record step (restarts start
    from them), and at most two restarts per curve, each a pair and its curve."""
    total = scurve_bytes(cfg)
    for run in expand_sweep(cfg):
        n, k, km, S = run.order, run.rank, run.k_model, run.record_points + 2
        span = min(run.N, k + km)
        total += 8 * run.seeds * (S * n * span * km + 2 * n * km * k * (S + n * span * (k + km)))
    return total


def restart_seconds(cfg) -> float:
    """scurve_seconds for the trained runs, and twice that again for the restarts (frozen, removed): each
    restart is one learned pair over at most the whole run, in batches of every bump of a cell (measured on
    figT7: restarts 3.7 s CPU against 3.3 s of training, so 3× is an upper bound)."""
    return 3.0 * scurve_seconds(cfg)
