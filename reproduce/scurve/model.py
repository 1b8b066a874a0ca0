"""The sum-of-outer-products family: sampling, Gram-form gradients and an accurate loss.

Notation (paper/spec/post.md): a factor f ∈ 1..n holds the target vectors a_l⁽ᶠ⁾ as columns of A_f, shape
(batch, N, k), and the learned vectors ã_m⁽ᶠ⁾ as columns of M_f, shape (batch, N, k̃). The target is
T = Σ_l s_l ⊗_f a_l⁽ᶠ⁾ and the model T̃ = Σ_m ⊗_f ã_m⁽ᶠ⁾.

The loss and its gradients depend on the vectors only through the k̃×k and k̃×k̃ Gram matrices of each
factor (paper/spec/post.md), so training never builds the N^n tensor.

The functions below take the factors either as a per-factor list or stacked as one (n, batch, ·, ·)
tensor, and return stacked tensors; indexing or iterating a stacked tensor gives the factors one by one.
"""
from __future__ import annotations

import functools

import torch

from .config import INITS, TARGETS

LETTERS = "ijklmn"  # one einsum index per factor (order ≤ 6)


def _target_gaussian(cfg, N, k, g):
    std = cfg.target_std if cfg.target_std is not None else N ** -0.5  # ‖a‖ ≈ 1
    return torch.randn(N, k, generator=g, dtype=torch.float64) * std


def _target_unit(cfg, N, k, g):
    a = torch.randn(N, k, generator=g, dtype=torch.float64)
    return a / a.norm(dim=0)


def _target_orthonormal(cfg, N, k, g):
    q, r = torch.linalg.qr(torch.randn(N, k, generator=g, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))  # sign fix makes the draw unique


def _target_ones(cfg, N, k, g):
    return torch.ones(N, k, dtype=torch.float64)


MAX_REDRAWS = 10_000  # a constructed init redraws a vector ~k times on average; this many means a bug


def _init_gaussian(cfg, N, k, g, targets=None):
    return torch.randn(N, k, generator=g, dtype=torch.float64) * cfg.init_std


def _init_zeros(cfg, N, k, g, targets=None):
    return torch.zeros(N, k, dtype=torch.float64)


def nearest_targets(learned, targets) -> torch.Tensor:
    """Index of each learned vector's nearest target: the l with the largest |⟨ã_m, a_l⟩| (ties: lowest l)."""
    return (learned.mT @ targets).abs().argmax(dim=-1)


def _conditioned(cfg, N, g, targets, assigned):
    """Gaussian vectors (entry std σ) redrawn one at a time until vector m's nearest target is assigned[m].

    This is the gaussian init *conditioned* on which target each vector starts nearest: every vector
    that is kept is an ordinary draw at the same σ, so norms and the size of the overlaps are those of
    the "gaussian" init; only the identity of the largest overlap is chosen.
    """
    cols = []
    for l in assigned:
        for _ in range(MAX_REDRAWS):
            v = torch.randn(N, 1, generator=g, dtype=torch.float64) * cfg.init_std
            if int(nearest_targets(v, targets)[0]) == l:
                break
        else:
            raise RuntimeError(f"init {cfg.init!r}: no draw of {MAX_REDRAWS} starts nearest target {l}")
        cols.append(v)
    return torch.cat(cols, dim=1)


def collision_targets(k_model: int, rank: int) -> list[int]:
    """"collision": vectors 1 and 2 start nearest target 1; vector m ≥ 3 nearest target m − 1 (mod k).

    At k̃ = k this is one shared target and one uncovered target; k̃ = 1 has no pair (same as distinct).
    """
    return [0] + [(m - 1) % rank for m in range(1, k_model)]


def distinct_targets(k_model: int, rank: int) -> list[int]:
    """"distinct": vector m starts nearest target m (mod k): no two share a target while k̃ ≤ k."""
    return [m % rank for m in range(k_model)]


def _init_collision(cfg, N, k, g, targets):
    return _conditioned(cfg, N, g, targets, collision_targets(k, targets.shape[1]))


def _init_distinct(cfg, N, k, g, targets):
    return _conditioned(cfg, N, g, targets, distinct_targets(k, targets.shape[1]))


# The samplers, by the names the config accepts (scurve/config.py holds the one list of names): a name
# without its `_target_<name>` / `_init_<name>` function fails here, at import.
DRAW_TARGET = {name: globals()[f"_target_{name}"] for name in TARGETS}
DRAW_INIT = {name: globals()[f"_init_{name}"] for name in INITS}


def sample(cfg, seed: int):
    """Targets and initial learned vectors of one seed, drawn on the CPU so every device sees the same.

    Targets are drawn first, so runs that differ only in init_std (or init) share their targets seed by
    seed. The constructed inits ("collision", "distinct") hold the same nearest-target assignment in
    every factor, so a learned component starts nearest the same target component in all of them.
    """
    g = torch.Generator().manual_seed(seed)
    targets = [DRAW_TARGET[cfg.target](cfg, cfg.N, cfg.rank, g) for _ in range(cfg.order)]
    learned = [DRAW_INIT[cfg.init](cfg, cfg.N, cfg.k_model, g, targets[f]) for f in range(cfg.order)]
    return targets, learned


def component_weights(cfg) -> torch.Tensor:
    """s_l: the config's `weights`, else the geometric profile weight_ratio^(l−1) (1 = equal weights)."""
    if cfg.weights:
        return torch.tensor(cfg.weights, dtype=torch.float64)
    return cfg.weight_ratio ** torch.arange(cfg.rank, dtype=torch.float64)


