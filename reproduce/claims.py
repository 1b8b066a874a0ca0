"""Every claim of paper/spec/ as a predicate on the data: data/results/claims.csv.

    python -m reproduce claims [--results DIR]

A claim's one home is the `claims` function of its figure module (statement, expectation, the sentence
the report may say); this module collects them. A verdict that differs between numerically different but
correct machines is not a finding: `make spread` records each claim's verdict under every kernel variant
it trains (paths.VERDICTS, tests/baselines/verdicts.csv), and a claim whose verdicts there and here are not all
the same is reported UNDETERMINED, with the verdicts in `measured`.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import figures
from .core import bumps, paths
from .core.results import write_text
from .figures.common import CLAIM_COLUMNS



def collect(results_dir: Path = paths.RESULTS, raw: bool = False,
            rules: bumps.BumpRules | None = None) -> pd.DataFrame:
    """Every figure's claims on the results in `results_dir`; `raw`: without the cross-variant check."""
    rules = bumps.load_rules() if rules is None else rules
    rows = []
    for stem in figures.present(results_dir):   # an optional figure's claims join when its results exist
        rows += figures.module(stem).claims(figures.load_for(stem, results_dir), rules)
    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    return table if raw else undetermined_across_variants(table, recorded_verdicts())


def recorded_verdicts(path: Path = paths.VERDICTS) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=["claim_id", "variant", "verdict"])
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def undetermined_across_variants(table: pd.DataFrame, recorded: pd.DataFrame) -> pd.DataFrame:
    """The claims whose verdict here and under the recorded kernel variants differ, as UNDETERMINED."""
    table = table.copy()
    for i, row in table.iterrows():
        seen = recorded[recorded.claim_id == row.claim_id]
        if len(seen) and set(seen.verdict) != {row.verdict}:
            where = ", ".join(f"{v.variant} {v.verdict}" for v in seen.itertuples())
            table.loc[i, "measured"] = f"{row.measured} (verdict here {row.verdict}; {where})"
            table.loc[i, "verdict"] = "UNDETERMINED"
            table.loc[i, "says"] = (f"Whether this holds depends on the machine's round-off: "
                                    f"{row.statement} (verdicts {row.verdict} here, {where}).")
    return table


def write_claims(results_dir: Path = paths.RESULTS) -> pd.DataFrame:
    table = collect(results_dir)
    write_text(Path(results_dir) / paths.CLAIMS.name, table.to_csv(index=False))
    return table
