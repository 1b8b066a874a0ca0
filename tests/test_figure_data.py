"""Regression tests: the table each figure draws equals its committed baseline (tests/baselines/<stem>.csv).

`make regen` rewrites the baselines on purpose; `make test` only compares, and fails when one is missing.
"""
import pandas as pd
import pytest

from reproduce import figures, paths

# Tolerances per figure and column. The S-curve runs train in float64 with fixed seeds and one thread:
# on one machine they repeat bit for bit; across BLAS builds round-off (~1e-16) is amplified through
# the saddle by at most ~1e4, hence rtol 1e-9. Losses near the round-off floor (~1e-31 absolute, far
# below any plotted decade) carry no relative meaning, hence a small atol on losses.
S_CURVE = {"loss": dict(rtol=1e-9, atol=1e-20), "theory_loss": dict(rtol=1e-9, atol=1e-20),
           "relative_loss": dict(rtol=1e-9, atol=1e-20), "strength": dict(rtol=1e-9, atol=1e-12),
           "step": dict(rtol=1e-9, atol=1e-9),  # drop steps are interpolated from the loss
           "inner_product": dict(rtol=1e-9, atol=1e-12),
           "norm": dict(rtol=1e-9, atol=1e-12), "value": dict(rtol=1e-9, atol=1e-12)}
TOLERANCES = {stem: S_CURVE for stem in figures.FIGURE_IDS if not stem.startswith("figG")}
# Grokking (figG*) modules compare `regression_data` (stable per-seed forms of chaotic float32 curves) with
# their own REGRESSION_TOLERANCES, each stated and justified in the module.
TOLERANCES.update({stem: figures.module(stem).REGRESSION_TOLERANCES
                   for stem in figures.FIGURE_IDS if hasattr(figures.module(stem), "REGRESSION_TOLERANCES")})
DEFAULT = dict(rtol=1e-12, atol=0.0)  # any column not listed: steps, seeds, indices are exact


def regression_data(mod, res) -> pd.DataFrame:
    """The table a figure's regression test compares: its `regression_data`, else what it draws."""
    return getattr(mod, "regression_data", mod.figure_data)(res)


def baseline_path(stem):
    return paths.BASELINES / f"{stem}.csv"


def check(dataframe_regression, stem, data: pd.DataFrame, regen: bool):
    if not regen and not baseline_path(stem).exists():
        pytest.fail(f"{stem}: no baseline {baseline_path(stem)}; create it on purpose with `make regen`")
    dataframe_regression.check(data.reset_index(drop=True), fullpath=baseline_path(stem),
                               tolerances=TOLERANCES.get(stem, {}), default_tolerance=DEFAULT)


@pytest.mark.parametrize("stem", figures.FIGURE_IDS)
def test_figure_data(stem, dataframe_regression, regen):
    mod = figures.module(stem)
    check(dataframe_regression, stem, regression_data(mod, figures.load_for(stem)), regen)


def perturbed(data: pd.DataFrame, stem: str) -> pd.DataFrame:
    """Every float column moved by 10× its tolerance: a check that still passed would be toothless."""
    out = data.copy()
    for col in out.columns:
        if out[col].dtype.kind == "f":
            tol = TOLERANCES.get(stem, {}).get(col, DEFAULT)
            out[col] = out[col] * (1 + 10 * tol.get("rtol", 0) + 1e-12) + 10 * tol.get("atol", 0) + 1e-300
    return out


@pytest.mark.parametrize("stem", figures.FIGURE_IDS)
def test_baselines_bite(stem, dataframe_regression, regen):
    if regen:
        pytest.skip("rewriting baselines")
    data = regression_data(figures.module(stem), figures.load_for(stem))
    assert any(data[c].dtype.kind == "f" for c in data.columns), f"{stem}: no float column to check"
    with pytest.raises(AssertionError):
        check(dataframe_regression, stem, perturbed(data, stem), regen=False)


def test_missing_baseline_fails_and_writes_nothing(dataframe_regression, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "BASELINES", tmp_path)
    with pytest.raises(pytest.fail.Exception, match="make regen"):
        check(dataframe_regression, "fig01_scalar", pd.DataFrame({"x": [1.0]}), regen=False)
    assert not list(tmp_path.iterdir())