def stacked(factors) -> torch.Tensor:
    """The factors as one (n, batch, ·, ·) tensor (a tensor is returned as it is).

    Why stack: every product in a step is a tiny (≤ 2k × 2k) matrix product per seed, so a step costs
    a few µs per torch call on top of the arithmetic. With the factors stacked, each kind of product is
    one bmm over n·batch matrices instead of n calls. The kernel per matrix is the same, so the
    numbers are bit for bit those of the per-factor loop.
    """
    return factors if torch.is_tensor(factors) else torch.stack(list(factors))


def to_span(targets, learned):
    """Exact coordinates in an orthonormal basis of span(targets ∪ learned), per factor.

    Every gradient-descent update is a combination of target and learned vectors, so the learned vectors
    never leave this ≤ (k + k̃)-dimensional space: training there is exact and costs nothing in N.
    Inner products and norms are unchanged by the orthonormal change of basis.
    """
    A, M = stacked(targets), stacked(learned)
    Q, _ = torch.linalg.qr(torch.cat([A, M], dim=-1))
    return Q.mT @ A, Q.mT @ M


def grams(targets, learned):
    """Per factor: ⟨ã_m, a_l⟩ (n, batch, k̃, k) and ⟨ã_m, ã_l⟩ (n, batch, k̃, k̃)."""
    A, M = stacked(targets), stacked(learned)
    return M.mT @ A, M.mT @ M


def products_excluding(mats):
    """For each factor f, the elementwise product of the other factors' matrices (ones when n = 1).

    Stacked in and out: the n products come from n − 2 multiplications of gathered stacks (see
    `_others`), each in increasing factor order, the order a loop over f multiplies in (same rounding).
    """
    mats = stacked(mats)
    if mats.shape[0] == 1:
        return torch.ones_like(mats)
    rows = _others(mats.shape[0], mats.device)
    prod = mats.index_select(0, rows[0])
    for row in rows[1:]:
        prod = prod * mats.index_select(0, row)
    return prod


@functools.lru_cache(maxsize=None)
def _others(n: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Row j: for f = 0 … n−1, the j-th factor other than f. Cached, as building an index tensor costs
    as much as the gather itself; made outside inference mode, so it serves callers in and out of it."""
    with torch.inference_mode(False):
        return tuple(torch.tensor([[g for g in range(n) if g != f][j] for f in range(n)], device=device)
                     for j in range(n - 1))


def neg_grads(weighted_targets, learned, g_mt, g_mm):
    """−∂L/∂ã_m⁽ᶠ⁾ = Σ_l s_l a_l⁽ᶠ⁾ Π_{g≠f}⟨a_l⁽ᵍ⁾, ã_m⁽ᵍ⁾⟩ − Σ_l ã_l⁽ᶠ⁾ Π_{g≠f}⟨ã_l⁽ᵍ⁾, ã_m⁽ᵍ⁾⟩.

    `weighted_targets` are the A_f with column l scaled by s_l (precomputed once per run).
    Returns (n, batch, ·, k̃) like `learned`; baddbmm takes one batch axis, so factors and seeds are
    folded into it.
    """
    As, M = stacked(weighted_targets), stacked(learned)
    p_mt, p_mm = products_excluding(g_mt), products_excluding(g_mm)
    fold = lambda x: x.flatten(0, 1)  # noqa: E731  (n, batch, ·, ·) -> (n·batch, ·, ·)
    return torch.baddbmm(fold(As @ p_mt.mT), fold(M), fold(p_mm), alpha=-1.0).view(M.shape)


def dense(factors, weights=None) -> torch.Tensor:
    """Σ_c w_c ⊗_f x_c⁽ᶠ⁾ as a dense (batch, r_1, …, r_n) tensor from factors of shape (batch, r_f, c)."""
    n = len(factors)
    first = factors[0] if weights is None else factors[0] * weights
    spec = ",".join(f"b{LETTERS[f]}z" for f in range(n)) + "->b" + LETTERS[:n]
    return torch.einsum(spec, first, *factors[1:])


def exact_loss(targets, learned, weights) -> torch.Tensor:
    """½‖T − T̃‖² per batch element, accurate to ~1e-16 of each tensor entry, however small the loss.

    The Gram form ½Σ[ΠG_TT − 2ΠG_MT + ΠG_MM] cancels catastrophically near convergence (relative error
    ~1e-16·‖T‖²/L), so instead the residual is built densely in an orthonormal basis of each factor's
    span(targets ∪ learned): at most (k + k̃)^n entries, and exact like the N^n tensor it stands for.
    Vectors given in at most k + k̃ coordinates (as after `to_span`, which the GD trainer uses) are used
    as they are: that basis is already orthonormal and no larger, and skipping the QR and the rotation
    makes the loss ~3× cheaper (it was about half the trainer's time at 300 record points per 1000 steps).
    """
    coords = torch.cat([stacked(targets), stacked(learned)], dim=-1)  # (n, batch, N, k + k̃)
    if coords.shape[-2] > coords.shape[-1]:
        Q, _ = torch.linalg.qr(coords)
        coords = Q.mT @ coords  # (n, batch, k + k̃, k + k̃)
    # weights (k,) or one row per batch element (B, 1, k); the learned components count with −1
    spare = weights.shape[:-1] + (coords.shape[-1] - weights.shape[-1],)
    signed = torch.cat([weights, -torch.ones(spare, dtype=weights.dtype, device=weights.device)], dim=-1)
    residual = dense(coords, signed)  # dense() takes the factors along dim 0
    return 0.5 * residual.pow(2).flatten(1).sum(1)
