"""Fourier progress measures for modular addition (paper/spec/grokking.md "Measures"; Nanda et al. 2023).

Residues a = 0…p−1 carry the orthonormal basis: the constant 1/√p, then for k = 1…(p−1)/2 the
normalised cos(2πka/p) and sin(2πka/p). A grid function f(a, b) (p² values, a-major) is written in
the product basis; the direction cos(w_k(a+b)) = cos·cos − sin·sin, sin(w_k(a+b)) = sin·cos + cos·sin.
All numbers here are float64.
"""
from __future__ import annotations

import numpy as np
import torch


def basis(p: int) -> torch.Tensor:
    """(p, p): row 0 constant, rows 2k−1 / 2k the cos / sin at frequency k; every row has unit norm."""
    a = torch.arange(p, dtype=torch.float64)
    rows = [torch.ones(p, dtype=torch.float64)]
    for k in range(1, (p - 1) // 2 + 1):
        rows += [torch.cos(2 * torch.pi * k * a / p), torch.sin(2 * torch.pi * k * a / p)]
    F = torch.stack(rows)
    return F / F.norm(dim=1, keepdim=True)


def freq_norms(E: torch.Tensor) -> torch.Tensor:
    """Per frequency k = 1…(p−1)/2: ‖ projection of the p number-token embeddings E (p, d) onto cos/sin k ‖."""
    p = E.shape[0]
    coef = basis(p).to(E.device) @ E.double()       # (p, d): Fourier coefficients of every embedding dim
    return coef[1:].view(-1, 2, E.shape[1]).pow(2).sum(dim=(1, 2)).sqrt()


def neuron_freqs(acts: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Best frequency of each MLP neuron and the share of its activation energy that frequency holds.

    acts: (p, p, n_neurons), the activation at `=` for every input (a, b). The energy of frequency k is
    the squared 2-D Fourier coefficients in the block {1, cos k, sin k}² after removing the mean
    (the constant term would otherwise count for every k). A neuron that never varies gets frac 0.
    """
    p = acts.shape[0]
    F = basis(p).to(acts.device)
    centred = acts.double() - acts.double().mean(dim=(0, 1))
    coef2 = torch.einsum("ia,abn,jb->ijn", F, centred, F).pow(2)     # (p, p, n)
    total = coef2.sum(dim=(0, 1))
    share = []
    for k in range(1, (p - 1) // 2 + 1):
        idx = torch.tensor([0, 2 * k - 1, 2 * k], device=acts.device)
        share.append(coef2[idx][:, idx].sum(dim=(0, 1)))
    share = torch.stack(share) / torch.where(total > 0, total, torch.ones_like(total))  # (K, n)
    frac, best = share.max(dim=0)
    return (best + 1).cpu().numpy(), frac.cpu().numpy()


def key_freqs(best: np.ndarray, frac: np.ndarray, min_frac: float) -> np.ndarray:
    """The distinct best frequencies of the neurons whose best frequency holds ≥ min_frac of their energy."""
    return np.unique(best[frac >= min_frac])


def sum_directions(p: int, freqs) -> torch.Tensor:
    """(2·len(freqs), p²) unit vectors cos(w_k(a+b)), sin(w_k(a+b)) over the grid, for each k in freqs."""
    F = basis(p)
    dirs = []
    for k in freqs:
        c, s = F[2 * k - 1], F[2 * k]
        dirs += [(torch.outer(c, c) - torch.outer(s, s)).flatten() / np.sqrt(2),
                 (torch.outer(s, c) + torch.outer(c, s)).flatten() / np.sqrt(2)]
    return torch.stack(dirs) if dirs else torch.zeros(0, p * p, dtype=torch.float64)


def components(logits: torch.Tensor, dirs: torch.Tensor) -> torch.Tensor:
    """The part of the grid logits (p², p) that lies along the given grid directions (rows of dirs)."""
    return dirs.T @ (dirs @ logits)


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy in float64: confident float32 logits underflow (paper/spec/grokking.md, "slingshots")."""
    return torch.nn.functional.cross_entropy(logits.double(), labels)


def progress_measures(logits, labels, train, key, dirs_each) -> dict:
    """Restricted loss (key components plus the per-output mean, all p² inputs), excluded loss (key
    components removed, training inputs), and the excluded loss of each key frequency alone.

    logits (p², p) float64 at `=`; labels (p²,); train a bool mask; key the (2·n_key, p²) directions
    of the key frequencies; dirs_each the same split per frequency, one (2, p²) block each.
    """
    key_part = components(logits, key)
    # bias correction (Nanda et al.): key directions sum to zero over the grid, so the mean survives only here
    restricted = key_part + logits.mean(dim=0, keepdim=True)
    out = dict(restricted_loss=cross_entropy(restricted, labels),
               excluded_loss=cross_entropy((logits - key_part)[train], labels[train]))
    out["excluded_loss_each"] = torch.stack(
        [cross_entropy((logits - components(logits, d))[train], labels[train]) for d in dirs_each]
    ) if dirs_each else torch.zeros(0, dtype=torch.float64)
    return out
