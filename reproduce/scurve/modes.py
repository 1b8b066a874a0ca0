"""The mode basis of an order-2 target, T = Σ_l s_l a_l b_lᵀ = U S Vᵀ, computed from the target Grams alone
(paper/spec/thread.md, "The mode basis").

With R_A the Cholesky factor of AᵀA (A = Q_A R_A), T = Q_A (R_A W R_Bᵀ) Q_Bᵀ, so the SVD of the k×k core
M = R_A W R_Bᵀ = Y S Zᵀ gives the modes U = A R_A⁻¹ Y and V = B R_B⁻¹ Z. Two consequences used below:
a vector's overlaps with the modes are a fixed linear map of its overlaps with the targets,
⟨x, u_j⟩ = Σ_l ⟨x, a_l⟩ (R_A⁻¹Y)_lj, and ⟨u_j, a_l⟩ = (YᵀR_A)_jl.

The basis must not depend on round-off, or a verdict read in it could flip between machines:
- equal singular values (orthonormal targets of equal weight: T = s·ABᵀ, and every rotation within the
  cluster is an SVD) get the basis closest to the targets, the Löwdin-orthonormalised projection of the
  cluster's best-aligned targets onto it; for orthonormal targets that is U = A, V = B;
- each u_j is signed to be positive on its largest target overlap (and v_j follows from T v_j = s_j u_j).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEGENERATE_RTOL = 1e-9  # singular values closer than this (relative to s_1) form one cluster


@dataclass(frozen=True)
class Modes:
    """Per seed b and factor f (f = 0: the left modes u_j, f = 1: the right modes v_j)."""
    s: np.ndarray            # (B, k) singular values of T, decreasing
    to_mode: np.ndarray      # (B, 2, k, k): ⟨x, u_j⟩ = Σ_l ⟨x, a_l⟩ · to_mode[b, f, l, j]
    mode_target: np.ndarray  # (B, 2, k, k): ⟨u_j, a_l⟩ at [b, f, j, l]


def _cluster_basis(Y, R, s, M):
    """Replace the columns of Y (and return Z) inside every cluster of equal singular values by the
    targets' own directions there; one seed's k×k matrices."""
    k = len(s)
    Y = Y.copy()
    j = 0
    while j < k:
        g = j + 1
        while g < k and s[j] - s[g] <= DEGENERATE_RTOL * s[0]:
            g += 1
        if g - j > 1:
            P = Y[:, j:g] @ Y[:, j:g].T                       # projector onto the cluster (basis-free)
            dirs = R / np.linalg.norm(R, axis=0)              # target directions in Q_A coordinates
            best = np.sort(np.argsort(-np.linalg.norm(P @ dirs, axis=0), kind="stable")[: g - j])
            u, _, vt = np.linalg.svd(P @ dirs[:, best], full_matrices=False)
            Y[:, j:g] = u @ vt                                # Löwdin: the orthonormal set closest to them
        j = g
    return Y, M.T @ Y / s                                    # z_j = Mᵀ y_j / s_j


def basis(target_gram, weights) -> Modes:
    """The modes of every seed from its target Grams (B, 2, k, k) and weights (k,) or (B, k)."""
    gram = np.asarray(target_gram, dtype=float)
    if gram.shape[1] != 2:
        raise ValueError(f"order: the mode basis needs an order-2 target, got order {gram.shape[1]}")
    B, _, k, _ = gram.shape
    w = np.broadcast_to(np.asarray(weights, dtype=float), (B, k))
    try:
        R = np.linalg.cholesky(gram).swapaxes(-1, -2)        # (B, 2, k, k), upper: AᵀA = RᵀR
    except np.linalg.LinAlgError:
        raise ValueError("target: the target vectors of a factor are linearly dependent (rank > N?); the "
                         "mode basis needs k independent targets per factor") from None
    s_all = np.empty((B, k))
    to_mode = np.empty((B, 2, k, k))
    mode_target = np.empty((B, 2, k, k))
    for b in range(B):
        M = (R[b, 0] * w[b]) @ R[b, 1].T
        Y, s, _ = np.linalg.svd(M)
        Y, Z = _cluster_basis(Y, R[b, 0], s, M)
        mt = Y.T @ R[b, 0]
        sign = np.sign(mt[np.arange(k), np.abs(mt).argmax(axis=1)])
        Y, Z = Y * sign, Z * sign
        for f, X in enumerate((Y, Z)):
            to_mode[b, f] = np.linalg.solve(R[b, f], X)
            mode_target[b, f] = X.T @ R[b, f]
        s_all[b] = s
    return Modes(s_all, to_mode, mode_target)


def mode_overlaps(overlap, modes: Modes) -> np.ndarray:
    """Overlaps with the modes from overlaps with the targets: (B, S, 2, k̃, k) -> (B, S, 2, k̃, k)."""
    return np.asarray(overlap) @ modes.to_mode[:, None]
