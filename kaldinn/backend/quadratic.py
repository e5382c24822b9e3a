"""Trainable pairwise back-ends (torch): the PLDA-like quadratic form and calibrated cosine.

Quadratic form: s = x1' L x2 + x1' G x1 + x2' G x2 + c'(x1 + x2) + k with L, G symmetric,
optionally behind an affine projection and length normalisation (to sqrt(dim)) so that
:meth:`QuadraticBackend.from_plda` reproduces a trained :class:`PLDABackend` exactly on
raw embeddings, then trains jointly with the extractor. Calibrated cosine:
s = a cos(e1, e2) + b with a = exp(log_a) > 0.

Both modules map a batch (N, D) to the (N, N) score matrix of all pairs (``forward``) and
two aligned batches to their row-wise scores (``score_pairs``).

Example::

    from kaldinn.backend.quadratic import QuadraticBackend
    head = QuadraticBackend.from_plda(plda_backend)
    scores = head(embeddings)          # (N, N), feed to batch_verification_loss
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from kaldinn.errors import ConfigError


def _symmetric(a: torch.Tensor) -> torch.Tensor:
    return 0.5 * (a + a.T)


class QuadraticBackend(nn.Module):
    """s = x1' L x2 + x1' G x1 + x2' G x2 + c'(x1 + x2) + k on (projected) embeddings."""

    def __init__(self, dim: int, in_dim: int | None = None, length_norm: bool = False) -> None:
        super().__init__()
        self.projection = nn.Linear(in_dim, dim) if in_dim is not None else None
        self.length_norm = length_norm
        self.L = nn.Parameter(torch.eye(dim))  # stored raw; used symmetrised
        self.G = nn.Parameter(torch.zeros(dim, dim))
        self.c = nn.Parameter(torch.zeros(dim))
        self.k = nn.Parameter(torch.zeros(()))

    @classmethod
    def from_plda(cls, backend, dtype: torch.dtype = torch.float32) -> QuadraticBackend:
        """Exact initialisation from a :class:`kaldinn.backend.plda.PLDABackend`."""
        lda = torch.as_tensor(backend.lda, dtype=dtype)  # (d, D)
        module = cls(lda.shape[0], lda.shape[1], backend.length_norm).to(dtype)
        big_l, g, c, k = backend.plda.quadratic_form()
        with torch.no_grad():
            module.projection.weight.copy_(lda)
            module.projection.bias.copy_(-lda @ torch.as_tensor(backend.mean, dtype=dtype))
            module.L.copy_(torch.as_tensor(big_l, dtype=dtype))
            module.G.copy_(torch.as_tensor(g, dtype=dtype))
            module.c.copy_(torch.as_tensor(c, dtype=dtype))
            module.k.fill_(float(k))
        return module

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Raw embeddings (N, D) -> back-end space (N, d)."""
        if self.projection is not None:
            x = self.projection(x)
        if self.length_norm:
            x = F.normalize(x, dim=-1) * math.sqrt(x.shape[-1])
        return x

    def _self_terms(self, x: torch.Tensor) -> torch.Tensor:
        """x' G x + c' x per row -> (N,)."""
        return ((x @ _symmetric(self.G)) * x).sum(-1) + x @ self.c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score matrix (N, N) of every pair of the batch (diagonal: self-pairs)."""
        z = self.embed(x)
        self_terms = self._self_terms(z)
        return z @ _symmetric(self.L) @ z.T + self_terms[:, None] + self_terms[None, :] + self.k

    def score_pairs(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        """Row-wise scores of two aligned batches (n, D) -> (n,)."""
        z1, z2 = self.embed(x1), self.embed(x2)
        return ((z1 @ _symmetric(self.L)) * z2).sum(-1) + self._self_terms(z1) + self._self_terms(z2) + self.k


class CalibratedCosine(nn.Module):
    """s = a cos(e1, e2) + b, with a > 0 kept by learning log a."""

    def __init__(self, scale: float = 10.0, offset: float = 0.0) -> None:
        super().__init__()
        if scale <= 0:
            raise ConfigError(f"cosine scale must be positive, got {scale}")
        self.log_a = nn.Parameter(torch.tensor(math.log(scale)))
        self.b = nn.Parameter(torch.tensor(float(offset)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score matrix (N, N) of every pair of the batch."""
        z = F.normalize(x, dim=-1)
        return self.log_a.exp() * (z @ z.T) + self.b

    def score_pairs(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        """Row-wise scores of two aligned batches (n, D) -> (n,)."""
        cos = (F.normalize(x1, dim=-1) * F.normalize(x2, dim=-1)).sum(-1)
        return self.log_a.exp() * cos + self.b
