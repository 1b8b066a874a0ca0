"""Closed forms, gradient-flow ODEs and their exact discrete-time maps, which the figures overlay on the
trained curves and the claims compare them with (paper/spec/post.md, paper/spec/thread.md).

The claims compare GD with theory in discrete time: a GD step multiplies a growing mode by (1 + ηs), the
gradient flow in time η·step by e^{ηs}, ≈ 5 % apart in rate at η = 0.1, an offset a tolerance must not
absorb. `order_n_map` is GD itself in the reduced variables (exact, not an approximation)."""
from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp


def gd_linear_loss(loss0: float, lr: float, step: np.ndarray) -> np.ndarray:
    """Scalar/vector target under GD: each step scales the residual by (1 − η), so L_t = L₀(1−η)^{2t}."""
    return loss0 * (1.0 - lr) ** (2 * np.asarray(step, dtype=float))


def rank1_flow(x0, y0, p0, q0, na2, nb2, t):
    """Gradient flow of the rank-1 task in the reduced variables x=a·ã, y=b·b̃, p=‖ã‖², q=‖b̃‖².

    dx/dt = ‖a‖²y − xq, dy/dt = ‖b‖²x − yp, dp/dt = dq/dt = 2xy − 2pq (closed and exact for the flow);
    L = ½(‖a‖²‖b‖² − 2xy + pq). Solved with scipy's LSODA at tight tolerances; t is time (step × η).
    """
    def rhs(_, s):
        x, y, p, q = s
        return [na2 * y - x * q, nb2 * x - y * p, 2 * x * y - 2 * p * q, 2 * x * y - 2 * p * q]

    sol = solve_ivp(rhs, (0.0, float(np.max(t))), [x0, y0, p0, q0], method="LSODA", t_eval=t,
                    rtol=1e-10, atol=1e-14)
    if not sol.success:
        raise RuntimeError(f"rank-1 ODE solve failed: {sol.message}")
    x, y, p, q = sol.y
    # The ½(‖a‖²‖b‖² − 2xy + pq) form cancels near convergence: floor at the round-off of its terms.
    loss = np.maximum(0.5 * (na2 * nb2 - 2 * x * y + p * q), 1e-16 * na2 * nb2)
    return dict(x=x, y=y, p=p, q=q, loss=loss)


def rank1_flow_from_run(run, seed_index: int):
    """rank1_flow started from one recorded seed's step-0 state, evaluated at that run's steps."""
    ov, nm, gram = run.overlap[seed_index, 0], run.norm[seed_index, 0], run.target_gram[seed_index]
    return rank1_flow(ov[0, 0, 0], ov[1, 0, 0], nm[0, 0] ** 2, nm[1, 0] ** 2, gram[0, 0, 0], gram[1, 0, 0],
                      run.cfg.lr * run.step.astype(float))


def order_n_plateau(sigma, order: int, lr: float):
    """Steps to the end of the plateau from initial overlap x₀ = σ with unit targets (paper/spec/post.md):
    n = 2: ln(1/x₀)/ln(1 + η) (a GD step multiplies the growing mode by 1 + η, the discrete form of the
    flow's e^η); n ≥ 3: 1/((n−2)·η·x₀^{n−2}) (finite-time blow-up of ẋ = x^{n−1}, whose discrete map
    x ← x + ηx^{n−1} moves by at most ηx₀^{n−2} ≪ 1 per step on the plateau)."""
    sigma = np.asarray(sigma, dtype=float)
    if order == 2:
        return np.log(1 / sigma) / np.log1p(lr)
    return 1.0 / ((order - 2) * lr * sigma ** (order - 2))


