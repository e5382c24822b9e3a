"""Verification loss over all non-self pairs of a mini-batch, and the combined objective.

With lp = logit(P_tar), trial scores s read as LLRs and weights w summing to 1 per class:

    L_ver = P_tar sum_tar w softplus(-(s + lp)) + (1 - P_tar) sum_non w softplus(s + lp)

normalised by log 2 (``"log2"``: at P_tar = 0.5 with uniform weights this is the Cllr of
the batch trials) or by H(P_tar) (``"entropy"``: a useless system scores 1 at any
prior). The combined objective is lambda L_id / log K + (1 - lambda) L_ver_normalised with
a schedule that starts identification-heavy (:class:`LambdaSchedule`).

Example::

    import torch
    from kaldinn.losses.verification import batch_verification_loss
    emb = torch.nn.functional.normalize(torch.randn(6, 8), dim=1)
    loss = batch_verification_loss(5 * emb @ emb.T, torch.tensor([0, 0, 1, 1, 2, 2]))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from kaldinn.errors import ConfigError
from kaldinn.losses.trial_weights import trial_weights

NORMALISERS = ("log2", "entropy", "none")


def prior_entropy(p_target: float) -> float:
    """H(P_tar) in nats: the loss of a system that always outputs LLR 0."""
    return -p_target * math.log(p_target) - (1 - p_target) * math.log(1 - p_target)


def _check_prior(p_target: float, normalise: str) -> None:
    if not 0.0 < p_target < 1.0:
        raise ConfigError(f"p_target must be strictly between 0 and 1, got {p_target}")
    if normalise not in NORMALISERS:
        raise ConfigError(f"unknown normalisation {normalise!r}; choose one of {', '.join(NORMALISERS)}")


def verification_loss(
    scores: torch.Tensor,
    is_target: torch.Tensor,
    p_target: float = 0.5,
    weights: torch.Tensor | None = None,
    normalise: str = "log2",
) -> torch.Tensor:
    """Prior-weighted binary cross-entropy of trial scores (1-D), classes averaged separately.

    ``weights`` (same shape as ``scores``) must sum to 1 within each class; default uniform.
    """
    _check_prior(p_target, normalise)
    is_target = is_target.to(torch.bool)
    n_tar, n_non = int(is_target.sum()), int((~is_target).sum())
    if n_tar == 0 or n_non == 0:
        raise ConfigError(
            f"a verification batch needs target and non-target trials (got {n_tar} and {n_non}); "
            f"sample at least two segments of some speaker and at least two speakers"
        )
    if weights is None:
        weights = torch.where(is_target, scores.new_tensor(1.0 / n_tar), scores.new_tensor(1.0 / n_non))
    weights = weights.to(scores.dtype)
    lp = math.log(p_target / (1 - p_target))
    s = scores + lp
    tar = (weights * F.softplus(-s)).masked_fill(~is_target, 0.0).sum()
    non = (weights * F.softplus(s)).masked_fill(is_target, 0.0).sum()
    loss = p_target * tar + (1 - p_target) * non
    if normalise == "log2":
        return loss / math.log(2.0)
    if normalise == "entropy":
        return loss / prior_entropy(p_target)
    return loss


def batch_verification_loss(
    score_matrix: torch.Tensor,
    spk: torch.Tensor,
    p_target: float = 0.5,
    weighting: str = "uniform",
    rho=None,
    normalise: str = "log2",
) -> torch.Tensor:
    """Loss over every unordered pair i < j of an (N, N) score matrix; ``spk`` is (N,) labels."""
    n = score_matrix.shape[0]
    if score_matrix.shape != (n, n) or spk.shape != (n,):
        raise ConfigError(
            f"expected an (N, N) score matrix and (N,) labels, got {score_matrix.shape}, {spk.shape}"
        )
    idx = torch.triu_indices(n, n, offset=1, device=score_matrix.device)
    scores = score_matrix[idx[0], idx[1]]
    is_target = spk[idx[0]] == spk[idx[1]]
    weights = None
    if weighting != "uniform":
        labels = spk.detach().cpu().numpy()
        i, j = idx[0].cpu().numpy(), idx[1].cpu().numpy()
        w = trial_weights(labels, i, j, is_target.cpu().numpy(), weighting, rho)
        weights = torch.as_tensor(w, dtype=score_matrix.dtype, device=score_matrix.device)
    return verification_loss(scores, is_target, p_target, weights, normalise)


def combined_loss(
    id_loss_normalised: torch.Tensor, ver_loss_normalised: torch.Tensor, lam: float
) -> torch.Tensor:
    """lambda * L_id / log K + (1 - lambda) * L_ver (both already normalised)."""
    if not 0.0 <= lam <= 1.0:
        raise ConfigError(f"lambda must be in [0, 1], got {lam}")
    return lam * id_loss_normalised + (1.0 - lam) * ver_loss_normalised


@dataclass(frozen=True)
class LambdaSchedule:
    """Weight of the identification loss per step: ``start`` for ``hold_steps``, then a
    cosine ramp to ``end`` over ``ramp_steps`` (identification-heavy first)."""

    start: float = 1.0
    end: float = 0.1
    hold_steps: int = 0
    ramp_steps: int = 1000

    def __post_init__(self) -> None:
        if not (0.0 <= self.end <= 1.0 and 0.0 <= self.start <= 1.0):
            raise ConfigError(f"lambda schedule values must be in [0, 1], got {self.start} -> {self.end}")
        if self.hold_steps < 0 or self.ramp_steps < 0:
            raise ConfigError("lambda schedule step counts must be >= 0")

    def __call__(self, step: int) -> float:
        progress = (step - self.hold_steps) / max(self.ramp_steps, 1)
        progress = min(max(progress, 0.0), 1.0)
        if self.ramp_steps == 0 and step >= self.hold_steps:
            progress = 1.0
        return self.end + (self.start - self.end) * 0.5 * (1.0 + math.cos(math.pi * progress))
