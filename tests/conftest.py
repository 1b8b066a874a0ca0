"""Shared fixtures. `--regen-baselines` (used only by `make regen`) rewrites tests/baselines/*.csv."""
import pytest


def pytest_addoption(parser):
    parser.addoption("--regen-baselines", action="store_true",
                     help="rewrite the regression baselines from the current results (make regen)")


def pytest_configure(config):
    # pytest-regressions writes baselines only under --regen-all; map our explicit flag onto it, so a
    # plain `pytest` / `make test` can never rewrite or create a baseline (see test_figure_data.py).
    if config.getoption("--regen-baselines"):
        config.option.regen_all = True


@pytest.fixture
def regen(request) -> bool:
    return request.config.getoption("--regen-baselines")
