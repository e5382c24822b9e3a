"""CTC acoustic encoders: ``ctc_rnn`` (BiLSTM/BiGRU) and ``ctc_conformer`` (Conformer or Transformer).

Both take (B, T, D) features + lengths and return ``ModelOutput(logits (B, T', C), lens)``
with T' = ceil(T / subsample) and lens = ceil(feat_lens / subsample) exactly (see
``kaldinn.models.subsampling``); class 0 is the CTC blank. Logits are raw: the CTC loss and
the decoders apply log-softmax. Padding never changes an utterance's output: recurrent
layers run packed, attention masks padded keys, convolutions see zeros past each length.

Example::

    model = build_model("ctc_conformer", {"d_model": 64, "num_layers": 2}, input_dim=40, num_classes=30)
    out = model(torch.randn(2, 200, 40), torch.tensor([200, 150]))  # logits (2, 50, 30), lens [50, 38]
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from kaldinn.errors import ConfigError
from kaldinn.models.registry import MODELS, ModelOutput
from kaldinn.models.rnn import RecurrentStack
from kaldinn.models.subsampling import ConvSubsampling, time_mask


@MODELS.register("ctc_rnn")
class CTCRecurrentEncoder(nn.Module):
    """Optional conv subsampling (x2, x4) -> (Bi)LSTM/GRU stack -> linear output layer."""

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        cell: Literal["lstm", "gru"] = "lstm",
        hidden_size: int = 256,
        num_layers: int = 3,
        bidirectional: bool = True,
        dropout: float = 0.1,
        subsample: int = 1,
        conv_channels: int = 32,
    ):
        super().__init__()
        self.subsample = subsample
        self.frontend = None
        rnn_input = input_dim
        if subsample != 1:
            self.frontend = ConvSubsampling(input_dim, hidden_size, subsample, conv_channels)
            rnn_input = hidden_size
        self.encoder = RecurrentStack(rnn_input, hidden_size, num_layers, cell, bidirectional, dropout)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(self.encoder.output_dim, num_classes)

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> ModelOutput:
        lens = feat_lens.to(feats.device)
        x = feats
        if self.frontend is not None:
            x, lens = self.frontend(feats, lens)  # (B, T', H)
        states = self.encoder(x, lens)  # (B, T', H * dirs)
        return ModelOutput(self.output(self.dropout(states)), lens, None)


def sinusoidal_positions(frames: int, dim: int, device: torch.device) -> torch.Tensor:
    """(frames, dim) absolute sinusoidal position encodings (Vaswani et al.)."""
    pos = torch.arange(frames, device=device, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(frames, dim, device=device)
    table[:, 0::2] = torch.sin(pos * rate)
    table[:, 1::2] = torch.cos(pos * rate[: dim // 2])
    return table


class RelativePositionBias(nn.Module):
    """A learned per-head bias on attention logits for each clipped offset j - i."""

    def __init__(self, num_heads: int, max_distance: int):
        super().__init__()
        self.max_distance = max_distance
        self.table = nn.Embedding(2 * max_distance + 1, num_heads)

    def forward(self, frames: int, device: torch.device) -> torch.Tensor:
        pos = torch.arange(frames, device=device)
        offsets = (pos[None, :] - pos[:, None]).clamp(-self.max_distance, self.max_distance)
        return self.table(offsets + self.max_distance).permute(2, 0, 1)  # (H, T, T)


class SelfAttention(nn.Module):
    """Multi-head self-attention with an additive (B or 1, H or 1, T, T) mask/bias."""

    def __init__(self, dim: int, num_heads: int, dropout: float):
        super().__init__()
        self.num_heads, self.dropout = num_heads, dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        batch, frames, dim = x.shape
        qkv = self.qkv(x).reshape(batch, frames, 3, self.num_heads, dim // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, H, T, dim / H)
        p = self.dropout if self.training else 0.0
        y = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype), dropout_p=p)
        return self.out(y.transpose(1, 2).reshape(batch, frames, dim))  # (B, T, dim)


def feed_forward(dim: int, mult: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.LayerNorm(dim),
        nn.Linear(dim, dim * mult),
        nn.SiLU(),
        nn.Dropout(dropout),
        nn.Linear(dim * mult, dim),
    )


class ConvModule(nn.Module):
    """Conformer convolution: pointwise + GLU, depthwise over time, LayerNorm, SiLU, pointwise.

    LayerNorm replaces the paper's BatchNorm so that padding cannot change the statistics.
    """

    def __init__(self, dim: int, kernel: int, dropout: float):
        super().__init__()
        if kernel % 2 == 0:
            raise ConfigError(f"model_args: conv_kernel must be odd (centred), got {kernel}")
        self.norm = nn.LayerNorm(dim)
        self.pointwise_in = nn.Conv1d(dim, 2 * dim, 1)
        self.depthwise = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim)
        self.depth_norm = nn.LayerNorm(dim)
        self.pointwise_out = nn.Conv1d(dim, dim, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        y = self.pointwise_in(self.norm(x).transpose(1, 2))  # (B, 2 * dim, T)
        y = nn.functional.glu(y, dim=1) * valid[:, None, :]  # (B, dim, T), zeros past each length
        y = self.depthwise(y).transpose(1, 2)  # (B, T, dim)
        y = nn.functional.silu(self.depth_norm(y)).transpose(1, 2)  # (B, dim, T)
        return self.dropout(self.pointwise_out(y).transpose(1, 2))  # (B, T, dim)


class EncoderLayer(nn.Module):
    """A Conformer block (half FF, attention, conv, half FF, LayerNorm) or a pre-LN Transformer block."""

    def __init__(self, dim: int, heads: int, ff_mult: int, kernel: int, dropout: float, conformer: bool):
        super().__init__()
        self.conformer = conformer
        self.ff1 = feed_forward(dim, ff_mult, dropout) if conformer else None
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads, dropout)
        self.conv = ConvModule(dim, kernel, dropout) if conformer else None
        self.ff2 = feed_forward(dim, ff_mult, dropout)
        self.out_norm = nn.LayerNorm(dim) if conformer else nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.scale = 0.5 if conformer else 1.0

    def forward(self, x: torch.Tensor, bias: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        if self.ff1 is not None:
            x = x + self.scale * self.dropout(self.ff1(x))
        x = x + self.dropout(self.attn(self.attn_norm(x), bias))
        if self.conv is not None:
            x = x + self.conv(x, valid)
        x = x + self.scale * self.dropout(self.ff2(x))
        return self.out_norm(x)


@MODELS.register("ctc_conformer")
class CTCConformer(nn.Module):
    """Conv subsampling -> positions -> Conformer/Transformer layers -> linear output layer."""

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        d_model: int = 144,
        num_heads: int = 4,
        num_layers: int = 4,
        ff_mult: int = 4,
        conv_kernel: int = 15,
        dropout: float = 0.1,
        subsample: int = 4,
        conv_channels: int = 32,
        block: Literal["conformer", "transformer"] = "conformer",
        positions: Literal["relative", "sinusoidal"] = "relative",
        max_relative: int = 64,
    ):
        super().__init__()
        if d_model % num_heads or (d_model // num_heads) % 2:
            raise ConfigError(
                f"model_args: d_model ({d_model}) must be a multiple of num_heads ({num_heads}) "
                "with an even size per head"
            )
        self.subsample, self.d_model = subsample, d_model
        self.frontend = ConvSubsampling(input_dim, d_model, subsample, conv_channels)
        self.relative = RelativePositionBias(num_heads, max_relative) if positions == "relative" else None
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, num_heads, ff_mult, conv_kernel, dropout, block == "conformer")
            for _ in range(num_layers)
        )
        self.final_norm = nn.LayerNorm(d_model) if block == "transformer" else nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(d_model, num_classes)
        self.grad_checkpointing = False

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> ModelOutput:
        x, lens = self.frontend(feats, feat_lens)  # (B, T', d_model), (B,)
        frames = x.size(1)
        valid = time_mask(lens, frames)  # (B, T')
        if self.relative is None:
            x = x + sinusoidal_positions(frames, self.d_model, x.device)
            bias = torch.zeros(1, 1, frames, frames, device=x.device)
        else:
            bias = self.relative(frames, x.device).unsqueeze(0)  # (1, H, T', T')
        key_mask = torch.zeros(valid.shape, device=x.device).masked_fill(~valid, -math.inf)
        bias = bias + key_mask[:, None, None, :]  # (B, H or 1, T', T'): padded keys get -inf
        x = self.dropout(x)
        valid_f = valid.to(x.dtype)
        for layer in self.layers:
            if self.grad_checkpointing and torch.is_grad_enabled():
                x = checkpoint(layer, x, bias, valid_f, use_reentrant=False)
            else:
                x = layer(x, bias, valid_f)
        return ModelOutput(self.output(self.final_norm(x)), lens, None)