def saxe_mode_strength(s, u0, lr: float, step) -> np.ndarray:
    """Saxe, McClelland & Ganguli (2014): a decoupled mode of a two-layer linear network, strength u (the
    product of its two layers' weights along the mode) under gradient descent from u₀, with target s:

        u(t) = s·g(t) / (g(t) − 1 + s/u₀),   g(t) = (1 + ηs)^{2t}

    The closed form solves du/dt = 2u(s − u) with e^{2sηt}; g here is its discrete-time growth factor,
    exact while the mode is small (each GD step multiplies it by (1 + ηs)²), so the plateau length is
    right in prefactor, not only in rate. For this package's rank-k task, a mode l is component l of the
    target and u₀ = Σ_m ((⟨ã_m, a_l⟩ + ⟨b̃_m, b_l⟩)/2)²: the part of the init that the linear phase grows.
    """
    g = (1.0 + lr * s) ** (2.0 * np.asarray(step, dtype=float))
    return s * g / (g - 1.0 + s / u0)


def saxe_half_step(s, u0, lr: float):
    """Step at which saxe_mode_strength reaches s/2: g = s/u₀ − 1."""
    return np.log(s / u0 - 1.0) / (2.0 * np.log1p(lr * s))


def saxe_u0(overlap0) -> np.ndarray:
    """u₀ per mode from the step-0 overlaps of an order-2 run, shape (…, n = 2, k̃, k) -> (…, k)."""
    return (((overlap0[..., 0, :, :] + overlap0[..., 1, :, :]) / 2) ** 2).sum(axis=-2)


def order_n_flow(x0, p0, na2, t):
    """Gradient flow of a rank-1, order-n target in the reduced variables x_f = ⟨ã⁽ᶠ⁾, a⁽ᶠ⁾⟩, p_f = ‖ã⁽ᶠ⁾‖²:

        dx_f/dt = ‖a⁽ᶠ⁾‖² Π_{g≠f} x_g − x_f Π_{g≠f} p_g,   dp_f/dt = 2x_f Π_{g≠f} x_g − 2p_f Π_{g≠f} p_g,

    closed and exact for the flow (the n = 2 case is rank1_flow); L = ½(Π‖a⁽ᶠ⁾‖² − 2Πx + Πp). Started from a
    run's own step-0 overlaps and norms, it carries the prefactor of the plateau that the scaling law
    order_n_plateau (x₀ = σ) leaves out. Returns the loss at times t (step × η).
    """
    x0, p0, na2 = (np.asarray(v, dtype=float) for v in (x0, p0, na2))
    n = len(x0)

    def others(v):
        return np.array([np.prod(np.delete(v, f)) for f in range(n)])

    def rhs(_, s):
        x, p = s[:n], s[n:]
        X, P = others(x), others(p)
        return np.concatenate([na2 * X - x * P, 2 * x * X - 2 * p * P])

    sol = solve_ivp(rhs, (0.0, float(np.max(t))), np.concatenate([x0, p0]), method="LSODA", t_eval=t,
                    rtol=1e-10, atol=1e-14)
    if not sol.success:
        raise RuntimeError(f"order-{n} ODE solve failed: {sol.message}")
    x, p = sol.y[:n], sol.y[n:]
    # The Gram form cancels near convergence: floor at the round-off of its terms (as rank1_flow).
    loss = 0.5 * (np.prod(na2) - 2 * np.prod(x, axis=0) + np.prod(p, axis=0))
    return np.maximum(loss, 1e-16 * np.prod(na2))


# GD against its exact reduction (order_n_map): only round-off separates them. Float64 carries 1e-16 per
# operation; 1e-6 leaves ten decades for it to grow over ≤ 5·10⁴ steps and is four decades below the
# ≈ 5 % offset of the gradient flow at η = 0.1, so no tolerance here can absorb the continuous-time error.
MAP_RTOL = 1e-6


def log_law_slope(lr: float, s=1.0):
    """Steps per unit of ln(1/σ) of the plateau of a mode of strength s (target norm product ‖a‖‖b‖):
    a GD step multiplies the growing mode by 1 + ηs, so the plateau lasts ln(1/σ)/ln(1 + ηs) + const."""
    return 1.0 / np.log1p(lr * np.asarray(s, dtype=float))


