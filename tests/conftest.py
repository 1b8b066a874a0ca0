"""Shared fixtures. `--regen-baselines` (used only by `make regen`) rewrites tests/baselines/*.csv;
`--results DIR` points the figure-data and claim-verdict tests at results trained elsewhere."""
import os
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--regen-baselines", action="store_true",
                     help="rewrite the regression baselines from the current results (make regen)")
    parser.addoption("--results", default=os.environ.get("REPRODUCE_RESULTS"),
                     help="check the results in this folder (default data/results; env REPRODUCE_RESULTS)")


def pytest_configure(config):
    # pytest-regressions writes baselines only under --regen-all; map our explicit flag onto it, so a
    # plain `pytest` / `make test` can never rewrite or create a baseline (see test_figure_data.py).
    if config.getoption("--regen-baselines"):
        config.option.regen_all = True
        from reproduce.core import errors, paths
        try:  # before any test runs: a baselines folder that cannot take the files is one line, exit 2
            paths.check_writable(paths.BASELINES)
        except errors.OutputError as err:
            pytest.exit(str(err), returncode=2)


@pytest.fixture
def regen(request) -> bool:
    return request.config.getoption("--regen-baselines")


@pytest.fixture
def results_dir(request) -> Path | None:
    """The folder given by --results (results trained elsewhere), or None for data/results."""
    given = request.config.getoption("--results")
    return Path(given).resolve() if given else None
