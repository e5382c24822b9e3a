"""The x-vector TDNN speaker-embedding extractor (Snyder et al.), registered ``xvector_tdnn``.

frames (B, T, D) -> frame layers (1-D convolutions with context ``kernel_sizes`` and
``dilations``; ReLU, BatchNorm) -> mean+std pooling over the valid frames -> BatchNorm
(the normalisation layer after pooling) -> segment layers (affine, ReLU, BatchNorm) ->
speaker head. The embedding is taken ``embedding: pooling`` (the normalised statistics,
before the first segment layer) or ``embedding: segment1`` (the first segment layer's
affine output, Kaldi's "xvector a"). ``head: softmax`` gives speaker logits; ``head:
cosine`` gives cos(embedding-side vector, class weight) for an angular-margin loss.

Example (YAML)::

    model: xvector_tdnn
    model_args: {frame_dims: [256, 256, 256, 256, 768], segment_dims: [256, 256]}
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from kaldinn.errors import ConfigError
from kaldinn.models.activations import make_relu
from kaldinn.models.pooling import MeanStdPooling
from kaldinn.models.registry import MODELS, ModelOutput


class SpeakerHead(nn.Module):
    """(B, E) -> (B, K): affine logits (``softmax``) or cosines with class vectors (``cosine``)."""

    def __init__(self, input_dim: int, num_classes: int, kind: str = "softmax") -> None:
        super().__init__()
        if kind not in ("softmax", "cosine"):
            raise ConfigError(f"head={kind!r}: valid choices: softmax, cosine")
        self.kind = kind
        self.weight = nn.Parameter(torch.empty(num_classes, input_dim))
        nn.init.xavier_uniform_(self.weight)
        self.bias = nn.Parameter(torch.zeros(num_classes)) if kind == "softmax" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "cosine":
            return F.normalize(x, dim=-1) @ F.normalize(self.weight, dim=-1).T
        return F.linear(x, self.weight, self.bias)


class FrameStack(nn.Module):
    """TDNN frame layers on (B, D, T); output length equals input length (edge frames replicated).

    ``grad_checkpointing`` (set by ``enable_gradient_checkpointing``) recomputes each
    layer's activations in the backward pass instead of storing them (long chunks).
    """

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.grad_checkpointing = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            if self.grad_checkpointing and self.training and x.requires_grad:
                x = checkpoint(layer, x, use_reentrant=False)
            else:
                x = layer(x)
        return x


def tdnn_layer(in_dim: int, out_dim: int, kernel: int, dilation: int, relu: nn.Module) -> nn.Sequential:
    """Context of ``kernel`` frames ``dilation`` apart -> ReLU -> BatchNorm, on (B, C, T)."""
    if kernel % 2 == 0:
        raise ConfigError(f"TDNN kernel sizes must be odd (symmetric context), got {kernel}")
    pad = dilation * (kernel - 1) // 2
    conv = nn.Conv1d(in_dim, out_dim, kernel, dilation=dilation, padding=pad, padding_mode="replicate")
    return nn.Sequential(conv, relu, nn.BatchNorm1d(out_dim))


@MODELS.register("xvector_tdnn")
class XVectorTDNN(nn.Module):
    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        frame_dims: list[int] = (512, 512, 512, 512, 1500),
        kernel_sizes: list[int] = (5, 3, 3, 1, 1),
        dilations: list[int] = (1, 2, 3, 1, 1),
        segment_dims: list[int] = (512, 512),
        embedding: Literal["pooling", "segment1"] = "segment1",
        head: Literal["softmax", "cosine"] = "softmax",
        dropout: float = 0.0,
        leaky_grad_eps: float = 0.0,
    ) -> None:
        super().__init__()
        if not len(frame_dims) == len(kernel_sizes) == len(dilations) or not frame_dims:
            raise ConfigError(
                f"frame_dims, kernel_sizes and dilations need the same non-zero length, got "
                f"{len(frame_dims)}, {len(kernel_sizes)}, {len(dilations)}"
            )
        if embedding == "segment1" and not segment_dims:
            raise ConfigError("embedding: segment1 needs at least one segment layer (segment_dims)")
        dims = [input_dim, *frame_dims]
        self.frames = FrameStack(
            [
                tdnn_layer(dims[i], dims[i + 1], k, d, make_relu(leaky_grad_eps))
                for i, (k, d) in enumerate(zip(kernel_sizes, dilations, strict=True))
            ]
        )
        self.pooling = MeanStdPooling(frame_dims[-1])
        self.pool_norm = nn.BatchNorm1d(2 * frame_dims[-1])
        seg_in = [2 * frame_dims[-1], *segment_dims]
        self.segment_affine = nn.ModuleList(nn.Linear(seg_in[i], d) for i, d in enumerate(segment_dims))
        self.segment_post = nn.ModuleList(
            nn.Sequential(make_relu(leaky_grad_eps), nn.BatchNorm1d(d), nn.Dropout(dropout))
            for d in segment_dims
        )
        self.embedding_at = embedding
        self.embedding_dim = segment_dims[0] if embedding == "segment1" else 2 * frame_dims[-1]
        self.head = SpeakerHead(seg_in[-1], num_classes, head)

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> ModelOutput:
        x = self.frames(feats.transpose(1, 2))  # (B, D, T) -> (B, C, T)
        x = self.pool_norm(self.pooling(x.transpose(1, 2), feat_lens))  # (B, 2C)
        embedding = x
        for i, (affine, post) in enumerate(zip(self.segment_affine, self.segment_post, strict=True)):
            x = affine(x)  # (B, S_i)
            if i == 0 and self.embedding_at == "segment1":
                embedding = x
            x = post(x)
        return ModelOutput(logits=self.head(x), embedding=embedding)
