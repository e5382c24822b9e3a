"""The attention decoder of ``las``: location-aware attention and an autoregressive LSTM.

Attention (Chorowski et al. 2015, "Attention-based models for speech recognition"): the
energy of encoder frame t at output step i is ``w . tanh(W s_{i-1} + V h_t + U f_{i,t} + b)``
where ``f_i = F * alpha_{i-1}`` is a convolution over the previous step's attention weights
(the location term; ``location=False`` drops it: content-only additive attention). Padded
frames get zero weight; the first step's "previous weights" are uniform over the valid frames.

One decoder step (as ESPnet's RNN decoder): context ``c_i`` from the previous state, then
``s_i = LSTM([embed(y_{i-1}); c_i], s_{i-1})`` and ``logits_i = Linear([s_i; c_i])``. Id 0
is the start and the end symbol (``<sos>``/``<eos>``): it is the CTC blank of the token
table, which never occurs in a transcript.

Example::

    dec = AttentionDecoder(num_classes=30, enc_dim=128)
    memory = dec.memory(enc, enc_lens)                       # keys computed once per utterance
    state = dec.initial_state(memory)
    logits, state = dec.step(memory, state, torch.zeros(B, dtype=torch.long))  # logits (B, 30)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from kaldinn.errors import ConfigError
from kaldinn.models.subsampling import time_mask

SOS_EOS = 0  # the CTC blank id doubles as <sos>/<eos> for the attention decoder


class Memory(NamedTuple):
    """What every decoder step attends to: values (N, T, E), keys (N, T, A), valid (N, T) bool."""

    values: torch.Tensor
    keys: torch.Tensor
    valid: torch.Tensor

    def select(self, rows: torch.Tensor) -> Memory:
        return Memory(self.values[rows], self.keys[rows], self.valid[rows])


class DecoderState(NamedTuple):
    """Per-row recurrent state: h and c of each LSTM layer, the last attention weights (N, T)."""

    h: tuple[torch.Tensor, ...]
    c: tuple[torch.Tensor, ...]
    alpha: torch.Tensor

    def select(self, rows: torch.Tensor) -> DecoderState:
        return DecoderState(tuple(x[rows] for x in self.h), tuple(x[rows] for x in self.c), self.alpha[rows])


class LocationAttention(nn.Module):
    """Additive attention with an optional convolution over the previous weights."""

    def __init__(self, enc_dim: int, query_dim: int, dim: int, location: bool, channels: int, kernel: int):
        super().__init__()
        if location and kernel % 2 == 0:
            raise ConfigError(f"model_args: location_kernel must be odd (centred), got {kernel}")
        self.key = nn.Linear(enc_dim, dim)
        self.query = nn.Linear(query_dim, dim, bias=False)
        self.conv = nn.Conv1d(1, channels, kernel, padding=kernel // 2, bias=False) if location else None
        self.loc = nn.Linear(channels, dim, bias=False) if location else None
        self.energy = nn.Linear(dim, 1)

    def forward(self, memory: Memory, query: torch.Tensor, prev: torch.Tensor):
        """(context (N, E), weights (N, T)) for queries (N, Q) and previous weights (N, T)."""
        pre = memory.keys + self.query(query).unsqueeze(1)  # (N, T, A)
        if self.conv is not None:
            loc = self.conv(prev.unsqueeze(1)).transpose(1, 2)  # (N, T, channels)
            pre = pre + self.loc(loc)
        energy = self.energy(torch.tanh(pre)).squeeze(2)  # (N, T)
        energy = energy.masked_fill(~memory.valid, -math.inf)
        alpha = torch.softmax(energy, dim=1)  # (N, T), zero on padding
        context = torch.bmm(alpha.unsqueeze(1), memory.values).squeeze(1)  # (N, E)
        return context, alpha


class AttentionDecoder(nn.Module):
    """Embedding -> LSTM cells (input feeding of the context) -> linear over [state; context]."""

    def __init__(
        self,
        num_classes: int,
        enc_dim: int,
        hidden_size: int = 256,
        num_layers: int = 1,
        embed_dim: int = 64,
        attention_dim: int = 128,
        location: bool = True,
        location_channels: int = 10,
        location_kernel: int = 31,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.attention = LocationAttention(
            enc_dim, hidden_size, attention_dim, location, location_channels, location_kernel
        )
        self.cells = nn.ModuleList(
            nn.LSTMCell(embed_dim + enc_dim if i == 0 else hidden_size, hidden_size)
            for i in range(num_layers)
        )
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size + enc_dim, num_classes)
        self.hidden_size = hidden_size

    def memory(self, enc: torch.Tensor, enc_lens: torch.Tensor) -> Memory:
        """Keys of encoder states (B, T, E) with lengths (B,), computed once per utterance."""
        return Memory(enc, self.attention.key(enc), time_mask(enc_lens.to(enc.device), enc.size(1)))

    def initial_state(self, memory: Memory) -> DecoderState:
        rows = memory.values.size(0)
        zeros = memory.values.new_zeros(rows, self.hidden_size)
        valid = memory.valid.to(memory.values.dtype)
        uniform = valid / valid.sum(1, keepdim=True).clamp(min=1.0)  # (N, T)
        return DecoderState(tuple(zeros for _ in self.cells), tuple(zeros for _ in self.cells), uniform)

    def recur(self, memory: Memory, state: DecoderState, prev_tokens: torch.Tensor):
        """One step without the output layer: ([s_i; c_i] (N, H + E), new state)."""
        context, alpha = self.attention(memory, state.h[-1], state.alpha)
        x = torch.cat([self.embed(prev_tokens), context], dim=1)  # (N, embed + E)
        hs, cs = [], []
        for i, cell in enumerate(self.cells):
            h, c = cell(x, (state.h[i], state.c[i]))
            hs.append(h)
            cs.append(c)
            x = self.dropout(h)
        features = torch.cat([x, context], dim=1)  # (N, H + E)
        return features, DecoderState(tuple(hs), tuple(cs), alpha)

    def step(self, memory: Memory, state: DecoderState, prev_tokens: torch.Tensor):
        """(logits (N, V), new state) after feeding ``prev_tokens`` (N,)."""
        features, state = self.recur(memory, state, prev_tokens)
        return self.output(features), state
