"""Every claim of paper/spec/ as a predicate on the data: data/results/claims.csv.

    python -m reproduce claims
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import figures, paths
from .results import write_text

COLUMNS = ["claim_id", "figure_id", "statement", "measured", "expected", "passed"]


def collect(results_dir: Path = paths.RESULTS) -> pd.DataFrame:
    rows = []
    for stem in figures.FIGURE_IDS:
        rows += figures.module(stem).claims(figures.load_for(stem, results_dir))
    return pd.DataFrame(rows, columns=COLUMNS)


def write_claims(results_dir: Path = paths.RESULTS) -> pd.DataFrame:
    table = collect(results_dir)
    write_text(Path(results_dir) / paths.CLAIMS.name, table.to_csv(index=False))
    return table
