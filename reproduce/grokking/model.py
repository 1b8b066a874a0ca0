"""The model and data of Nanda et al. (2023): tokens `a b =`, learned positional embeddings, one attention
layer (n_heads × d_head), a ReLU MLP (d_mlp), no LayerNorm, float32 weights.

Only the `=` position reaches the loss, so `Transformer.forward` computes only there: one query, the MLP
and the unembedding for `=` alone, keys and values for all three positions (projected once per possible
token, then looked up). `full_forward`, the plain three-position pass, is the reference the tests
compare it with (equal logits and gradients).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import fourier
from .config import GrokConfig


class Transformer(torch.nn.Module):
    """One layer, no LayerNorm; weights act on row vectors (x @ W), the init scales of Nanda et al."""

    def __init__(self, cfg: GrokConfig, gen: torch.Generator):
        super().__init__()
        p, d, hd, m = cfg.p, cfg.d_model, cfg.n_heads * cfg.d_head, cfg.d_mlp
        w = lambda *shape, fan: torch.nn.Parameter(torch.randn(*shape, generator=gen) / math.sqrt(fan))
        self.p, self.H, self.dh = p, cfg.n_heads, cfg.d_head
        self.W_E, self.W_pos = w(p + 1, d, fan=d), w(3, d, fan=d)
        self.W_Q, self.W_K, self.W_V, self.W_O = w(d, hd, fan=d), w(d, hd, fan=d), w(d, hd, fan=d), w(hd, d, fan=d)
        self.W_in, self.b_in = w(m, d, fan=d), torch.nn.Parameter(torch.zeros(m))
        self.W_out, self.b_out = w(d, m, fan=d), torch.nn.Parameter(torch.zeros(d))
        self.W_U = w(d, p, fan=p)

    def forward(self, a, b, return_acts=False):
        """Logits at `=` for the inputs `a b =`, shape (B, p); with return_acts also the MLP activations."""
        B, H, dh = len(a), self.H, self.dh
        x_eq = self.W_E[self.p] + self.W_pos[2]      # residual at `=` before attention: the same for all inputs
        x_a, x_b = self.W_E[:self.p] + self.W_pos[0], self.W_E[:self.p] + self.W_pos[1]
        q = (x_eq @ self.W_Q).view(H, dh)
        # Keys and values: project the p possible residuals of each position once, then look rows up
        # (the same numbers as projecting all 3B residuals). Scores of the one query against them:
        score = lambda x: ((x @ self.W_K).view(-1, H, dh) * q).sum(-1) / math.sqrt(dh)   # (rows, H)
        value = lambda x: (x @ self.W_V).view(-1, H, dh)
        att = torch.softmax(torch.stack([score(x_a).index_select(0, a), score(x_b).index_select(0, b),
                                         score(x_eq).expand(B, H)], dim=1), dim=1)   # (B, 3, H)
        z = (att[:, 0, :, None] * value(x_a).index_select(0, a) + att[:, 1, :, None] * value(x_b).index_select(0, b)
             + att[:, 2, :, None] * value(x_eq))                                     # (B, H, dh)
        r = x_eq + z.reshape(B, H * dh) @ self.W_O
        acts = torch.relu(F.linear(r, self.W_in, self.b_in))
        logits = (r + F.linear(acts, self.W_out, self.b_out)) @ self.W_U
        return (logits, acts) if return_acts else logits

    def full_forward(self, tokens):
        """The plain pass over all three positions with a causal mask; logits (B, 3, p). Reference only."""
        B, H, dh = tokens.shape[0], self.H, self.dh
        x = self.W_E[tokens] + self.W_pos
        q, k, v = ((x @ W).view(B, 3, H, dh).transpose(1, 2) for W in (self.W_Q, self.W_K, self.W_V))
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
        causal = torch.triu(torch.ones(3, 3, dtype=torch.bool, device=x.device), diagonal=1)
        att = torch.softmax(scores.masked_fill(causal, -torch.inf), dim=-1)
        x = x + (att @ v).transpose(1, 2).reshape(B, 3, H * dh) @ self.W_O
        x = x + F.linear(torch.relu(F.linear(x, self.W_in, self.b_in)), self.W_out, self.b_out)
        return x @ self.W_U


def dataset(cfg: GrokConfig, gen: torch.Generator):
    """Every pair, a-major (index a·p + b), labels (a + b) mod p, and a random train mask of frac_train."""
    p = cfg.p
    a, b = torch.arange(p).repeat_interleave(p), torch.arange(p).repeat(p)
    train = torch.zeros(p * p, dtype=torch.bool)
    train[torch.randperm(p * p, generator=gen)[:round(cfg.frac_train * p * p)]] = True
    return a, b, (a + b) % p, train


def model_and_data(cfg: GrokConfig):
    """Model and data of a config, on its device: weights first, then the split, from one seeded generator."""
    gen = torch.Generator().manual_seed(cfg.seed)
    model = Transformer(cfg, gen)
    a, b, labels, train = dataset(cfg, gen)
    dev = torch.device(cfg.device)
    return model.to(dev), a.to(dev), b.to(dev), labels.to(dev), train.to(dev)


def remove_frequency(model, k: int):
    """Project frequency k's cos/sin directions out of the p number-token embeddings (the causal probe)."""
    F = fourier.basis(model.p)[[2 * k - 1, 2 * k]].to(model.W_E)     # (2, p), orthonormal rows
    with torch.no_grad():
        model.W_E[:model.p] -= F.T @ (F @ model.W_E[:model.p])


def load_checkpoint(path):
    """A checkpoint written beside the results (`<stem>.checkpoints/seed<S>-<name>.pt`, core/results.py):
    the model and data of its run with the saved weights, the run's config, and the checkpoint (epoch,
    name, config_hash: the hash in the results' JSON sidecar, to tell which results it belongs to).

        model, a, b, labels, train, cfg, ckpt = load_checkpoint(
            "data/results/figG_grokking.checkpoints/seed0-grokked.pt")
    """
    from ..core.config import from_dict
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    cfg = from_dict(GrokConfig, {**ckpt["config"], "device": "cpu"}, str(path))
    model, a, b, labels, train = model_and_data(cfg)
    model.load_state_dict(ckpt["state_dict"])
    return model, a, b, labels, train, cfg, ckpt
