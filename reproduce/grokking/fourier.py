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


def votes(best: np.ndarray, frac: np.ndarray, min_frac: float, n_freq: int) -> np.ndarray:
    """(n_freq,): how many neurons vote for each frequency k = 1…n_freq, a neuron voting for its best
    frequency when that frequency holds ≥ min_frac of its activation energy."""
    return np.bincount(best[frac >= min_frac] - 1, minlength=n_freq)[:n_freq]


def key_freqs(vote_counts: np.ndarray, min_votes: int) -> np.ndarray:
    """The frequencies (1-based) with at least min_votes votes."""
    return np.nonzero(np.asarray(vote_counts) >= min_votes)[0] + 1


def sum_directions(p: int, freqs) -> torch.Tensor:
    """(2·len(freqs), p²) unit vectors cos(w_k(a+b)), sin(w_k(a+b)) over the grid, for each k in freqs."""
    F = basis(p)
    dirs = []
    for k in freqs:
        c, s = F[2 * k - 1], F[2 * k]
        dirs += [(torch.outer(c, c) - torch.outer(s, s)).flatten() / np.sqrt(2),
                 (torch.outer(s, c) + torch.outer(c, s)).flatten() / np.sqrt(2)]
    return torch.stack(dirs) if dirs else torch.zeros(0, p * p, dtype=torch.float64)


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy in float64: confident float32 logits underflow (paper/spec/grokking.md, "slingshots")."""
    return torch.nn.functional.cross_entropy(logits.double(), labels)


def coefficients(logits: torch.Tensor, dirs: torch.Tensor) -> torch.Tensor:
    """(rows of dirs, p): the grid logits (p², p) along each grid direction."""
    return dirs @ logits


def excluded_losses(train_logits, train_labels, train_dirs, coef) -> torch.Tensor:
    """(K,) the excluded loss of every frequency alone: the train loss with that frequency's cos/sin(w_k(a+b))
    logit components removed. train_dirs (2K, n_train): the sum directions of all K frequencies at the
    training inputs; coef (2K, p): the logits' coefficients along them (coefficients). float64; one
    frequency at a time (measured faster than batching them, and the same arithmetic as cross_entropy)."""
    return torch.stack([cross_entropy(train_logits - train_dirs[j:j + 2].T @ coef[j:j + 2], train_labels)
                        for j in range(0, coef.shape[0], 2)]) if len(coef) else torch.zeros(0, dtype=torch.float64)


def set_losses(train_logits, labels, train, coef, mean, freqs, dirs) -> dict:
    """Restricted loss (the cos/sin(w_k(a+b)) components of `freqs` plus each output's mean, all p² inputs)
    and excluded loss (those components removed, training inputs) of one set of frequencies (Nanda et al.).

    train_logits (n_train, p) float64 at the training inputs; labels (p²,); train the bool mask; coef
    (2K, p) the logits along `dirs` (2K, p²), the sum directions of all K frequencies (coefficients);
    mean (p,) the logits' mean over all inputs; freqs the 1-based frequencies of the set.
    """
    rows = torch.as_tensor(np.ravel([(2 * k - 2, 2 * k - 1) for k in freqs]), dtype=torch.long)
    part = dirs[rows].T @ coef[rows] if len(rows) else torch.zeros(dirs.shape[1], coef.shape[1], dtype=coef.dtype)
    # bias correction (Nanda et al.): the sum directions sum to zero over the grid, so the mean survives only here
    return dict(restricted_loss=cross_entropy(part + mean, labels),
                excluded_loss=cross_entropy(train_logits - part[train], labels[train]))
