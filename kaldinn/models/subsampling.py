"""Convolutional time subsampling (x1, x2, x4) for CTC encoders, with exact output lengths.

Each stage is a 3x3 Conv2d over (time, feature) with stride 2 and padding 1, followed by
ReLU, so a stage maps T frames to ceil(T / 2): x2 gives ceil(T / 2) and x4 gives
ceil(ceil(T / 2) / 2) == ceil(T / 4) output frames, never zero for T >= 1. Frames beyond
each utterance's length are zeroed before every convolution, so an utterance's output does
not depend on how much padding its batch has (the zeros are what the convolution's own
padding would supply at the end of an unpadded input).

Example::

    sub = ConvSubsampling(input_dim=40, output_dim=128, factor=4)
    out, lens = sub(torch.randn(2, 101, 40), torch.tensor([101, 37]))  # (2, 26, 128), [26, 10]
"""

from __future__ import annotations

import torch
from torch import nn

from kaldinn.errors import ConfigError

FACTORS = (1, 2, 4)


def subsampled_lengths(lens: torch.Tensor, factor: int) -> torch.Tensor:
    """Output frames of :class:`ConvSubsampling` for input lengths ``lens``: ceil(lens / factor)."""
    if factor not in FACTORS:
        raise ConfigError(f"subsample must be one of {', '.join(map(str, FACTORS))}, got {factor}")
    return torch.div(lens + factor - 1, factor, rounding_mode="floor")


def time_mask(lens: torch.Tensor, frames: int) -> torch.Tensor:
    """(B, T) bool, True on valid frames."""
    return torch.arange(frames, device=lens.device)[None, :] < lens[:, None]


class ConvSubsampling(nn.Module):
    """(B, T, input_dim) + lens -> (B, ceil(T / factor), output_dim) + ceil(lens / factor).

    ``factor`` 1 is a plain linear projection (no convolution).
    """

    def __init__(self, input_dim: int, output_dim: int, factor: int = 4, channels: int = 32):
        super().__init__()
        if factor not in FACTORS:
            raise ConfigError(
                f"model_args: subsample must be one of {', '.join(map(str, FACTORS))}, got {factor}"
            )
        self.factor = factor
        stages = {1: 0, 2: 1, 4: 2}[factor]
        self.convs = nn.ModuleList(
            nn.Conv2d(1 if i == 0 else channels, channels, kernel_size=3, stride=2, padding=1)
            for i in range(stages)
        )
        freq = input_dim
        for _ in range(stages):
            freq = (freq + 1) // 2  # the feature axis shrinks like time: ceil(F / 2) per stage
        self.proj = nn.Linear(channels * freq if stages else input_dim, output_dim)

    def forward(self, feats: torch.Tensor, lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        lens = lens.to(feats.device)
        if not self.convs:
            return self.proj(feats), lens
        x = feats.unsqueeze(1)  # (B, 1, T, F)
        for conv in self.convs:
            valid = time_mask(lens, x.size(2))[:, None, :, None]  # (B, 1, T, 1)
            x = torch.relu(conv(x * valid.to(x.dtype)))  # (B, C, ceil(T / 2), ceil(F / 2))
            lens = torch.div(lens + 1, 2, rounding_mode="floor")
        batch, channels, frames, freq = x.shape
        x = x.transpose(1, 2).reshape(batch, frames, channels * freq)  # (B, T', C * F')
        out = self.proj(x) * time_mask(lens, frames).unsqueeze(2).to(x.dtype)  # (B, T', output_dim)
        return out, lens
