"""How far a correct machine may move each checked number: measured, then turned into tolerances.

    python -m reproduce spread [stem …] [--variant NAME] [--reuse]      (make spread STEMS="…")
    python -m reproduce spread --variant portable --train-only --ci     (make portable: CI's second pass)

Retrains the configs behind the given figures (default: all) under each VARIANT — numerically different
but correct settings of this machine — into data/results-<variant>/ (never over data/results/), compares
each figure's checked table (regression_data, default figure_data) with tests/baselines/<stem>.csv, and
writes per figure, column and variant the largest deviation to tests/baselines/spread.csv.

Tables with a `kind` column are measured per kind (curves of different scale and stability share
columns there). A column's deviation is two numbers, matching the check
|obtained − baseline| ≤ atol + rtol·|baseline|:
`rel`, the largest relative deviation over rows whose |baseline| is at least FLOOR_REL of the column's
largest |value|, and `abs`, the largest absolute deviation over the rows below that (round-off floor:
e.g. losses of 1e-31 next to losses of 1, whose relative digits carry no meaning). The regression tests
allow the family's `safety` factor × the largest measured value over variants, and never less than the
family's `dtype_floor`
(reproduce/families.py), which is all a column whose spread measured zero gets.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from . import config, families, figures, paths
from .errors import BadInput
from .results import write_text

FLOOR_REL = 1e-9     # rows below this fraction of a column's scale: checked in absolute terms (see above)
# Settings that change the arithmetic but not the maths. ATen's CPU capability picks the vectorised
# kernels (AVX2/AVX-512 vs plain C++); MKL's conditional reproducibility picks its code path.
VARIANTS = {
    "aten_default": {"env": {"ATEN_CPU_CAPABILITY": "default"}},
    "mkl_compatible": {"env": {"MKL_CBWR": "COMPATIBLE"}},
    "portable": {"env": {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}},  # both: CI's pass
    "cuda": {"env": {}, "device": "cuda"},  # only where torch finds a GPU
}
COLUMNS = ["figure", "column", "kind", "variant", "rel", "abs"]


def variant_dir(name: str) -> Path:
    return paths.RESULTS.parent / f"results-{name}"


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
    safety, (rtol_floor, atol_floor) = _family(stem).safety, _floor(stem)
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


def _family(stem: str):
    return families.get(config.read_toml(paths.CONFIGS / f"{figures.results_stem(stem)}.toml")
                        .get("family", "scurve"))


def _floor(stem: str) -> tuple[float, float]:
    return _family(stem).dtype_floor


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


def _cuda_present() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
                           capture_output=True, text=True)
    return probe.stdout.strip() == "True"


def train_variant(name: str, config_stems: list[str], reuse: bool = False, ci: bool = False) -> Path:
    """Train the configs under a variant into data/results-<variant>/; `ci`: with each family's ci_set."""
    spec, out = VARIANTS[name], variant_dir(name)
    batches: dict[tuple, list[str]] = {}  # one process per set of overrides: torch starts once
    for stem in config_stems:
        if reuse and (out / f"{stem}.npz").exists():
            continue
        cfg_path = paths.CONFIGS / f"{stem}.toml"
        family = families.get(config.read_toml(cfg_path).get("family", "scurve"), str(cfg_path))
        batches.setdefault(family.ci_set if ci else (), []).append(str(cfg_path))
    for sets, files in batches.items():
        cmd = [sys.executable, "-m", "reproduce", "train", *files, "--out", str(out)]
        cmd += ["--device", spec["device"]] if "device" in spec else []
        cmd += [arg for item in sets for arg in ("--set", item)]
        proc = subprocess.run(cmd, env={**os.environ, **spec["env"]}, cwd=paths.ROOT)
        if proc.returncode:
            raise BadInput(f"training under variant {name} failed (exit {proc.returncode})")
    return out


def measure(stems: list[str] | None = None, variants: list[str] | None = None, reuse: bool = False,
            train_only: bool = False, ci: bool = False):
    stems = stems or figures.FIGURE_IDS
    for stem in stems:
        figures.module(stem)  # an unknown stem fails before anything trains
    variants = variants or [v for v in VARIANTS if v != "cuda" or _cuda_present()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise BadInput(f"unknown variant {unknown[0]!r}; variants: {', '.join(VARIANTS)}")
    config_stems = sorted({figures.results_stem(s) for s in stems})
    rows = []
    for name in variants:
        folder = train_variant(name, config_stems, reuse, ci)
        if train_only:
            continue
        for stem in stems:
            res = figures.load_for(stem, folder)
            obtained = figures.regression_data(stem, res).reset_index(drop=True)
            baseline = match_seeds(obtained, read_baseline(stem))
            problems = structure_problems(obtained, baseline)
            if problems:
                print(f"spread: {stem} under {name}: {problems[0]} (no tolerance can cover this)")
                rows.append(dict(figure=stem, column="(structure)", kind="", variant=name, rel=np.inf,
                                 abs=np.inf))
                continue
            for (col, kind), (rel, absolute) in deviation(obtained, baseline).items():
                rows.append(dict(figure=stem, column=col, kind=kind, variant=name, rel=rel, abs=absolute))
    if train_only:
        return
    old = load_spread()
    measured = {(r["figure"], r["variant"]) for r in rows}
    keep = old[[(f, v) not in measured for f, v in zip(old.figure, old.variant)]]
    table = pd.concat([keep, pd.DataFrame(rows, columns=COLUMNS)], ignore_index=True)
    table = table.sort_values(["figure", "column", "kind", "variant"]).reset_index(drop=True)
    write_text(paths.SPREAD, table.to_csv(index=False, float_format="%.3g"))
    worst = pd.DataFrame(rows, columns=COLUMNS).sort_values("rel", ascending=False).head(5)
    print(f"wrote {paths.SPREAD} ({len(rows)} rows); largest relative deviations:")
    print(worst.to_string(index=False))
