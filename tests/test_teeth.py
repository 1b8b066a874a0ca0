"""Teeth: a real 1 % change of a setting fails each figure's regression check (tolerances from the measured
spread must stay far below what a real change moves). How a family shows it is its registry entry's
`teeth` (reproduce/families.py):

- "retrain": train the family's `perturb(cfg)` (S-curves: lr × 1.01; every config trains in seconds) and
  compare the figure's checked table with the baseline: the check must fail.
- "other_seed": no training (runs take minutes): one seed's baseline rows, relabelled as another seed,
  must fail the comparison with that seed's rows.
"""
import time

import pytest

from reproduce import config, families, figures, paths, results, spread


def family_of_config(source):
    return families.get(config.read_toml(paths.CONFIGS / f"{source}.toml").get("family", "scurve"))


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
        cfg = fam.perturb(config.load(paths.CONFIGS / f"{source}.toml"))
        runs = fam.trainer_module().train_config(cfg, where=f"{source} (perturbed)")
        results.save(source, cfg, runs, {"config": config.as_dict(cfg)}, out)
    print(f"teeth: perturbed configs trained in {time.perf_counter() - start:.1f} s")
    return out


@pytest.mark.parametrize("stem", figures.FIGURE_IDS)
def test_a_one_percent_change_fails_the_check(stem, request):
    fam = family_of(stem)
    if fam.teeth == "retrain":
        res = figures.load_for(stem, request.getfixturevalue("perturbed_dir"))
        problems = spread.compare(figures.regression_data(stem, res), stem)
        assert problems, f"{stem}: results trained with {fam.perturb.__doc__.strip()} passed the check"
    elif fam.teeth == "other_seed":
        baseline = spread.read_baseline(stem)
        seeds = sorted(baseline["seed"].dropna().unique()) if "seed" in baseline else []
        if len(seeds) < 2:
            pytest.skip(f"{stem}: the baseline holds one seed; train a second to compare against")
        for seed, other in zip(seeds, seeds[1:] + seeds[:1]):
            own = baseline[baseline.seed == seed]
            assert not spread.compare(own, stem), f"{stem}: seed {seed} fails against itself (control)"
            relabelled = baseline[baseline.seed == other].assign(seed=seed)
            assert spread.compare(relabelled, stem), f"{stem}: seed {other}'s rows passed as seed {seed}'s"
    else:
        pytest.fail(f"{stem}: family {fam.name} names an unknown teeth check {fam.teeth!r}")
