"""Shared pieces of the 2-D convolutional (time x frequency) models in ``detection.py``.

Features (B, T, D) become images (B, 1, D, T): channels x frequency x time. Padded frames of
a batch (t >= feat_lens[b]) must not change a clip's output, so every convolution reads a
masked input: ``TimeMask`` holds the (B, 1, 1, T') 0/1 mask of each resolution and the
models multiply by it right before each convolution (after BN + ReLU, which would turn
zero padding into non-zero values). Downsampling halves time with floor (a pooling window
that straddles the last valid frame and the padding is dropped, exactly as the clip alone
would drop it), so an eval-mode clip gives the same logits alone and in a padded batch.
(Training-mode BatchNorm statistics do include padded positions; the length buckets keep
them few.) Frequency is pooled by 2 while at least 2 bins are left.

Only ``nn.ReLU`` modules are used as non-linearities (never ``F.relu``), so guided
backpropagation (``kaldinn.models.saliency``) can swap their backward rule.

Example::

    mask = TimeMask.from_lens(torch.tensor([50, 31]), 50)   # (2, 1, 1, 50)
    pool = Downsample(freq=40)                              # (B, C, 40, T) -> (B, C, 20, T // 2)
    x, mask = pool(x, mask)
"""

from __future__ import annotations

import torch
from torch import nn

from kaldinn.errors import ConfigError, KaldinnError


class TimeMask:
    """0/1 mask of valid frames at one time resolution: values (B, 1, 1, T), lengths (B,)."""

    def __init__(self, values: torch.Tensor, lens: torch.Tensor):
        self.values, self.lens = values, lens

    @classmethod
    def from_lens(cls, lens: torch.Tensor, frames: int, dtype=torch.float32) -> TimeMask:
        steps = torch.arange(frames, device=lens.device)
        values = (steps[None, :] < lens[:, None]).to(dtype)[:, None, None, :]  # (B, 1, 1, T)
        return cls(values, lens)

    def halve(self, frames: int) -> TimeMask:
        """The mask after a floor-halving of time to ``frames`` frames."""
        return TimeMask.from_lens(torch.div(self.lens, 2, rounding_mode="floor"), frames, self.values.dtype)


def to_image(feats: torch.Tensor, feat_lens: torch.Tensor, min_frames: int) -> tuple[torch.Tensor, TimeMask]:
    """(B, T, D) features -> (B, 1, D, T) masked image and its TimeMask."""
    if feats.dim() != 3:
        raise KaldinnError(f"expected features (batch, frames, bins), got shape {tuple(feats.shape)}")
    lens = feat_lens.to(feats.device)
    if int(lens.min()) < min_frames:
        raise KaldinnError(
            f"a clip of {int(lens.min())} frames is shorter than the {min_frames} frames this model "
            f"needs (its time pooling); set data.min_frames >= {min_frames} in the config"
        )
    mask = TimeMask.from_lens(lens, feats.size(1), feats.dtype)
    image = feats.transpose(1, 2).unsqueeze(1)  # (B, 1, D, T)
    return image * mask.values, mask


class Downsample(nn.Module):
    """Average or max pooling by 2 in time (floor) and in frequency (while >= 2 bins)."""

    def __init__(self, freq: int, kind: str = "avg"):
        super().__init__()
        if kind not in ("avg", "max"):
            raise ConfigError(f"model_args: pooling must be avg or max, got {kind!r}")
        self.freq_step = 2 if freq >= 2 else 1
        self.out_freq = freq // self.freq_step
        size = (self.freq_step, 2)
        self.pool = nn.AvgPool2d(size) if kind == "avg" else nn.MaxPool2d(size)

    def forward(self, x: torch.Tensor, mask: TimeMask) -> tuple[torch.Tensor, TimeMask]:
        x = self.pool(x * mask.values)  # (B, C, F // f, T // 2)
        return x, mask.halve(x.size(-1))


class GlobalPool(nn.Module):
    """Masked pooling over frequency and valid time: (B, C, F, T) -> (B, C) or (B, 2C)."""

    KINDS = ("mean", "max", "mean_max")

    def __init__(self, channels: int, kind: str = "mean_max"):
        super().__init__()
        if kind not in self.KINDS:
            raise ConfigError(f"model_args: global_pool must be one of {', '.join(self.KINDS)}, got {kind!r}")
        self.kind = kind
        self.output_dim = 2 * channels if kind == "mean_max" else channels

    def forward(self, x: torch.Tensor, mask: TimeMask) -> torch.Tensor:
        m = mask.values  # (B, 1, 1, T)
        parts = []
        if self.kind in ("mean", "mean_max"):
            count = (m.sum(dim=(2, 3)) * x.size(2)).clamp(min=1.0)  # (B, 1): valid cells
            parts.append((x * m).sum(dim=(2, 3)) / count)
        if self.kind in ("max", "mean_max"):
            parts.append(x.masked_fill(m == 0, float("-inf")).amax(dim=(2, 3)))
        return torch.cat(parts, dim=1)


def bn_relu(channels: int) -> nn.Sequential:
    """BatchNorm then ReLU (the pre-activation of a convolution)."""
    return nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU())


def conv3x3(c_in: int, c_out: int, bias: bool = False) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=bias)


def check_positive(**values: int | float) -> None:
    """ConfigError naming the first model argument that is not > 0."""
    for name, value in values.items():
        if value <= 0:
            raise ConfigError(f"model_args: {name} must be > 0, got {value}")