def order_n_map(x0, p0, na2, lr: float, step):
    """Gradient descent on a rank-1, order-n target in the reduced variables x_f = ⟨ã⁽ᶠ⁾, a⁽ᶠ⁾⟩,
    p_f = ‖ã⁽ᶠ⁾‖² (n = 2 is the rank-1 matrix task: x, y, p, q), exactly: with X_f = Π_{g≠f} x_g and
    P_f = Π_{g≠f} p_g, the step ã⁽ᶠ⁾ ← ã⁽ᶠ⁾ + η(a⁽ᶠ⁾X_f − ã⁽ᶠ⁾P_f) gives

        x_f ← x_f + η(‖a⁽ᶠ⁾‖² X_f − x_f P_f),
        p_f ← p_f + 2η(x_f X_f − p_f P_f) + η²(‖a⁽ᶠ⁾‖² X_f² − 2x_f X_f P_f + p_f P_f²),

    closed in the 2n numbers, so it equals GD on the full vectors up to round-off (the discrete-time
    form of order_n_flow, which it approaches as η → 0). `x0`, `p0`, `na2`: (..., n), any leading batch
    axes. Returns x and p at the integer steps `step`, shape (..., n, len(step)), and the loss
    ½(Π‖a⁽ᶠ⁾‖² − 2Πx + Πp) there, shape (..., len(step))."""
    x, p, na2 = (np.array(v, dtype=float) for v in (x0, p0, na2))
    step = np.asarray(step)
    xs, ps = np.empty(x.shape + (len(step),)), np.empty(x.shape + (len(step),))

    ones = np.ones(x.shape[:-1] + (1,))

    def others(v):  # Π_{g≠f} v_g for every f: prefix × suffix products (v_g may be 0)
        pre = np.concatenate([ones, np.cumprod(v[..., :-1], axis=-1)], axis=-1)
        suf = np.concatenate([np.cumprod(v[..., :0:-1], axis=-1)[..., ::-1], ones], axis=-1)
        return pre * suf

    want = {int(s): i for i, s in enumerate(step)}
    for t in range(int(step.max()) + 1):
        if t in want:
            xs[..., want[t]], ps[..., want[t]] = x, p
        X, P = others(x), others(p)
        x, p = (x + lr * (na2 * X - x * P),
                p + 2 * lr * (x * X - p * P) + lr ** 2 * (na2 * X ** 2 - 2 * x * X * P + p * P ** 2))
    loss = 0.5 * (np.prod(na2, axis=-1)[..., None] - 2 * np.prod(xs, axis=-2) + np.prod(ps, axis=-2))
    return xs, ps, loss


def map_from_runs(runs) -> list[tuple]:
    """order_n_map started from every seed's recorded step-0 overlaps and norms of rank-1 runs, at the
    runs' record steps: per run (x, p, loss) of shapes (seeds, n, steps) and (seeds, steps). Runs of one
    order, step grid and learning rate share one iteration of the map (it is a Python loop over steps)."""
    out, groups = {}, {}
    for i, run in enumerate(runs):
        groups.setdefault((run.overlap.shape[2], run.cfg.lr, run.step.tobytes()), []).append(i)
    for (_, lr, _), idx in groups.items():
        x0 = np.concatenate([runs[i].overlap[:, 0, :, 0, 0] for i in idx])
        p0 = np.concatenate([runs[i].norm[:, 0, :, 0] ** 2 for i in idx])
        na2 = np.concatenate([runs[i].target_gram[:, :, 0, 0] for i in idx])  # ‖a⁽ᶠ⁾‖² per seed, factor
        x, p, loss = order_n_map(x0, p0, na2, lr, runs[idx[0]].step)
        bounds = np.cumsum([0] + [len(runs[i].seed) for i in idx])
        for i, lo, hi in zip(idx, bounds[:-1], bounds[1:]):
            out[i] = (x[lo:hi], p[lo:hi], loss[lo:hi])
    return [out[i] for i in range(len(runs))]
