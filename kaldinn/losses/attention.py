"""Loss ``attention``: label-smoothed cross-entropy of an attention decoder, optionally joint with CTC.

For each utterance the decoder's teacher-forced logits (``las``) are scored against
``y_1 .. y_S <eos>`` (``<eos>`` is id 0) with label smoothing ``label_smoothing`` (the
smoothed mass is spread over every class), summed over the utterance's S + 1 steps and
averaged over the batch, the same scale as the ``ctc`` loss. With ``ctc_weight`` w > 0 the
loss is ``w * ctc + (1 - w) * attention`` (hybrid CTC/attention training, Kim, Hori and
Watanabe 2017), the CTC term computed by ``kaldinn.losses.classification.CTCLoss`` on the
model's CTC branch. Metrics: ``loss``, ``att_loss``, ``ctc_loss`` (when joint), ``acc``
(per utterance, the share of its teacher-forced steps whose best token is right; averaged
over utterances) and ``skipped`` (utterances too long for CTC).

Example::

    task = AttentionLoss(ctc_weight=0.3, label_smoothing=0.1)
    result = task(model(feats, feat_lens, targets, target_lens), batch)
"""

from __future__ import annotations

import torch
from torch import nn

from kaldinn.errors import ConfigError, KaldinnError
from kaldinn.losses.classification import CTCLoss
from kaldinn.models.attention_decoder import SOS_EOS
from kaldinn.models.registry import ModelOutput
from kaldinn.train.batch import Batch, LossOutput


def decoder_targets(targets: torch.Tensor, target_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, S + 1) outputs ``y_1 .. y_S <eos>`` (padding after) and the (B, S + 1) valid mask."""
    batch, steps = targets.shape
    out = torch.cat([targets, targets.new_full((batch, 1), SOS_EOS)], dim=1)
    positions = torch.arange(steps + 1, device=targets.device)[None, :]
    out = torch.where(positions == target_lens[:, None], SOS_EOS, out)
    return out, positions <= target_lens[:, None]


class AttentionLoss(nn.Module):
    """Attention cross-entropy (+ CTC with weight ``ctc_weight``) over a ``las`` model's output."""

    def __init__(self, ctc_weight: float = 0.0, label_smoothing: float = 0.0):
        super().__init__()
        if not 0.0 <= ctc_weight <= 1.0 or not 0.0 <= label_smoothing < 1.0:
            raise ConfigError(
                f"loss_args: ctc_weight must be in [0, 1] and label_smoothing in [0, 1), "
                f"got {ctc_weight} and {label_smoothing}"
            )
        self.ctc_weight, self.label_smoothing = ctc_weight, label_smoothing
        self.ctc = CTCLoss(blank=0)

    def forward(self, output, batch: Batch) -> LossOutput:
        if getattr(output, "ctc_lens", None) is None or batch.target_lens is None:
            raise KaldinnError("loss 'attention' needs a 'las' model and token targets with target_lens")
        self.check_branch(output)
        device = output.logits.device
        targets, mask = decoder_targets(batch.targets.to(device), batch.target_lens.to(device))
        logits = output.logits.float()  # (B, S + 1, V)
        per_step = nn.functional.cross_entropy(
            logits.transpose(1, 2), targets, reduction="none", label_smoothing=self.label_smoothing
        )  # (B, S + 1)
        per_utt = (per_step * mask).sum(1)
        count = float(per_utt.numel())
        att = per_utt.sum() / count
        right = ((logits.argmax(2) == targets) & mask).sum(1) / mask.sum(1)
        sums = {"att_loss": att.item() * count, "acc": right.sum().item()}
        loss = att
        if self.ctc_weight > 0:
            ctc = self.ctc(ModelOutput(output.ctc_logits, output.ctc_lens), batch)
            loss = self.ctc_weight * ctc.loss + (1.0 - self.ctc_weight) * att
            sums["ctc_loss"] = ctc.sums["loss"]
            sums["skipped"] = ctc.sums["skipped"]
        return LossOutput(loss, {"loss": loss.item() * count, **sums}, count)

    def check_branch(self, output) -> None:
        has_ctc = output.ctc_logits is not None
        if self.ctc_weight > 0 and not has_ctc:
            raise ConfigError(
                f"loss_args.ctc_weight={self.ctc_weight} needs a CTC branch: set model_args.ctc_branch: true"
            )
        if self.ctc_weight == 0 and has_ctc:
            raise ConfigError(
                "the model has a CTC branch that loss_args.ctc_weight=0 leaves untrained; "
                "set loss_args.ctc_weight > 0 or model_args.ctc_branch: false"
            )
