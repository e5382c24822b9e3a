"""Frame-level MLP with frame splicing: affine -> BatchNorm -> ReLU -> dropout blocks.

Each output frame sees the input frames t-left .. t+right, concatenated (Kaldi's
``splice-feats``; edges repeat the first/last valid frame). Only valid frames enter the
network, so BatchNorm statistics ignore padding. Output: per-frame logits (B, T, C).

Example (YAML)::

    model: mlp
    model_args: {hidden_dims: [256, 256], left_context: 5, right_context: 5, dropout: 0.1}
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from kaldinn.models.pooling import lengths_to_mask
from kaldinn.models.registry import MODELS, ModelOutput


def splice(feats: torch.Tensor, lens: torch.Tensor, left: int, right: int) -> torch.Tensor:
    """(B, T, D) -> (B, T, (left + 1 + right) * D), offsets clamped into each valid range."""
    frames = feats.size(1)
    time = torch.arange(frames, device=feats.device)
    last = (lens.to(feats.device) - 1).clamp(min=0)[:, None]  # (B, 1)
    parts = []
    for offset in range(-left, right + 1):
        index = torch.minimum((time + offset).clamp(min=0)[None, :], last)  # (B, T)
        parts.append(feats.gather(1, index.unsqueeze(2).expand(-1, -1, feats.size(2))))
    return torch.cat(parts, dim=2)


class AffineBlock(nn.Module):
    """(N, in_dim) -> (N, out_dim): affine, BatchNorm, ReLU, dropout."""

    def __init__(self, in_dim: int, out_dim: int, dropout: float, batch_norm: bool):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(in_dim, out_dim),
            nn.BatchNorm1d(out_dim) if batch_norm else nn.Identity(),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.grad_checkpointing = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.grad_checkpointing and torch.is_grad_enabled():
            return checkpoint(self.layers, x, use_reentrant=False)
        return self.layers(x)


@MODELS.register("mlp")
class SplicedMLP(nn.Module):
    """(B, T, D) + lens -> frame logits (B, T, C), lens unchanged."""

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        hidden_dims: list[int] | None = None,
        left_context: int = 2,
        right_context: int = 2,
        dropout: float = 0.1,
        batch_norm: bool = True,
    ):
        super().__init__()
        self.left, self.right = left_context, right_context
        dims = [input_dim * (left_context + 1 + right_context)] + list(hidden_dims or [256, 256])
        self.blocks = nn.Sequential(
            *(AffineBlock(i, o, dropout, batch_norm) for i, o in zip(dims[:-1], dims[1:], strict=True))
        )
        self.output = nn.Linear(dims[-1], num_classes)

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> ModelOutput:
        spliced = splice(feats, feat_lens, self.left, self.right)  # (B, T, (l+1+r) * D)
        mask = lengths_to_mask(feat_lens.to(feats.device), feats.size(1))  # (B, T)
        hidden = self.blocks(spliced[mask])  # (N_valid, H): padding kept out of BatchNorm
        valid_logits = self.output(hidden)  # (N_valid, C)
        logits = valid_logits.new_zeros(*mask.shape, valid_logits.size(1))  # (B, T, C)
        logits[mask] = valid_logits
        return ModelOutput(logits, feat_lens, None)
