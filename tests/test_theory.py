"""The closed forms the figures overlay: checked against independent solutions, built to fail when wrong."""
import numpy as np
import pytest

from reproduce.scurve import theory


def test_order_n_flow_at_order_2_is_the_rank1_flow():
    t = np.linspace(0, 60, 200)
    ref = theory.rank1_flow(0.02, -0.01, 0.01, 0.012, 1.0, 1.0, t)["loss"]
    got = theory.order_n_flow([0.02, -0.01], [0.01, 0.012], [1.0, 1.0], t)
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    wrong = theory.order_n_flow([0.02, -0.01], [0.01, 0.012], [1.0, 0.5], t)  # another target norm
    assert np.max(np.abs(wrong / ref - 1)) > 0.1


def test_saxe_mode_strength_is_the_gd_map_while_small_and_saturates_at_s():
    s, u0, lr = 0.5, 1e-6, 0.1
    steps = np.arange(0, 400)
    u = theory.saxe_mode_strength(s, u0, lr, steps)
    assert u[0] == pytest.approx(u0) and u[-1] == pytest.approx(s, rel=1e-6)
    # small-u regime: each GD step on a balanced pair multiplies u by (1 + ηs)²
    assert u[10] / u[9] == pytest.approx((1 + lr * s) ** 2, rel=1e-4)
    half = theory.saxe_half_step(s, u0, lr)
    assert np.interp(s / 2, u, steps) == pytest.approx(half, abs=0.5)


def test_saxe_u0_takes_the_growing_part_of_the_init():
    overlap0 = np.zeros((2, 1, 1))  # (n = 2, k̃ = 1, k = 1)
    overlap0[:, 0, 0] = [0.01, 0.03]
    assert theory.saxe_u0(overlap0)[0] == pytest.approx(0.02 ** 2)
    overlap0[:, 0, 0] = [0.01, -0.01]  # purely the decaying mode x − y: nothing grows
    assert theory.saxe_u0(overlap0)[0] == 0.0


def gd_rank1_order_n(a, init, lr, steps):
    """Plain GD on ½‖⊗a_f − ⊗ã_f‖² for full vectors (the reference the reduced map must equal)."""
    x = [v.copy() for v in init]
    out = []
    for _ in range(steps + 1):
        out.append(([float(af @ xf) for af, xf in zip(a, x)], [float(xf @ xf) for xf in x]))
        X = [np.prod([float(a[g] @ x[g]) for g in range(len(a)) if g != f]) for f in range(len(a))]
        P = [np.prod([float(x[g] @ x[g]) for g in range(len(a)) if g != f]) for f in range(len(a))]
        x = [xf + lr * (af * Xf - xf * Pf) for xf, af, Xf, Pf in zip(x, a, X, P)]
    return np.array([o[0] for o in out]), np.array([o[1] for o in out])


@pytest.mark.parametrize("order", [2, 3])
def test_order_n_map_is_gd_on_the_full_vectors(order):
    rng = np.random.default_rng(order)
    a = [v / np.linalg.norm(v) * s for v, s in zip(rng.normal(size=(order, 7)), (1.0, 0.8, 1.2)[:order])]
    init = list(0.3 * rng.normal(size=(order, 7)) / np.sqrt(7))
    steps = np.arange(0, 120, 7)
    x_ref, p_ref = gd_rank1_order_n(a, init, 0.1, int(steps.max()))
    x, p, loss = theory.order_n_map([af @ xf for af, xf in zip(a, init)], [xf @ xf for xf in init],
                                    [af @ af for af in a], 0.1, steps)
    np.testing.assert_allclose(x.T, x_ref[steps], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(p.T, p_ref[steps], rtol=1e-10)
    # and it is not the continuous flow in time η·step, which drifts away from GD (here by > 0.1 % of the
    # loss before the plateau ends), while the map follows GD to round-off
    t = 0.1 * steps.astype(float)
    flow = theory.order_n_flow(x[:, 0], p[:, 0], [af @ af for af in a], t)
    assert np.max(np.abs(flow / loss - 1)) > 1e-3


def test_log_law_slope_is_the_discrete_growth():
    assert theory.log_law_slope(0.1) == pytest.approx(1 / np.log(1.1))
    assert theory.order_n_plateau(np.e ** -2, 2, 0.1) == pytest.approx(2 / np.log(1.1))
