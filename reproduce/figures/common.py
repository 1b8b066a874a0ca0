"""Shared by the figure modules: pinned rc file, captions under the axes, atomic PNG + PDF output, and the
claim row every figure's `claims` returns."""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

matplotlib.rc_file(Path(__file__).with_name("matplotlibrc"))
import matplotlib.pyplot as plt  # noqa: E402

from ..core.results import atomic  # noqa: E402
from ..core.stats import VERDICTS, verdict  # noqa: E402
from ..scurve import theory  # noqa: E402

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
    pdf_path = png_path.with_suffix(".pdf")
    # Both are written before either is renamed (a full disk leaves neither), the PNG renamed last.
    with atomic(png_path) as png_tmp:
        fig.savefig(png_tmp, format="png", bbox_inches="tight", metadata={"Software": None})
        with atomic(pdf_path) as pdf_tmp:
            fig.savefig(pdf_tmp, format="pdf", bbox_inches="tight", metadata={"CreationDate": None})
    print(f"wrote {pdf_path}\nwrote {png_path}")
    plt.close(fig)
    return png_path


CLAIM_COLUMNS = ["claim_id", "figure_id", "statement", "measured", "expected", "verdict", "says"]


def claim(claim_id, figure_id, statement, measured, expected, passed, says=None) -> dict:
    """One row of data/results/claims.csv: the one home of a claim's statement, expectation and sentence.

    `passed`: a bool, None (undecided on this data) or a verdict string (core.stats.VERDICTS).
    `says`: what the report and README may say, one sentence per verdict ({"PASS": …, "FAIL": …}; a
    plain string serves every verdict); the row keeps the sentence of the verdict reached.
    """
    result = passed if isinstance(passed, str) else verdict(None if passed is None else bool(passed))
    if result not in VERDICTS:
        raise ValueError(f"claim {claim_id}: verdict must be one of {VERDICTS}, got {result!r}")
    sentence = says.get(result, "") if isinstance(says, dict) else (says or "")
    return dict(claim_id=claim_id, figure_id=figure_id, statement=statement, measured=measured,
                expected=expected, verdict=result, says=sentence)


# Verdict colours from the Okabe–Ito palette, safe for the common colour-vision deficiencies and apart in
# lightness too (dark blue, mid orange, light grey), so a grey-scale print still tells them apart.
VERDICT_COLORS = {"PASS": "#0072B2", "FAIL": "#E69F00", "UNDETERMINED": "#DDDDDD"}
VERDICT_TEXT = {"PASS": "white", "FAIL": "black", "UNDETERMINED": "black"}


def verdict_heatmap(ax, table: pd.DataFrame, row_labels: list[str], title: str,
                    effects: pd.DataFrame | None = None, fontsize: float = 5.5):
    """A settings × predicates table of verdicts ("PASS"/"FAIL"/"UNDETERMINED", or 1/0 for holds/fails)
    as coloured cells, one row per setting, each cell showing its effect size (`effects`, same shape:
    the number behind the verdict, signed, "–" where there is none; or the text to show) when given
    (figT4, figT5)."""
    cells = table.map(lambda v: v if isinstance(v, str) else ("PASS" if v else "FAIL"))
    order = list(VERDICT_COLORS)
    codes = cells.map(order.index).to_numpy(float)
    ax.imshow(codes, cmap=matplotlib.colors.ListedColormap(list(VERDICT_COLORS.values())), vmin=-0.5,
              vmax=len(order) - 0.5, aspect="auto", interpolation="nearest")
    if effects is not None:
        for (i, j), v in np.ndenumerate(effects.to_numpy(object)):
            text = v if isinstance(v, str) else "–" if not np.isfinite(v) else \
                f"{v:+.2f}".replace("+0.00", "0.00").replace("-0.00", "0.00")
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=VERDICT_TEXT[cells.iat[i, j]])
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=60, fontsize=7)
    ax.set_yticks(range(table.shape[0]), row_labels, fontsize=6)
    ax.set_xticks(np.arange(table.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(table.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="w", lw=1)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="minor", length=0)
    ax.set_title(title, fontsize=8)


def verdict_legend(fig, **kw):
    """The colour key of verdict_heatmap, once per figure."""
    handles = [matplotlib.patches.Patch(color=c, label=v.lower()) for v, c in VERDICT_COLORS.items()]
    fig.legend(handles=handles, ncol=3, fontsize=7, frameon=False, **kw)


def settings(cfg, *names) -> str:
    """'N=100, lr=0.1, …' for a caption, straight from the config."""
    return ", ".join(f"{n}={getattr(cfg, n)}" for n in names)


# The exponential-convergence figure (no plateau), drawn for a scalar and for a vector target.
MAX_REL_DEV = 1e-10  # paper/spec/post.md, fig01: the GD loss matches the closed form to 1e-10 relative


def exponential_data(res, rules=None) -> pd.DataFrame:
    """Per seed: the GD loss and the exact GD solution L₀(1−η)^{2t} from the same start."""
    run = res.runs[0]
    frames = [pd.DataFrame({"seed": run.seed[b], "step": run.step, "loss": loss,
                            "theory_loss": theory.gd_linear_loss(loss[0], run.cfg.lr, run.step)})
              for b, loss in enumerate(run.loss)]
    return pd.DataFrame(pd.concat(frames))


def exponential_plot(res, data):
    fig, ax = subplots()
    for seed, d in data.groupby("seed"):
        ax.semilogy(d.step, d.loss, "o", ms=3, alpha=0.6, label=f"GD, seed {seed}")
    d = data[data.seed == data.seed.min()]
    ax.semilogy(d.step, d.theory_loss, "k--", lw=1, label=r"$L_0(1-\eta)^{2t}$")
    title = "Scalar target: exponential convergence" if res.cfg.N == 1 else \
        f"Vector target (N = {res.cfg.N}): exponential convergence"
    ax.set(xlabel="step", ylabel="loss", title=title)
    ax.legend()
    return fig


def exponential_caption(res, source_tag: str) -> str:
    return (f"{res.stem} — {source_tag}. Loss ½‖a − ã‖² under plain gradient descent; dashed: the exact "
            f"GD solution L₀(1−η)^(2t). No plateau: log-loss is a straight line from step 0. "
            f"Settings: {settings(res.cfg, 'N', 'target', 'init', 'init_std', 'lr', 'steps', 'seeds')}. "
            f"Spec: paper/spec/post.md#{res.stem}.")


def exponential_claims(res, rules=None) -> list[dict]:
    data = exponential_data(res)
    dev = float(np.max(np.abs(data.loss / data.theory_loss - 1)))
    return [claim(f"Q1_{res.stem[:5]}", res.stem,
                  "loss decays exactly as L0(1-lr)^(2t) from step 0 (no plateau)",
                  f"max relative deviation {dev:.2e}", f"<= {MAX_REL_DEV:.0e}", dev <= MAX_REL_DEV)]
