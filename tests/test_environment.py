"""pyproject.toml is the single source of dependencies: the lock, environment.yml, the Makefile, the GitHub
workflow and the citation metadata agree with it."""
import re
import tomllib

import yaml
from packaging.requirements import Requirement

from reproduce import __version__
from reproduce.core import paths

PYPROJECT = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
CONDA_NAMES = PYPROJECT["tool"]["s-curves"]["conda-names"]  # PyPI name -> conda-forge name, or "pip"
CONDA_ONLY = {"python", "pip"}                               # the interpreter and installer
CHECKED_TORCH = "2.13.0"  # the build every tolerance was measured with


def _requirements() -> list[Requirement]:
    reqs = [Requirement(r) for r in PROJECT["dependencies"]]
    return reqs + [Requirement(r) for extra in PROJECT["optional-dependencies"].values() for r in extra]


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _env() -> dict:
    return yaml.safe_load((paths.ROOT / "environment.yml").read_text())


def _lock() -> dict[str, tuple[str, set[str]]]:
    """requirements.lock as {name: (version, the names it is required via)}."""
    out, name = {}, None
    for line in (paths.ROOT / "requirements.lock").read_text().splitlines():
        if m := re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line.strip()):
            name = _canon(m.group(1))
            out[name] = (m.group(2), set())
        elif name and (m := re.fullmatch(r"#\s+(?:via\s+)?(?:-\s+)?([A-Za-z0-9_.\-]+)", line.strip())):
            out[name][1].add(_canon(m.group(1)))
    return out


def test_environment_yml_lists_the_pyproject_packages_by_their_conda_forge_names():
    env = _env()
    assert env["channels"] == ["conda-forge"]
    conda = {_canon(re.split(r"[<>=!~ ]", d, maxsplit=1)[0]) for d in env["dependencies"] if isinstance(d, str)}
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    wanted = {_canon(r.name): CONDA_NAMES.get(r.name, r.name) for r in _requirements()}
    assert conda - CONDA_ONLY == {_canon(c) for c in wanted.values() if c != "pip"}
    assert [f"{n}=={CHECKED_TORCH}" for n, c in wanted.items() if c == "pip"] == \
        [p for p in pip if "==" in p], "what conda-forge lacks comes from pip at the checked version"
    assert pip[-1] == "-e ."


def test_lock_pins_every_requirement_within_its_range_and_nothing_stale():
    lock = _lock()
    for req in _requirements():
        if req.name == "torch":  # installed first by `make env`, left out of the lock on purpose
            assert req.specifier.contains(CHECKED_TORCH)
            continue
        assert _canon(req.name) in lock, f"{req.name}: not in requirements.lock; run `make lock`"
        assert req.specifier.contains(lock[_canon(req.name)][0]), f"{req.name}: locked outside {req.specifier}"
    direct = {_canon(r.name) for r in _requirements()} | {_canon(PROJECT["name"])}
    for name, (_, via) in lock.items():
        assert name in direct or via & (set(lock) | direct | {"torch"}), f"{name}: in the lock, needed by nothing"
    assert PYPROJECT["tool"]["pip-tools"]["upgrade-package"] == [f"torch=={CHECKED_TORCH}"]


def test_make_env_installs_the_checked_torch_then_the_lock():
    makefile = (paths.ROOT / "Makefile").read_text()
    torch_at, lock_at = makefile.index(f"torch=={CHECKED_TORCH}"), makefile.index("-r requirements.lock")
    assert torch_at < lock_at < makefile.index("--no-deps -e .")


def test_python_floor_is_the_one_the_code_needs():
    """tomllib is 3.11+: pyproject, the CLI's guard and the Makefile's check say the same."""
    assert PROJECT["requires-python"] == ">=3.11"
    assert "sys.version_info < (3, 11)" in (paths.ROOT / "reproduce" / "__main__.py").read_text()
    assert "sys.version_info < (3, 11)" in (paths.ROOT / "Makefile").read_text()


def test_citation_metadata_names_the_package_and_the_post():
    cff = yaml.safe_load((paths.ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["version"] == __version__ and cff["license"] == PROJECT["license"]
    post = next(r for r in cff["references"] if "RKDQCB6smLWgs2Mhr" in r["url"])
    assert {a["family-names"] for a in post["authors"]} == {"Jermyn", "Shlegeris"} and post["year"] == 2022
    assert (paths.ROOT / "LICENSE").read_text().startswith("MIT License")


def test_github_workflow_creates_the_env_and_runs_the_readme_test_command():
    flow = yaml.safe_load((paths.ROOT / ".github" / "workflows" / "ci.yml").read_text())
    steps = flow["jobs"]["test"]["steps"]
    conda = next(s for s in steps if s.get("uses", "").startswith("conda-incubator/setup-miniconda"))
    assert conda["with"]["environment-file"] == "environment.yml"
    assert conda["with"]["activate-environment"] == _env()["name"]
    assert any(s.get("run") == "make test" for s in steps)
    assert any(s.get("run") == "make portable" for s in steps)
    assert "make test" in (paths.ROOT / "README.md").read_text().split("\n## ")[0]
    assert "make test" in (paths.ROOT / ".ci" / "run").read_text()
    assert "make portable" in (paths.ROOT / ".ci" / "run").read_text()
