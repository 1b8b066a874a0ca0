"""Bad input gets one line on stderr naming the file and the key, exit code 2, and nothing written."""
import subprocess
import sys

import pytest

from reproduce.core import paths

GOOD = {"order": "2", "rank": "1", "N": "10", "lr": "0.1", "steps": "10", "seeds": "2"}


def toml(**changes) -> str:
    keys = {**GOOD, **changes}
    return "\n".join(f"{k} = {v}" for k, v in keys.items() if v is not None) + "\n"


CASES = {
    # name: (file text, key named in the message, extra text the message must contain)
    "unknown_key": (toml(stpes="10"), "stpes", "did you mean 'steps'"),
    "wrong_type": (toml(N='"ten"'), "N", "expected int"),
    "bool_for_int": (toml(seeds="true"), "seeds", "expected int"),
    "missing_key": (toml(steps=None), "steps", "required"),
    "negative_lr": (toml(lr="-0.1"), "lr", "> 0"),
    "zero_lr": (toml(lr="0"), "lr", "> 0"),
    "nan_lr": (toml(lr="nan"), "lr", "must be a finite number"),
    "inf_steps_in_list": (toml(weights="[inf]", rank="1"), "weights", "must be a finite number"),
    "zero_steps": (toml(steps="0"), "steps", "> 0"),
    "zero_seeds": (toml(seeds="0"), "seeds", "> 0"),
    "zero_rank": (toml(rank="0"), "rank", "> 0"),
    "order_too_high": (toml(order="9"), "order", "at most 6"),
    "bad_choice": (toml(optimizer='"sgd"'), "optimizer", "one of gd, adam"),
    "bad_sweep_value": (toml() + "[sweep]\nrank = [1, 0]\n", "sweep.rank", "> 0"),
    "unknown_sweep_key": (toml() + "[sweep]\nranks = [1, 2]\n", "sweep.ranks", "not a sweepable"),
    "weights_length": (toml(weights="[1.0, 2.0]"), "weights", "one weight per"),
    "malformed": ("order = 2\nrank = [\n", None, "malformed TOML"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_config_is_one_clear_line(case, tmp_path):
    text, key, expected = CASES[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "reproduce", "train", str(path), "--out", str(out)],
                          capture_output=True, text=True, cwd=paths.ROOT)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(path) in lines[0] and expected in lines[0]
    if key:
        assert f"key '{key}'" in lines[0]
    assert not out.exists()


def test_missing_file(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "reproduce", "train", str(tmp_path / "nope.toml")],
                          capture_output=True, text=True, cwd=paths.ROOT)
    assert proc.returncode == 2 and "no such config file" in proc.stderr and "Traceback" not in proc.stderr


def test_version_flag():
    proc = subprocess.run([sys.executable, "-m", "reproduce", "--version"], capture_output=True, text=True,
                          cwd=paths.ROOT)
    from reproduce import __version__
    assert proc.returncode == 0 and proc.stdout.strip() == f"reproduce {__version__}"
