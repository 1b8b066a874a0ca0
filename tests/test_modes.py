"""The mode basis of an order-2 target (reproduce/scurve/modes.py): T = U S Vᵀ from the target Grams, and
a basis that does not depend on round-off where singular values are equal."""
import numpy as np
import pytest

from reproduce.scurve import modes


def _targets(kind, N=30, k=4, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        a = rng.normal(size=(N, k))
        out.append(np.linalg.qr(a)[0] if kind == "orthonormal" else a / np.linalg.norm(a, axis=0))
    return out


def _basis(A, B, w):
    gram = np.stack([A.T @ A, B.T @ B])[None]
    return modes.basis(gram, w)


@pytest.mark.parametrize("kind, ratio", [("unit", 1.0), ("unit", 0.5), ("orthonormal", 0.9)])
def test_modes_are_the_singular_vectors_of_T(kind, ratio):
    A, B = _targets(kind)
    w = ratio ** np.arange(4)
    m = _basis(A, B, w)
    U, V = A @ m.to_mode[0, 0], B @ m.to_mode[0, 1]
    T = A @ np.diag(w) @ B.T
    np.testing.assert_allclose(U.T @ U, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(V.T @ V, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(U @ np.diag(m.s[0]) @ V.T, T, atol=1e-12)
    np.testing.assert_allclose(m.s[0], np.linalg.svd(T, compute_uv=False)[:4], rtol=1e-12)
    np.testing.assert_allclose(m.mode_target[0, 0], U.T @ A, atol=1e-12)
    # signed positive on the largest target overlap
    mt = m.mode_target[0, 0]
    assert np.all(mt[np.arange(4), np.abs(mt).argmax(1)] > 0)


def test_orthonormal_targets_are_their_own_modes_even_at_equal_weights():
    """Equal weights: T = s·ABᵀ and every rotation of the targets is an SVD; the basis must be the targets,
    whatever rotation LAPACK returns, and must not move when the Grams move by round-off."""
    A, B = _targets("orthonormal")
    for w in (np.ones(4), 0.9 ** np.arange(4)):
        m = _basis(A, B, w)
        np.testing.assert_allclose(m.mode_target[0], np.stack([np.eye(4)] * 2), atol=1e-12)
    rng = np.random.default_rng(3)
    noisy = [np.linalg.qr(X + 1e-15 * rng.normal(size=X.shape))[0] for X in (A, B)]
    np.testing.assert_allclose(_basis(*noisy, np.ones(4)).mode_target[0, 0], np.eye(4), atol=1e-12)


def test_a_partly_degenerate_cluster_is_aligned_with_its_targets():
    """Weights 1, 1, ½, ½ on orthonormal targets: two clusters of two; each takes its own targets."""
    A, B = _targets("orthonormal")
    m = _basis(A, B, np.array([1.0, 1.0, 0.5, 0.5]))
    np.testing.assert_allclose(m.mode_target[0, 0], np.eye(4), atol=1e-12)


def test_the_mode_basis_needs_order_2():
    with pytest.raises(ValueError, match="order"):
        modes.basis(np.ones((1, 3, 2, 2)), np.ones(2))


def test_the_config_refuses_record_modes_at_another_order():
    from reproduce.scurve.config import SCurveConfig
    with pytest.raises(ValueError, match="record_modes"):
        SCurveConfig(order=3, rank=2, N=5, lr=0.1, steps=5, seeds=1, record_modes=True)


def test_dependent_targets_are_refused_in_one_line():
    a = np.ones((3, 2)) / np.sqrt(3)  # two equal targets
    with pytest.raises(ValueError, match="linearly dependent"):
        _basis(a, a, np.ones(2))
