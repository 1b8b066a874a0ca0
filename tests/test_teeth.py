"""Teeth: a real 1 % change of a setting fails each figure's regression check (tolerances from the measured
spread must stay far below what a real change moves). How a family shows it is its registry entry's
`teeth` (reproduce/core/families.py):

- "retrain": train the family's `perturb(cfg)` (S-curves: lr × 1.01; every config trains in seconds) and
  compare the figure's checked table with the baseline: the check must fail.
- "other_seed": no training (runs take minutes): another seed's baseline rows, relabelled, must fail the
  comparison with a seed's rows in at least half of the pairs (see the comment in the test for why not all).
"""
import time

import pytest

from reproduce import figures
from reproduce.checks import regression as spread
from reproduce.core import bumps, config, families, paths, results

RULES = bumps.load_rules()  # data/bump.toml, loaded once and passed down


def family_of_config(source):
    return families.of_data(config.read_toml(paths.CONFIGS / f"{source}.toml"))


def family_of(stem):
    return family_of_config(figures.results_stem(stem))


@pytest.fixture(scope="module")
def perturbed_dir(tmp_path_factory):
    """Results of every "retrain" family config, trained with the family's perturbation, once per session."""
    out = tmp_path_factory.mktemp("perturbed")
    start = time.perf_counter()
    for source in sorted({figures.results_stem(s) for s in figures.FIGURE_IDS}):
        fam = family_of_config(source)
        if fam.teeth != "retrain":
            continue
        cfg = fam.perturbed(config.load(paths.CONFIGS / f"{source}.toml"))
        runs = fam.trainer_module().train_config(cfg, where=f"{source} (perturbed)")
        results.save(source, cfg, runs, {"config": config.as_dict(cfg)}, out)
    print(f"teeth: perturbed configs trained in {time.perf_counter() - start:.1f} s")
    return out


@pytest.mark.parametrize("stem", figures.FIGURE_IDS)
def test_a_one_percent_change_fails_the_check(stem, request):
    fam = family_of(stem)
    if fam.teeth == "retrain":
        res = figures.load_for(stem, request.getfixturevalue("perturbed_dir"))
        problems = spread.compare(figures.regression_data(stem, res, RULES), stem)
        assert problems, f"{stem}: results trained with {fam.perturb} passed the check"
    elif fam.teeth == "other_seed":
        baseline = spread.read_baseline(stem)
        seeds = sorted(baseline["seed"].dropna().unique()) if "seed" in baseline else []
        if len(seeds) < 2:
            pytest.skip(f"{stem}: the baseline holds one seed; train a second to compare against")
        pairs = [(seed, other) for seed in seeds for other in seeds if other != seed]
        # as results give them: CSV reads whole-number floats back as ints, which compare() takes as exact
        ints = [c for c in baseline.columns if c != "seed" and baseline[c].dtype.kind == "i"]
        rows = baseline.astype(dict.fromkeys(ints, float))
        for seed in seeds:
            assert not spread.compare(rows[rows.seed == seed], stem), f"{stem}: seed {seed} (control)"
        caught = sum(bool(spread.compare(rows[rows.seed == other].assign(seed=seed), stem))
                     for seed, other in pairs)
        # Grokking's stable quantities move under other CPU kernels about as much as they differ between
        # seeds (phase epochs up to 24 %, top embedding shares up to 10 %: tests/baselines/spread.csv), so
        # no check can be both portable and catch every other seed. Measured with 4 seeds: figG1 and
        # figG2 catch 8 of 12 ordered pairs, figG3 6 of 12; at least half must be caught.
        assert 2 * caught >= len(pairs), f"{stem}: another seed's rows passed in {len(pairs) - caught} of " \
                                         f"{len(pairs)} pairs"
    else:
        pytest.fail(f"{stem}: family {fam.name} names an unknown teeth check {fam.teeth!r}")
