"""The explorer's compute, without a browser: settings -> validated config -> training -> what the app draws.

Settings are a plain dict of S-curve config keys (the explorer trains one seed). They go through the same
validation as a config file, so a bad setting raises the ConfigError the command line prints.
"""
from __future__ import annotations

import dataclasses
import functools
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from ..core import config, families, paths
from ..core.bumps import BumpRule, BumpRules, bump_peaks
from ..core.results import Run
from ..scurve import balanced, measure
from ..scurve.config import SCurveConfig

WHERE = "explore.toml"  # errors name the file the exported settings would be saved as
# The fields the explorer's controls set; every other config field keeps its loaded (or default) value.
CONTROLS = ("order", "rank", "model_rank", "N", "target", "weights", "init", "init_std", "optimizer",
            "lr", "steps", "seed")
DEFAULTS = dict(order=2, rank=2, N=100, target="unit", init="gaussian", init_std=0.01, optimizer="gd",
                lr=0.1, steps=1000, seed=0, seeds=1)


def build_config(data: dict, where: str = WHERE):
    """The one place the explorer validates settings: the checks `python -m reproduce train` runs."""
    return config.from_dict(SCurveConfig, data, where)


def settings_of(cfg) -> dict:
    """A config as the settings dict the explorer edits (one seed): every field a control sets, and the
    other fields where they differ from their defaults."""
    default = {f.name: f.default for f in dataclasses.fields(cfg)
               if f.default is not dataclasses.MISSING}
    out = {k: v for k, v in config.as_dict(cfg).items()
           if k in CONTROLS or (k not in ("sweep", "family") and default.get(k, object()) != v)}
    out.update(seeds=1, weights=list(cfg.weights))
    return out


def load_file(path: str | Path) -> tuple[list[str], list[dict]]:
    """A config file of the package as explorer settings: (member labels, settings per sweep member).

    A sweep config gives one entry per combination; a non-S-curve family raises ConfigError.
    """
    cfg = config.load(path)
    if families.of(cfg).config_type() is not SCurveConfig:
        raise config.ConfigError(f"{path}: key 'family': the explorer trains S-curve configs only, "
                                 f"not {cfg.family!r}")
    members = cfg.runs()
    labels = [", ".join(f"{k}={getattr(m, k)}" for k in cfg.sweep) or "(no sweep)" for m in members]
    return labels, [settings_of(m) for m in members]


def to_toml(settings: dict) -> str:
    """The settings as a config file that `python -m reproduce train` accepts (None means: key left out)."""
    clean = {k: v for k, v in settings.items() if v is not None and not (k == "weights" and v == [])}
    return "# written by the explorer (make explore)\n" + tomli_w.dumps(clean)


def from_toml(text: str, where: str = WHERE) -> dict:
    return settings_of(build_config(tomllib.loads(text), where))


@dataclass
class Explored:
    """Everything the app shows for one setting; the DataFrames are long tables, one row per point."""
    cfg: object
    run: Run
    rule: BumpRule             # the inner-product bump rule the tables were measured with
    loss: pd.DataFrame         # step, loss
    inner: pd.DataFrame        # factor, learned, target, step, inner_product (|⟨ã_m, a_l⟩|)
    bumps: pd.DataFrame        # factor, learned, target, peak_step, peak, final, other_rise
    strength: pd.DataFrame     # target, step, strength, weight
    toml: str
    train_seconds: float
    analysis_seconds: float

    @functools.cached_property
    def model(self) -> ModelView:
        """The mode basis and the balanced-mode model of this run, computed on first use: the page's default
        views need neither, and at rank 8 they cost a new seed's page ~10 ms of its ~150."""
        return model_view(self.run, self.rule)

    def curves(self, basis: str = "target", predicted: bool = False) -> np.ndarray:
        """|overlaps| (steps, n, k̃, k) of the inner-product view: with the targets a_l or the modes u_j, v_j;
        trained, or the model's (what the notes of `model` leave available)."""
        if basis == "target" and not predicted:
            return np.abs(self.run.overlap[0])
        return self.model.curves[basis, predicted]


@dataclass
class ModelView:
    """The mode basis of T = U S Vᵀ (scurve/modes.py) and the balanced-mode model (scurve/balanced.py) of one
    run, as long tables; None, with the reason in modes_note / model_note, where they do not apply."""
    modes_note: str                              # "" where the mode basis exists
    model_note: str                              # "" where the model's curves exist
    modes: pd.DataFrame | None = None            # factor, learned, mode, step, inner_product (|⟨ã_m, u_j⟩|)
    mode_bumps: pd.DataFrame | None = None       # factor, learned, mode, peak_step, peak, final
    predicted: pd.DataFrame | None = None        # as Explored.inner: the model's |⟨ã_m, a_l⟩|
    predicted_modes: pd.DataFrame | None = None  # as `modes`: the model's |⟨ã_m, u_j⟩|
    singular_values: np.ndarray | None = None    # (k,) s_j of T, decreasing
    curves: dict = dataclasses.field(default_factory=dict, repr=False)  # (basis, predicted) -> (S, n, k̃, k)


