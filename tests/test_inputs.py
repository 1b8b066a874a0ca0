"""Every bad input is one line on stderr naming the file (and key) and what to do, a non-zero exit, no
traceback and nothing written; `--set key=value` overrides any config key with the same checks."""
import json
import shutil
import subprocess
import sys

import pytest

from reproduce.core import paths

TINY = "order = 2\nrank = 2\nN = 6\nlr = 0.1\nsteps = 20\nseeds = 2\nrecord_points = 10\n"


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "reproduce", *args], capture_output=True, text=True,
                          cwd=paths.ROOT, timeout=120, **kw)


def one_line_error(proc, *must_contain):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for text in must_contain:
        assert text in lines[0], lines[0]
    return lines[0]


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
