"""How long `make all` takes from scratch, and what is left of it when nothing or only a part changed.

    python -m reproduce.checks.bench_pipeline      (also the last part of `make bench`; about 20 minutes on 2 cores)

Every stage runs in one fresh copy of the working tree (tracked and untracked, non-ignored files) with the
environment this Python runs in, so environment install is excluded. The stages, in order:
  make all, fresh     the newcomer's command: train, figures, claims and report with make's two jobs, then
                      the test suite. Its parts are read off the timestamped make log: when the test run
                      starts, and each config's training time as `reproduce train` prints it.
  no-op make all, no-op make train figures paper    nothing changed: make must find nothing to do.
  S-curve make all    the S-curve results deleted, the grokking results kept: what a change to the S-curve
                      trainer costs (the figures, claims, report and tests it invalidates are redone).
Writes data/results/bench_pipeline.csv and the make logs to bench_pipeline.log, atomically.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from ..core import config, families, paths, results

# Seconds: the package's budgets. A fresh `make all` ≤ 15 min on 2 cores (env install excluded); a change to
# the S-curve trainer ≤ 5 min; make with nothing changed ≤ 10 s.
TARGETS_S = {"make all, fresh": 900, "S-curve make all": 300, "no-op make all": 10,
             "no-op make train figures paper": 10}
TIMEOUT_S = 1800
# What `python -m reproduce train` prints at the end; searched, not matched: with two jobs another
# process's progress bar can share the line.
TRAINED = re.compile(r"trained (\S+): \d+ run\(s\), ([0-9.]+) s -> ")
PYTEST = re.compile(r"-m pytest\b")
SCURVE = families.get("scurve").name


def copy_tree(root: Path):
    """Tracked and untracked, non-ignored files of the working tree into `root` (no results, no .venv)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=paths.ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (paths.ROOT / name).is_file():  # ls-files also lists tracked files deleted since
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(paths.ROOT / name, root / name)


def make_env(python: str) -> dict:
    """The Makefile's "active environment" mode (CONDA_DEFAULT_ENV set, not base) runs `python` with no
    install step, so this Python goes first on PATH. Not PY=… on the command line: make hands that to every
    nested make (the tests run make), and not the MAKEFLAGS of a `make bench` around us either. No
    PYTHONPATH: the copy's own package must be the one imported (the report's kernel included)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHONPATH")}
    env.update(CONDA_DEFAULT_ENV="reproduce-bench", PATH=f"{Path(python).parent}{os.pathsep}{env['PATH']}")
    return env


def run_make(targets: list[str], root: Path, env: dict) -> tuple[float, str, list[tuple[float, str]]]:
    """(seconds, status, [(seconds since start, line)]) of `make targets`; killed after TIMEOUT_S."""
    start = time.perf_counter()
    proc = subprocess.Popen(["make", *targets], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    timer = threading.Timer(TIMEOUT_S, proc.kill)
    timer.start()
    lines = [(time.perf_counter() - start, line.rstrip("\n")) for line in proc.stdout]
    rc = proc.wait()
    timer.cancel()
    seconds = time.perf_counter() - start
    status = ("ok" if rc == 0 else f"timed out after {TIMEOUT_S} s" if seconds >= TIMEOUT_S
              else f"failed (rc {rc}): {why([text for _, text in lines])}")
    return seconds, status, lines


def why(lines: list[str]) -> str:
    """One line on why a stage failed: pytest's counts and first failure, else the last line printed."""
    lines = [line.strip() for line in lines if line.strip()]
    counts = [line.strip("= ") for line in lines if line.startswith("==") and " in " in line
              and ("failed" in line or "error" in line)]
    first = next((line for line in lines if line.startswith(("FAILED", "ERROR", "error:"))), None)
    own = [line for line in lines if not line.startswith("make")] or lines or [""]  # not make's "Error 1"
    return ("; ".join(filter(None, [counts[-1] if counts else None, first])) or own[-1])[:300]