def model_scope(cfg) -> tuple[str, str]:
    """(why the mode basis does not apply, why the model does not), "" where it does. Both are of order-2
    targets; the model is a model of plain gradient descent. Targets that are linearly dependent (rank > N,
    `ones` at rank ≥ 2) are found by the basis itself (model_view)."""
    if cfg.order != 2:
        note = (f"The mode basis (singular vectors of T = U S Vᵀ) and the balanced-mode model are of order-2 "
                f"targets; this run has order {cfg.order}.")
        return note, note
    if cfg.optimizer != "gd":
        return "", (f"The balanced-mode model predicts plain gradient descent ('gd'); this run uses "
                    f"{cfg.optimizer!r}.")
    return "", ""


def _long(curves, step, index: str) -> pd.DataFrame:
    """(steps, n, k̃, k) |overlaps| as a long table: factor, learned, `index` (target or mode), step,
    inner_product."""
    n, km, k = curves.shape[1:]
    f, m, l = (a.ravel() for a in np.meshgrid(range(n), range(km), range(k), indexing="ij"))
    return pd.DataFrame({"factor": np.repeat(f, len(step)), "learned": np.repeat(m, len(step)),
                         index: np.repeat(l, len(step)), "step": np.tile(step, len(f)),
                         "inner_product": curves[:, f, m, l].T.ravel()})


def _peaks(curves, step, rule: BumpRule, index: str) -> pd.DataFrame:
    """The rule's bumps of (steps, n, k̃, k) curves: factor, learned, `index`, peak_step, peak, final."""
    is_bump, peak_index, peak, _ = bump_peaks(np.moveaxis(curves, 0, -1), rule)
    f, m, j = np.nonzero(is_bump)
    return pd.DataFrame({"factor": f, "learned": m, index: j, "peak_step": step[peak_index[f, m, j]],
                         "peak": peak[f, m, j], "final": curves[-1, f, m, j]})


def model_view(run, rule: BumpRule) -> ModelView:
    """The run's mode basis and model curves, from the package's own basis and model; bumps by `rule`."""
    modes_note, model_note = model_scope(run.cfg)
    if modes_note:
        return ModelView(modes_note, model_note)
    try:
        prepared = balanced.run_modes(run)
    except ValueError as err:  # dependent targets: the basis says why
        note = f"No mode basis: {err}."
        return ModelView(note, note)
    step = run.step
    mode_curves = np.abs(prepared[1][0])
    out = ModelView("", model_note, modes=_long(mode_curves, step, "mode"),
                    mode_bumps=_peaks(mode_curves, step, rule, "mode"), singular_values=prepared[0].s[0],
                    curves={("mode", False): mode_curves})
    if not model_note:
        p = balanced.predict_runs([run], prepared=[prepared])[0]
        target, mode = np.abs(p.overlap[0]), np.abs(p.mode_overlap[0])
        out.predicted, out.predicted_modes = _long(target, step, "target"), _long(mode, step, "mode")
        out.curves.update({("target", True): target, ("mode", True): mode})
    return out


def compute(settings: dict, rules: BumpRules, where: str = WHERE, progress=None) -> Explored:
    """Validate, train one seed with the package's trainer, and derive every table the app draws, with the
    bump rules the caller loaded (core.bumps.load_rules).

    Raises ConfigError (bad settings) or TrainingDiverged, with the command line's one-line message.
    `progress(step, steps)` is called at every recorded step while training.
    """
    from ..scurve import train
    cfg = build_config(settings, where)
    if cfg.sweep or cfg.seeds != 1:
        raise config.ConfigError(f"{where}: key 'seeds': the explorer trains one seed and no sweep")
    start = time.perf_counter()
    (raw,) = train.train_config(cfg, where=where, progress=progress)
    trained = time.perf_counter()
    run = Run(cfg, raw)
    step = run.step
    curves = np.abs(run.overlap[0])  # (steps, n, k̃, k)
    k = curves.shape[-1]
    inner = _long(curves, step, "target")
    bumps = pd.DataFrame(measure.find_bumps(run, rules.inner_product),
                         columns=["seed", "seed_index", "factor", "learned", "target", "peak", "peak_step",
                                  "final", "other_rise"])
    strength = measure.component_strength(run)[0]  # (steps, k)
    weights = np.asarray(run.weights)
    strength = pd.DataFrame({"target": np.repeat(np.arange(k), len(step)), "step": np.tile(step, k),
                             "strength": strength.T.ravel(), "weight": np.repeat(weights, len(step))})
    loss = pd.DataFrame({"step": step, "loss": run.loss[0]})
    return Explored(cfg, run, rules.inner_product, loss, inner, bumps.drop(columns=["seed", "seed_index"]), strength,
                    to_toml(settings), trained - start, time.perf_counter() - trained)


def pair_for(ex: Explored, target: int, factor: int = 0) -> list[int]:
    """The two learned vectors the two-vector view shows against `target` (blue first).

    The pair of the thread's plot where one exists for this target (scurve.measure.thread_pair, the rule
    figT1 uses); otherwise, as a starting point for the view's pickers, the two learned vectors with the
    largest overlap with `target` at step 0. With k̃ = 1 there is one.
    """
    found = measure.thread_pair(ex.run, ex.rule, seed_index=0, target=target, factor=factor)
    if found is not None:
        return [found[2], found[3]]
    start = np.abs(ex.run.overlap[0, 0, factor, :, target])  # (k̃,)
    return [int(m) for m in np.argsort(-start, kind="stable")[:2]]


def config_files() -> list[Path]:
    return sorted(paths.CONFIGS.glob("*.toml"))
