"""Interrupted runs leave nothing that looks finished; reruns and parallel make give identical bytes; a run
too long for the reference machine is refused up front with its estimate, a shorter one shows its progress
with an ETA; a second make in the same checkout waits for the first and redoes nothing."""
import contextlib
import fcntl
import io
import json
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
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


# --- runs that take long: an estimate up front, a refusal above the limit, progress with an ETA ---

def test_a_run_of_years_is_refused_up_front_with_its_estimate_and_the_override(tmp_path):
    cfg = tmp_path / "years.toml"
    cfg.write_text(SLOW.format(steps=10 ** 12))
    proc = cli("train", str(cfg), "--out", str(tmp_path / "out"), timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: {cfg}: key 'steps': training would take ~") and " years " in line
    assert "limit 1 h" in line and "--allow-long (make ALLOW_LONG=1)" in line
    assert not (tmp_path / "out").exists() and not proc.stdout


def test_a_long_grokking_run_is_refused_too(tmp_path):
    smoke = paths.TEST_CONFIGS / "grok_smoke.toml"
    proc = cli("train", str(smoke), "--set", "epochs=100000000", "--out", str(tmp_path / "out"), timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "key 'epochs': training would take ~" in proc.stderr and "--allow-long" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_steps_shortening_a_long_config_is_not_refused(tmp_path):
    cfg = tmp_path / "years.toml"
    cfg.write_text(SLOW.format(steps=10 ** 12))
    proc = cli("train", str(cfg), "--steps", "20", "--out", str(tmp_path / "out"), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "years.npz").exists()


def test_allow_long_trains_a_run_above_the_limit(tmp_path):
    """The override starts the run (it says it is over the limit); Ctrl-C then stops it, leaving nothing."""
    cfg = tmp_path / "years.toml"
    cfg.write_text(SLOW.format(steps=10 ** 12))
    proc = subprocess.Popen([sys.executable, "-m", "reproduce", "train", str(cfg), "--allow-long", "--out",
                             str(tmp_path / "out")], cwd=paths.ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)
    first = proc.stdout.readline()
    assert "estimated ~" in first and "over the 1 h limit: --allow-long" in first, first
    time.sleep(4)  # into training
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted: train wrote nothing" in err, err
    assert not (tmp_path / "out").exists()


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_make_allow_long_reaches_the_trainer():
    proc = subprocess.run(["make", "-n", "-B", "data/results/fig01_scalar.npz", "ALLOW_LONG=1", "ENV_STAMP=",
                           f"PY={sys.executable}", "CONDA_DEFAULT_ENV="], cwd=paths.ROOT, capture_output=True,
                          text=True, timeout=120)
    assert "reproduce train data/configs/fig01_scalar.toml  --allow-long" in proc.stdout, proc.stdout + proc.stderr


def test_every_config_is_estimated_below_the_limit_and_estimates_grow_with_the_run():
    from reproduce.core import config, families
    for path in sorted(paths.CONFIGS.glob("*.toml")):
        cfg = config.load(path)  # the default limit: make all never refuses its own configs
        fam = families.of(cfg)
        seconds = fam.estimate_seconds(cfg)
        assert 0 < seconds < config.MAX_SECONDS, path
        longer = config.load(path, [f"{fam.length_key}={2 * getattr(cfg, fam.length_key)}"])
        assert fam.estimate_seconds(longer) > 1.5 * seconds - 10, path  # ~2×, less the one-off start-up


def test_the_estimates_batch_and_parallelise_as_the_trainers_do():
    from reproduce.grokking import config as grok_config, train as grok_train
    from reproduce.scurve import config as scurve_config, train as scurve_train
    assert scurve_config.BATCHED == scurve_train.BATCHABLE
    assert grok_config.REFERENCE_PROCESSES == grok_train.PROCESSES


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_progress_in_a_log_is_a_line_every_few_seconds_with_an_eta(monkeypatch):
    from reproduce.core import progress
    clock = FakeClock()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    monkeypatch.setattr(progress, "FIRST_S", 1.0)
    monkeypatch.setattr(progress, "EVERY_S", 5.0)
    log = io.StringIO()  # not a terminal
    bar = progress.Bar(1000, "cfg.toml", file=log)
    bar.update_to(0)
    clock.now += 0.5
    bar.update_to(100)   # the first count: the rate is taken from here (start-up before it does not count)
    clock.now += 0.4
    bar.update_to(140)
    assert log.getvalue() == ""  # under a second: nothing yet
    clock.now += 0.2     # 1.1 s after the start, 0.6 s after the first count: 100 steps per second
    bar.update_to(160)
    assert log.getvalue() == "cfg.toml: 160/1000 steps (16%), 0:01 elapsed, ETA 0:08\n"
    clock.now += 4.9
    bar.update_to(600)
    assert log.getvalue().count("\n") == 1  # the next line comes EVERY_S later
    clock.now += 0.2
    bar.update_to(700)
    assert log.getvalue().splitlines()[-1].endswith("(70%), 0:06 elapsed, ETA 0:03")
    bar.update_to(1000)
    assert bar.closed


def test_progress_shows_the_estimate_while_processes_start(monkeypatch):
    from reproduce.core import progress
    clock = FakeClock()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    log = io.StringIO()
    bar = progress.Bar(4000, "study.toml", unit="epoch", file=log, estimate_s=300)
    clock.now += progress.FIRST_S + 0.1
    bar.update_to(0)  # the parent's poll: no epoch done yet
    assert log.getvalue().startswith("study.toml: 0/4000 epochs (0%), 0:01 elapsed, ETA ~4:59 (estimated)")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal_is_tqdms_bar_with_an_eta():
    from reproduce.core import progress
    term = Terminal()
    bar = progress.Bar(1000, "cfg.toml", file=term)
    for n in range(0, 1001, 50):
        bar.update_to(n)
        time.sleep(0.02)
    shown = term.getvalue()
    assert "cfg.toml:" in shown and "/1000 steps" in shown and "ETA 00:0" in shown, shown
    assert bar.closed


@pytest.mark.parametrize("where", ["log", "terminal"])
def test_a_training_run_shows_progress_with_an_eta_within_seconds(where, tmp_path):
    """End to end: a run of a few seconds shows its ETA in a make log (stderr a pipe) and on a terminal."""
    cfg = tmp_path / "few_seconds.toml"
    cfg.write_text(SLOW.format(steps=12_000))
    cmd = [sys.executable, "-m", "reproduce", "train", str(cfg), "--out", str(tmp_path / "out")]
    if where == "log":
        proc = subprocess.run(cmd, cwd=paths.ROOT, capture_output=True, text=True, timeout=300)
        shown = proc.stderr
    else:
        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a 120-column terminal
        proc = subprocess.Popen(cmd, cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=follower)
        os.close(follower)
        chunks = []
        with contextlib.suppress(OSError):  # EIO once the child has closed the terminal
            while chunk := os.read(leader, 4096):
                chunks.append(chunk)
        proc.wait(timeout=300)
        os.close(leader)
        shown = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, shown
    assert re.search(r"few_seconds\.toml: \d+/12000 steps \(\d+%\), 0:0\d elapsed, ETA \d+:\d\d" if where == "log"
                     else r"few_seconds\.toml: +\d+%\|.*\| \d+/12000 steps \[[0-9:]+, ETA [0-9:]+\]", shown), shown


def test_grokking_seeds_in_processes_count_into_one_bar(tmp_path):
    smoke = paths.TEST_CONFIGS / "grok_smoke.toml"
    proc = cli("train", str(smoke), "--set", "sweep.seed=[0,1]", "--set", "epochs=2000", "--out",
               str(tmp_path / "out"), timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if "grok_smoke.toml: " in ln]
    # while the processes start: the estimate's ETA; then the measured one
    assert all(re.search(r"\d+/4000 epochs \(\d+%\), [0-9:]+ elapsed, ETA (~[0-9:]+ \(estimated\)|[0-9:]+)$", ln)
               for ln in lines), proc.stderr
    assert re.match(rf"{re.escape(str(smoke))}: 0/4000 epochs \(0%\), 0:0[01] elapsed, ETA ~", lines[0]), proc.stderr
    assert any(re.search(r"elapsed, ETA [0-9:]+$", ln) for ln in lines), proc.stderr


# --- two makes at once in one checkout ---

def test_a_second_make_waits_for_the_first_and_neither_corrupts_nor_duplicates_a_result(tmp_path):
    """`make all` twice at once (here its training part, `make train`: the guard is the same for every goal):
    the second says it waits, then finds everything up to date; one result per config, byte-identical."""
    configs = {"slow": SLOW.format(steps=20_000), "fig01_scalar": (paths.CONFIGS / "fig01_scalar.toml").read_text()}
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
