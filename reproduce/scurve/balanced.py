"""The balanced-mode model: a prediction of every inner-product curve of an order-2 run from its init and its
target alone, with no fitted parameter (paper/spec/thread.md, "The balanced-mode model").

For one run (figT6, figT7, the explorer): `predict(run)` gives the predicted curves in the target basis
(`.overlap`) and the mode basis (`.mode_overlap`); `run_modes(run)` the run's own mode overlaps.

In the mode basis of T = U S Vᵀ (scurve/modes.py) the learned pairs' coordinates P = UᵀÃ, Q = VᵀB̃ grow in
the linear phase along C = (P + Q)/2 by (1 + ηS) per step, while (P − Q)/2 decays by (1 − ηS). Taking the
pairs balanced (P = Q = C) and dropping the parts outside the target span, gradient descent becomes

    C_{t+1} = C_t + η (S − C_t C_tᵀ) C_t,       C_0 = (UᵀÃ_0 + VᵀB̃_0)/2,

in discrete time (a step grows a small mode by 1 + ηs, not e^{ηs}). The predicted overlaps are
⟨ã_m, a_l⟩ = Σ_j C_jm ⟨u_j, a_l⟩ and ⟨b̃_m, b_l⟩ = Σ_j C_jm ⟨v_j, b_l⟩. Column m obeys
c_m ← c_m + η[(S − ‖c_m‖²) c_m − Σ_{m'≠m} ⟨c_m', c_m⟩ c_m']: a self term that turns a pair away from every
mode weaker than its norm², and a cross term that pushes it out of the other pairs' directions. With the
other columns frozen, pair m sees the residual S − Σ_{m'≠m} c_m' c_m'ᵀ; with them removed, S.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import modes as modes_
from .measure import half_peak_restarts


@dataclass(frozen=True)
class Prediction:
    coeff: np.ndarray    # (B, S, k, k̃): C_t at the run's record steps
    overlap: np.ndarray  # (B, S, 2, k̃, k): predicted ⟨ã_m, a_l⟩ (factor 0) and ⟨b̃_m, b_l⟩ (factor 1)
    modes: modes_.Modes

    @property
    def mode_overlap(self) -> np.ndarray:
        """Predicted overlaps with the modes, (B, S, 2, k̃, k) like a run's `mode_overlap`: C itself, the same
        for both factors (the model is balanced)."""
        return np.stack([self.coeff.swapaxes(-1, -2)] * 2, axis=2)


def iterate(C0, s, lr: float, steps: int, grid, cross: bool = True) -> np.ndarray:
    """C_t at the steps of `grid` (sorted, within 0…steps): (B, k, k̃) -> (B, len(grid), k, k̃).
    `cross=False` drops the cross term (every pair fits T alone): the ablation of the interaction."""
    C, S = np.array(C0, dtype=float), np.asarray(s, dtype=float)[..., None]
    at = np.full(steps + 1, -1)
    at[np.asarray(grid)] = np.arange(len(grid))
    out = np.empty((C.shape[0], len(grid)) + C.shape[1:])
    for t in range(steps + 1):
        if at[t] >= 0:
            out[:, at[t]] = C
        if t == steps:
            break
        if cross:  # (CCᵀ)C: k×k first, the cheaper order for k̃ ≥ k
            C = C + lr * (S * C - (C @ C.swapaxes(-1, -2)) @ C)
        else:
            C = C + lr * (S - (C * C).sum(axis=-2, keepdims=True)) * C
    return out


def start(mode_overlap0) -> np.ndarray:
    """C_0 from the step-0 mode overlaps (B, 2, k̃, k): the balanced part (P_0 + Q_0)/2, as (B, k, k̃)."""
    return np.asarray(mode_overlap0).mean(axis=1).swapaxes(-1, -2)


def to_targets(coeff, modes: modes_.Modes) -> np.ndarray:
    """Predicted target overlaps from coefficients (B, S, k, k̃): (B, S, 2, k̃, k)."""
    return np.stack([coeff.swapaxes(-1, -2) @ modes.mode_target[:, None, f] for f in range(2)], axis=2)


def run_modes(run) -> tuple[modes_.Modes, np.ndarray]:
    """The run's modes and its mode overlaps (B, S, 2, k̃, k): recorded by the trainer when the config
    sets record_modes, else mapped from the target overlaps (the same numbers to round-off)."""
    m = modes_.basis(run.target_gram, run.weights)
    recorded = run.data.get("mode_overlap")
    return m, recorded if recorded is not None else modes_.mode_overlaps(run.overlap, m)


def predict_runs(runs, cross: bool = True, prepared=None) -> list[Prediction]:
    """The model's curves for every seed of each order-2 run, from its step-0 state and its target. Runs
    that share k̃, η, steps and record grid are iterated as one batch (the model costs two small matrix
    products per seed and step). `prepared`: the runs' run_modes, if the caller has them."""
    prepared = [run_modes(run) for run in runs] if prepared is None else prepared
    groups: dict[tuple, list[int]] = {}
    for i, run in enumerate(runs):
        groups.setdefault((run.cfg.k_model, run.cfg.lr, run.cfg.steps, tuple(run.step)), []).append(i)
    out: list[Prediction | None] = [None] * len(runs)
    for (_, lr, steps, grid), members in groups.items():
        C0 = np.concatenate([start(prepared[i][1][:, 0]) for i in members])
        s = np.concatenate([prepared[i][0].s for i in members])
        C = iterate(C0, s, lr, steps, np.array(grid), cross=cross)
        at = 0
        for i in members:
            c = C[at:at + len(runs[i].seed)]
            at += len(runs[i].seed)
            out[i] = Prediction(c, to_targets(c, prepared[i][0]), prepared[i][0])
    return out


