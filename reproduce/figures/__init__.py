"""One module per figure, named by its stem (fig03_rank1_loss.py draws paper/figures/fig03_rank1_loss.png).

Each module defines SOURCE (its tag in FIGURES.md §6), figure_data(results) -> DataFrame (the numbers
drawn, and checked by the regression test), plot(results, data) -> Figure, caption(results) -> str and
claims(results) -> list of claim rows. It may set RESULTS to read another stem's results.

    python -m reproduce plot fig03_rank1_loss
"""
from __future__ import annotations

import pkgutil
from importlib import import_module
from pathlib import Path

from .. import paths, results

FIGURE_IDS = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("fig"))


def module(stem: str):
    if stem not in FIGURE_IDS:
        raise SystemExit(f"error: unknown figure '{stem}'; figures: {', '.join(FIGURE_IDS)}")
    return import_module(f"{__name__}.{stem}")


def results_stem(stem: str) -> str:
    mod = module(stem)
    return getattr(mod, "RESULTS_STEM", getattr(mod, "RESULTS", stem))


def load_for(stem: str, results_dir: Path = paths.RESULTS):
    return results.load(results_stem(stem), results_dir)


def draw(stem: str, results_dir: Path = paths.RESULTS, out_dir: Path = paths.FIGURES) -> Path:
    """Read results, draw, write <stem>.pdf then <stem>.png (the make target) atomically."""
    from .common import save
    mod = module(stem)
    res = load_for(stem, results_dir)
    print(f"read {Path(results_dir) / results_stem(stem)}.npz")
    fig = mod.plot(res, mod.figure_data(res))
    return save(fig, mod.caption(res), Path(out_dir) / f"{stem}.png")
