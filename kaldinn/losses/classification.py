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


def ctc_min_frames(targets: torch.Tensor, target_lens: torch.Tensor) -> torch.Tensor:
    """(B,) frames CTC needs for each padded label row: its length plus one blank between
    every pair of equal neighbours (``a a`` cannot be emitted in fewer than 3 frames)."""
    steps = torch.arange(targets.size(1), device=targets.device)
    valid = steps[None, :] < target_lens[:, None]  # (B, S)
    repeats = (targets[:, 1:] == targets[:, :-1]) & valid[:, 1:]  # (B, S - 1)
    return target_lens + repeats.sum(1)


class CTCLoss(nn.Module):
    """CTC over frame logits (B, T, C) and padded token ids (B, S); class ``blank`` is blank.

    The loss is summed over each utterance and averaged over the batch. An utterance whose
    labels cannot fit its (subsampled) output frames is skipped: it adds no loss and no
    gradient, and is counted in the ``skipped`` metric (the fraction of utterances skipped)
    and in ``self.skipped`` (a running total). Utterances with an infinite loss for other
    reasons are zeroed too (``zero_infinity``).
    """

    def __init__(self, blank: int = 0):
        super().__init__()
        self.blank = blank
        self.skipped = 0

    def forward(self, output: ModelOutput, batch: Batch) -> LossOutput:
        if output.logits.dim() != 3 or output.lens is None or batch.target_lens is None:
            raise KaldinnError("ctc needs frame logits with lengths and token targets with target_lens")
        lens = output.lens.to(output.logits.device)
        targets = batch.targets.to(output.logits.device)
        target_lens = batch.target_lens.to(output.logits.device)
        fits = ctc_min_frames(targets, target_lens) <= lens  # (B,)
        log_probs = output.logits.float().log_softmax(2).transpose(0, 1)  # (T, B, C) as ctc_loss wants
        per_utt = nn.functional.ctc_loss(
            log_probs, targets, lens, target_lens, blank=self.blank, reduction="none", zero_infinity=True
        )
        per_utt = per_utt * fits.to(per_utt.dtype)
        count = float(per_utt.numel())
        skipped = int((~fits).sum().item())
        self.skipped += skipped
        loss = per_utt.sum() / count
        return LossOutput(loss, {"loss": loss.item() * count, "skipped": float(skipped)}, count)
