"""The model registry, the common model output and model-building helpers.

Every model takes ``(feats (B, T, D) float, feat_lens (B,) int64)`` and returns a
:class:`ModelOutput`. ``input_dim`` and ``num_classes`` are derived from the data and
passed by the caller; everything else comes from the config's ``model_args``.

Example::

    from kaldinn.models import build_model
    model = build_model("rnn_classifier", {"hidden_size": 64}, input_dim=40, num_classes=10)
    out = model(torch.randn(2, 100, 40), torch.tensor([100, 80]))  # out.logits: (2, 10)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import nn

from kaldinn.errors import ConfigError
from kaldinn.train.registry import Registry

MODELS = Registry("model")

# Values a model builder receives from the data, never from the config.
DERIVED_MODEL_ARGS = ("input_dim", "num_classes")


class ModelOutput(NamedTuple):
    """What every model returns.

    logits: (B, C) for utterance models, (B, T', C) for frame models.
    lens: (B,) valid output frames for frame models, None for utterance models.
    embedding: (B, E) pooled utterance vector where the model has one, else None.
    """

    logits: torch.Tensor
    lens: torch.Tensor | None = None
    embedding: torch.Tensor | None = None


def build_model(name: str, args: dict[str, Any] | None, input_dim: int, num_classes: int) -> nn.Module:
    """Build registered model ``name`` from its config arguments and the data dimensions."""
    return MODELS.build(name, args, input_dim=input_dim, num_classes=num_classes)


def check_model_args(name: str, args: dict[str, Any] | None) -> dict[str, Any]:
    """Validate ``model_args`` for ``name`` without building; returns the coerced args."""
    return MODELS.check_args(name, args, derived=DERIVED_MODEL_ARGS)


def enable_gradient_checkpointing(model: nn.Module) -> int:
    """Turn on activation checkpointing in every block that supports it; returns how many."""
    blocks = [m for m in model.modules() if hasattr(m, "grad_checkpointing")]
    if not blocks:
        raise ConfigError(
            f"model {type(model).__name__} does not support gradient checkpointing; "
            "set train.grad_checkpointing=false"
        )
    for block in blocks:
        block.grad_checkpointing = True
    return len(blocks)
