"""ECAPA-TDNN (Desplanques et al., 2020), a small configuration, registered ``ecapa_tdnn``.

frames (B, T, D) -> Conv1d(k=5) -> ``num_blocks`` SE-Res2 blocks (dilations 2, 3, 4, ...)
-> multi-layer feature aggregation (1x1 conv over the concatenated block outputs) ->
attentive statistics pooling (channel- and context-dependent attention; weighted mean and
standard deviation over the valid frames) -> BatchNorm -> affine embedding -> BatchNorm ->
speaker head (``softmax`` logits or ``cosine`` for angular-margin losses).

Example (YAML)::

    model: ecapa_tdnn
    model_args: {channels: 256, embedding_dim: 192, head: cosine}
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from kaldinn.errors import ConfigError
from kaldinn.models.activations import make_relu
from kaldinn.models.pooling import lengths_to_mask
from kaldinn.models.registry import MODELS, ModelOutput
from kaldinn.models.xvector import SpeakerHead


def conv_block(c_in: int, c_out: int, kernel: int, dilation: int, relu: nn.Module) -> nn.Sequential:
    """Conv1d (same length) -> ReLU -> BatchNorm on (B, C, T)."""
    pad = dilation * (kernel - 1) // 2
    return nn.Sequential(
        nn.Conv1d(c_in, c_out, kernel, dilation=dilation, padding=pad), relu, nn.BatchNorm1d(c_out)
    )


class SERes2Block(nn.Module):
    """1x1 conv -> Res2 (``scale`` groups, hierarchical 3-tap convs) -> 1x1 conv -> SE, residual."""

    def __init__(self, channels: int, dilation: int, scale: int, se_dim: int, eps: float) -> None:
        super().__init__()
        if channels % scale:
            raise ConfigError(f"ecapa channels ({channels}) must be divisible by res2_scale ({scale})")
        width = channels // scale
        self.scale = scale
        self.pre = conv_block(channels, channels, 1, 1, make_relu(eps))
        self.res2 = nn.ModuleList(
            conv_block(width, width, 3, dilation, make_relu(eps)) for _ in range(scale - 1)
        )
        self.post = conv_block(channels, channels, 1, 1, make_relu(eps))
        self.se = nn.Sequential(
            nn.Linear(channels, se_dim), nn.ReLU(), nn.Linear(se_dim, channels), nn.Sigmoid()
        )
        self.grad_checkpointing = False

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = torch.chunk(self.pre(x), self.scale, dim=1)  # scale x (B, C/scale, T)
        outs, prev = [parts[0]], None
        for part, conv in zip(parts[1:], self.res2, strict=True):
            prev = conv(part if prev is None else part + prev)
            outs.append(prev)
        y = self.post(torch.cat(outs, dim=1))  # (B, C, T)
        gate = self.se(y.mean(dim=2))  # (B, C): squeeze-excitation over time
        return x + y * gate.unsqueeze(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.grad_checkpointing and self.training and x.requires_grad:
            return checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)


class AttentiveStatsPooling(nn.Module):
    """Weighted mean and std per channel; weights from the frame plus global mean/std context."""

    def __init__(self, channels: int, attention_dim: int = 128) -> None:
        super().__init__()
        self.attention = nn.Sequential(
            nn.Conv1d(3 * channels, attention_dim, 1), nn.Tanh(), nn.Conv1d(attention_dim, channels, 1)
        )
        self.output_dim = 2 * channels

    @staticmethod
    def _stats(x: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = (x * w).sum(dim=2)  # (B, C)
        var = ((x - mean.unsqueeze(2)) ** 2 * w).sum(dim=2)
        return mean, var.clamp_min(1e-5).sqrt()

    def forward(self, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        mask = lengths_to_mask(lens.to(x.device), x.size(2)).unsqueeze(1)  # (B, 1, T)
        uniform = mask.to(x.dtype) / mask.sum(dim=2, keepdim=True).clamp_min(1)
        mean, std = self._stats(x, uniform)
        context = torch.cat([x, mean.unsqueeze(2).expand_as(x), std.unsqueeze(2).expand_as(x)], dim=1)
        scores = self.attention(context).masked_fill(~mask, float("-inf"))  # (B, C, T)
        weights = torch.softmax(scores.float(), dim=2).to(x.dtype)
        return torch.cat(self._stats(x, weights), dim=1)  # (B, 2C)


@MODELS.register("ecapa_tdnn")
class ECAPATDNN(nn.Module):
    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        channels: int = 256,
        num_blocks: int = 3,
        res2_scale: int = 4,
        se_dim: int = 64,
        mfa_dim: int = 768,
        attention_dim: int = 128,
        embedding_dim: int = 192,
        head: Literal["softmax", "cosine"] = "cosine",
        leaky_grad_eps: float = 0.0,
    ) -> None:
        super().__init__()
        if num_blocks < 1:
            raise ConfigError(f"ecapa num_blocks must be >= 1, got {num_blocks}")
        self.stem = conv_block(input_dim, channels, 5, 1, make_relu(leaky_grad_eps))
        self.blocks = nn.ModuleList(
            SERes2Block(channels, 2 + i, res2_scale, se_dim, leaky_grad_eps) for i in range(num_blocks)
        )
        self.mfa = conv_block(num_blocks * channels, mfa_dim, 1, 1, make_relu(leaky_grad_eps))
        self.pooling = AttentiveStatsPooling(mfa_dim, attention_dim)
        self.pool_norm = nn.BatchNorm1d(2 * mfa_dim)
        self.embed = nn.Linear(2 * mfa_dim, embedding_dim)
        self.embed_norm = nn.BatchNorm1d(embedding_dim)
        self.embedding_dim = embedding_dim
        self.head = SpeakerHead(embedding_dim, num_classes, head)

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> ModelOutput:
        x = self.stem(feats.transpose(1, 2))  # (B, D, T) -> (B, C, T)
        outs = []
        for block in self.blocks:
            x = block(x)
            outs.append(x)
        x = self.mfa(torch.cat(outs, dim=1))  # (B, num_blocks * C, T) -> (B, M, T)
        pooled = self.pool_norm(self.pooling(x, feat_lens))  # (B, 2M)
        embedding = self.embed_norm(self.embed(pooled))  # (B, E)
        return ModelOutput(logits=self.head(embedding), embedding=embedding)
