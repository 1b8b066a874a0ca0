"""One module per figure, named by its stem (fig03_rank1_loss.py draws paper/figures/fig03_rank1_loss.png).

Each module defines SOURCE (its tag, see paper/spec/README.md), figure_data(results, rules) -> DataFrame
(everything `plot` draws, one long table with a `kind` column; the regression test checks it),
plot(results, data) -> Figure, caption(results, rules) -> str and claims(results, rules) -> list of
claim rows (common.claim). `rules` is the core.bumps.BumpRules the caller loaded once from data/bump.toml.
Optional: RESULTS_STEM, the results it reads (default: its own stem), regression_data(results, rules)
-> DataFrame, the table the regression test checks when figure_data holds quantities that round-off
moves chaotically (default: figure_data), and MAKE_TARGET, the make target of a figure too costly for
`make all` (e.g. "grokking-lr"): such a figure is drawn, claimed, reported and tested only where its
results exist (`present`). Figure modules import their family's measurements, core and
common code, never each other.

    python -m reproduce plot fig03_rank1_loss
"""
from __future__ import annotations

import pkgutil
from importlib import import_module
from pathlib import Path

from ..core import bumps, paths, results
from ..core.errors import UnknownFigure

FIGURE_IDS = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("fig"))


def module(stem: str):
    if stem not in FIGURE_IDS:
        raise UnknownFigure(f"unknown figure '{stem}': no reproduce/figures/{stem}.py; "
                            f"figures: {', '.join(FIGURE_IDS)}")
    return import_module(f"{__name__}.{stem}")


def optional(stem: str) -> str | None:
    """The make target of a figure outside `make all` (its MAKE_TARGET), else None."""
    return getattr(module(stem), "MAKE_TARGET", None)


def present(results_dir: Path = paths.RESULTS) -> list[str]:
    """The figures to claim, report and check on `results_dir`: all of `make all`'s, and an optional one
    only when its results are there."""
    return [s for s in FIGURE_IDS
            if optional(s) is None or (Path(results_dir) / f"{results_stem(s)}.npz").exists()]


def results_stem(stem: str) -> str:
    return getattr(module(stem), "RESULTS_STEM", stem)


def load_for(stem: str, results_dir: Path = paths.RESULTS):
    return results.load(results_stem(stem), results_dir)


def regression_data(stem: str, res, rules: bumps.BumpRules):
    """The table the regression test compares with tests/baselines/<stem>.csv."""
    mod = module(stem)
    return getattr(mod, "regression_data", mod.figure_data)(res, rules)


def draw(stem: str, rules: bumps.BumpRules, results_dir: Path = paths.RESULTS,
         out_dir: Path = paths.FIGURES) -> Path:
    """Read results, draw, write <stem>.pdf then <stem>.png (the make target) atomically."""
    from .common import save
    mod = module(stem)
    res = load_for(stem, results_dir)
    print(f"read {Path(results_dir) / results_stem(stem)}.npz")
    fig = mod.plot(res, mod.figure_data(res, rules))
    return save(fig, mod.caption(res, rules), Path(out_dir) / f"{stem}.png")
