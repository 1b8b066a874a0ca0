"""Runs that take long: each is estimated up front from its config and the trainer's measured costs; above
the limit (an hour on the reference machine) it is refused with the estimate and the flag that overrides it;
below, it shows progress with an ETA: tqdm's bar on a terminal, a line every few seconds in a log."""
import contextlib
import fcntl
import io
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from reproduce.core import paths

SLOW = "order = 2\nrank = 8\nN = 100\nlr = 0.1\nsteps = {steps}\nseeds = 64\ninit_std = 0.01\n"


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "reproduce", *args], capture_output=True, text=True,
                          cwd=paths.ROOT, **kw)


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
    assert scurve_train.BATCHABLE is scurve_config.BATCHABLE  # one list: the trainer imports the estimate's
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
    cfg.write_text(SLOW.format(steps=6000))
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
    assert re.search(r"few_seconds\.toml: \d+/6000 steps \(\d+%\), 0:0\d elapsed, ETA \d+:\d\d" if where == "log"
                     else r"few_seconds\.toml: +\d+%\|.*\| \d+/6000 steps \[[0-9:]+, ETA [0-9:]+\]", shown), shown


def test_grokking_seeds_in_processes_count_into_one_bar(capsys, monkeypatch):
    """The seeds train in processes; the parent shows one bar over all their epochs: the estimate's ETA
    while the processes start, then the measured one (lines every 0.3 s here, to see several)."""
    from reproduce.core import config, progress
    from reproduce.grokking import train
    monkeypatch.setattr(progress, "FIRST_S", 0.3)
    monkeypatch.setattr(progress, "EVERY_S", 0.3)
    smoke = paths.TEST_CONFIGS / "grok_smoke.toml"
    cfg = config.load(smoke, ["sweep.seed=[0,1]", "epochs=1000"])
    train.train_config(cfg, where="smoke.toml")
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("smoke.toml: ")]
    assert all(re.search(r"\d+/2000 epochs \(\d+%\), [0-9:]+ elapsed, ETA (~[0-9:]+ \(estimated\)|[0-9:]+)$", ln)
               for ln in lines), lines
    assert re.match(r"smoke.toml: 0/2000 epochs \(0%\), 0:0[01] elapsed, ETA ~[0-9:]+ \(estimated\)", lines[0]), lines
    assert any(re.search(r"elapsed, ETA [0-9:]+$", ln) for ln in lines), lines
