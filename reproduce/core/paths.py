"""Every folder the package reads or writes, resolved from this file's location (no other path literals),
and the one check of a place to write (`check_writable`), run by every command and by make before any work.

Standard library only: make runs the check (through core/lock.py) before any environment is installed.
"""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from .errors import OutputError

ROOT = Path(__file__).resolve().parents[2]  # reproduce/core/paths.py -> the repository root
CONFIGS = ROOT / "data" / "configs"      # one TOML per training run, named by figure stem
RESULTS = ROOT / "data" / "results"      # generated: curves (.npz), provenance (.json), claims.csv
FIGURES = ROOT / "paper" / "figures"     # generated: one PNG + PDF per figure stem
PAPER = ROOT / "paper"                   # the report's notebook source and its rendered HTML
BASELINES = ROOT / "tests" / "baselines" # committed regression baselines (pytest-regressions CSV)
TEST_CONFIGS = ROOT / "tests" / "configs"  # small configs for fast tests (not trained by make)
BUMP_RULE = ROOT / "data" / "bump.toml"  # the one definition of a "bump" (thresholds)
CLAIMS = RESULTS / "claims.csv"
OVERRIDES = RESULTS / "overrides"       # generated: runs with --set/--steps, one folder per config hash
SPREAD = BASELINES / "spread.csv"       # measured cross-platform deviations (python -m reproduce spread)
VERDICTS = BASELINES / "verdicts.csv"   # claim verdicts per kernel variant (python -m reproduce spread)
SPEC = PAPER / "spec"                    # what each figure reproduces, its settings and claims
BUILD = ROOT / "build"                   # make's stamps: deps.mk, device, make.lock

MIN_FREE = 4 * 2 ** 20  # free bytes any output needs at least (a figure is ~0.3 MB): less is a full disk
PROBE = ".write-check-"  # the name of the empty file that tests a folder (never left behind)


def _size(n: float) -> str:
    return f"{n / 2 ** 30:.1f} GiB" if n >= 2 ** 30 else f"{n / 2 ** 20:.0f} MiB"


def _or(fix: str | None) -> str:
    return f", or {fix}" if fix else ""


def _nearest_existing(folder: Path) -> Path:
    here = folder
    while not os.path.lexists(here) and here != here.parent:
        here = here.parent
    return here


def failure(path: Path, err: OSError, fix: str | None, doing: str = "cannot write there") -> OutputError:
    """One line for an OSError met while creating or writing `path`: what went wrong and what to do."""
    code = err.errno
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        todo = f"free some space{_or(fix)}"
    elif code == errno.EROFS:
        todo = fix or "remount it writable, or work in a writable copy of the project"
    elif code in (errno.EACCES, errno.EPERM):
        todo = f"make it writable{_or(fix)}"
    elif code in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        todo = f"remove or rename what is in the way{_or(fix)}"
    else:
        todo = f"check the disk{_or(fix)}"
    return OutputError(f"{path}: {doing} ({err.strerror or err}); {todo}")


def check_writable(folder, files=(), need_bytes: int = 0, fix: str | None = None) -> Path:
    """Raise OutputError (one line: the path, what is wrong, what to do) unless `folder` is a folder, or
    can be created as one, where files can be written, none of `files` in it is a folder, and its disk
    has `need_bytes` (at least MIN_FREE) free. `fix` says what else the user can do, e.g. "choose
    another folder with --out". Creates nothing: a probe file in the nearest existing folder comes and goes.
    """
    folder = Path(folder)
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        if existing == folder:
            raise OutputError(f"{folder}: is a file, not a folder; remove or rename it{_or(fix)}")
        raise OutputError(f"{folder}: cannot be created, {existing} is a file; remove or rename that "
                          f"file{_or(fix)}")
    for name in files:
        if (folder / name).is_dir():
            raise OutputError(f"{folder / name}: is a folder where a file is to be written; remove or "
                              f"rename it{_or(fix)}")
    where = "cannot write there" if existing == folder else f"cannot be created in {existing}"
    try:
        fd, probe = tempfile.mkstemp(prefix=PROBE, dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise failure(folder, err, fix, where) from None
    free = shutil.disk_usage(existing).free
    need = max(need_bytes, MIN_FREE)
    if free < need:
        raise OutputError(f"{folder}: only {_size(free)} free on its disk, {_size(need)} needed; free some "
                          f"space{_or(fix)}")
    return folder
