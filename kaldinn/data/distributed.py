"""Batch sharding for distributed training: each rank reads its slice of every global batch.

The global batches are exactly those of one process (same sampler, seed and epoch); rank
r of W takes a contiguous slice (sizes differ by at most one, the first ranks get the
extra item), so the slices concatenated in rank order give back the global batch (what
the all-pairs verification loss gathers). A global batch with fewer items than ranks
(e.g. one long utterance alone under ``data.batch_frames``) leaves some ranks without an
item: they get a *padding* batch, a copy of the batch's first item marked
``batch.padding = True``, which keeps DDP's collectives in step and contributes nothing
(see ``kaldinn.train.distributed.sync_result``).

Example::

    train = make_batch_source(cfg, "data/train", targets, train=True)
    train = ShardedBatchSource(train, rank=1, world_size=2)
    train.set_epoch(3)
    for batch in train:   # rank 1's half of each global batch of epoch 3
        ...
"""

from __future__ import annotations

from collections.abc import Iterator

from kaldinn.data.loader import BatchSource
from kaldinn.errors import ConfigError
from kaldinn.train.batch import Batch
from kaldinn.train.distributed import mark_padding


def shard_bounds(size: int, rank: int, world_size: int) -> tuple[int, int]:
    """[start, stop) of rank ``rank``'s slice of ``size`` items."""
    base, extra = divmod(size, world_size)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


class ShardedBatchSampler:
    """This rank's slice of each batch of ``sampler`` (which needs ``set_epoch`` and ``len``)."""

    def __init__(self, sampler, rank: int, world_size: int) -> None:
        if world_size < 1 or not 0 <= rank < world_size:
            raise ConfigError(f"rank {rank} is outside world size {world_size}")
        self.sampler, self.rank, self.world_size = sampler, rank, world_size

    def set_epoch(self, epoch: int) -> None:
        self.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self.sampler:
            start, stop = shard_bounds(len(batch), self.rank, self.world_size)
            yield list(batch[start:stop]) if stop > start else list(batch[:1])

    def padding_flags(self) -> list[bool]:
        """Which of this epoch's batches are padding on this rank."""
        return [self.rank >= len(batch) for batch in self.sampler]


class ShardedBatchSource:
    """A :class:`~kaldinn.data.loader.BatchSource` that yields only this rank's slices."""

    def __init__(self, source: BatchSource, rank: int, world_size: int) -> None:
        self.sampler = ShardedBatchSampler(source.sampler, rank, world_size)
        self.dataset = source.dataset
        self.source = BatchSource(source.dataset, self.sampler, source.num_workers, source.seed)

    def set_epoch(self, epoch: int) -> None:
        self.source.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.source)

    def __iter__(self) -> Iterator[Batch]:
        flags = self.sampler.padding_flags()
        for batch, padding in zip(self.source, flags, strict=True):
            yield mark_padding(batch, padding)


def shard_batch_source(source: BatchSource, rank: int, world_size: int) -> BatchSource | ShardedBatchSource:
    """``source`` itself for one process, else its :class:`ShardedBatchSource` for ``rank``."""
    return source if world_size == 1 else ShardedBatchSource(source, rank, world_size)
