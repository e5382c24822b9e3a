"""Speaker identification heads and loss: softmax and additive angular margin (AAM).

The loss is cross-entropy over the K training speakers divided by log K, so a classifier
that outputs uniform posteriors scores 1 (the scale the combined objective mixes).
AAM (ArcFace): logits are s * cos(theta_k) with the target class's angle widened to
theta + m; past theta + m > pi the curve continues as cos(theta) - m sin(m) so it stays
monotone.

Example::

    import torch
    from kaldinn.losses.identification import AAMSoftmaxHead, identification_loss
    head = AAMSoftmaxHead(embed_dim=8, num_classes=5, margin=0.2, scale=30.0)
    labels = torch.tensor([0, 3])
    loss = identification_loss(head(torch.randn(2, 8), labels), labels)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from kaldinn.errors import ConfigError


def identification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over K classes normalised by log K; logits (B, K), labels (B,)."""
    num_classes = logits.shape[-1]
    if num_classes < 2:
        raise ConfigError(f"identification needs at least 2 speakers, got {num_classes}")
    return F.cross_entropy(logits, labels) / math.log(num_classes)


class SoftmaxHead(nn.Module):
    """Affine layer from embeddings (B, D) to speaker logits (B, K)."""

    def __init__(self, embed_dim: int, num_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(embed_dim, num_classes)

    def forward(self, emb: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.linear(emb)


class AAMSoftmaxHead(nn.Module):
    """Additive angular margin softmax: scale * cos(theta + m) for the target class."""

    def __init__(self, embed_dim: int, num_classes: int, margin: float = 0.2, scale: float = 30.0) -> None:
        super().__init__()
        if not 0.0 <= margin < math.pi / 2 or scale <= 0:
            raise ConfigError(
                f"AAM needs 0 <= margin < pi/2 and scale > 0, got margin={margin} scale={scale}"
            )
        self.weight = nn.Parameter(torch.empty(num_classes, embed_dim))
        nn.init.xavier_uniform_(self.weight)
        self.margin = margin
        self.scale = scale

    def forward(self, emb: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (B, K); the margin is applied only when ``labels`` (B,) is given (training)."""
        cos = F.normalize(emb, dim=-1) @ F.normalize(self.weight, dim=-1).T  # (B, K)
        if labels is None or self.margin == 0.0:
            return self.scale * cos
        cos_t = cos.gather(1, labels[:, None])  # (B, 1)
        sin_t = torch.sqrt((1.0 - cos_t * cos_t).clamp_min(1e-12))
        with_margin = cos_t * math.cos(self.margin) - sin_t * math.sin(self.margin)
        # theta + m > pi when cos_t < cos(pi - m): fall back to a monotone linear penalty.
        fallback = cos_t - math.sin(math.pi - self.margin) * self.margin
        target = torch.where(cos_t > math.cos(math.pi - self.margin), with_margin, fallback)
        return self.scale * cos.scatter(1, labels[:, None], target)
