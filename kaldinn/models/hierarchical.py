"""Hierarchical GRU with attention for language recognition.

The utterance is cut into segments of ``segment_frames`` frames. A frame-level recurrent
stack reads each segment and its final state (or mean) is the segment vector; a
segment-level recurrent stack reads the sequence of segment vectors; attention pools the
segment states into one utterance vector; a classifier follows. Attention weights over
segments are kept (``attention_weights()``) so they can be dumped.

Example (YAML)::

    model: hgru_lid
    model_args: {segment_frames: 50, frame_hidden: 64, segment_hidden: 64}
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from kaldinn.errors import ConfigError
from kaldinn.models.classifiers import classifier_head
from kaldinn.models.pooling import AttentionPooling, build_pooling
from kaldinn.models.registry import MODELS, ModelOutput
from kaldinn.models.rnn import CellName, RecurrentStack


@MODELS.register("hgru_lid")
class HierarchicalGRU(nn.Module):
    """(B, T, D) + lens -> logits (B, C); embedding = attention-pooled segment states."""

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        segment_frames: int = 50,
        cell: CellName = "gru",
        frame_hidden: int = 64,
        frame_layers: int = 1,
        segment_hidden: int = 64,
        segment_layers: int = 1,
        bidirectional: bool = True,
        segment_pooling: Literal["last", "mean"] = "last",
        attention_dim: int = 64,
        head_dims: list[int] | None = None,
        dropout: float = 0.1,
    ):
        super().__init__()
        if segment_frames < 1:
            raise ConfigError(f"model_args: segment_frames must be >= 1, got {segment_frames}")
        self.segment_frames = segment_frames
        self.frame_rnn = RecurrentStack(input_dim, frame_hidden, frame_layers, cell, bidirectional, dropout)
        self.segment_vector = build_pooling(segment_pooling, self.frame_rnn.output_dim, bidirectional)
        seg_in = self.segment_vector.output_dim
        self.segment_rnn = RecurrentStack(
            seg_in, segment_hidden, segment_layers, cell, bidirectional, dropout
        )
        self.attention = AttentionPooling(self.segment_rnn.output_dim, attention_dim=attention_dim)
        self.dropout = nn.Dropout(dropout)
        self.head = classifier_head(self.segment_rnn.output_dim, head_dims or [], num_classes, dropout)

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> ModelOutput:
        segments, seg_counts = self.encode_segments(feats, feat_lens)  # (B, S, V), (B,)
        states = self.segment_rnn(self.dropout(segments), seg_counts)  # (B, S, H2)
        pooled = self.attention(states, seg_counts)  # (B, H2)
        return ModelOutput(self.head(self.dropout(pooled)), None, pooled)

    def encode_segments(self, feats: torch.Tensor, lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Segment vectors (B, S, V) with S = ceil(T / L), and valid segments per utterance."""
        batch, frames, dim = feats.shape
        length = self.segment_frames
        num_segments = -(-frames // length)
        padded = nn.functional.pad(feats, (0, 0, 0, num_segments * length - frames))  # (B, S*L, D)
        pieces = padded.reshape(batch * num_segments, length, dim)  # (B*S, L, D)
        starts = torch.arange(num_segments, device=lens.device) * length  # (S,)
        piece_lens = (lens[:, None] - starts[None, :]).clamp(0, length).reshape(-1)  # (B*S,)
        valid = piece_lens > 0
        # Only non-empty segments go through the frame RNN (packing rejects length 0).
        frame_states = self.frame_rnn(pieces[valid], piece_lens[valid])  # (N, L, H1)
        vectors = self.segment_vector(frame_states, piece_lens[valid])  # (N, V)
        out = vectors.new_zeros(batch * num_segments, vectors.size(1))
        out[valid] = vectors
        seg_counts = torch.div(lens + length - 1, length, rounding_mode="floor")
        return out.reshape(batch, num_segments, -1), seg_counts  # (B, S, V)

    def attention_weights(self) -> torch.Tensor | None:
        """(B, S) segment attention weights of the last forward pass."""
        return self.attention.last_weights
