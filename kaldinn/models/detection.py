"""2-D CNNs over (time x log-mel) for clip-level labels: event detection, audio tagging.

All three take features (B, T, D) with lengths, treat them as a one-channel image
(B, 1, D, T), pool time and frequency by 2 between stages, pool globally over valid frames
and bins (masked mean and/or max) and return class logits (B, C). Binary detection uses two
classes (labels ``0``/``1`` of utt2label) with the ``cross_entropy`` loss, so P(event) is
softmax(logits)[1] and the event log-odds is logits[1] - logits[0]. Padded frames never
change a clip's output in eval mode (see ``kaldinn.models.conv2d``).

- ``cnn``: stages of [3x3 conv - BN - ReLU] x ``convs_per_stage``, pooling after each stage.
- ``resnet``: 3x3 stem, then stages of pre-activation basic blocks (BN-ReLU-conv twice plus
  the identity, or a 1x1 projection when the width changes), pooling between stages.
- ``densenet`` (Huang et al. 2017): 3x3 stem (+ ``stem_pool`` 2x2 poolings), dense blocks whose layers
  are BN-ReLU-[1x1 conv to 4k (``bottleneck``)]-BN-ReLU-3x3 conv to k (growth rate) and see
  the concatenation of every earlier output; transitions BN-ReLU-1x1 conv (``compression``
  of the channels) + 2x2 pooling (``pooling``: avg by default, max in the events configs); final BN-ReLU.

Example (YAML)::

    model: densenet
    model_args: {growth_rate: 12, block_layers: [4, 4, 4], stem_channels: 16, global_pool: mean_max}
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn

from kaldinn.errors import ConfigError
from kaldinn.models.conv2d import (
    Downsample,
    GlobalPool,
    TimeMask,
    bn_relu,
    check_positive,
    conv3x3,
    to_image,
)
from kaldinn.models.registry import MODELS, ModelOutput


class ClipClassifier(nn.Module, ABC):
    """Common shell: image + mask -> ``self.body`` -> global pooling -> dropout -> logits."""

    min_frames = 1  # set by subclasses: 2 ** (number of time poolings)

    def finish(self, channels: int, num_classes: int, global_pool: str, dropout: float) -> None:
        self.pool = GlobalPool(channels, global_pool)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.pool.output_dim, num_classes)

    @abstractmethod
    def body(self, x: torch.Tensor, mask: TimeMask) -> tuple[torch.Tensor, TimeMask]:
        """Each network's convolutions: (B, 1, D, T) image and mask -> (B, C, F', T') and its mask."""

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> ModelOutput:
        x, mask = to_image(feats, feat_lens, self.min_frames)  # (B, 1, D, T)
        x, mask = self.body(x, mask)  # (B, C, F', T')
        pooled = self.pool(x, mask)  # (B, P)
        return ModelOutput(self.head(self.dropout(pooled)), None, pooled)


@MODELS.register("cnn")
class PlainCNN(ClipClassifier):
    """Conv-BN-ReLU stages with pooling after each: (B, T, D) -> (B, C)."""

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        channels: list[int] | None = None,
        convs_per_stage: int = 2,
        pooling: str = "avg",
        global_pool: str = "mean_max",
        dropout: float = 0.2,
    ):
        super().__init__()
        channels = channels or [16, 32, 64]
        check_positive(
            convs_per_stage=convs_per_stage, **{f"channels[{i}]": c for i, c in enumerate(channels)}
        )
        self.stages = nn.ModuleList()
        self.pools = nn.ModuleList()
        freq, c_in = input_dim, 1
        for width in channels:
            stage = nn.ModuleList()
            for _ in range(convs_per_stage):
                stage.append(nn.Sequential(conv3x3(c_in, width), nn.BatchNorm2d(width), nn.ReLU()))
                c_in = width
            self.stages.append(stage)
            self.pools.append(Downsample(freq, pooling))
            freq = self.pools[-1].out_freq
        self.min_frames = 2 ** len(channels)
        self.finish(c_in, num_classes, global_pool, dropout)

    def body(self, x, mask):
        for stage, pool in zip(self.stages, self.pools, strict=True):
            for layer in stage:
                x = layer(x * mask.values)  # (B, C, F, T)
            x, mask = pool(x, mask)
        return x * mask.values, mask


