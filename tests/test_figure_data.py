"""Regression tests: the table each figure checks (regression_data, default figure_data) equals its
committed baseline (tests/baselines/<stem>.csv) within tolerances derived from the measured cross-platform
spread (tests/baselines/spread.csv, written by `make spread`; rule and safety factor: reproduce/checks/spread.py).

`make regen` rewrites the baselines on purpose; `make test` only compares, and fails when one is missing.
`pytest --results DIR` checks results trained elsewhere (e.g. under other CPU kernels, .ci/run).
"""
import numpy as np
import pandas as pd
import pytest

from reproduce import figures
from reproduce.checks import regression as spread
from reproduce.core import bumps, paths

RULES = bumps.load_rules()  # data/bump.toml, loaded once and passed down


def baseline_path(stem):
    return paths.BASELINES / f"{stem}.csv"


def check(dataframe_regression, stem, data: pd.DataFrame, regen: bool):
    if regen:
        dataframe_regression.check(data.reset_index(drop=True), fullpath=baseline_path(stem))
        return
    if not baseline_path(stem).exists():
        pytest.fail(f"{stem}: no baseline {baseline_path(stem)}; create it on purpose with `make regen`")
    problems = spread.compare(data, stem)
    assert not problems, f"{stem}: " + "; ".join(problems)


def checked_table(stem, results_dir, alternate):
    source = paths.RESULTS if results_dir is None else results_dir
    if (alternate or figures.optional(stem)) and not (source / f"{figures.results_stem(stem)}.npz").exists():
        pytest.skip(f"no {figures.results_stem(stem)} results in {source}"
                    + (f" (`make {figures.optional(stem)}`)" if figures.optional(stem) else ""))
    return figures.regression_data(stem, figures.load_for(stem, source), RULES)


@pytest.mark.parametrize("stem", figures.FIGURE_IDS)
def test_figure_data(stem, dataframe_regression, regen, results_dir):
    data = checked_table(stem, results_dir, alternate=results_dir is not None)
    check(dataframe_regression, stem, data, regen)


@pytest.mark.parametrize("stem", figures.FIGURE_IDS)
def test_every_checked_column_has_a_measured_spread(stem):
    """A float column without a measured spread would get no derived tolerance: `make spread` adds it."""
    baseline = spread.read_baseline(stem)
    floats = {c for c in baseline.columns if baseline[c].dtype.kind == "f"}
    measured = set(spread.load_spread().query("figure == @stem").column)  # every kind: compare() checks
    assert floats <= measured, f"{stem}: no spread for {sorted(floats - measured)}; run `make spread {stem}`"


def perturbed(data: pd.DataFrame, stem: str) -> pd.DataFrame:
    """Every float column moved by 10× its tolerance: a check that still passed would be toothless."""
    out = data.copy().reset_index(drop=True)
    kinds = out["kind"].astype(str) if "kind" in out else pd.Series("", index=out.index)
    for (col, kind), (rtol, atol) in spread.table_tolerances(stem, out).items():
        rows = kinds == kind
        out.loc[rows, col] = out.loc[rows, col] * (1 + 10 * rtol + 1e-12) + 10 * atol + 1e-300
    return out


@pytest.mark.parametrize("stem", figures.FIGURE_IDS)
def test_baselines_bite(stem, regen):
    if regen:
        pytest.skip("rewriting baselines")
    data = checked_table(stem, None, alternate=False)
    assert any(data[c].dtype.kind == "f" for c in data.columns), f"{stem}: no float column to check"
    assert spread.compare(perturbed(data, stem), stem), f"{stem}: a 10×-tolerance change passed"


def test_missing_baseline_fails_and_writes_nothing(dataframe_regression, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "BASELINES", tmp_path)
    with pytest.raises(pytest.fail.Exception, match="make regen"):
        check(dataframe_regression, "fig01_scalar", pd.DataFrame({"x": [1.0]}), regen=False)
    assert not list(tmp_path.iterdir())


def test_a_one_seed_table_is_compared_with_that_seed_of_the_baseline():
    stem = "fig02_vector"  # three seeds
    full = figures.regression_data(stem, figures.load_for(stem), RULES)
    seed = full.seed.iloc[-1]
    assert not spread.compare(full[full.seed == seed], stem)
    other = full[full.seed == full.seed.iloc[0]].assign(seed=seed)  # another seed's rows, relabelled
    assert spread.compare(other, stem)


def test_tolerances_are_the_measured_spread_times_the_safety_factor():
    table = spread.load_spread()
    row = table[table.rel > 0].iloc[0]
    rtol, _ = spread.tolerances(row.figure)[(row.column, row.kind)]
    same = (table.figure == row.figure) & (table.column == row.column) & (table.kind == row.kind)
    worst = table[same].rel.max()
    fam = spread.family(row.figure)
    assert np.isclose(rtol, max(fam.safety * worst, fam.dtype_floor[0]))
