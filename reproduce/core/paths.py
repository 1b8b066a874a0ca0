"""Every folder the package reads or writes, resolved from this file's location (no other path literals)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # reproduce/core/paths.py -> the repository root
CONFIGS = ROOT / "data" / "configs"      # one TOML per training run, named by figure stem
RESULTS = ROOT / "data" / "results"      # generated: curves (.npz), provenance (.json), claims.csv
FIGURES = ROOT / "paper" / "figures"     # generated: one PNG + PDF per figure stem
PAPER = ROOT / "paper"                   # the report's notebook source and its rendered HTML
BASELINES = ROOT / "tests" / "baselines" # committed regression baselines (pytest-regressions CSV)
TEST_CONFIGS = ROOT / "tests" / "configs"  # small configs for fast tests (not trained by make)
BUMP_RULE = ROOT / "data" / "bump.toml"  # the one definition of a "bump" (thresholds)
CLAIMS = RESULTS / "claims.csv"
OVERRIDES = RESULTS / "overrides"       # generated: runs with --set/--steps, one folder per config hash
SPREAD = BASELINES / "spread.csv"       # measured cross-platform deviations (python -m reproduce spread)
SPEC = PAPER / "spec"                    # what each figure reproduces, its settings and claims