def parts(lines: list[tuple[float, str]], total: float) -> list[dict]:
    """The parts of a fresh `make all` read off its timestamped log (see the module docstring)."""
    tests_start = next((t for t, text in lines if PYTEST.search(text)), None)
    trained = {m[1]: float(m[2]) for _, text in lines if (m := TRAINED.search(text))}
    scurve = [stem for stem in trained if config.load(paths.CONFIGS / f"{stem}.toml").family == SCURVE]
    rows = []
    if tests_start is not None:
        rows += [dict(stage="  of which: train, figures, claims, report (2 jobs)", seconds=tests_start),
                 dict(stage="  of which: the test suite", seconds=total - tests_start)]
    rows += [dict(stage=f"  inside: training {stem} (its own clock)", seconds=s)
             for stem, s in trained.items() if stem not in scurve]
    if scurve:
        rows.append(dict(stage=f"  inside: training the {len(scurve)} S-curve configs (their clocks, summed)",
                         seconds=sum(trained[s] for s in scurve)))
    return [dict(row, command="", status="ok") for row in rows]


def pipeline(python: str, log: Path) -> list[dict]:
    rows, logs = [], []
    env = make_env(python)
    with tempfile.TemporaryDirectory(prefix="reproduce-bench-") as tmp:
        root = Path(tmp)
        copy_tree(root)

        def stage(name, targets, before=None):
            if before:
                before()
            print(f"bench: pipeline: {name}: make {' '.join(targets)}", flush=True)
            seconds, status, lines = run_make(targets, root, env)
            logs.append(f"### {name}: make {' '.join(targets)}\n" + "\n".join(text for _, text in lines))
            rows.append(dict(stage=name, command=f"make {' '.join(targets)}", seconds=seconds, status=status))
            print(f"bench: pipeline: {name}: {seconds:.0f} s, {status}", flush=True)
            return seconds, lines

        total, lines = stage("make all, fresh", ["all"])
        rows += parts(lines, total)
        stage("no-op make all", ["all"])
        stage("no-op make train figures paper", ["train", "figures", "paper"])

        def drop_scurve_results():
            for toml in sorted(paths.CONFIGS.glob("*.toml")):
                if config.load(toml).family == SCURVE:
                    for suffix in (".npz", ".json"):
                        (root / "data/results" / f"{toml.stem}{suffix}").unlink(missing_ok=True)
        stage("S-curve make all", ["all"], before=drop_scurve_results)
    results.write_text(log, "\n\n".join(logs))
    print(f"wrote {log}", flush=True)
    return rows


def report(rows: list[dict]) -> bool:
    """Print each target's verdict; True when every stage ran and every target was met."""
    ok = all(row["status"] == "ok" for row in rows)
    for row in rows:
        if row["stage"] in TARGETS_S:
            target = TARGETS_S[row["stage"]]
            verdict = ("FAILED: " + row["status"] if row["status"] != "ok"
                       else "met" if row["seconds"] <= target else "MISSED")
            ok &= verdict == "met"
            print(f"target: {row['stage']} {row['seconds']:.0f} s (≤ {target} s): {verdict}", flush=True)
    return ok


def main(argv=None) -> bool:
    rows = pipeline(sys.executable, paths.RESULTS / "bench_pipeline.log")
    table = pd.DataFrame(rows, columns=["stage", "command", "seconds", "status"])
    results.write_text(paths.RESULTS / "bench_pipeline.csv", table.to_csv(index=False, float_format="%.4g"))
    print(f"\nmake stages (one fresh copy of the working tree, {os.cpu_count()} cores)\n"
          f"{table.to_string(index=False, float_format=lambda x: f'{x:.0f}')}\n"
          f"wrote {paths.RESULTS / 'bench_pipeline.csv'}", flush=True)
    return report(rows)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
