"""The explorer's views as figure specs, plain dicts that static/charts.js draws in the browser (uPlot).

A figure is {title, height (px per row of panels), cols, x (the shared step axis), xlog, ylog, ylabel,
panels: [{title, series: [{name, y, color, width, dash, reference}], marks: {x, y}}], legend:
[{name, color, dash, mark}]}. Numbers travel as base64 typed arrays ({dtype, bdata}), a quarter of the
JSON of a list of floats.

Colours: every curve of a view has a colour of its own (one legend entry per colour), and keeps it in
every panel of the view: learned vector ã_m takes PALETTE[m], target a_l (and component l) PALETTE[k̃ + l],
so learned vectors and targets never share one; in the two-vector view the pair is blue (first) and
orange (second) as in the thread's plot, which no target colour is when k̃ ≥ 2; ✕ bump marks are black,
reference lines (the weights s_l) dashed grey. The balanced-mode model's curves are dashed in the colour of
the simulated curve they predict (series flag `predicted`, legend entry `group`); the legend then names the
two line styles. A new view is a function returning such a dict, shown with `charts.show(figure, key)`.
"""
from __future__ import annotations

import base64
import colorsys

import numpy as np

from .core import Explored

# tab10 without its grey, then ten more well-separated hues; beyond 20, evenly spread generated hues
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
           "#17becf", "#393b79", "#e7ba52", "#637939", "#ad494a", "#7b4173", "#1b9e77", "#e7298a",
           "#a6761d", "#66a61e", "#6b6ecf", "#843c39"]
MARK, REFERENCE, LOSS = "#000000", "#777777", "#000000"


def colours(n: int) -> list[str]:
    """n distinct colours: the palette, then generated hues (golden-angle steps) for large ranks."""
    out = PALETTE[:n]
    i = 0
    while len(out) < n:
        r, g, b = colorsys.hls_to_rgb((i * 0.618034) % 1.0, 0.45, 0.65)
        c = f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
        if c not in out and c not in (MARK, REFERENCE):
            out.append(c)
        i += 1
    return out


def learned_colour(ex: Explored, m: int) -> str:
    return colours(ex.cfg.k_model + ex.cfg.rank)[m]


def target_colour(ex: Explored, l: int) -> str:
    return colours(ex.cfg.k_model + ex.cfg.rank)[ex.cfg.k_model + l]


def typed(a, dtype: str = "<f4") -> dict:
    """A numeric array as a base64 typed array (float32 unless given: plenty for a curve on screen)."""
    a = np.ascontiguousarray(a, dtype=dtype)
    return {"dtype": a.dtype.str[1:], "bdata": base64.b64encode(a.tobytes()).decode()}


def series(name, y, color, width=1.5, dash=False, reference=False, dtype="<f4") -> dict:
    return dict(name=name, y=typed(y, dtype), color=color, width=width, dash=dash, reference=reference)


def figure(title, step, panels, legend, height=300, cols=1, xlog=False, ylog=False, ylabel="") -> dict:
    return dict(title=title, x=typed(step, "<f8"), panels=panels, legend=legend, height=height, cols=cols,
                xlog=xlog, ylog=ylog, ylabel=ylabel)


def legend_of(panels, marks: bool = False) -> list[dict]:
    """One legend entry per curve name (first appearance; a predicted curve shows under its simulated twin's),
    the two line styles where predicted curves are drawn, then the ✕ mark if any panel has one."""
    seen, predicted = {}, False
    for p in panels:
        for s in p["series"]:
            predicted |= bool(s.get("predicted"))
            if not s["reference"] and not s.get("predicted"):
                seen.setdefault(s["name"], dict(name=s["name"], color=s["color"], dash=s["dash"]))
    refs = {s["color"]: s for p in panels for s in p["series"] if s["reference"]}
    out = list(seen.values()) + [dict(name=s["group"], color=c, dash=True) for c, s in refs.items()]
    if predicted:  # colour says which vector, the line style which source
        out += [dict(name="solid: simulated (trained)", color=LOSS, style=True),
                dict(name="dashed: predicted (balanced-mode model)", color=LOSS, dash=True, style=True)]
    return out + ([dict(name="bump", color=MARK, mark=True)] if marks else [])


def with_model(simulated: list[dict], predicted) -> list[dict]:
    """The simulated series, then the model's curve of each (`predicted`, the same order; None: model off),
    dashed in its twin's colour and named under its twin in the legend."""
    if predicted is None:
        return simulated
    return simulated + [dict(series(f"{s['name']} predicted", y, s["color"], width=s["width"], dash=True),
                             group=s["name"], predicted=True) for s, y in zip(simulated, predicted)]


def _marks(bumps) -> dict:
    return dict(x=typed(bumps.peak_step.to_numpy(), "<f8"), y=typed(bumps.peak.to_numpy()))


def _steps(ex: Explored, logx: bool):
    step = ex.run.step
    keep = step > 0 if logx else np.ones(len(step), dtype=bool)  # a log axis cannot show step 0
    return step[keep], keep


