"""Every bad input is one line on stderr naming the file (and key) and what to do, a non-zero exit, no
traceback and nothing written; `--set key=value` overrides any config key with the same checks. So is
every place a command writes that cannot take the files (a file in the way, a folder that cannot be
created or written, a full disk), checked before any work; a write that fails anyway leaves nothing
(make, regen and spread: tests/test_write_places.py)."""
import contextlib
import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import one_line_error, small_filesystem
from reproduce.core import paths

TINY = "order = 2\nrank = 2\nN = 6\nlr = 0.1\nsteps = 20\nseeds = 2\nrecord_points = 10\n"


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "reproduce", *args], capture_output=True, text=True,
                          cwd=paths.ROOT, timeout=120, **kw)


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def write(folder, name, content):
    path = folder / name
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return path


CONFIG_FILES = {
    # name: (how to make the path in a folder, text the message must hold)
    "missing": (lambda d: d / "nope.toml", "no such config file"),
    "empty": (lambda d: write(d, "empty.toml", ""), "empty config file"),
    "binary": (lambda d: write(d, "bin.toml", bytes(range(256))), "not a text file"),
    "directory": (lambda d: d, "is a directory"),
    "nan": (lambda d: write(d, "nan.toml", TINY.replace("lr = 0.1", "lr = nan")), "key 'lr': must be a finite"),
    "inf": (lambda d: write(d, "inf.toml", TINY + "init_std = inf\n"), "key 'init_std': must be a finite"),
    "too_big": (lambda d: write(d, "big.toml", TINY.replace("N = 6", "N = 100000000000")), "GiB of memory"),
    "bad_family": (lambda d: write(d, "fam.toml", TINY + 'family = "nope"\n'), "key 'family': must be one of"),
}


@pytest.mark.parametrize("case", CONFIG_FILES)
def test_bad_config_file(case, tmp_path):
    make_path, message = CONFIG_FILES[case]
    (tmp_path / "in").mkdir()
    path = make_path(tmp_path / "in")
    out = tmp_path / "out"
    line = one_line_error(cli("train", str(path), "--out", str(out)), message)
    assert str(path) in line
    assert not out.exists()


