"""How far a correct machine may move each checked number: retrain under other kernels, measure.

    python -m reproduce spread [stem …] [--variant NAME] [--reuse]      (make spread STEMS="…")
    python -m reproduce spread --variant portable --train-only --ci     (make portable: CI's second pass)

Retrains the configs behind the given figures (default: all) under each VARIANT — numerically different
but correct settings of this machine — into data/results-<variant>/ (never over data/results/), compares
each figure's checked table (regression_data, default figure_data) with tests/baselines/<stem>.csv, and
writes per figure, column, kind and variant the largest deviation to tests/baselines/spread.csv, the
numbers checks/regression.py turns into tolerances.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .. import figures
from ..claims import recorded_verdicts
from ..core import bumps, config, families, paths
from ..core.errors import BadInput
from ..core.results import write_text
from .regression import COLUMNS, deviation, load_spread, match_seeds, read_baseline, structure_problems

# Settings that change the arithmetic but not the maths. ATen's CPU capability picks the vectorised
# kernels (AVX-512 natively here; AVX2; plain C++), MKL's conditional reproducibility picks its code path.
VARIANTS = {
    "aten_default": {"env": {"ATEN_CPU_CAPABILITY": "default"}},
    "aten_avx2": {"env": {"ATEN_CPU_CAPABILITY": "avx2"}},
    "mkl_compatible": {"env": {"MKL_CBWR": "COMPATIBLE"}},
    "portable": {"env": {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}},  # both: CI's pass
    "cuda": {"env": {}, "device": "cuda"},  # only where torch finds a GPU
}


def variant_dir(name: str) -> Path:
    return paths.RESULTS.parent / f"results-{name}"


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
        family = families.of_data(config.read_toml(cfg_path), str(cfg_path))
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
    stems = stems or [s for s in figures.FIGURE_IDS if figures.optional(s) is None]  # optional: by name
    for stem in stems:
        figures.module(stem)  # an unknown stem fails before anything trains
    variants = variants or [v for v in VARIANTS if v != "cuda" or _cuda_present()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise BadInput(f"unknown variant {unknown[0]!r}; variants: {', '.join(VARIANTS)}")
    config_stems = sorted({figures.results_stem(s) for s in stems})
    for name in variants:  # every place this writes, before anything trains
        paths.check_writable(variant_dir(name))
    if not train_only:
        paths.check_writable(paths.SPREAD.parent, files=(paths.SPREAD.name, paths.VERDICTS.name))
    rules = bumps.load_rules()
    rows, verdicts = [], []
    for name in variants:
        folder = train_variant(name, config_stems, reuse, ci)
        if train_only:
            continue
        for stem in stems:
            res = figures.load_for(stem, folder)
            rows += deviation_rows(stem, name, figures.regression_data(stem, res, rules).reset_index(drop=True))
            if res.meta.get("overrides"):  # shortened by ci_set (one seed): not the config's verdicts
                continue
            verdicts += [dict(claim_id=c["claim_id"], variant=name, verdict=c["verdict"])
                         for c in figures.module(stem).claims(res, rules)]
    if train_only:
        return
    measured = {(r["figure"], r["variant"]) for r in rows}
    table = _merged(load_spread(), rows, COLUMNS, lambda t: [(f, v) not in measured
                                                              for f, v in zip(t.figure, t.variant)])
    write_text(paths.SPREAD, table.sort_values(["figure", "column", "kind", "variant"])
               .to_csv(index=False, float_format="%.3g"))
    redone = {(v["claim_id"], v["variant"]) for v in verdicts}
    vt = _merged(recorded_verdicts(), verdicts, ["claim_id", "variant", "verdict"],
                 lambda t: [(c, v) not in redone for c, v in zip(t.claim_id, t.variant)])
    write_text(paths.VERDICTS, vt.sort_values(["claim_id", "variant"]).to_csv(index=False))
    worst = pd.DataFrame(rows, columns=COLUMNS).sort_values("rel", ascending=False).head(5)
    print(f"wrote {paths.SPREAD} ({len(rows)} rows) and {paths.VERDICTS}; largest relative deviations:")
    print(worst.to_string(index=False))
    flipped = vt.groupby("claim_id").verdict.nunique()
    print(f"claims whose verdict differs between variants: {', '.join(flipped[flipped > 1].index) or 'none'}")


def deviation_rows(stem: str, variant: str, obtained: pd.DataFrame) -> list[dict]:
    """spread.csv rows: one figure's checked table under one variant against its baseline."""
    baseline = match_seeds(obtained, read_baseline(stem))
    problems = structure_problems(obtained, baseline)
    if problems:
        print(f"spread: {stem} under {variant}: {problems[0]} (no tolerance can cover this)")
        return [dict(figure=stem, column="(structure)", kind="", variant=variant, rel=np.inf, abs=np.inf)]
    return [dict(figure=stem, column=col, kind=kind, variant=variant, rel=rel, abs=absolute)
            for (col, kind), (rel, absolute) in deviation(obtained, baseline).items()]


def _merged(old: pd.DataFrame, rows: list[dict], columns: list[str], keep) -> pd.DataFrame:
    """The rows of `old` that `keep` keeps, followed by the new rows."""
    return pd.concat([old[np.asarray(keep(old), dtype=bool)], pd.DataFrame(rows, columns=columns)],
                     ignore_index=True)
