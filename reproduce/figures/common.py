"""Shared look of the figures: pinned rc file, captions under the axes, atomic PNG + PDF output."""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.rc_file(Path(__file__).with_name("matplotlibrc"))
import matplotlib.pyplot as plt  # noqa: E402

from ..results import atomic  # noqa: E402

CAPTION_CHARS_PER_INCH = 16  # wraps the caption to the figure's width at 8-pt type


def subplots(ncols=1, nrows=1, width=4.2, height=3.3, **kw):
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), layout="constrained", **kw)


def sweep_colors(n):
    return plt.cm.viridis(np.linspace(0.05, 0.85, n))


def save(fig, caption: str, png_path: Path) -> Path:
    """Caption below the axes, then PDF and PNG; PNG last because make takes it as the finished mark."""
    width = int(fig.get_figwidth() * CAPTION_CHARS_PER_INCH)
    text = "\n".join(textwrap.fill(p, width) for p in caption.split("\n"))
    fig.text(0.0, -0.02, text, ha="left", va="top", fontsize=8)
    png_path = Path(png_path)
    for path in (png_path.with_suffix(".pdf"), png_path):
        with atomic(path) as tmp:
            fig.savefig(tmp, format=path.suffix[1:], bbox_inches="tight",
                        metadata={"CreationDate": None} if path.suffix == ".pdf" else {"Software": None})
        print(f"wrote {path}")
    plt.close(fig)
    return png_path


def claim(claim_id, figure_id, statement, measured, expected, passed) -> dict:
    """One row of data/results/claims.csv."""
    return dict(claim_id=claim_id, figure_id=figure_id, statement=statement,
                measured=measured, expected=expected, passed=bool(passed))


def source(stem: str) -> str:
    """The figure's source tag (its module's SOURCE), for captions shared between figure modules."""
    from . import module
    return module(stem).SOURCE


def settings(cfg, *names) -> str:
    """'N=100, lr=0.1, …' for a caption, straight from the config."""
    return ", ".join(f"{n}={getattr(cfg, n)}" for n in names)
