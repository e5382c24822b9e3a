"""Recurrent classifiers: many-to-one (utterance labels) and many-to-many (frame labels).

``rnn_classifier``: recurrent stack -> pooling -> optional hidden layers -> class logits
(B, C); used for language ID, keyword/word classification and similar utterance tasks.
``rnn_frame_classifier``: optional frame stacking (time subsampling) -> recurrent stack ->
per-frame logits (B, T', C); used for phone posteriors (frame cross-entropy) and for CTC.

Example (YAML)::

    model: rnn_classifier
    model_args: {cell: gru, hidden_size: 128, num_layers: 2, pooling: attention}
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from kaldinn.errors import ConfigError
from kaldinn.models.pooling import build_pooling
from kaldinn.models.registry import MODELS, ModelOutput
from kaldinn.models.rnn import CellName, RecurrentStack, stack_frames


def classifier_head(
    input_dim: int, hidden_dims: list[int], num_classes: int, dropout: float
) -> nn.Sequential:
    """Affine-ReLU-dropout layers then the output affine: (..., input_dim) -> (..., num_classes)."""
    layers: list[nn.Module] = []
    for dim in hidden_dims:
        layers += [nn.Linear(input_dim, dim), nn.ReLU(), nn.Dropout(dropout)]
        input_dim = dim
    layers.append(nn.Linear(input_dim, num_classes))
    return nn.Sequential(*layers)


@MODELS.register("rnn_classifier")
class UtteranceClassifier(nn.Module):
    """Many-to-one: (B, T, D) + lens -> logits (B, C), embedding = pooled vector."""

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        cell: CellName = "lstm",
        hidden_size: int = 128,
        num_layers: int = 2,
        bidirectional: bool = False,
        dropout: float = 0.1,
        pooling: str = "mean",
        pooling_args: dict[str, Any] | None = None,
        head_dims: list[int] | None = None,
    ):
        super().__init__()
        self.encoder = RecurrentStack(input_dim, hidden_size, num_layers, cell, bidirectional, dropout)
        self.pooling = build_pooling(pooling, self.encoder.output_dim, bidirectional, pooling_args)
        self.dropout = nn.Dropout(dropout)
        self.head = classifier_head(self.pooling.output_dim, head_dims or [], num_classes, dropout)

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> ModelOutput:
        states = self.encoder(feats, feat_lens)  # (B, T, H * dirs)
        pooled = self.pooling(states, feat_lens)  # (B, P)
        return ModelOutput(self.head(self.dropout(pooled)), None, pooled)

    def attention_weights(self) -> torch.Tensor | None:
        """(B, T) weights of the last forward pass when pooling is ``attention``."""
        return getattr(self.pooling, "last_weights", None)


@MODELS.register("rnn_frame_classifier")
class FrameClassifier(nn.Module):
    """Many-to-many: (B, T, D) + lens -> logits (B, ceil(T / subsample), C) + output lens."""

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        cell: CellName = "lstm",
        hidden_size: int = 128,
        num_layers: int = 2,
        bidirectional: bool = True,
        dropout: float = 0.1,
        subsample: int = 1,
        head_dims: list[int] | None = None,
    ):
        super().__init__()
        if subsample < 1:
            raise ConfigError(f"model_args: subsample must be >= 1, got {subsample}")
        self.subsample = subsample
        self.encoder = RecurrentStack(
            input_dim * subsample, hidden_size, num_layers, cell, bidirectional, dropout
        )
        self.dropout = nn.Dropout(dropout)
        self.head = classifier_head(self.encoder.output_dim, head_dims or [], num_classes, dropout)

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> ModelOutput:
        feats, lens = stack_frames(feats, feat_lens, self.subsample)  # (B, T', D * subsample)
        states = self.encoder(feats, lens)  # (B, T', H * dirs)
        return ModelOutput(self.head(self.dropout(states)), lens, None)
