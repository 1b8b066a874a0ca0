"""Small helpers shared by the tests: tiny configs, a dense reference written the obvious way, a fresh copy
of the project to run make in, and a small file system that is read-only or full."""
import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from reproduce.core import paths

from reproduce.scurve import model
from reproduce.scurve.config import SCurveConfig


def tiny(**overrides) -> SCurveConfig:
    base = dict(order=2, rank=2, N=12, lr=0.1, steps=60, seeds=3, init_std=0.1, record_points=30)
    return SCurveConfig(**{**base, **overrides})


def batch(cfg, seeds=None):
    """Targets and inits of `seeds` stacked on a batch axis, as train_config does."""
    draws = [model.sample(cfg, s) for s in (seeds if seeds is not None else range(cfg.seed, cfg.seed + cfg.seeds))]
    return ([torch.stack([d[0][f] for d in draws]) for f in range(cfg.order)],
            [torch.stack([d[1][f] for d in draws]) for f in range(cfg.order)])


def dense_loss(targets, learned, weights):
    """½‖T − T̃‖² from the full N^n tensors (the reference the Gram form must equal)."""
    T = model.dense(targets, weights)
    M = model.dense(learned)
    return 0.5 * (T - M).pow(2).flatten(1).sum(1)


def replace(cfg, **kw):
    return dataclasses.replace(cfg, **kw)


def copy_project(dest: Path, configs: dict[str, str]) -> Path:
    """The tracked sources in a fresh folder with only `configs` (name -> TOML text), as a new clone has."""
    shutil.copytree(paths.ROOT / "reproduce", dest / "reproduce", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(paths.ROOT / "Makefile", dest)
    shutil.copy(paths.ROOT / "requirements.lock", dest)  # `make env` installs from it
    (dest / "data" / "configs").mkdir(parents=True)
    (dest / "data" / "results").mkdir()
    shutil.copy(paths.BUMP_RULE, dest / "data")
    (dest / "paper").mkdir()
    shutil.copy(paths.PAPER / "s_curves.py", dest / "paper")  # make's derived rules read the report's imports
    for name, text in configs.items():
        (dest / "data" / "configs" / f"{name}.toml").write_text(text)
    return dest


def _ctrl_c_as_in_a_terminal():
    # A job started in the background of a non-interactive shell (a CI runner, `make all &`) inherits
    # SIGINT ignored, and so would make and the trainer: restore the default a terminal gives them.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def make(cwd, *targets, **kw):
    """`make targets` in `cwd`, stdout and stderr together. PY: this interpreter (its package is found first
    in cwd); ENV_STAMP empty: no install step."""
    # a make of its own, as from a shell, also when the suite itself runs under `make test`: no inherited
    # MAKELEVEL (make would print "Entering directory"), jobserver flags or the outer make's lock
    env = kw.pop("env", os.environ)
    env = {k: v for k, v in env.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "REPRODUCE_MAKE_LOCK")}
    return subprocess.Popen(["make", *targets, f"PY={sys.executable}", "ENV_STAMP=", "CONDA_DEFAULT_ENV="],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=_ctrl_c_as_in_a_terminal, env=env, **kw)


@contextlib.contextmanager
def small_filesystem(where: Path, options: str):
    """A tmpfs mounted at `where` (e.g. "ro", "size=1m"), unmounted afterwards; the test is skipped where
    this machine does not let it mount one (not root, or no mount capability in a container)."""
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True,
                          text=True)
    if proc.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()[:80]}); the injected-error cases cover it")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def one_line_error(proc, *must_contain) -> str:
    """The one stderr line of a bad-input exit (code 2, no traceback), holding each of `must_contain`."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for text in must_contain:
        assert text in lines[0], lines[0]
    return lines[0]
