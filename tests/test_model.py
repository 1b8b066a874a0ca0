"""The maths: Gram-form gradients equal autograd on the dense tensors; the recorded loss is accurate."""
import pytest
import torch

from reproduce.scurve import model
from helpers import batch, dense_loss, tiny


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("rank", [1, 2, 3, 4])
def test_gradients_equal_autograd(order, rank):
    cfg = tiny(order=order, rank=rank, model_rank=rank + 1 if rank % 2 else rank, N=5, init_std=0.5,
               weights=[1.0 + 0.5 * l for l in range(rank)])
    targets, learned = batch(cfg)
    weights = model.component_weights(cfg)
    leaves = [M.clone().requires_grad_(True) for M in learned]
    dense_loss(targets, leaves, weights).sum().backward()
    g_mt, g_mm = model.grams(targets, learned)
    grads = model.neg_grads([A * weights for A in targets], learned, g_mt, g_mm)
    for leaf, g in zip(leaves, grads):
        torch.testing.assert_close(-g, leaf.grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_exact_loss_equals_dense_loss(order):
    cfg = tiny(order=order, rank=3, N=7, init_std=0.4)
    targets, learned = batch(cfg)
    weights = model.component_weights(cfg)
    torch.testing.assert_close(model.exact_loss(targets, learned, weights),
                               dense_loss(targets, learned, weights), rtol=1e-12, atol=0)


def test_exact_loss_stays_accurate_near_convergence():
    """A model 1e-9 away from the target: loss ~1e-18, where the Gram form has no correct digit left."""
    cfg = tiny(order=2, rank=2, N=30)
    targets, _ = batch(cfg)
    weights = model.component_weights(cfg)
    learned = [A + 1e-9 * torch.randn(A.shape, generator=torch.Generator().manual_seed(f), dtype=A.dtype)
               for f, A in enumerate(targets)]
    reference = dense_loss(targets, learned, weights)
    assert reference.max() < 1e-15
    torch.testing.assert_close(model.exact_loss(targets, learned, weights), reference, rtol=1e-6, atol=0)
    g_mt, g_mm = model.grams(targets, learned)
    g_tt = [A.mT @ A for A in targets]
    gram_form = 0.5 * (g_tt[0] * g_tt[1] - 2 * g_mt[0] * g_mt[1] + g_mm[0] * g_mm[1]).sum((1, 2))
    assert not torch.allclose(gram_form, reference, rtol=1e-2, atol=0)  # why exact_loss exists


def test_span_coordinates_preserve_inner_products():
    cfg = tiny(order=3, rank=2, N=40)
    targets, learned = batch(cfg)
    t2, l2 = model.to_span(targets, learned)
    assert t2[0].shape[1] == 4  # k + k̃ dimensions instead of N
    for a, b in zip(model.grams(targets, learned), model.grams(t2, l2)):
        for x, y in zip(a, b):
            torch.testing.assert_close(x, y, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("init, assign", [("collision", model.collision_targets),
                                          ("distinct", model.distinct_targets)])
@pytest.mark.parametrize("target", ["unit", "orthonormal"])
def test_constructed_inits_start_nearest_their_assigned_targets(init, assign, target):
    cfg = tiny(rank=4, model_rank=4, N=30, init=init, target=target, init_std=0.01)
    targets, learned = batch(cfg, seeds=range(20))
    want = torch.tensor(assign(4, 4))
    for A, M in zip(targets, learned):
        assert (model.nearest_targets(M, A) == want).all()
        # the kept draws are gaussian at the same σ: mean squared entry ≈ σ² (20·4·30 entries)
        assert M.pow(2).mean().sqrt().item() == pytest.approx(0.01, rel=0.1)
    assert assign(4, 4) == ([0, 0, 1, 2] if init == "collision" else [0, 1, 2, 3])


def test_gaussian_init_shares_nearest_targets_by_chance():
    """The control for the constructed inits: plain gaussian draws do not follow either assignment."""
    cfg = tiny(rank=4, model_rank=4, N=30, init_std=0.01)
    targets, learned = batch(cfg, seeds=range(20))
    nearest = model.nearest_targets(learned[0], targets[0])
    assert not (nearest == torch.tensor(model.distinct_targets(4, 4))).all(dim=1).all()


def test_weight_ratio_gives_geometric_weights():
    assert model.component_weights(tiny(rank=4, weight_ratio=0.5)).tolist() == [1, 0.5, 0.25, 0.125]
    with pytest.raises(ValueError, match="weight_ratio"):
        tiny(rank=2, weight_ratio=0.5, weights=[1.0, 0.5])
    with pytest.raises(ValueError, match="init_std"):
        tiny(init="collision", init_std=0.0)
