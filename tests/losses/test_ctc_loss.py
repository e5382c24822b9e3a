"""CTC loss: utterances whose labels cannot fit their output frames are skipped and counted."""

import torch

from kaldinn.losses import LOSSES
from kaldinn.losses.classification import ctc_min_frames
from kaldinn.models import ModelOutput
from kaldinn.train.batch import Batch


def test_min_frames_counts_a_blank_between_repeated_labels():
    targets = torch.tensor([[1, 1, 2, 0], [3, 4, 4, 4], [5, 5, 5, 5]])
    assert ctc_min_frames(targets, torch.tensor([3, 4, 2])).tolist() == [4, 6, 3]


def test_unfittable_utterances_are_skipped_and_counted():
    torch.manual_seed(0)
    logits = torch.randn(3, 6, 5, requires_grad=True)
    out = ModelOutput(logits, torch.tensor([6, 3, 2]))
    # utt a fits; b needs 4 frames (1 1 2) but has 3; c needs 2 and has 2.
    targets = torch.tensor([[1, 2, 3], [1, 1, 2], [4, 3, 0]])
    batch = Batch(
        torch.zeros(3, 6, 1), torch.tensor([6, 3, 2]), targets, torch.tensor([3, 3, 2]), ["a", "b", "c"]
    )
    task = LOSSES.build("ctc", {})
    result = task(out, batch)
    assert result.sums["skipped"] == 1.0 and result.weight == 3.0 and task.skipped == 1
    assert torch.isfinite(result.loss)
    result.loss.backward()
    assert logits.grad[1].abs().sum() == 0  # the skipped utterance gives no gradient
    assert logits.grad[0].abs().sum() > 0
    kept = torch.nn.functional.ctc_loss(
        logits.log_softmax(2).transpose(0, 1)[:, [0, 2]], batch.targets[[0, 2]], torch.tensor([6, 2]),
        torch.tensor([3, 2]), reduction="sum",
    )  # fmt: skip
    assert torch.allclose(result.loss, kept / 3)
    task(out, batch)
    assert task.skipped == 2  # a running total over batches
