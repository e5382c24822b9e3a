"""Pooling of variable-length sequences (B, T, D) into one vector per sequence.

Padded frames (t >= lens[b]) never contribute. Choices (``pooling:`` in model_args):
``last`` (last valid state; with a bidirectional encoder the forward half is taken at the
last valid frame and the backward half at frame 0), ``mean``, ``mean_std`` (concatenated
mean and standard deviation) and ``attention`` (learned additive attention whose weights
are kept in ``last_weights`` so they can be dumped).

Example::

    pool = build_pooling("attention", input_dim=128, bidirectional=False)
    vec = pool(torch.randn(2, 50, 128), torch.tensor([50, 20]))  # (2, 128)
    weights = pool.last_weights                                   # (2, 50), rows sum to 1
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from kaldinn.train.registry import Registry

POOLINGS = Registry("pooling")


def lengths_to_mask(lens: torch.Tensor, max_len: int) -> torch.Tensor:
    """(B,) lengths -> (B, max_len) bool mask, True on valid frames."""
    return torch.arange(max_len, device=lens.device)[None, :] < lens[:, None]


@POOLINGS.register("last")
class LastStatePooling(nn.Module):
    def __init__(self, input_dim: int, bidirectional: bool = False):
        super().__init__()
        self.bidirectional = bidirectional
        self.output_dim = input_dim

    def forward(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        last = (lens - 1).clamp(min=0).to(x.device)
        index = last[:, None, None].expand(-1, 1, x.size(2))  # (B, 1, D)
        final = x.gather(1, index).squeeze(1)  # (B, D): state at each sequence's last frame
        if not self.bidirectional:
            return final
        half = x.size(2) // 2
        # The backward direction has read the whole sequence by frame 0.
        return torch.cat([final[:, :half], x[:, 0, half:]], dim=1)


@POOLINGS.register("mean")
class MeanPooling(nn.Module):
    def __init__(self, input_dim: int, bidirectional: bool = False):
        super().__init__()
        self.output_dim = input_dim

    def forward(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        mask = lengths_to_mask(lens.to(x.device), x.size(1)).unsqueeze(2).to(x.dtype)  # (B, T, 1)
        return (x * mask).sum(1) / mask.sum(1).clamp(min=1.0)


@POOLINGS.register("mean_std")
class MeanStdPooling(nn.Module):
    def __init__(self, input_dim: int, bidirectional: bool = False, eps: float = 1e-5):
        super().__init__()
        self.output_dim = 2 * input_dim
        self.eps = eps

    def forward(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        mask = lengths_to_mask(lens.to(x.device), x.size(1)).unsqueeze(2).to(x.dtype)  # (B, T, 1)
        count = mask.sum(1).clamp(min=1.0)  # (B, 1)
        mean = (x * mask).sum(1) / count
        var = ((x - mean.unsqueeze(1)) ** 2 * mask).sum(1) / count
        return torch.cat([mean, var.clamp(min=self.eps).sqrt()], dim=1)  # (B, 2D)


@POOLINGS.register("attention")
class AttentionPooling(nn.Module):
    """Additive attention: w_t = softmax_t(v^T tanh(W x_t + b)), output sum_t w_t x_t."""

    def __init__(self, input_dim: int, bidirectional: bool = False, attention_dim: int = 64):
        super().__init__()
        self.output_dim = input_dim
        self.project = nn.Linear(input_dim, attention_dim)
        self.score = nn.Linear(attention_dim, 1, bias=False)
        self.last_weights: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        scores = self.score(torch.tanh(self.project(x))).squeeze(2)  # (B, T)
        mask = lengths_to_mask(lens.to(x.device), x.size(1))
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores.float(), dim=1).to(x.dtype)  # (B, T), zero on padding
        self.last_weights = weights.detach()
        return torch.bmm(weights.unsqueeze(1), x).squeeze(1)  # (B, 1, T) x (B, T, D) -> (B, D)


def build_pooling(name: str, input_dim: int, bidirectional: bool, args: dict[str, Any] | None = None):
    """Build pooling ``name`` over ``input_dim`` features (``.output_dim`` gives its size)."""
    return POOLINGS.build(name, args, input_dim=input_dim, bidirectional=bidirectional)