def test_nan_is_a_config_error_not_a_divergence(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(TINY + "[sweep]\ninit_std = [0.1, nan]\n")
    line = one_line_error(cli("train", str(path), "--out", str(tmp_path / "o")), "key 'sweep.init_std'")
    assert "diverged" not in line


@pytest.fixture
def results_copy(tmp_path):
    for suffix in (".npz", ".json"):
        shutil.copy(paths.RESULTS / f"fig01_scalar{suffix}", tmp_path)
    return tmp_path


RESULTS_DAMAGE = {
    "missing": (lambda d: (d / "fig01_scalar.npz").unlink(), "no such results file"),
    "truncated": (lambda d: (d / "fig01_scalar.npz").write_bytes((d / "fig01_scalar.npz").read_bytes()[:500]),
                  "truncated or corrupt"),
    "corrupt_json": (lambda d: (d / "fig01_scalar.json").write_text("{\"config\": "), "truncated or corrupt"),
}


@pytest.mark.parametrize("case", RESULTS_DAMAGE)
def test_bad_results_file(case, results_copy, tmp_path):
    damage, message = RESULTS_DAMAGE[case]
    damage(results_copy)
    figs = tmp_path / "figs"
    proc = cli("plot", "fig01_scalar", "--results", str(results_copy), "--out", str(figs))
    line = one_line_error(proc, message)
    assert "fig01_scalar" in line and "reproduce train" in line  # what to do
    assert not figs.exists()


def test_unknown_figure(tmp_path):
    one_line_error(cli("plot", "fig99_nope", "--out", str(tmp_path / "f")), "unknown figure 'fig99_nope'")
    assert not (tmp_path / "f").exists()


# --set: one case per kind of value; (override, key in the provenance, expected value there)
SETS = {
    "int": (["rank=1"], "rank", 1),
    "float": (["lr=0.05"], "lr", 0.05),
    "list": (["weights=[1, 0.5]"], "weights", [1, 0.5]),
    "string_bare": (["target=orthonormal"], "target", "orthonormal"),
    "string_quoted": (['init="zeros"'], "init", "zeros"),
    "sweep": (["sweep.init_std=[0.1,0.01]"], "sweep", {"init_std": [0.1, 0.01]}),
    "steps_flag": ([], "steps", 7),
}


@pytest.mark.parametrize("case", SETS)
def test_set_overrides_a_key(case, tiny, tmp_path):
    sets, key, expected = SETS[case]
    args = [a for s in sets for a in ("--set", s)] + (["--steps", "7"] if case == "steps_flag" else [])
    proc = cli("train", str(tiny), *args, "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    meta = json.loads((tmp_path / "o" / "tiny.json").read_text())
    assert meta["config"][key] == expected
    assert meta["overrides"]


SET_ERRORS = {
    "out_of_range": ("lr=-1", "key 'lr': must be > 0"),
    "wrong_type": ("rank=2.5", "key 'rank': expected int"),
    "unknown_key": ("stpes=3", "did you mean 'steps'"),
    "bad_sweep_key": ("sweep.nope=[1]", "key 'sweep.nope'"),
    "not_key_value": ("lr", "expected key=value"),
    "nan": ("lr=nan", "must be a finite number"),
    "list_length": ("weights=[1,2,3]", "key 'weights'"),
}


@pytest.mark.parametrize("case", SET_ERRORS)
def test_bad_set_is_one_line(case, tiny, tmp_path):
    item, message = SET_ERRORS[case]
    line = one_line_error(cli("train", str(tiny), "--set", item, "--out", str(tmp_path / "o")), message)
    assert str(tiny) in line
    assert not (tmp_path / "o").exists()


def test_an_overridden_run_never_overwrites_the_configs_own_results(tmp_path, monkeypatch):
    config = tmp_path / "data" / "configs" / "tiny.toml"
    config.parent.mkdir(parents=True)
    config.write_text(TINY)
    proc = cli("train", str(config), "--set", "lr=0.05")
    assert proc.returncode == 0, proc.stderr
    written = proc.stdout.strip().split(" -> ")[-1]
    assert "/overrides/tiny-" in written and not (paths.RESULTS / "tiny.npz").exists()
    shutil.rmtree(paths.OVERRIDES / written.split("/overrides/")[1].split("/")[0])


def test_cuda_on_a_machine_without_one_is_one_line(tiny, tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    line = one_line_error(cli("train", str(tiny), "--device", "cuda", "--out", str(tmp_path / "o")),
                          "no CUDA device")
    assert "key 'device'" in line and not (tmp_path / "o").exists()


def test_make_device_cuda_reaches_the_trainer(tmp_path):
    """`make train DEVICE=cuda` passes the switch to every training command (dry run: nothing trains, and
    nothing records the switch: the next plain `make` must not retrain everything)."""
    device = paths.ROOT / "build" / "device"
    before = device.read_text() if device.exists() else None
    proc = subprocess.run(["make", "-n", "-B", "data/results/fig01_scalar.npz", "DEVICE=cuda", "ENV_STAMP=",
                           f"PY={sys.executable}", "CONDA_DEFAULT_ENV="], cwd=paths.ROOT, capture_output=True,
                          text=True, timeout=120)
    assert "reproduce train data/configs/fig01_scalar.toml --device cuda" in proc.stdout, proc.stdout
    assert (device.read_text() if device.exists() else None) == before


# --- every place a command writes: checked before any work; one line naming the path, exit 2, nothing left ---

def run_main(argv, capsys) -> tuple[int, str]:
    """`python -m reproduce argv` in this process, so that a test can make the file system fail."""
    from reproduce.__main__ import main
    with pytest.raises(SystemExit) as stop:
        main(argv)
    return stop.value.code, capsys.readouterr().err


# command: (argv writing into folder `out`, the file it writes there)
COMMANDS = {
    "train": (lambda out, tiny: ["train", str(tiny), "--out", str(out)], "tiny.npz"),
    "plot": (lambda out, tiny: ["plot", "fig01_scalar", "--results", str(paths.RESULTS), "--out", str(out)],
             "fig01_scalar.png"),
    "claims": (lambda out, tiny: ["claims", "--results", str(out)], "claims.csv"),
    "report": (lambda out, tiny: ["report"], "report.html"),  # out: paper/, moved into tmp_path below
}


def _erofs(*args, **kwargs):
    raise OSError(errno.EROFS, os.strerror(errno.EROFS))


PLACES = {
    # name: (make the output folder under tmp_path, break the file system (monkeypatch), text in the line)
    "is_a_file": (lambda d, name: write(d, "afile", "keep"), None, "is a file, not a folder"),
    "under_a_file": (lambda d, name: write(d, "afile", "keep") / "sub", None, "afile is a file"),
    "read_only": (lambda d, name: d, lambda mp: mp.setattr(paths.tempfile, "mkstemp", _erofs),
                  "Read-only file system"),
    "disk_full": (lambda d, name: d, lambda mp: mp.setattr(paths.shutil, "disk_usage",
                                                             lambda p: shutil._ntuple_diskusage(10**9, 10**9, 0)),
                  "free on its disk"),
    "file_is_a_folder": (lambda d, name: (d / name).mkdir() or d, None, "is a folder where a file is to be written"),
}


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("command", COMMANDS)
def test_an_unwritable_output_is_one_line_before_any_work(command, place, tiny, tmp_path, capsys, monkeypatch):
    argv, written = COMMANDS[command]
    make_folder, break_fs, message = PLACES[place]
    (tmp_path / "w").mkdir()
    out = make_folder(tmp_path / "w", written)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    if command == "report":
        from reproduce import report
        monkeypatch.setattr(report, "REPORT", out / written)
        monkeypatch.setattr(report, "render", lambda: pytest.fail("the report ran"))  # no work may start
    if command == "train":  # no training either: the checks come before torch is asked for
        monkeypatch.setattr("reproduce.__main__._require_torch", lambda: pytest.fail("training started"))
    if break_fs:
        break_fs(monkeypatch)
    code, err = run_main(argv(out, tiny), capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert str(out) in lines[0] and message in lines[0], lines[0]
    assert "; " in lines[0]  # ... and what to do
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing made, nothing left


FAILED_WRITES = {
    # name: (command, what fails, the file the line names)
    "train_curves": ("train", "npz", "tiny.npz"),
    "train_provenance": ("train", "json", "tiny.json"),
    "plot_pdf": ("plot", "pdf", "fig01_scalar.pdf"),
}


@pytest.mark.parametrize("case", FAILED_WRITES)
def test_a_disk_that_fills_while_writing_leaves_nothing(case, tiny, tmp_path, capsys, monkeypatch):
    """The up-front check passed, then the disk filled: one line, exit 2, no file and no folder left."""
    command, fails, name = FAILED_WRITES[case]
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def no_space(*args, **kwargs):
        raise full
    if fails == "npz":
        monkeypatch.setattr(np.lib.format, "write_array", no_space)
    elif fails == "json":
        real = Path.write_text
        monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: no_space() if ".json" in self.name
                            else real(self, *a, **k))
    else:
        from matplotlib.figure import Figure
        real = Figure.savefig
        monkeypatch.setattr(Figure, "savefig", lambda self, f, **k: no_space() if k.get("format") == "pdf"
                            else real(self, f, **k))
    out = tmp_path / "new" / "out"
    code, err = run_main(COMMANDS[command][0](out, tiny), capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert str(out / name) in lines[0] and "No space left on device" in lines[0] and "free some space" in lines[0]
    assert not (tmp_path / "new").exists()  # not the files, their temporary copies, nor the folders made


def test_a_read_only_file_system_is_one_line(tiny, tmp_path):
    with small_filesystem(tmp_path / "ro", "ro,size=64k") as ro:
        for out in (ro, ro / "results"):
            line = one_line_error(cli("train", str(tiny), "--out", str(out)), "Read-only file system")
            assert line.startswith(f"error: {out}: ") and "choose another folder with --out" in line
        assert not list(ro.iterdir())


def test_a_full_disk_is_one_line_before_training(tiny, tmp_path):
    with small_filesystem(tmp_path / "full", "size=1m") as full:
        with contextlib.suppress(OSError):  # fill it
            (full / "filler").write_bytes(b"x" * 2 ** 21)
        one_line_error(cli("train", str(tiny), "--out", str(full / "r")), f"{full / 'r'}: only 0 MiB free")
        assert [p.name for p in full.iterdir()] == ["filler"]


def test_results_folder_that_is_a_file(tmp_path):
    line = one_line_error(cli("plot", "fig01_scalar", "--results", str(write(tmp_path, "f", "x")),
                              "--out", str(tmp_path / "figs")), "is a file, not a results folder")
    assert "--results" in line and not (tmp_path / "figs").exists()
