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
from pathlib import Path

from . import families
from .errors import ConfigError  # noqa: F401  (raised here, imported from here by callers)


DEVICES = ("cpu", "cuda")  # every family trains on one of these
# A config whose arrays would need more memory than this is refused before training (one line, exit 2).
MAX_BYTES = 16 * 2 ** 30
# So is a run its family estimates to take longer than this on the reference machine (the 2-core machine
# the time budgets are set for), unless the caller lifts the limit (`train --allow-long`, make ALLOW_LONG=1).
MAX_SECONDS = 3600.0
ALLOW_LONG = "--allow-long (make ALLOW_LONG=1)"


def check_positive(cfg, *names):
    """For a config's __post_init__: each named field must be > 0 (message starts with the key)."""
    for name in names:
        if not getattr(cfg, name) > 0:  # written so that NaN (valid TOML: nan) fails too
            raise ValueError(f"{name}: must be > 0, got {getattr(cfg, name)}")


def check_choice(cfg, **choices):
    """For a config's __post_init__: each named field must be one of its valid values."""
    for name, valid in choices.items():
        if getattr(cfg, name) not in valid:
            raise ValueError(f"{name}: must be one of {', '.join(valid)}; got {getattr(cfg, name)!r}")


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


def load(path: str | Path, sets: list[str] | None = None, max_seconds: float | None = MAX_SECONDS):
    """Read a config file (and `--set` overrides) into its family's dataclass, or raise ConfigError.

    A run estimated to take longer than `max_seconds` on the reference machine is refused (None: no limit).
    """
    data = read_toml(path)
    where = str(path)
    if sets:
        changes = parse_overrides(sets, where)
        data = {**data, **{k: v for k, v in changes.items() if k != "sweep"}}
        if "sweep" in changes:
            data["sweep"] = {**data.get("sweep", {}), **changes["sweep"]}
        where = f"{path} (with --set)"
    fam = families.of_data(data, where)
    cfg = from_dict(fam.config_type(), data, where)
    need = fam.estimate_bytes(cfg)
    if need > MAX_BYTES:
        raise ConfigError(f"{where}: keys N, rank, model_rank, seeds, record_points: need "
                          f"~{need / 2 ** 30:.0f} GiB of memory (limit {MAX_BYTES / 2 ** 30:.0f} GiB); lower them")
    seconds = fam.estimate_seconds(cfg)
    if max_seconds is not None and seconds > max_seconds:
        raise ConfigError(f"{where}: key '{fam.length_key}': training would take ~{duration(seconds)} on the "
                          f"reference machine (estimate; limit {duration(max_seconds)}); lower "
                          f"'{fam.length_key}' or the run's size, or pass {ALLOW_LONG} to train anyway")
    return cfg


def duration(seconds: float) -> str:
    """A time as a person says it: 45 s, 12 min, 3.5 h, 2.1 days, 3e+04 years."""
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size or (unit == "h" and seconds >= size):
            value = seconds / size
            return f"{value:.2g} {unit}" if value >= 1e4 else f"{value:.1f} {unit}".replace(".0 ", " ")
    return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"


def as_dict(cfg) -> dict:
    return dataclasses.asdict(cfg)


def config_hash(cfg) -> str:
    """Short hash of every field: two configs with the same hash give the same numbers."""
    blob = json.dumps(as_dict(cfg), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]
