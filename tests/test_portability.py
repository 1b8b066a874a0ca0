"""Results trained on another platform (`pytest --results DIR`, e.g. `make portable`: other CPU kernels)
give the same claim verdicts as the native results, for every config trained there as it is (runs
trained with `--set` overrides, such as CI's one-seed grokking run, are checked by test_figure_data only).
"""
import json

import pandas as pd
import pytest

from reproduce import figures
from reproduce.core import bumps, paths

RULES = bumps.load_rules()  # data/bump.toml, loaded once and passed down


def complete_figures(results_dir):
    out = []
    for stem in figures.FIGURE_IDS:
        meta = results_dir / f"{figures.results_stem(stem)}.json"
        if meta.exists() and not json.loads(meta.read_text()).get("overrides"):
            out.append(stem)
    return out


def test_claim_verdicts_match_the_native_ones(results_dir):
    if results_dir is None:
        pytest.skip("no --results folder given: nothing to compare with data/results")
    if not paths.CLAIMS.exists():
        pytest.fail(f"no {paths.CLAIMS}: run `make claims` first")
    native = pd.read_csv(paths.CLAIMS, keep_default_na=False).set_index("claim_id")
    stems = complete_figures(results_dir)
    assert stems, f"no results trained without overrides in {results_dir}"
    differ = []
    for stem in stems:
        for row in figures.module(stem).claims(figures.load_for(stem, results_dir), RULES):
            # natively UNDETERMINED: the verdict is already known to differ between kernels
            if native.loc[row["claim_id"], "verdict"] not in (row["verdict"], "UNDETERMINED"):
                differ.append(f"{row['claim_id']} ({stem}): native {native.loc[row['claim_id'], 'measured']}, "
                              f"here {row['measured']}")
    assert not differ, "; ".join(differ)