def loss_figure(ex: Explored, logx: bool, logy: bool) -> dict:
    step, keep = _steps(ex, logx)
    loss = ex.run.loss[0][keep]
    panel = dict(title="", series=[series("loss", loss, LOSS, dtype="<f8")])
    return figure("loss ½‖T − T̃‖² vs step", step, [panel], legend_of([panel]), xlog=logx, ylog=logy,
                  ylabel="loss")


def _predicted(ex: Explored, basis: str, factor: int, keep, model: bool):
    """The model's curves (steps, k̃, k) of one factor, or None with the model off."""
    return ex.curves(basis, predicted=True)[keep][:, factor] if model else None


def inner_figure(ex: Explored, factor: int, logx: bool, basis: str = "target", model: bool = False) -> dict:
    """One panel per target a_l (basis "target") or mode of T (basis "mode": u_j for factor 1, v_j for
    factor 2): the overlap of every learned m; ✕ marks each bump's peak (bump rule, in that basis);
    `model`: the balanced-mode model's curves beside them, dashed."""
    k, km = ex.cfg.rank, ex.cfg.k_model
    step, keep = _steps(ex, logx)
    curves = ex.curves(basis)[keep][:, factor]  # (steps, k̃, k)
    pred = _predicted(ex, basis, factor, keep, model)
    if basis == "target":
        bumps, index, one, many = ex.bumps, "target", "target", "targets"
        heads = [f"target a{l + 1}" for l in range(k)]
        ylabel = "|⟨ã_m, a_l⟩|"
    else:
        bumps, index, one, many, mode = ex.model.mode_bumps, "mode", "mode of T", "modes", "uv"[factor]
        heads = [f"mode {mode}{j + 1} (s{j + 1} = {s:.3g})" for j, s in enumerate(ex.model.singular_values)]
        ylabel = f"|⟨ã_m, {mode}_j⟩|"
    bumps = bumps[bumps.factor == factor]
    panels = [dict(title=heads[l], marks=_marks(bumps[bumps[index] == l]), series=with_model(
                   [series(f"ã{m + 1}", curves[:, m, l], learned_colour(ex, m)) for m in range(km)],
                   None if pred is None else pred[:, :, l].T)) for l in range(k)]
    title = (f"|inner product| of every learned vector with every {one}, factor {factor + 1}: "
             f"{km} learned × {k} {many}, {len(bumps)} bump(s) ✕")
    return figure(title, step, panels, legend_of(panels, marks=True), height=220, cols=min(k, 4),
                  xlog=logx, ylabel=ylabel)


def pair_figure(ex: Explored, target: int, pair: list[int], factor: int, logx: bool,
                model: bool = False) -> dict:
    """The thread's view: two learned vectors against one target, and the first against every target;
    `model`: the balanced-mode model's curves beside them, dashed."""
    step, keep = _steps(ex, logx)
    curves = ex.curves()[keep][:, factor]  # (steps, k̃, k)
    pred = _predicted(ex, "target", factor, keep, model)
    first = pair[0]
    bumps = ex.bumps[(ex.bumps.factor == factor) & (ex.bumps.target == target) & ex.bumps.learned.isin(pair)]
    left = dict(title=f"two learned vectors against target a{target + 1}", marks=_marks(bumps), series=with_model(
        [series(f"ã{m + 1}", curves[:, m, target], PALETTE[i], width=2.5) for i, m in enumerate(pair)],
        None if pred is None else [pred[:, m, target] for m in pair]))
    right = dict(title=f"ã{first + 1} against every target", series=with_model(
        [series(f"ã{first + 1}·a{l + 1}" + (" (this target)" if l == target else ""), curves[:, first, l],
                target_colour(ex, l), width=2.5 if l == target else 1.2) for l in range(ex.cfg.rank)],
        None if pred is None else pred[:, first].T))
    panels = [left, right]
    return figure(f"the thread's view: two learned vectors, one target (factor {factor + 1})", step, panels,
                  legend_of(panels, marks=len(bumps) > 0), height=300, cols=2, xlog=logx)


def strength_figure(ex: Explored, logx: bool) -> dict:
    """⟨T̃, ⊗_f a_l⟩ per target component; the weights s_l as dashed grey reference lines."""
    step, keep = _steps(ex, logx)
    strength = ex.strength.pivot(index="step", columns="target", values="strength").to_numpy()[keep]
    weights = np.asarray(ex.run.weights)
    lines = [series(f"component {l + 1}", strength[:, l], target_colour(ex, l)) for l in range(ex.cfg.rank)]
    refs = [dict(series(f"s{l + 1} = {w:g}", np.full(len(step), w), REFERENCE, width=1, dash=True,
                        reference=True), group="weights s_l") for l, w in enumerate(weights)]
    panel = dict(title="", series=lines + refs)
    return figure("component strength ⟨T̃, ⊗_f a_l⁽ᶠ⁾⟩ (dashed: weight s_l)", step, [panel], legend_of([panel]),
                  xlog=logx)


def decode(a: dict) -> np.ndarray:
    """A typed array back as numbers (tests, the bench)."""
    return np.frombuffer(base64.b64decode(a["bdata"]), dtype="<" + a["dtype"])
