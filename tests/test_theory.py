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