class PreActBlock(nn.Module):
    """x + conv(BN-ReLU(conv(BN-ReLU(x)))), with a 1x1 projection when the width changes."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.act1, self.conv1 = bn_relu(c_in), conv3x3(c_in, c_out)
        self.act2, self.conv2 = bn_relu(c_out), conv3x3(c_out, c_out)
        self.project = nn.Conv2d(c_in, c_out, 1, bias=False) if c_in != c_out else None

    def forward(self, x: torch.Tensor, mask: TimeMask) -> torch.Tensor:
        h = self.act1(x) * mask.values
        shortcut = x if self.project is None else self.project(h)
        h = self.conv1(h)
        h = self.conv2(self.act2(h) * mask.values)
        return h + shortcut


@MODELS.register("resnet")
class ResNet(ClipClassifier):
    """Pre-activation ResNet: stem, stages of basic blocks, pooling between stages."""

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        channels: list[int] | None = None,
        blocks_per_stage: int = 1,
        stem_channels: int = 16,
        pooling: str = "avg",
        global_pool: str = "mean_max",
        dropout: float = 0.2,
    ):
        super().__init__()
        channels = channels or [16, 32, 64]
        check_positive(stem_channels=stem_channels, blocks_per_stage=blocks_per_stage,
                       **{f"channels[{i}]": c for i, c in enumerate(channels)})  # fmt: skip
        self.stem = conv3x3(1, stem_channels)
        self.stages, self.pools = nn.ModuleList(), nn.ModuleList()
        freq, c_in = input_dim, stem_channels
        for width in channels:
            self.pools.append(Downsample(freq, pooling))
            freq = self.pools[-1].out_freq
            blocks = [PreActBlock(c_in if b == 0 else width, width) for b in range(blocks_per_stage)]
            self.stages.append(nn.ModuleList(blocks))
            c_in = width
        self.final = bn_relu(c_in)
        self.min_frames = 2 ** len(channels)
        self.finish(c_in, num_classes, global_pool, dropout)

    def body(self, x, mask):
        x = self.stem(x)  # (B, C0, D, T)
        for pool, stage in zip(self.pools, self.stages, strict=True):
            x, mask = pool(x, mask)
            for block in stage:
                x = block(x, mask)
        return self.final(x) * mask.values, mask


class DenseLayer(nn.Module):
    """BN-ReLU-[1x1 conv to 4k]-BN-ReLU-3x3 conv to k new channels."""

    def __init__(self, c_in: int, growth_rate: int, bottleneck: bool):
        super().__init__()
        self.act1 = bn_relu(c_in)
        if bottleneck:
            self.reduce = nn.Conv2d(c_in, 4 * growth_rate, 1, bias=False)
            self.act2 = bn_relu(4 * growth_rate)
            c_in = 4 * growth_rate
        else:
            self.reduce, self.act2 = None, None
        self.conv = conv3x3(c_in, growth_rate)

    def forward(self, x: torch.Tensor, mask: TimeMask) -> torch.Tensor:
        h = self.act1(x) * mask.values
        if self.reduce is not None:
            h = self.act2(self.reduce(h)) * mask.values
        return self.conv(h)  # (B, k, F, T)


class Transition(nn.Module):
    """BN-ReLU-1x1 conv (channel compression) then 2x2 pooling."""

    def __init__(self, c_in: int, c_out: int, freq: int, pooling: str):
        super().__init__()
        self.act, self.conv = bn_relu(c_in), nn.Conv2d(c_in, c_out, 1, bias=False)
        self.pool = Downsample(freq, pooling)

    def forward(self, x: torch.Tensor, mask: TimeMask) -> tuple[torch.Tensor, TimeMask]:
        return self.pool(self.conv(self.act(x) * mask.values), mask)


class DenseBlock(nn.Module):
    def __init__(self, c_in: int, layers: int, growth_rate: int, bottleneck: bool):
        super().__init__()
        self.layers = nn.ModuleList(
            DenseLayer(c_in + i * growth_rate, growth_rate, bottleneck) for i in range(layers)
        )
        self.out_channels = c_in + layers * growth_rate

    def forward(self, x: torch.Tensor, mask: TimeMask) -> torch.Tensor:
        for layer in self.layers:
            x = torch.cat([x, layer(x, mask)], dim=1)  # (B, C + k, F, T)
        return x


@MODELS.register("densenet")
class DenseNet(ClipClassifier):
    """Stem, dense blocks joined by compressing transitions, final BN-ReLU, global pooling."""

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        growth_rate: int = 12,
        block_layers: list[int] | None = None,
        stem_channels: int = 24,
        stem_pool: int = 1,
        bottleneck: bool = True,
        compression: float = 0.5,
        pooling: str = "avg",
        global_pool: str = "mean_max",
        dropout: float = 0.2,
    ):
        super().__init__()
        block_layers = block_layers or [4, 4, 4]
        check_positive(growth_rate=growth_rate, stem_channels=stem_channels, compression=compression,
                       **{f"block_layers[{i}]": n for i, n in enumerate(block_layers)})  # fmt: skip
        if compression > 1:
            raise ConfigError(f"model_args: compression must be in (0, 1], got {compression}")
        if stem_pool < 0:
            raise ConfigError(
                f"model_args: stem_pool must be >= 0 (poolings after the stem), got {stem_pool}"
            )
        self.stem = conv3x3(1, stem_channels)
        self.stem_pools, freq = nn.ModuleList(), input_dim
        for _ in range(stem_pool):
            self.stem_pools.append(Downsample(freq, pooling))
            freq = self.stem_pools[-1].out_freq
        self.blocks, self.transitions = nn.ModuleList(), nn.ModuleList()
        c = stem_channels
        for i, layers in enumerate(block_layers):
            self.blocks.append(DenseBlock(c, layers, growth_rate, bottleneck))
            c = self.blocks[-1].out_channels
            if i + 1 < len(block_layers):
                c_out = max(1, int(c * compression))
                self.transitions.append(Transition(c, c_out, freq, pooling))
                freq, c = self.transitions[-1].pool.out_freq, c_out
        self.final = bn_relu(c)
        self.min_frames = 2 ** (len(block_layers) - 1 + stem_pool)
        self.finish(c, num_classes, global_pool, dropout)

    def body(self, x, mask):
        x = self.stem(x)  # (B, C0, D, T)
        for pool in self.stem_pools:
            x, mask = pool(x, mask)  # (B, C0, F / 2, T / 2)
        for i, block in enumerate(self.blocks):
            x = block(x, mask)  # (B, C + layers * k, F, T)
            if i < len(self.transitions):
                x, mask = self.transitions[i](x, mask)  # (B, C', F / 2, T / 2)
        return self.final(x) * mask.values, mask
