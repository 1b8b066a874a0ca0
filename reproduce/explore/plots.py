"""The explorer's tables as Plotly figure specs (plain dicts, drawn in the browser).

Plain dicts rather than plotly.graph_objects: building ~100 validated trace objects takes ~0.3 s, which
alone would break the explorer's 0.3 s response budget; a dict spec costs a few milliseconds.
"""
from __future__ import annotations

import math

import numpy as np

from .core import Explored

# Plotly's default palette: learned vector m keeps its color in every panel.
COLORS = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880",
          "#ff97ff", "#fecb52"]
BLUE, ORANGE = "#1f77b4", "#ff7f0e"
MARGIN = dict(l=55, r=10, t=70, b=45)


def _color(m: int) -> str:
    return COLORS[m % len(COLORS)]


def _line(x, y, name, color, width=1.5, **kw) -> dict:
    return dict(type="scatter", mode="lines", x=np.asarray(x).tolist(), y=np.asarray(y).tolist(),
                name=name, line=dict(color=color, width=width, dash=kw.pop("dash", "solid")), **kw)


def _grid(rows: int, cols: int, titles: list[str], logx: bool, gap=0.04) -> tuple[dict, list]:
    """Layout axes for a rows × cols grid of panels; returns (layout, [(xref, yref) per panel])."""
    layout, refs, notes = {}, [], []
    w, h = (1 - gap * (cols - 1)) / cols, (1 - 0.1 * (rows - 1)) / rows
    for i, title in enumerate(titles):
        r, c = divmod(i, cols)
        s = "" if i == 0 else str(i + 1)
        x0, y1 = c * (w + gap), 1 - r * (h + 0.1)
        layout[f"xaxis{s}"] = dict(domain=[x0, x0 + w], anchor=f"y{s}", type="log" if logx else "linear",
                                   title=dict(text="step") if r == rows - 1 else None)
        layout[f"yaxis{s}"] = dict(domain=[max(y1 - h, 0.0), y1], anchor=f"x{s}")  # clip rounding below 0
        refs.append((f"x{s}", f"y{s}"))
        notes.append(dict(text=title, x=x0 + w / 2, y=y1, xref="paper", yref="paper", xanchor="center",
                          yanchor="bottom", showarrow=False))
    layout["annotations"] = notes
    return layout, refs


def _step_mask(step, logx: bool):
    return step > 0 if logx else np.ones(len(step), dtype=bool)  # a log axis cannot show step 0


def loss_figure(ex: Explored, logx: bool, logy: bool) -> dict:
    keep = _step_mask(ex.loss.step.to_numpy(), logx)
    d = ex.loss[keep]
    return dict(data=[_line(d.step, d.loss, "loss", "black")],
                layout=dict(title=dict(text="loss ½‖T − T̃‖² vs step"), showlegend=False, height=330,
                            margin=MARGIN,
                            xaxis=dict(type="log" if logx else "linear", title=dict(text="step")),
                            yaxis=dict(type="log" if logy else "linear", title=dict(text="loss"))))


def inner_figure(ex: Explored, factor: int, logx: bool) -> dict:
    """One panel per target l: |⟨ã_m, a_l⟩| for every learned m; ✕ marks each bump's peak (bump rule)."""
    k, km = ex.cfg.rank, ex.cfg.k_model
    cols = min(k, 4)
    rows = math.ceil(k / cols)
    layout, refs = _grid(rows, cols, [f"target a{l + 1}" for l in range(k)], logx)
    curves = np.abs(ex.run.overlap[0, :, factor])  # (steps, k̃, k)
    step = ex.run.step
    keep = _step_mask(step, logx)
    data = [_line(step[keep], curves[keep, m, l], f"ã{m + 1}", _color(m), legendgroup=f"m{m}",
                  showlegend=l == 0, xaxis=refs[l][0], yaxis=refs[l][1])
            for l in range(k) for m in range(km)]
    bumps = ex.bumps[ex.bumps.factor == factor]
    for b in bumps.itertuples():
        data.append(dict(type="scatter", mode="markers", x=[b.peak_step], y=[b.peak], name="bump",
                         showlegend=False, hovertext=f"bump of ã{b.learned + 1} on a{b.target + 1}",
                         marker=dict(symbol="x", size=10, color=_color(b.learned)),
                         xaxis=refs[b.target][0], yaxis=refs[b.target][1]))
    layout.update(title=dict(text=f"|inner product| of every learned vector with every target, factor "
                                  f"{factor + 1}: {km} learned × {k} targets, {len(bumps)} bump(s) ✕"),
                  height=250 * rows + 90, margin=MARGIN)
    return dict(data=data, layout=layout)


def pair_figure(ex: Explored, target: int, pair: list[int], factor: int, logx: bool) -> dict:
    """The thread's view: two learned vectors against one target, and the first against every target."""
    curves = np.abs(ex.run.overlap[0, :, factor])  # (steps, k̃, k)
    step = ex.run.step
    keep = _step_mask(step, logx)
    first = pair[0]
    layout, refs = _grid(1, 2, [f"two learned vectors against target a{target + 1}",
                                f"ã{first + 1} against every target"], logx, gap=0.08)
    bumps = ex.bumps[(ex.bumps.factor == factor) & (ex.bumps.target == target)]
    data = []
    for m, color in zip(pair, (BLUE, ORANGE)):
        data.append(_line(step[keep], curves[keep, m, target], f"ã{m + 1}", color, width=2.5))
        for b in bumps[bumps.learned == m].itertuples():
            data.append(dict(type="scatter", mode="markers", x=[b.peak_step], y=[b.peak],
                             name=f"bump of ã{m + 1}", marker=dict(symbol="x", size=12, color=color)))
    for l in range(ex.cfg.rank):
        shown = l == target
        data.append(_line(step[keep], curves[keep, first, l], f"ã{first + 1}·a{l + 1}" + (" (this target)"
                          if shown else ""), BLUE if shown else _color(l + 2), width=2.5 if shown else 1.2,
                          xaxis=refs[1][0], yaxis=refs[1][1]))
    layout.update(height=360, margin=MARGIN,
                  title=dict(text=f"the thread's view: two learned vectors, one target "
                                  f"(factor {factor + 1})"))
    return dict(data=data, layout=layout)


def strength_figure(ex: Explored, logx: bool) -> dict:
    """⟨T̃, ⊗_f a_l⟩ per target component, with its weight s_l dashed."""
    d = ex.strength[_step_mask(ex.strength.step.to_numpy(), logx)]
    data = []
    for l, c in d.groupby("target"):
        color = COLORS[(l + 5) % len(COLORS)]
        data.append(_line(c.step, c.strength, f"component {l + 1}", color))
        data.append(_line([c.step.iloc[0], c.step.iloc[-1]], [c.weight.iloc[0]] * 2, f"s{l + 1}", color,
                          width=1, dash="dash", showlegend=False))
    title = "component strength ⟨T̃, ⊗_f a_l⁽ᶠ⁾⟩ (dashed: weight s_l)"
    return dict(data=data, layout=dict(title=dict(text=title), height=330, margin=MARGIN,
                                       xaxis=dict(type="log" if logx else "linear", title=dict(text="step"))))
