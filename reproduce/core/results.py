"""Results files: `<stem>.npz` (curves, numpy-readable, byte-identical for identical numbers) and
`<stem>.json` (provenance). Every file lands atomically: written under a temporary name, then renamed.
A run may also hand back trained weights (its `checkpoints` entry): they land beside the results, one
`torch.save` file per run and name in `<stem>.checkpoints/`, with the config and its hash.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from . import config, families, paths
from .errors import ResultsError


# OSErrors of a write that mean "this place cannot take the file" (full disk, read-only, in the way):
# reported as one line naming the path; any other error is a bug and keeps its traceback.
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO,
                errno.ENOTDIR, errno.EISDIR, errno.EEXIST}


@contextlib.contextmanager
def atomic(path: Path):
    """Yield a temporary path beside `path`; rename it into place only if the block succeeds.

    An interrupted step leaves at most a hidden `.name.tmp-PID` file, which make never takes as finished.
    A write that fails (disk full, read-only folder) leaves nothing: not the temporary file, nor the
    folders made for it; it raises errors.OutputError naming the path.
    """
    path = Path(path)
    made = [p for p in (path.parent, *path.parent.parents) if not os.path.lexists(p)]
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    done = False
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            yield tmp
            os.replace(tmp, path)
            done = True
        except OSError as err:
            if err.errno not in WRITE_ERRNOS:
                raise
            raise paths.failure(path, err, None, "could not be written") from None
    finally:
        tmp.unlink(missing_ok=True)
        for folder in made if not done else ():  # innermost first; only the ones this write made
            with contextlib.suppress(OSError):
                folder.rmdir()


def _npz_into(path: Path, arrays: dict[str, np.ndarray]):
    """np.savez stamps the wall-clock time into the zip; a fixed stamp makes equal data equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.ascontiguousarray(arr), allow_pickle=False)


def write_npz(path: Path, arrays: dict[str, np.ndarray]):
    with atomic(path) as tmp:
        _npz_into(tmp, arrays)


def write_text(path: Path, text: str):
    with atomic(path) as tmp:
        tmp.write_text(text)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=paths.ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(cfg, wall_s: float, threads: int, extra: dict | None = None) -> dict:
    import torch
    return {
        "config": config.as_dict(cfg),
        "config_hash": config.config_hash(cfg),
        "runs": [{k: config.as_dict(r)[k] for k in cfg.sweep} for r in config.expand_sweep(cfg)],
        "versions": {"reproduce": __version__, "python": platform.python_version(),
                     "torch": torch.__version__, "numpy": np.__version__},
        "git_commit": git_commit(),
        "threads": threads,
        "device": cfg.device,
        "wall_seconds": round(wall_s, 3),  # timing field: the only one that differs between reruns
        **(extra or {}),
    }


CHECKPOINTS = "checkpoints"   # a run's {name: {"epoch": …, "state_dict": …}}: weights, not curves


def runs_of(cfg) -> list:
    """The config's runs, as its class defines them (a family may scale a run's length with its sweep)."""
    return cfg.runs() if hasattr(cfg, "runs") else config.expand_sweep(cfg)


def checkpoint_name(cfg, run_cfg, name: str) -> str:
    """`seed0-grokked.pt`: the run's sweep values, then the checkpoint's name."""
    values = config.as_dict(run_cfg)
    return "-".join([f"{k}{values[k]:g}" if isinstance(values[k], float) else f"{k}{values[k]}"
                     for k in cfg.sweep] + [name]) + ".pt"


def write_checkpoints(folder: Path, cfg, run_cfg, checkpoints: dict):
    """One torch.save file per checkpoint: the state dict, its epoch, the run's config and the config's hash
    (the hash in `<stem>.json`, so a loader can tell which results a checkpoint belongs to)."""
    import torch
    for name, ckpt in checkpoints.items():
        with atomic(Path(folder) / checkpoint_name(cfg, run_cfg, name)) as tmp:
            torch.save({**ckpt, "name": name, "config": config.as_dict(run_cfg),
                        "config_hash": config.config_hash(cfg)}, tmp)


def save(stem: str, cfg, runs: list[dict], meta: dict, out_dir: Path = paths.RESULTS) -> Path:
    """Write the provenance and the curves under temporary names and rename them only when both are
    complete (a full disk leaves neither); provenance first, the curves last: the .npz is make's target,
    so it means "finished"."""
    out_dir = Path(out_dir)
    for old in (out_dir / f"{stem}.checkpoints").glob("*.pt"):   # a previous training's weights
        old.unlink()
    for run_cfg, run in zip(runs_of(cfg), runs):
        if run.get(CHECKPOINTS):
            write_checkpoints(out_dir / f"{stem}.checkpoints", cfg, run_cfg, run[CHECKPOINTS])
    arrays = {f"r{i}_{key}": value for i, run in enumerate(runs) for key, value in run.items()
              if key != CHECKPOINTS}
    with atomic(out_dir / f"{stem}.npz") as npz_tmp:
        _npz_into(npz_tmp, arrays)
        with atomic(out_dir / f"{stem}.json") as json_tmp:  # renamed first, when both are written
            json_tmp.write_text(json.dumps(meta, indent=2) + "\n")
    return out_dir / f"{stem}.npz"


@dataclass
class Run:
    cfg: object          # the run's own config (sweep values filled in)
    data: dict           # arrays: step, seed, loss, overlap, norm, target_gram, weights

    def __getattr__(self, key):
        try:
            return self.data[key]
        except KeyError:
            raise AttributeError(key) from None


@dataclass
class Results:
    stem: str
    cfg: object
    runs: list[Run]
    meta: dict


def load(stem: str, results_dir: Path = paths.RESULTS) -> Results:
    """A results pair `<stem>.json` + `<stem>.npz`, or a ResultsError naming the file and what to do."""
    results_dir = Path(results_dir)
    meta_path, npz_path = results_dir / f"{stem}.json", results_dir / f"{stem}.npz"
    retrain = f"retrain it: python -m reproduce train data/configs/{stem}.toml --out {results_dir}"
    if os.path.lexists(results_dir) and not results_dir.is_dir():
        raise ResultsError(f"{results_dir}: is a file, not a results folder; give the folder that holds "
                           f"{stem}.npz (--results)")
    for path in (meta_path, npz_path):
        if not path.is_file():
            raise ResultsError(f"{path}: no such results file; {retrain}")
    try:
        meta = json.loads(meta_path.read_text())
        cfg_dict = meta["config"]
    except (ValueError, KeyError, TypeError):
        raise ResultsError(f"{meta_path}: truncated or corrupt provenance file; {retrain}") from None
    cfg = config.from_dict(families.of_data(cfg_dict, str(meta_path)).config_type(),
                           cfg_dict, str(meta_path))
    try:
        with np.load(npz_path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        raise ResultsError(f"{npz_path}: truncated or corrupt results file; {retrain}") from None
    runs = []
    for i, run_cfg in enumerate(runs_of(cfg)):
        prefix = f"r{i}_"
        data = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
        if not data:
            raise ResultsError(f"{npz_path}: holds no arrays for run {i} of the config's sweep "
                               f"(from another config?); {retrain}")
        runs.append(Run(run_cfg, data))
    return Results(stem, cfg, runs, meta)