def predict(run, cross: bool = True) -> Prediction:
    """The model's curves for one run (predict_runs of one)."""
    return predict_runs([run], cross=cross)[0]


def continue_lone(C, s, start_step, pair, readout, lr, steps: int, grid, frozen) -> np.ndarray:
    """The model's restarts: row r's pair `pair[r]` continues from coefficients C[r] (k, k̃) at step
    start_step[r], its other columns frozen (kept in S − Σ c cᵀ) or removed (S alone), per `frozen[r]`;
    returns |Σ_j c_jm readout[r, j]| at every grid step after the start, NaN elsewhere: (R, len(grid))."""
    C, R = np.asarray(C, float), len(start_step)
    rows, k = np.arange(R), C.shape[1]
    c = C[rows, :, pair][..., None]                                   # (R, k, 1)
    others = C.copy()
    others[rows, :, pair] = 0.0
    S = np.zeros((R, k, k))
    S[:, np.arange(k), np.arange(k)] = s
    S -= np.asarray(frozen, float)[:, None, None] * (others @ others.swapaxes(-1, -2))
    rate = np.asarray(lr, float).reshape(-1, 1, 1) * np.ones((R, 1, 1))
    at = np.full(steps + 1, -1)
    at[np.asarray(grid)] = np.arange(len(grid))
    out = np.full((R, len(grid)), np.nan)
    start_step = np.asarray(start_step)
    for i in range(1, steps - int(start_step.min()) + 1):
        c = c + rate * (S @ c - c * (c * c).sum(axis=1, keepdims=True))
        g = start_step + i
        hit = np.nonzero(g <= steps)[0]
        hit = hit[at[g[hit]] >= 0]
        out[hit, at[g[hit]]] = np.abs(np.einsum("rj,rj->r", c[hit, :, 0], readout[hit]))
    return out


def interventions(runs, predictions: list[Prediction], rule) -> list[dict]:
    """The model's own figT7: for each run, its predicted bumps (rows b, f, m, l, h as
    measure.half_peak_restarts, on the predicted curves) and their curves with each restart in place,
    {"bump": rows, "frozen": (R, S), "removed": (R, S)}. All restarts of runs sharing steps and grid
    run as one batch (coefficients zero-padded to the widest k̃: a zero column changes nothing)."""
    rows = [half_peak_restarts(p.overlap, rule) for p in predictions]
    out = [dict(bump=r) for r in rows]
    groups: dict[tuple, list[int]] = {}
    for i, run in enumerate(runs):
        groups.setdefault((run.cfg.steps, tuple(run.step)), []).append(i)
    for (steps, grid), members in groups.items():
        km = max(runs[i].cfg.k_model for i in members)
        C, s, start_, pair, read, lr, frozen, keys = [], [], [], [], [], [], [], []
        for i in members:
            p, grid_i = predictions[i], runs[i].step
            for fr in (True, False):
                for r, (b, f, m, l, h) in enumerate(rows[i]):
                    coeff = p.coeff[b, h]
                    C.append(np.pad(coeff, ((0, 0), (0, km - coeff.shape[1]))))
                    s.append(p.modes.s[b])
                    start_.append(grid_i[h])
                    pair.append(m)
                    read.append(p.modes.mode_target[b, f, :, l])
                    lr.append(runs[i].cfg.lr)
                    frozen.append(fr)
                    keys.append((i, fr, r))
        if not keys:
            continue
        got = continue_lone(np.array(C), np.array(s), np.array(start_), np.array(pair), np.array(read),
                            np.array(lr), steps, np.array(grid), np.array(frozen))
        cont = {key: got[n] for n, key in enumerate(keys)}
        for i in members:
            b, f, m, l, h = rows[i].T
            for fr, name in ((True, "frozen"), (False, "removed")):
                curve = np.abs(predictions[i].overlap[b, :, f, m, l])
                for r in range(len(rows[i])):
                    curve[r, h[r] + 1:] = cont[(i, fr, r)][h[r] + 1:]
                out[i][name] = curve
    for o, run in zip(out, runs):  # runs without a predicted bump
        for name in ("frozen", "removed"):
            o.setdefault(name, np.zeros((0, len(run.step))))
    return out
