"""Recurrent stacks (vanilla RNN, LSTM, GRU; uni- or bidirectional) over padded batches.

Each layer runs on a packed sequence, so padding never leaks into the states and the
backward direction of a bidirectional layer starts at each sequence's own last frame.
Dropout is applied between layers. With ``grad_checkpointing`` set (see
``kaldinn.models.enable_gradient_checkpointing``) each layer's activations are recomputed
in the backward pass instead of being stored.

Example::

    rnn = RecurrentStack(input_dim=40, hidden_size=64, num_layers=2, cell="gru", bidirectional=True)
    out = rnn(torch.randn(3, 100, 40), torch.tensor([100, 70, 5]))  # (3, 100, 128), zeros on padding
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.utils.checkpoint import checkpoint

CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

CellName = Literal["rnn", "lstm", "gru"]


class RecurrentStack(nn.Module):
    """(B, T, input_dim) + lens -> (B, T, hidden_size * directions)."""

    def __init__(
        self,
        input_dim: int,
        hidden_size: int = 128,
        num_layers: int = 2,
        cell: CellName = "lstm",
        bidirectional: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__()
        directions = 2 if bidirectional else 1
        self.bidirectional = bidirectional
        self.output_dim = hidden_size * directions
        self.layers = nn.ModuleList(
            CELLS[cell](
                input_dim if i == 0 else self.output_dim,
                hidden_size,
                batch_first=True,
                bidirectional=bidirectional,
            )
            for i in range(num_layers)
        )
        self.dropout = nn.Dropout(dropout)
        self.grad_checkpointing = False

    def forward(self, feats: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        x = feats
        for i, layer in enumerate(self.layers):
            if i > 0:
                x = self.dropout(x)
            if self.grad_checkpointing and torch.is_grad_enabled():
                x = checkpoint(run_packed, layer, x, lens, use_reentrant=False)
            else:
                x = run_packed(layer, x, lens)
        return x


def run_packed(layer: nn.RNNBase, x: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
    """Run one recurrent layer over the valid frames of a padded batch; zeros on padding."""
    packed = pack_padded_sequence(x, lens.cpu(), batch_first=True, enforce_sorted=False)
    out, _ = layer(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))  # (B, T, H*dirs)
    return out


def stack_frames(feats: torch.Tensor, lens: torch.Tensor, factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Subsample time by concatenating ``factor`` consecutive frames.

    (B, T, D) -> (B, ceil(T / factor), D * factor); a trailing partial group is zero-padded
    and counts as one output frame, so out_lens = ceil(lens / factor).
    """
    if factor == 1:
        return feats, lens
    batch, frames, dim = feats.shape
    valid = torch.arange(frames, device=feats.device)[None, :] < lens.to(feats.device)[:, None]
    feats = feats * valid.unsqueeze(2).to(feats.dtype)  # padding frames must not leak into a group
    pad = (-frames) % factor
    feats = nn.functional.pad(feats, (0, 0, 0, pad))  # (B, T + pad, D)
    stacked = feats.reshape(batch, (frames + pad) // factor, factor * dim)  # (B, T', D * factor)
    return stacked, torch.div(lens + factor - 1, factor, rounding_mode="floor")
