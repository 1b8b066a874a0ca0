"""Interrupted runs leave nothing that looks finished (Ctrl-C, and a SIGTERM to a run with seed processes);
reruns and parallel make give identical bytes; a second make in the same checkout waits for the first and
neither corrupts nor redoes a result. Long runs: tests/test_long_runs.py."""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import copy_project, make
from reproduce.core import paths

SLOW = "order = 2\nrank = 8\nN = 100\nlr = 0.1\nsteps = {steps}\nseeds = 64\ninit_std = 0.01\n"
SMALL = ["fig01_scalar", "fig03_rank1_loss"]


def cli(*args, cwd=paths.ROOT, **kw):
    return subprocess.run([sys.executable, "-m", "reproduce", *args], capture_output=True, text=True,
                          cwd=cwd, **kw)


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


# --- two makes at once in one checkout ---

def test_a_second_make_waits_for_the_first_and_neither_corrupts_nor_duplicates_a_result(tmp_path):
    """`make all` twice at once (here its training part, `make train`: the guard is the same for every goal):
    the second says it waits, then finds everything up to date; one result per config, byte-identical."""
    configs = {"slow": SLOW.format(steps=10_000), "fig01_scalar": (paths.CONFIGS / "fig01_scalar.toml").read_text()}
    project = copy_project(tmp_path / "proj", configs)
    first = make(project, "train")
    lock = project / "build" / "make.lock"
    for _ in range(200):  # the first holds the lock (its guard ran) ...
        if lock.exists() and lock.read_text().startswith(str(first.pid)):
            break
        time.sleep(0.05)
    second = make(project, "train")
    out2, _ = second.communicate(timeout=600)
    out1, _ = first.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0, out1 + out2
    assert "trained slow" in out1 and "trained fig01_scalar" in out1
    waited = [line for line in out2.splitlines() if "waiting for the make already working in this folder" in line]
    assert len(waited) == 1 and f"(pid {first.pid}: make train" in waited[0], out2
    assert "reproduce train" not in out2 and "Nothing to be done" in out2, out2  # it trained nothing again
    results = project / "data" / "results"
    assert sorted(p.name for p in results.iterdir()) == ["fig01_scalar.json", "fig01_scalar.npz", "slow.json",
                                                         "slow.npz"]
    reference = cli("train", str(project / "data" / "configs" / "slow.toml"), "--out", str(tmp_path / "ref"))
    assert reference.returncode == 0, reference.stderr
    assert (results / "slow.npz").read_bytes() == (tmp_path / "ref" / "slow.npz").read_bytes()




def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the seed processes")
def test_a_terminated_grokking_run_stops_its_seed_processes(tmp_path):
    """SIGTERM (a killed make, a CI timeout) to the trainer must not leave its seeds training on."""
    proc = subprocess.Popen([sys.executable, "-m", "reproduce", "train", str(paths.TEST_CONFIGS / "grok_smoke.toml"),
                             "--set", "sweep.seed=[0,1]", "--set", "epochs=100000", "--out", str(tmp_path / "out")],
                            cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(600):  # until both seed processes run
        workers = [pid for pid in _children(proc.pid) if "spawn_main" in _cmdline(pid)]
        if len(workers) == 2:
            break
        time.sleep(0.1)
    assert len(workers) == 2, proc.communicate()
    proc.terminate()
    proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    for _ in range(100):
        if not any(Path(f"/proc/{pid}").exists() for pid in workers):
            break
        time.sleep(0.1)
    left = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    for pid in left:  # not to leave them running after a failure either
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left, "seed processes left training"
    assert not (tmp_path / "out").exists()
