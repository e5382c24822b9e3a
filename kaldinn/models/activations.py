"""ReLU whose backward adds a small epsilon: the "dead ReLU" gradient fix.

A unit whose pre-activation is negative for every input gets zero gradient from a plain
ReLU and never recovers. :class:`EpsGradReLU` computes max(x, 0) forward, but its backward
passes ``grad * (1[x > 0] + eps)``, so a dead unit still receives a small gradient that can
pull it back into the active region. ``eps = 0`` is the ordinary ReLU.

Example::

    act = make_relu(leaky_grad_eps=0.01)
    x = torch.tensor([-1.0, 2.0], requires_grad=True)
    act(x).sum().backward()   # x.grad == [0.01, 1.01]
"""

from __future__ import annotations

import torch
from torch import nn

from kaldinn.errors import ConfigError


class _EpsGradReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, eps: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.eps = eps
        return x.clamp_min(0.0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        slope = (x > 0).to(grad.dtype) + ctx.eps
        return grad * slope, None


class EpsGradReLU(nn.Module):
    """max(x, 0) forward; gradient (1[x > 0] + eps) backward."""

    def __init__(self, eps: float = 0.01) -> None:
        super().__init__()
        if eps < 0:
            raise ConfigError(f"leaky_grad_eps must be >= 0, got {eps}")
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _EpsGradReLUFunction.apply(x, self.eps)

    def extra_repr(self) -> str:
        return f"eps={self.eps}"


def make_relu(leaky_grad_eps: float = 0.0) -> nn.Module:
    """A plain ReLU when ``leaky_grad_eps`` is 0, else :class:`EpsGradReLU`."""
    if leaky_grad_eps == 0.0:
        return nn.ReLU()
    return EpsGradReLU(leaky_grad_eps)
