"""The walk from a figure number to its files: config -> results -> script -> PNG/PDF -> baseline -> docs."""
import pytest

from reproduce import figures
from reproduce.core import bumps, paths

RULES = bumps.load_rules()
SPEC_INDEX = (paths.SPEC / "README.md").read_text()


@pytest.mark.parametrize("stem", figures.FIGURE_IDS)
def test_every_figure_has_its_files(stem):
    source = figures.results_stem(stem)
    assert (paths.CONFIGS / f"{source}.toml").exists()
    if stem not in figures.present():
        pytest.skip(f"{stem}: built by `make {figures.optional(stem)}`, whose results are not here")
    assert (paths.RESULTS / f"{source}.npz").exists() and (paths.RESULTS / f"{source}.json").exists()
    assert (paths.FIGURES / f"{stem}.png").exists() and (paths.FIGURES / f"{stem}.pdf").exists()
    assert (paths.BASELINES / f"{stem}.csv").exists()
    assert f"`{stem}`" in SPEC_INDEX, f"{stem} is missing from the spec index, paper/spec/README.md"
    mod = figures.module(stem)
    assert mod.SOURCE and mod.__doc__.strip()


def test_every_config_feeds_a_figure():
    used = {figures.results_stem(s) for s in figures.FIGURE_IDS}
    assert {p.stem for p in paths.CONFIGS.glob("*.toml")} <= used


def _drawn_from_current_sources(stem) -> bool:
    """`make` already drew paper/figures/<stem>.png after its module and its results last changed."""
    png = paths.FIGURES / f"{stem}.png"
    sources = [paths.ROOT / "reproduce" / "figures" / f"{stem}.py",
               paths.RESULTS / f"{figures.results_stem(stem)}.npz"]
    return png.exists() and all(png.stat().st_mtime >= p.stat().st_mtime for p in sources)


def test_every_figure_draws_end_to_end(tmp_path):
    """Each figure script runs from results to files (what `make figures` does). Figures that make drew
    from the current module and results are checked as they are, the others drawn afresh into a temp folder,
    so `make test` does not draw every figure twice."""
    for stem in figures.present():
        png = (paths.FIGURES / f"{stem}.png" if _drawn_from_current_sources(stem)
               else figures.draw(stem, RULES, paths.RESULTS, tmp_path))
        assert png.stat().st_size > 10_000 and png.with_suffix(".pdf").exists()
