"""Interrupted runs leave nothing that looks finished; reruns and parallel make give identical bytes."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reproduce.core import paths

SLOW = "order = 2\nrank = 8\nN = 100\nlr = 0.1\nsteps = {steps}\nseeds = 64\ninit_std = 0.01\n"
SMALL = ["fig01_scalar", "fig03_rank1_loss"]


def cli(*args, cwd=paths.ROOT, **kw):
    return subprocess.run([sys.executable, "-m", "reproduce", *args], capture_output=True, text=True,
                          cwd=cwd, **kw)


def copy_project(dest: Path, configs: dict[str, str]) -> Path:
    """The tracked sources in a fresh folder with only `configs` (name -> TOML text), as a new clone has."""
    shutil.copytree(paths.ROOT / "reproduce", dest / "reproduce", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(paths.ROOT / "Makefile", dest)
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
    # PY: this interpreter (its package is found first in cwd); ENV_STAMP empty: no install step
    return subprocess.Popen(["make", *targets, f"PY={sys.executable}", "ENV_STAMP=", "CONDA_DEFAULT_ENV="],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=_ctrl_c_as_in_a_terminal, **kw)


def test_diverging_run_stops_with_a_clear_message_and_no_output(tmp_path):
    cfg = tmp_path / "diverge.toml"
    cfg.write_text("order = 2\nrank = 1\nN = 10\nlr = 5.0\nsteps = 200\nseeds = 2\n")
    proc = cli("train", str(cfg), "--out", str(tmp_path / "out"))
    assert proc.returncode == 3
    line = proc.stderr.strip()
    assert "\n" not in line and str(cfg) in line and "diverged" in line and "seed" in line and "step" in line
    assert not (tmp_path / "out").exists()


def test_interrupted_make_leaves_nothing_finished_and_rerun_gives_same_bytes(tmp_path):
    config = tmp_path / "proj" / "data" / "configs" / "slow.toml"
    project = copy_project(tmp_path / "proj", {"slow": SLOW.format(steps=400_000)})  # ~100 s: never done
    target = project / "data" / "results" / "slow.npz"
    proc = make(project, "train", start_new_session=True)
    time.sleep(6)  # well into training (the import of torch takes ~2 s)
    assert proc.poll() is None, proc.communicate()[0]
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground process group
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0, out
    assert not target.exists() and not target.with_suffix(".json").exists(), out
    assert not list(target.parent.glob(".*tmp*")), "a temporary file was left behind"
    config.write_text(SLOW.format(steps=3000))  # the rerun: same pipeline, a run short enough to finish
    assert make(project, "train").wait(timeout=300) == 0
    reference = cli("train", str(config), "--out", str(tmp_path / "ref"))
    assert reference.returncode == 0, reference.stderr
    assert target.read_bytes() == (tmp_path / "ref" / "slow.npz").read_bytes()


def test_training_twice_and_make_j2_vs_j1_give_identical_bytes(tmp_path):
    configs = {stem: (paths.CONFIGS / f"{stem}.toml").read_text() for stem in SMALL}
    a, b = copy_project(tmp_path / "a", configs), copy_project(tmp_path / "b", configs)
    assert make(a, "-j2", "train").wait(timeout=300) == 0
    assert make(b, "-j1", "train").wait(timeout=300) == 0
    for stem in SMALL:
        ra, rb = a / "data" / "results", b / "data" / "results"
        assert (ra / f"{stem}.npz").read_bytes() == (rb / f"{stem}.npz").read_bytes()
        ma, mb = (json.loads((r / f"{stem}.json").read_text()) for r in (ra, rb))
        ma.pop("wall_seconds"), mb.pop("wall_seconds")  # the only timing field
        assert ma == mb and ma["threads"] == 1


def test_second_make_train_is_a_no_op(tmp_path):
    project = copy_project(tmp_path / "p", {"fig01_scalar": (paths.CONFIGS / "fig01_scalar.toml").read_text()})
    assert make(project, "train").wait(timeout=120) == 0
    assert make(project, "-q", "train").wait(timeout=60) == 0  # -q: exit status 0 iff all is up to date


@pytest.mark.parametrize("stem", ["fig01_scalar"])
def test_results_carry_provenance(stem):
    meta = json.loads((paths.RESULTS / f"{stem}.json").read_text())
    assert {"config", "config_hash", "versions", "git_commit", "wall_seconds", "threads"} <= set(meta)
    assert {"reproduce", "torch", "numpy", "python"} <= set(meta["versions"])


def test_missing_torch_is_a_clear_message(tmp_path):
    (tmp_path / "torch.py").write_text("raise ImportError('No module named torch')\n")  # hides torch
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = cli("train", str(paths.CONFIGS / "fig01_scalar.toml"), "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode != 0 and "torch is not installed" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_make_refuses_an_old_python_with_a_clear_message(tmp_path):
    old = tmp_path / "python3.9"
    old.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Python 3.9.18' && exit 0\nexit 1\n")
    old.chmod(0o755)
    project = copy_project(tmp_path / "p", {})
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copy(paths.ROOT / name, project)
    proc = subprocess.run(["make", "env", f"PYTHON={old}", "CONDA_DEFAULT_ENV="], cwd=project,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "needs Python >= 3.11" in proc.stdout + proc.stderr and "3.9.18" in proc.stdout + proc.stderr
    assert not (project / ".venv").exists()
