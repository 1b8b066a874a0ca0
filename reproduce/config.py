"""Typed, frozen run configs read from TOML; a bad file fails with one line naming the file and the key.

A config file is the whole run: every value that changes the numbers is in it. Keys that take a list of
values under `[sweep]` make one run per combination (Cartesian product), all in one results file.
"""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import json
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from . import families
from .errors import ConfigError  # noqa: F401  (raised here, imported from here by callers)


# Valid choices of the string fields; the model families are data, looked up here by name.
TARGETS = ("gaussian", "unit", "orthonormal", "ones")
INITS = ("gaussian", "zeros", "collision", "distinct")
OPTIMIZERS = ("gd", "adam")
DEVICES = ("cpu", "cuda")
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
    dtype: str = "float64"
    device: str = "cpu"
    # sweep: key -> list of values; one run per combination
    sweep: dict = field(default_factory=dict)
    family: str = "scurve"

    def __post_init__(self):
        _positive(self, "order", "rank", "N", "lr", "steps", "seeds", "record_points")
        if self.order > 6:
            raise ValueError("order: must be at most 6 (the loss uses (2k)^n-entry tensors)")
        if self.model_rank is not None:
            _positive(self, "model_rank")
        _choice(self, target=TARGETS, init=INITS, optimizer=OPTIMIZERS, device=DEVICES, dtype=DTYPES)
        if self.weights and len(self.weights) != self.rank:
            raise ValueError(f"weights: must list one weight per target component ({self.rank}), "
                             f"got {len(self.weights)}")
        if self.target == "orthonormal" and self.rank > self.N:
            raise ValueError(f"rank: orthonormal targets need rank <= N ({self.N}), got {self.rank}")
        if not 0 < self.weight_ratio <= 1 or (self.weights and self.weight_ratio != 1):
            raise ValueError("weight_ratio: must be in (0, 1], and 1 when weights are listed")
        if self.init in ("collision", "distinct") and not self.init_std > 0:
            raise ValueError(f"init_std: init {self.init!r} needs init_std > 0")
        if self.init_std < 0 or (self.target_std is not None and self.target_std <= 0):
            raise ValueError("init_std: must be >= 0" if self.init_std < 0 else "target_std: must be > 0")

    @property
    def k_model(self) -> int:
        return self.rank if self.model_rank is None else self.model_rank

    def runs(self) -> list[SCurveConfig]:
        return expand_sweep(self)


def _positive(cfg, *names):
    for name in names:
        if not getattr(cfg, name) > 0:  # written so that NaN (valid TOML: nan) fails too
            raise ValueError(f"{name}: must be > 0, got {getattr(cfg, name)}")


def _choice(cfg, **choices):
    for name, valid in choices.items():
        if getattr(cfg, name) not in valid:
            raise ValueError(f"{name}: must be one of {', '.join(valid)}; got {getattr(cfg, name)!r}")


# A config whose arrays would need more memory than this is refused before training (one line, exit 2).
MAX_BYTES = 16 * 2 ** 30


def scurve_bytes(cfg) -> int:
    """Bytes the S-curve trainer holds for a config: recorded curves plus per-seed working tensors.

    Curves: loss, overlaps (n·k̃·k) and norms (n·k̃) at `record_points` steps; working set: the factors
    and their gradients (n·N·(k+k̃)) and the loss's Gram products ((k+k̃)^n entries per seed).
    """
    total = 0
    for run in expand_sweep(cfg):
        n, k, km = run.order, run.rank, run.k_model
        curves = (run.record_points + 2) * (1 + n * km * k + n * km)
        work = 4 * n * run.N * (k + km) + (k + km) ** n
        total += 8 * run.seeds * (curves + work)
    return total


def expand_sweep(cfg) -> list:
    """One config per combination of the `[sweep]` lists, in the order the keys are written."""
    keys = list(cfg.sweep)
    return [dataclasses.replace(cfg, sweep={}, **dict(zip(keys, combo)))
            for combo in itertools.product(*(cfg.sweep[k] for k in keys))]


def _type_ok(value, hint) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if hint is float:  # TOML writes 1 for 1.0; accept ints where floats are meant, never bools
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is dict:
        return isinstance(value, dict)
    return isinstance(value, hint)


def _type_name(hint) -> str:
    return str(hint).replace("typing.", "").replace("<class '", "").replace("'>", "")


def _non_finite(value) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(_non_finite(v) for v in value)
    return False


