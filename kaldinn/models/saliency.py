"""Input saliency of a clip classifier: vanilla gradients, guided backpropagation, deconvnet.

The explained quantity is the event log-odds ``logit_e - logsumexp(other logits)`` (for two
classes, ``logit_1 - logit_0``), differentiated with respect to the model's input features
(B, T, D), so a map has the input's frames x bins. The model runs in eval mode (BatchNorm
running statistics, no dropout). Methods differ only in the backward rule of each ``nn.ReLU``
(x: the ReLU's input, g: the gradient arriving from above):

- ``vanilla`` (Simonyan et al. 2014): g * 1[x > 0], the true gradient;
- ``guided`` (Springenberg et al. 2015): max(g, 0) * 1[x > 0];
- ``deconvnet`` (Zeiler & Fergus 2014): max(g, 0).

The rule is swapped by forward hooks on the ``nn.ReLU`` modules (``relu_rule``), removed on
exit. A model without ``nn.ReLU`` modules (e.g. one calling ``F.relu``) is refused for guided
and deconvnet, since those would silently equal the vanilla gradient.

Example::

    grads, p_event = input_saliency(model, feats, feat_lens, event_index=1, method="guided")
    # grads: (B, T, D) float32, zero on padded frames; p_event: (B,)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from kaldinn.errors import KaldinnError

METHODS = ("vanilla", "guided", "deconvnet")


class _GatedReLU(torch.autograd.Function):
    """max(x, 0) forward; the guided or deconvnet rule backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, rule: str) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.rule = rule
        return x.clamp_min(0.0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        positive = grad.clamp_min(0.0)
        if ctx.rule == "deconvnet":
            return positive, None
        return positive * (x > 0).to(grad.dtype), None


@contextlib.contextmanager
def relu_rule(model: nn.Module, method: str) -> Iterator[int]:
    """Within the block, every ``nn.ReLU`` of ``model`` back-propagates by ``method``'s rule;
    yields how many ReLU modules were changed."""
    if method not in METHODS:
        raise KaldinnError(f"unknown saliency method {method!r}; valid choices: {', '.join(METHODS)}")
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    if method == "vanilla":
        yield len(relus)
        return
    if not relus:
        raise KaldinnError(
            f"{type(model).__name__} has no nn.ReLU modules, so {method} backpropagation cannot "
            "change its ReLU gradients; use --method vanilla for this model"
        )
    inplace = [m for m in relus if m.inplace]
    if inplace:
        raise KaldinnError(f"{type(model).__name__} uses nn.ReLU(inplace=True); {method} needs inplace=False")

    def hook(_module, args, _output):
        return _GatedReLU.apply(args[0], method)

    handles = [m.register_forward_hook(hook) for m in relus]
    try:
        yield len(relus)
    finally:
        for handle in handles:
            handle.remove()


def event_log_odds(logits: torch.Tensor, event_index: int) -> torch.Tensor:
    """(B, C) logits -> (B,) log-odds of class ``event_index`` against all the others."""
    if logits.dim() != 2 or logits.size(1) < 2:
        raise KaldinnError(f"expected clip logits (B, C >= 2), got shape {tuple(logits.shape)}")
    if not 0 <= event_index < logits.size(1):
        raise KaldinnError(f"event class {event_index} is outside the model's {logits.size(1)} outputs")
    others = torch.cat([logits[:, :event_index], logits[:, event_index + 1 :]], dim=1)
    return logits[:, event_index] - torch.logsumexp(others, dim=1)


def input_saliency(
    model: nn.Module, feats: torch.Tensor, feat_lens: torch.Tensor, event_index: int, method: str = "vanilla"
) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T, D) gradient of each clip's event log-odds w.r.t. its features, and (B,) P(event).

    Clips do not interact in eval mode, so the sum of the batch's log-odds gives every clip's
    own gradient; padded frames get zero.
    """
    was_training = model.training
    model.eval()
    x = feats.detach().clone().requires_grad_(True)
    try:
        with torch.enable_grad(), relu_rule(model, method):
            logits = model(x, feat_lens).logits.float()
            log_odds = event_log_odds(logits, event_index)
            (grad,) = torch.autograd.grad(log_odds.sum(), x)
    finally:
        model.train(was_training)
    valid = torch.arange(x.size(1), device=x.device)[None, :] < feat_lens.to(x.device)[:, None]
    return grad * valid[:, :, None].to(grad.dtype), torch.sigmoid(log_odds.detach())
