"""Every place make, `pytest --regen-baselines` and `reproduce spread` write is checked before any recipe,
test or training runs: a folder that is a file or cannot be written is one line and exit 2, nothing written
(tests/test_inputs.py: the same for the commands' own inputs and outputs)."""
import os
import shutil
import subprocess
import sys

import pytest

from helpers import copy_project, make, one_line_error, small_filesystem
from reproduce.core import paths


# make: the guard checks every folder the goals write before any recipe runs (one line, exit 2)
MAKE_PLACES = {
    # name: (goal, what is in the way, a folder created as a file)
    "results": ("train", "data/results"),
    "build_stamps": ("train", "build"),
    "figures": ("figures", "paper/figures"),
    "baselines": ("regen", "tests/baselines"),
    "portable": ("portable", "data/results-portable"),
}


@pytest.mark.parametrize("case", MAKE_PLACES)
def test_make_stops_before_any_recipe_when_a_folder_is_a_file(case, tmp_path):
    goal, blocked = MAKE_PLACES[case]
    project = copy_project(tmp_path / "p", {"fig01_scalar": (paths.CONFIGS / "fig01_scalar.toml").read_text()})
    target = project / blocked
    if target.is_dir():
        target.rmdir()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("in the way")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    out, _ = make(project, goal).communicate(timeout=120)
    lines = out.strip().splitlines()
    assert len(lines) == 1 and "*** " in lines[0] and "Traceback" not in out, out
    assert f"*** {blocked}: is a file, not a folder; remove or rename it" in lines[0]
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before  # not even build/deps.mk


def test_make_stops_on_a_read_only_results_folder(tmp_path):
    project = copy_project(tmp_path / "p", {"fig01_scalar": (paths.CONFIGS / "fig01_scalar.toml").read_text()})
    with small_filesystem(project / "data" / "results", "ro,size=64k"):
        proc = make(project, "train")
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 2 and len(out.strip().splitlines()) == 1, out
        assert "data/results: cannot write there (Read-only file system)" in out
    assert not (project / "build" / "deps.mk").exists()


def test_regen_stops_before_any_test_when_baselines_cannot_be_written(tmp_path):
    """`pytest --regen-baselines` run directly (not through make): the conftest checks the folder first."""
    project = copy_project(tmp_path / "p", {})
    (project / "tests").mkdir()
    shutil.copy(paths.ROOT / "tests" / "conftest.py", project / "tests")
    (project / "tests" / "test_never.py").write_text("def test_never():\n    raise AssertionError('ran')\n")
    (project / "tests" / "baselines").write_text("in the way")
    proc = subprocess.run([sys.executable, "-m", "pytest", "--regen-baselines", "-p", "no:cacheprovider",
                           "tests"], cwd=project, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(project)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{project / 'tests' / 'baselines'}: is a file, not a folder" in proc.stdout + proc.stderr
    assert "ran" not in proc.stdout + proc.stderr


def test_spread_checks_its_variant_folder_before_training(tmp_path):
    project = copy_project(tmp_path / "p", {"fig01_scalar": (paths.CONFIGS / "fig01_scalar.toml").read_text()})
    (project / "data" / "results-portable").write_text("in the way")
    proc = subprocess.run([sys.executable, "-m", "reproduce", "spread", "fig01_scalar", "--variant", "portable",
                           "--train-only"], cwd=project, capture_output=True, text=True, timeout=120)
    line = one_line_error(proc, "is a file, not a folder")
    assert str(project / "data" / "results-portable") in line
