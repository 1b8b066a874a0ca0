"""Make prerequisites come from the import graph (reproduce/core/deps.py): a helper newly imported by a trainer
retrains its results; editing one figure module redraws that figure only. Checked with `make -q`/`-n`
on a copy of the tree whose targets are stamped up to date (nothing is trained or drawn)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from reproduce import figures
from reproduce.core import deps, paths

T0, T1, T2 = 1_000_000_000, 1_000_000_100, 1_000_000_200  # old sources < built targets < a later edit


def project(tmp_path: Path) -> Path:
    dest = tmp_path / "p"
    shutil.copytree(paths.ROOT / "reproduce", dest / "reproduce", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(paths.CONFIGS, dest / "data" / "configs")
    shutil.copy(paths.ROOT / "Makefile", dest)
    shutil.copy(paths.BUMP_RULE, dest / "data")
    (dest / "paper").mkdir()
    shutil.copy(paths.PAPER / "s_curves.py", dest / "paper")  # the report's notebook: its imports count
    (dest / "build").mkdir()
    (dest / "build" / "device").write_text("config\n")  # trained with each config's own device
    for path in dest.rglob("*"):
        os.utime(path, (T0, T0))
    for stem in (p.stem for p in paths.CONFIGS.glob("*.toml")):
        stamp(dest / "data" / "results" / f"{stem}.npz", T1)
    for stem in figures.FIGURE_IDS:
        stamp(dest / "paper" / "figures" / f"{stem}.png", T1)
    stamp(dest / "data" / "results" / "claims.csv", T1)
    return dest


def stamp(path: Path, when: int):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, (when, when))


def make(cwd, *args):
    return subprocess.run(["make", *args, f"PY={sys.executable}", "ENV_STAMP=", "CONDA_DEFAULT_ENV="],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_a_helper_newly_imported_by_the_trainer_makes_its_results_stale(tmp_path):
    p = project(tmp_path)
    target = "data/results/fig01_scalar.npz"
    assert make(p, "-q", target).returncode == 0  # everything stamped up to date
    stamp(p / "build" / "deps.mk", T1)  # the rules were written before the edit below
    helper = p / "reproduce" / "scurve" / "helper_new.py"
    helper.write_text("SCALE = 1.0\n")
    model = p / "reproduce" / "scurve" / "model.py"
    model.write_text("from . import helper_new  # noqa: F401\n" + model.read_text())
    os.utime(model, (T0, T0))   # the importing file looks untouched: only the import graph says why
    os.utime(helper, (T2, T2))  # a later edit of the helper
    assert make(p, "-q", target).returncode == 1, "results did not go stale after the helper changed"
    assert make(p, "-q", "data/results/figG_grokking.npz").returncode == 0  # another family's results


def test_editing_one_figure_module_redraws_only_that_figure(tmp_path):
    p = project(tmp_path)
    os.utime(p / "reproduce" / "figures" / "fig01_scalar.py", (T2, T2))
    out = make(p, "-n", "figures")
    assert out.returncode == 0, out.stdout + out.stderr
    plots = [line.split()[-1] for line in out.stdout.splitlines() if "-m reproduce plot" in line]
    assert plots == ["fig01_scalar"], out.stdout
    assert "-m reproduce train" not in out.stdout


def test_figure_modules_never_import_each_other():
    for mod in deps.figure_modules():
        imported = {Path(f).stem for f in deps.closure(mod)} - {mod.stem}
        others = imported & set(figures.FIGURE_IDS)
        assert not others, f"{mod.name} imports {others}"


def test_deps_finds_data_files_read_by_name():
    rules = deps.make_rules()
    fig03 = next(line for line in rules.splitlines() if line.startswith("paper/figures/fig03_rank1_loss.png"))
    assert "data/bump.toml" in fig03 and "reproduce/figures/matplotlibrc" in fig03
    # the verdicts `make spread` records decide which claims are UNDETERMINED: a new spread remakes claims.csv
    claim_sources = next(line for line in rules.splitlines() if line.startswith("CLAIMS_SRC :="))
    assert "tests/baselines/verdicts.csv" in claim_sources.split()


def test_switching_device_retrains(tmp_path):
    p = project(tmp_path)
    target = "data/results/fig01_scalar.npz"
    assert make(p, "-q", target).returncode == 0
    stamp(p / "build" / "deps.mk", T1)
    assert make(p, "-q", target, "DEVICE=cuda").returncode == 1  # results trained for another device
