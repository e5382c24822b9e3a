"""What the trainer consumes: batches, resumable batch sources, and tasks.

The trainer knows nothing about files. A data pipeline hands it an iterable of
:class:`Batch`; a *task* (a loss from ``kaldinn.losses``) turns model output + batch into
a loss and metric sums.

Resumable batch sources (needed for exact resume): an object with ``set_epoch(epoch)``
that makes the following ``iter()`` yield that epoch's batches in an order determined only
by its seed and ``epoch`` (and workers seeded from them). The trainer records how many
batches of the epoch it has consumed and skips that many on resume. A plain list is a
valid source too (same order every epoch).

Example::

    batch = Batch(feats=torch.zeros(2, 50, 40), feat_lens=torch.tensor([50, 30]),
                  targets=torch.tensor([1, 0]), utt_ids=["spk1-u1", "spk2-u7"])
    loss_out = task(model(batch.feats, batch.feat_lens), batch)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch


@dataclass
class Batch:
    """A padded minibatch.

    feats: (B, T, D) float, zero beyond each feat_lens[b]; feat_lens: (B,) int64.
    targets: (B,) class ids, or (B, S) padded frame labels / token ids.
    target_lens: (B,) valid entries per row of a 2-D ``targets`` (None for 1-D).
    """

    feats: torch.Tensor
    feat_lens: torch.Tensor
    targets: torch.Tensor
    target_lens: torch.Tensor | None = None
    utt_ids: list[str] = field(default_factory=list)

    def to(self, device: torch.device | str) -> Batch:
        move = {"non_blocking": True}
        return Batch(
            self.feats.to(device, **move),
            self.feat_lens.to(device, **move),
            self.targets.to(device, **move),
            None if self.target_lens is None else self.target_lens.to(device, **move),
            self.utt_ids,
        )

    def __len__(self) -> int:
        return int(self.feats.size(0))


@dataclass
class LossOutput:
    """A task's result for one batch.

    loss: the scalar to minimise. sums: metric numerators (e.g. ``loss`` times weight,
    ``acc`` as a count of correct items); weight: their common denominator (utterances,
    frames). Epoch metrics are sum(sums[k]) / sum(weight).
    """

    loss: torch.Tensor
    sums: dict[str, float]
    weight: float


class Task(Protocol):
    def __call__(self, output: Any, batch: Batch) -> LossOutput: ...


@runtime_checkable
class EpochBatches(Protocol):
    """A batch source whose order is reproducible per epoch."""

    def set_epoch(self, epoch: int) -> None: ...

    def __iter__(self): ...


def epoch_batches(source: Iterable[Batch], epoch: int) -> Iterable[Batch]:
    """Position ``source`` at ``epoch`` when it supports it; return it for iteration."""
    if isinstance(source, EpochBatches):
        source.set_epoch(epoch)
    return source
