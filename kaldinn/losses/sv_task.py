"""The speaker-verification training task: identification, verification, or a scheduled mix.

    L = lambda(step) * L_id / log K + (1 - lambda(step)) * L_ver / log 2

L_id is cross-entropy over the K training speakers (``id_loss: softmax`` on affine logits,
or ``aam`` on cosine logits from a model built with ``head: cosine``); L_ver is the
prior-weighted pairwise loss over every non-self pair of the batch scored by a calibrated
cosine s = a cos(e_i, e_j) + b (``kaldinn.backend.quadratic.CalibratedCosine``), with
uniform or BLUE trial weights (``kaldinn.losses.trial_weights``). lambda follows
``LambdaSchedule`` (identification-heavy first); the default ``lambda_start = lambda_end = 0``
is pure end-to-end verification, ``= 1`` pure identification.

Where the parts live, and why: the identification head is part of the model (its
``logits``), because the trainer optimises and checkpoints model parameters only and K is
a derived model argument; extraction simply ignores the logits. The calibration (a, b) and
the step counter that drives lambda live here (a task module); they train and resume
once the trainer includes the task's parameters and state (see the stream M notes).
Batches with no target or no non-target trial (e.g. unbalanced validation batches) are
scored by the identification term only. Under DDP (world size > 1) the verification term
covers all pairs of the global batch (``kaldinn.losses.all_pairs``), as in one process.

Example::

    task = LOSSES.build("sv", {"weighting": "blue", "rho": [0.2, 0.1, 0.2, 0.1], "lambda_start": 0.5})
    result = task(model(batch.feats, batch.feat_lens), batch)   # batch.targets: speaker ids
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from kaldinn.backend.quadratic import CalibratedCosine
from kaldinn.errors import ConfigError, KaldinnError
from kaldinn.losses.all_pairs import all_pairs_loss, scaled_local_mean
from kaldinn.losses.identification import identification_loss
from kaldinn.losses.verification import LambdaSchedule, batch_verification_loss
from kaldinn.models.registry import ModelOutput
from kaldinn.train.batch import Batch, LossOutput
from kaldinn.train.distributed import is_padding, world_size


def angular_margin(cos: torch.Tensor, labels: torch.Tensor, margin: float, scale: float) -> torch.Tensor:
    """AAM logits from cosines (B, K): scale * cos(theta + m) for the true class (monotone past pi)."""
    cos_t = cos.gather(1, labels[:, None]).clamp(-1.0, 1.0)  # (B, 1)
    sin_t = torch.sqrt((1.0 - cos_t * cos_t).clamp_min(1e-12))
    with_margin = cos_t * math.cos(margin) - sin_t * math.sin(margin)
    fallback = cos_t - math.sin(math.pi - margin) * margin
    target = torch.where(cos_t > math.cos(math.pi - margin), with_margin, fallback)
    return scale * cos.scatter(1, labels[:, None], target)


class SVTask(nn.Module):
    """Combined identification + verification objective over a batch of speaker-labelled segments."""

    handles_distributed = True  # under DDP its loss is already scaled for gradient averaging

    def __init__(
        self,
        lambda_start: float = 0.0,
        lambda_end: float = 0.0,
        hold_steps: int = 0,
        ramp_steps: int = 0,
        p_target: float = 0.5,
        weighting: Literal["uniform", "blue", "blue_exact"] = "uniform",
        rho: list[float] | None = None,
        normalise: Literal["log2", "entropy"] = "log2",
        score_scale: float = 10.0,
        score_offset: float = 0.0,
        id_loss: Literal["softmax", "aam"] = "softmax",
        aam_margin: float = 0.2,
        aam_scale: float = 30.0,
    ) -> None:
        super().__init__()
        self.schedule = LambdaSchedule(lambda_start, lambda_end, hold_steps, ramp_steps)
        if weighting != "uniform" and (rho is None or len(rho) != 4):
            raise ConfigError(f"weighting {weighting!r} needs rho: [rho1, rho2, rho1', rho2'], got {rho!r}")
        if id_loss == "aam" and not (0.0 <= aam_margin < math.pi / 2 and aam_scale > 0):
            raise ConfigError(
                f"aam needs 0 <= aam_margin < pi/2 and aam_scale > 0, got {aam_margin}, {aam_scale}"
            )
        self.p_target, self.weighting, self.rho, self.normalise = p_target, weighting, rho, normalise
        self.id_loss, self.aam_margin, self.aam_scale = id_loss, aam_margin, aam_scale
        self.scorer = CalibratedCosine(score_scale, score_offset)
        self.register_buffer("step", torch.zeros((), dtype=torch.long))  # training batches seen

    def _identification(self, logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, float]:
        if self.id_loss == "aam":
            logits = angular_margin(logits, labels, self.aam_margin, self.aam_scale)
        correct = float((logits.argmax(1) == labels).sum())
        return identification_loss(logits, labels), correct

    def _verification(self, embedding: torch.Tensor, labels: torch.Tensor) -> torch.Tensor | None:
        same = labels[:, None] == labels[None, :]
        pairs = same.sum() - len(labels)  # ordered same-speaker pairs without self-pairs
        if pairs == 0 or bool(same.all()):
            return None
        scores = self.scorer(embedding)  # (N, N)
        return batch_verification_loss(
            scores, labels, self.p_target, self.weighting, self.rho, self.normalise
        )

    def forward(self, output: ModelOutput, batch: Batch) -> LossOutput:
        if output.embedding is None or output.logits.dim() != 2:
            raise KaldinnError("the sv loss needs a speaker-embedding model (xvector_tdnn, ecapa_tdnn)")
        labels = batch.targets
        lam = self.schedule(int(self.step))
        training = torch.is_grad_enabled()
        if training:
            self.step += 1
        id_loss, correct = self._identification(output.logits.float(), labels)
        if world_size() > 1:
            return self._distributed(output, batch, lam, training, id_loss, correct)
        ver_loss = self._verification(output.embedding.float(), labels)
        if ver_loss is None and training and lam < 1.0:
            raise ConfigError(
                "an sv training batch has no target or no non-target trial; sample several "
                "speakers with >= 2 segments each (kaldinn.data.sv_sampling)"
            )
        loss = id_loss if ver_loss is None else lam * id_loss + (1.0 - lam) * ver_loss
        count = float(len(labels))
        sums = {"loss": loss.item() * count, "id": id_loss.item() * count, "acc": correct}
        if ver_loss is not None:
            sums["ver"] = ver_loss.item() * count
        return LossOutput(loss, sums, count)

    def _distributed(
        self, output: ModelOutput, batch: Batch, lam: float, training: bool, id_loss, correct: float
    ) -> LossOutput:
        """DDP: verification over all pairs of the global batch (kaldinn.losses.all_pairs), the
        identification mean weighted by this rank's share; sums add up over ranks."""
        include = not is_padding(batch)
        ver_loss, total = all_pairs_loss(output.embedding.float(), batch.targets, self._verification, include)
        if ver_loss is None and training and lam < 1.0:
            raise ConfigError(
                "an sv training batch has no target or no non-target trial; sample several "
                "speakers with >= 2 segments each (kaldinn.data.sv_sampling)"
            )
        count = len(batch.targets) if include else 0
        id_term = scaled_local_mean(id_loss, count, total)
        loss = id_term if ver_loss is None else lam * id_term + (1.0 - lam) * ver_loss
        mixed = id_loss.item() if ver_loss is None else lam * id_loss.item() + (1.0 - lam) * ver_loss.item()
        sums = {"loss": mixed * count, "id": id_loss.item() * count, "acc": correct}
        if ver_loss is not None:
            sums["ver"] = ver_loss.item() * count
        return LossOutput(loss, sums, float(count))
