"""Classification losses used as trainer tasks: utterance CE, masked frame CE, and CTC.

Each loss is called as ``loss(output, batch) -> LossOutput`` with a model's
``ModelOutput`` and a ``kaldinn.train.batch.Batch``; it returns the scalar to minimise
plus metric sums (``loss``, ``acc``) and their weight, so epoch averages are exact over
utterances (utterance CE, CTC) or valid frames (frame CE).

Example::

    task = FrameCrossEntropy()
    result = task(model(batch.feats, batch.feat_lens), batch)
    result.loss.backward(); frame_acc = result.sums["acc"] / result.weight
"""

from __future__ import annotations

import torch
from torch import nn

from kaldinn.errors import KaldinnError
from kaldinn.models.pooling import lengths_to_mask
from kaldinn.models.registry import ModelOutput
from kaldinn.train.batch import Batch, LossOutput


class UtteranceCrossEntropy(nn.Module):
    """Cross-entropy of utterance logits (B, C) against class ids (B,)."""

    def __init__(self, label_smoothing: float = 0.0):
        super().__init__()
        self.label_smoothing = label_smoothing

    def forward(self, output: ModelOutput, batch: Batch) -> LossOutput:
        logits = output.logits.float()
        if logits.dim() != 2:
            raise KaldinnError(
                f"cross_entropy expects utterance logits (B, C), got shape {tuple(logits.shape)}"
            )
        loss = nn.functional.cross_entropy(logits, batch.targets, label_smoothing=self.label_smoothing)
        correct = (logits.argmax(1) == batch.targets).sum().item()
        count = float(logits.size(0))
        return LossOutput(loss, {"loss": loss.item() * count, "acc": float(correct)}, count)


class FrameCrossEntropy(nn.Module):
    """Cross-entropy of frame logits (B, T, C) against padded frame labels (B, T)."""

    def __init__(self, label_smoothing: float = 0.0):
        super().__init__()
        self.label_smoothing = label_smoothing

    def forward(self, output: ModelOutput, batch: Batch) -> LossOutput:
        logits, lens = output.logits.float(), output.lens
        if logits.dim() != 3 or lens is None:
            raise KaldinnError("frame_cross_entropy needs a frame model (logits (B, T, C) with lengths)")
        check_frame_counts(lens, batch)
        mask = lengths_to_mask(lens, logits.size(1))  # (B, T)
        targets = batch.targets[:, : logits.size(1)]
        valid_logits, valid_targets = logits[mask], targets[mask]  # (N, C), (N,)
        loss = nn.functional.cross_entropy(valid_logits, valid_targets, label_smoothing=self.label_smoothing)
        correct = (valid_logits.argmax(1) == valid_targets).sum().item()
        count = float(valid_targets.numel())
        return LossOutput(loss, {"loss": loss.item() * count, "acc": float(correct)}, count)


def check_frame_counts(lens: torch.Tensor, batch: Batch) -> None:
    """Frame labels must cover exactly the frames the model outputs."""
    if batch.target_lens is None:
        raise KaldinnError("frame labels need target_lens (frames per utterance) in the batch")
    bad = (lens != batch.target_lens.to(lens.device)).nonzero().flatten().tolist()
    if bad:
        i = bad[0]
        utt = batch.utt_ids[i] if i < len(batch.utt_ids) else f"batch item {i}"
        raise KaldinnError(
            f"utterance {utt}: the model outputs {int(lens[i])} frames but the alignment has "
            f"{int(batch.target_lens[i])}; frame targets need subsample=1 and alignments made "
            "with the same frame shift as the features"
        )


class CTCLoss(nn.Module):
    """CTC over frame logits (B, T, C) and padded token ids (B, S); class ``blank`` is blank.

    The loss is summed over each utterance and averaged over the batch; utterances whose
    target cannot fit in their frames give zero loss instead of inf (``zero_infinity``).
    """

    def __init__(self, blank: int = 0):
        super().__init__()
        self.blank = blank

    def forward(self, output: ModelOutput, batch: Batch) -> LossOutput:
        if output.logits.dim() != 3 or output.lens is None or batch.target_lens is None:
            raise KaldinnError("ctc needs frame logits with lengths and token targets with target_lens")
        log_probs = output.logits.float().log_softmax(2).transpose(0, 1)  # (T, B, C) as ctc_loss wants
        per_utt = nn.functional.ctc_loss(
            log_probs,
            batch.targets,
            output.lens,
            batch.target_lens,
            blank=self.blank,
            reduction="none",
            zero_infinity=True,
        )
        loss = per_utt.mean()
        count = float(per_utt.numel())
        return LossOutput(loss, {"loss": loss.item() * count}, count)
