"""What the report's cells show (paper/s_curves.py): a figure with its source tag, settings, plot, caption
and claims rows; the claims tables; a tally of a section's verdicts. It draws and formats only: every number
comes from the figure modules and claims.csv.
"""
from __future__ import annotations

import functools
import html
import io

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Image, display

from . import figures
from .core import paths, results

esc = html.escape


class Page:
    """The notebook's view of one build: its claims table and bump rules, and the stems shown so far (the
    last section shows any figure module no earlier section claimed)."""

    def __init__(self, claims: pd.DataFrame, rules):
        self.claims, self.rules, self.shown = claims, rules, []
        self.load = functools.cache(results.load)  # figures that share a results file (figG*) read it once

    def claims_table(self, rows, table_id=None):
        """Claims rows as an HTML table with a verdict column (the test reads the id="claims-table" one).

        The per-figure tables (no table_id) leave out the figure column, which the heading above gives."""
        cols = ["claim_id", "figure_id", "statement", "measured", "expected"]
        cols = cols if table_id else [c for c in cols if c != "figure_id"]
        head = "".join(f"<th>{c.removesuffix('_id')}</th>" for c in cols) + "<th>result</th>"
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(str(getattr(r, c)))}</td>" for c in cols)
            + f"<td class=\"{r.verdict.lower()}\">{r.verdict}</td></tr>"
            for r in rows.itertuples())
        ident = f' id="{table_id}"' if table_id else ""
        return HTML(f"<table class='claims'{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def show(self, stem: str):
        """One figure: source tag, settings, the plot, its caption and its claims rows."""
        mod, res = figures.module(stem), self.load(figures.results_stem(stem))
        tag, _, detail = mod.SOURCE.partition(":")
        display(HTML(f"<h3>{esc(stem)}</h3><p class='tag'><b>Source: {esc(tag)}</b> — {esc(detail.strip())}"
                     f"<br>{settings(res)}</p>"))
        display(render(mod.plot(res, mod.figure_data(res, self.rules))))
        display(HTML("".join(f"<p class='caption'>{esc(p)}</p>"
                             for p in mod.caption(res, self.rules).split("\n"))))
        rows = self.claims[self.claims.figure_id == stem]
        display(self.claims_table(rows) if len(rows) else HTML("<p><i>No claims rows for this figure.</i></p>"))
        self.shown.append(stem)

    def section(self, *prefixes):
        """Show every figure whose stem starts with one of `prefixes`, in figures.FIGURE_IDS order (an
        optional figure only when its results exist: figures.present)."""
        stems = [s for s in figures.present() if s.startswith(prefixes)]
        if not stems:
            display(HTML(f"<p><i>No figure module reproduce/figures/{esc('|'.join(prefixes))}*.py exists in "
                         f"this build.</i></p>"))
        for stem in stems:
            self.show(stem)

    def tally(self, prefix: str, what: str) -> str:
        """'3 of 4 <what> claims pass; P2 is FAIL (measured …).' for the figures whose stem starts with prefix."""
        rows = self.claims[self.claims.figure_id.str.startswith(prefix)]
        if rows.empty:
            return f"No {what} claims are in {paths.CLAIMS.name} for this build."
        other = rows[rows.verdict != "PASS"]
        return (f"{len(rows) - len(other)} of {len(rows)} {what} claims pass"
                + "".join(f"; {r.claim_id} is {r.verdict} (measured {r.measured}, expected {r.expected})"
                          for r in other.itertuples()) + ".")


def settings(res) -> str:
    """Every set value of the run's config, the sweep, and the config file with its hash."""
    cfg = dict(res.meta["config"])
    sweep, _ = cfg.pop("sweep", {}), cfg.pop("family", None)
    fixed = ", ".join(f"{k}={v}" for k, v in cfg.items() if k not in sweep and v not in (None, [], {}))
    swept = "; ".join(f"{k} ∈ {{{', '.join(map(str, v))}}}" for k, v in sweep.items())
    where = (paths.CONFIGS / f"{res.stem}.toml").relative_to(paths.ROOT)
    return (f"<b>Settings</b> ({esc(str(where))}, hash {esc(res.meta['config_hash'])}): {esc(fixed)}"
            + (f"; <b>sweep</b>: {esc(swept)}" if swept else ""))


def render(fig):
    """The figure as a PNG at its own dpi (reproduce/figures/matplotlibrc), shown at 100 px per inch."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    width = round(fig.get_figwidth() * 100)
    plt.close(fig)
    return Image(buf.getvalue(), width=width)
