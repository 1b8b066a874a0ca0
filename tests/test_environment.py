"""pyproject.toml is the single source of dependencies: environment.yml and the GitHub workflow agree."""
import re
import tomllib

import yaml

from reproduce import paths

CONDA_NAMES = {"torch": "pytorch-cpu"}  # PyPI name -> conda-forge name, where they differ
CONDA_ONLY = {"python", "pip"}           # the interpreter and installer, not dependencies


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_pyproject_packages():
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra}
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - CONDA_ONLY
    assert conda == {CONDA_NAMES.get(n, n) for n in wanted}
    assert env["dependencies"][-1] == {"pip": ["-e ."]}


CHECKED_TORCH = "2.13.0"  # the build `make env` installs and README.md names as checked


def _lower_bound(spec: str) -> tuple[int, ...]:
    match = re.search(r">=\s*([\d.]+)", spec)
    assert match, f"{spec!r}: expected a lower bound (>=), not a pin"
    return tuple(int(x) for x in match.group(1).split("."))


def test_torch_ranges_agree_and_hold_the_checked_version():
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    pip_spec = next(r for r in project["dependencies"] if _name(r) == "torch")
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    conda_spec = next(d for d in env["dependencies"] if isinstance(d, str) and _name(d) == "pytorch-cpu")
    assert "==" not in pip_spec and "=" not in conda_spec.replace(">=", "")
    assert _lower_bound(pip_spec) == _lower_bound(conda_spec)
    assert _lower_bound(pip_spec) <= tuple(int(x) for x in CHECKED_TORCH.split("."))
    assert f"torch=={CHECKED_TORCH}" in (paths.ROOT / "Makefile").read_text()
    assert CHECKED_TORCH in (paths.ROOT / "README.md").read_text()


def test_github_workflow_creates_the_env_and_runs_the_readme_test_command():
    flow = yaml.safe_load((paths.ROOT / ".github" / "workflows" / "ci.yml").read_text())
    steps = flow["jobs"]["test"]["steps"]
    conda = next(s for s in steps if s.get("uses", "").startswith("conda-incubator/setup-miniconda"))
    assert conda["with"]["environment-file"] == "environment.yml"
    assert conda["with"]["activate-environment"] == yaml.safe_load(
        (paths.ROOT / "environment.yml").read_text())["name"]
    assert any(s.get("run") == "make test" for s in steps)
    assert any(s.get("run") == "make portable" for s in steps)
    assert "make test" in (paths.ROOT / "README.md").read_text().split("\n## ")[0]
    assert "make test" in (paths.ROOT / ".ci" / "run").read_text()
    assert "make portable" in (paths.ROOT / ".ci" / "run").read_text()