def from_dict(cls, data: dict, where: str):
    """Check keys and types of `data` against dataclass `cls`, then construct it (running its checks)."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (valid keys: {', '.join(fields)})"
            raise ConfigError(f"{where}: key '{key}': unknown key{hint}")
        if not _type_ok(value, hints[key]):
            raise ConfigError(f"{where}: key '{key}': expected {_type_name(hints[key])}, "
                              f"got {type(value).__name__} {value!r}")
        if _non_finite(value):
            raise ConfigError(f"{where}: key '{key}': must be a finite number, got {value!r}")
    missing = [n for n, f in fields.items() if n not in data
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{where}: key '{missing[0]}': required key is missing")
    for key, values in data.get("sweep", {}).items():
        if key not in fields or key in ("sweep", "family"):
            raise ConfigError(f"{where}: key 'sweep.{key}': not a sweepable key")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}: key 'sweep.{key}': expected a non-empty list of values")
        for v in values:
            if _non_finite(v):
                raise ConfigError(f"{where}: key 'sweep.{key}': must be finite numbers, got {v!r}")
            if not _type_ok(v, hints[key]):
                raise ConfigError(f"{where}: key 'sweep.{key}': expected a list of "
                                  f"{_type_name(hints[key])}, got {v!r}")
    try:
        cfg = cls(**data)
    except ValueError as err:  # __post_init__ messages start with the key name
        key, _, msg = str(err).partition(": ")
        raise ConfigError(f"{where}: key '{key}': {msg}") from None
    try:
        if hasattr(cfg, "sweep"):
            expand_sweep(cfg)  # every sweep member passes the same checks
    except ValueError as err:
        key, _, msg = str(err).partition(": ")
        raise ConfigError(f"{where}: key 'sweep.{key}': {msg}") from None
    return cfg


def read_toml(path: str | Path) -> dict:
    """The TOML table of a config file, or a ConfigError saying what is wrong with the file."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory; give a config file such as data/configs/<stem>.toml")
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (TOML must be UTF-8); give a config file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file ({err.strerror})") from None
    if "\x00" in text:
        raise ConfigError(f"{path}: not a text file (holds NUL bytes); give a TOML config file")
    if not text.strip():
        raise ConfigError(f"{path}: empty config file; see data/configs/ for the keys a config needs")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: malformed TOML: {err}") from None


def parse_overrides(sets: list[str], where: str) -> dict:
    """`key=value` strings (values in TOML syntax; a bare word is a string) as a nested dict."""
    out: dict = {}
    for item in sets:
        key, eq, text = item.partition("=")
        key = key.strip()
        if not eq or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", key):
            raise ConfigError(f"{where}: --set {item!r}: expected key=value, e.g. lr=0.05 or "
                              f"sweep.init_std=[0.1,0.01]")
        try:
            value = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", text.strip()):
                raise ConfigError(f"{where}: --set {key}: {text!r} is not a TOML value "
                                  f"(numbers 0.1, lists [1,2], strings \"unit\")") from None
            value = text.strip()
        head, _, tail = key.partition(".")
        if tail:
            if head != "sweep":
                raise ConfigError(f"{where}: --set {key}: only sweep.<key> takes a dotted name")
            out.setdefault("sweep", {})[tail] = value
        else:
            out[key] = value
    return out


def load(path: str | Path, sets: list[str] | None = None):
    """Read a config file (and `--set` overrides) into its family's dataclass, or raise ConfigError."""
    data = read_toml(path)
    where = str(path)
    if sets:
        changes = parse_overrides(sets, where)
        data = {**data, **{k: v for k, v in changes.items() if k != "sweep"}}
        if "sweep" in changes:
            data["sweep"] = {**data.get("sweep", {}), **changes["sweep"]}
        where = f"{path} (with --set)"
    family = data.get("family", "scurve")
    if not isinstance(family, str):
        raise ConfigError(f"{where}: key 'family': expected str, got {family!r}")
    fam = families.get(family, where)
    cfg = from_dict(fam.config_type(), data, where)
    need = fam.estimate_bytes(cfg)
    if need > MAX_BYTES:
        raise ConfigError(f"{where}: keys N, rank, model_rank, seeds, record_points: need "
                          f"~{need / 2 ** 30:.0f} GiB of memory (limit {MAX_BYTES / 2 ** 30:.0f} GiB); lower them")
    return cfg


def as_dict(cfg) -> dict:
    return dataclasses.asdict(cfg)


def config_hash(cfg) -> str:
    """Short hash of every field: two configs with the same hash give the same numbers."""
    blob = json.dumps(as_dict(cfg), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]
