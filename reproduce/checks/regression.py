"""The regression check: a figure's checked table against its committed baseline, within tolerances that
come from the measured spread (tests/baselines/spread.csv, written by checks/spread.py).

Tables with a `kind` column are compared per kind (curves of different scale and stability share
columns there). A column's deviation is two numbers, matching the check
|obtained − baseline| ≤ atol + rtol·|baseline|:
`rel`, the largest relative deviation over rows whose |baseline| is at least FLOOR_REL of the column's
largest |value|, and `abs`, the largest absolute deviation over the rows below that (round-off floor:
e.g. losses of 1e-31 next to losses of 1, whose relative digits carry no meaning). The regression tests
allow the family's `safety` factor × the largest measured value over variants, and never less than the
family's `dtype_floor` (core/families.py), which is all a column whose spread measured zero gets.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import figures
from ..core import config, families, paths
from ..core.errors import BadInput

FLOOR_REL = 1e-9     # rows below this fraction of a column's scale: checked in absolute terms (see above)
COLUMNS = ["figure", "column", "kind", "variant", "rel", "abs"]


def read_baseline(stem: str) -> pd.DataFrame:
    path = paths.BASELINES / f"{stem}.csv"
    if not path.is_file():
        raise BadInput(f"{path}: no baseline; create it on purpose with `make regen`")
    return pd.read_csv(path, index_col=0)


def match_seeds(obtained: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """The baseline rows of the seeds the obtained table holds, when it holds fewer (a one-seed check run)."""
    if "seed" in baseline and "seed" in obtained:
        have = set(obtained["seed"].dropna())
        if have < set(baseline["seed"].dropna()):
            return baseline[baseline["seed"].isin(have) | baseline["seed"].isna()].reset_index(drop=True)
    return baseline


def _float_columns(obtained, baseline):
    return [c for c in baseline.columns if c in obtained and (baseline[c].dtype.kind == "f"
                                                              or obtained[c].dtype.kind == "f")]


def _text(column: pd.Series) -> np.ndarray:
    """A non-float column as text; an empty cell reads back from CSV as NaN."""
    return column.fillna("").astype(str).to_numpy()


def structure_problems(obtained: pd.DataFrame, baseline: pd.DataFrame) -> list[str]:
    """Differences no tolerance covers: columns, row count, and exact (non-float) columns."""
    if list(obtained.columns) != list(baseline.columns):
        return [f"columns {list(obtained.columns)} != baseline {list(baseline.columns)}"]
    if len(obtained) != len(baseline):
        return [f"{len(obtained)} rows != baseline {len(baseline)}"]
    floats = set(_float_columns(obtained, baseline))
    out = []
    for col in baseline.columns:
        if col not in floats and not (_text(obtained[col]) == _text(baseline[col])).all():
            out.append(f"column {col!r} differs (exact column)")
    return out


def _groups(table: pd.DataFrame):
    """Row masks per sub-table: by `kind` where the table has one (its curves differ in scale and
    stability), else the whole table as kind ""."""
    if "kind" not in table:
        return {"": np.ones(len(table), bool)}
    kinds = _text(table["kind"])
    return {k: kinds == k for k in dict.fromkeys(kinds)}


def deviation(obtained: pd.DataFrame, baseline: pd.DataFrame) -> dict[tuple[str, str], tuple[float, float]]:
    """Per (float column, kind): (largest relative deviation above the floor, largest absolute below it)."""
    out = {}
    for col in _float_columns(obtained, baseline):
        for kind, rows in _groups(baseline).items():
            a = obtained[col].to_numpy(float)[rows]
            b = baseline[col].to_numpy(float)[rows]
            if np.isnan(b).all() and np.isnan(a).all():
                continue  # the column does not apply to this kind
            d = np.where(np.isnan(a) & np.isnan(b), 0.0, np.abs(a - b))
            d = np.where(np.isnan(d), np.inf, d)  # NaN on one side only: no tolerance covers it
            scale = np.nanmax(np.abs(b)) if np.isfinite(b).any() else 0.0
            size = np.abs(np.nan_to_num(b))
            resolved = (size >= FLOOR_REL * scale) & (size > 0) & (d > 0)  # zeros: absolute terms
            rel = d[resolved] / np.abs(b[resolved])
            out[(col, kind)] = (float(np.max(rel, initial=0.0)), float(np.max(d[~resolved], initial=0.0)))
    return out


def tolerances(stem: str, spread: pd.DataFrame | None = None) -> dict[tuple[str, str], tuple[float, float]]:
    """Per (float column, kind) of a figure's checked table: (rtol, atol) = the family's safety factor ×
    measured, at least the family's floor."""
    spread = load_spread() if spread is None else spread
    safety, (rtol_floor, atol_floor) = family(stem).safety, _floor(stem)
    rows = spread[spread.figure == stem]
    out = {}
    for (col, kind), group in rows.groupby(["column", "kind"]):
        out[(col, kind)] = (max(safety * group.rel.max(), rtol_floor),
                            max(safety * group["abs"].max(), atol_floor))
    return out


def table_tolerances(stem: str, table: pd.DataFrame, spread: pd.DataFrame | None = None) -> dict:
    """tolerances() for every (float column, kind) of `table`; one not yet measured gets the family's
    floor, i.e. this machine's numbers only (tests/test_figure_data.py fails until `make spread`)."""
    tols = tolerances(stem, spread)
    return {key: tols.get(key, _floor(stem)) for key in deviation(table, table)}


def family(stem: str):
    """The model family of the config behind a figure."""
    path = paths.CONFIGS / f"{figures.results_stem(stem)}.toml"
    return families.of_data(config.read_toml(path), str(path))


def _floor(stem: str) -> tuple[float, float]:
    return family(stem).dtype_floor


def load_spread() -> pd.DataFrame:
    if not paths.SPREAD.is_file():
        return pd.DataFrame(columns=COLUMNS)
    return pd.read_csv(paths.SPREAD, keep_default_na=False, dtype={"kind": str}).astype({"rel": float,
                                                                                            "abs": float})


def compare(obtained: pd.DataFrame, stem: str, spread: pd.DataFrame | None = None) -> list[str]:
    """Every way the obtained table differs from the baseline beyond its tolerances (empty: it passes)."""
    baseline = read_baseline(stem)
    obtained = obtained.reset_index(drop=True)
    baseline = match_seeds(obtained, baseline)
    problems = structure_problems(obtained, baseline)
    if problems:
        return problems
    tols = tolerances(stem, spread)  # keyed like deviation(): a CSV reads whole-number floats back as ints
    groups = _groups(baseline)
    for (col, kind) in deviation(obtained, baseline):
        rtol, atol = tols.get((col, kind), _floor(stem))
        a = obtained[col].to_numpy(float)[groups[kind]]
        b = baseline[col].to_numpy(float)[groups[kind]]
        ok = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        if not ok.all():
            i = int(np.argmin(ok))
            problems.append(f"column {col!r} (kind {kind!r}): {int((~ok).sum())} rows beyond "
                            f"rtol {rtol:.2g}, "
                            f"atol {atol:.2g}; first: {a[i]!r} vs baseline {b[i]!r}")
    return problems
