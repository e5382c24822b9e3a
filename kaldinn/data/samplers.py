"""Batch samplers: length buckets under a frame budget, and speaker-balanced batches.

Both yield lists of dataset indices, cover every index exactly once per epoch, and are
resumable: the batches of an epoch depend only on ``seed`` and the epoch passed to
``set_epoch`` (what ``kaldinn.train.batch`` requires for exact resume).

Example::

    sampler = BucketBatchSampler(ds.lengths, batch_size=32, batch_frames=8000, seed=777)
    sampler.set_epoch(3)
    for indices in sampler:   # e.g. [17, 4, 88]: similar lengths, <= 8000 padded frames
        ...
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from kaldinn.errors import ConfigError


class BucketBatchSampler:
    """Batches of similar-length utterances: at most ``batch_size`` utterances and at most
    ``batch_frames`` padded frames (longest length x count; 0 = no budget). An utterance
    longer than the budget gets a batch of its own. With ``shuffle`` the order within equal
    lengths and the order of the batches are random per epoch; without it batches run from
    the shortest utterances to the longest.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        batch_frames: int = 0,
        shuffle: bool = True,
        seed: int = 0,
    ):
        if batch_size < 1:
            raise ConfigError(f"data.batch_size must be >= 1, got {batch_size}")
        if batch_frames < 0:
            raise ConfigError(f"data.batch_frames must be >= 0, got {batch_frames}")
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.batch_size, self.batch_frames = batch_size, batch_frames
        self.shuffle, self.seed, self.epoch = shuffle, seed, 0
        self._batches: list[list[int]] | None = None

    def set_epoch(self, epoch: int) -> None:
        if epoch != self.epoch:
            self.epoch, self._batches = epoch, None

    def batches(self) -> list[list[int]]:
        """This epoch's batches (computed once per epoch)."""
        if self._batches is None:
            self._batches = self._make_batches()
        return self._batches

    def _make_batches(self) -> list[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(len(self.lengths)) if self.shuffle else np.arange(len(self.lengths))
        order = order[np.argsort(self.lengths[order], kind="stable")]  # by length, random among ties
        batches: list[list[int]] = []
        current: list[int] = []
        for index in order.tolist():
            longest = int(self.lengths[index])  # sorted: the newest utterance is the longest
            too_many = len(current) == self.batch_size
            over_budget = self.batch_frames > 0 and longest * (len(current) + 1) > self.batch_frames
            if current and (too_many or over_budget):
                batches.append(current)
                current = []
            current.append(index)
        if current:
            batches.append(current)
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        return len(self.batches())


class SpeakerBatchSampler:
    """Batches of ``speakers_per_batch`` distinct speakers with up to ``utts_per_speaker``
    utterances each (fewer when a speaker runs out). Speakers with the most utterances left
    go first (random among equals), so speakers stay balanced across the epoch and every
    utterance is used once.
    """

    def __init__(
        self,
        speakers: Sequence[str],
        speakers_per_batch: int,
        utts_per_speaker: int,
        seed: int = 0,
    ):
        if speakers_per_batch < 1 or utts_per_speaker < 1:
            raise ConfigError(
                f"speaker batches need >= 1 speaker and utterance each, got {speakers_per_batch} "
                f"speakers x {utts_per_speaker} utterances (data.batch_size / data.utts_per_speaker)"
            )
        self.speakers = list(speakers)
        self.speakers_per_batch, self.utts_per_speaker = speakers_per_batch, utts_per_speaker
        self.seed, self.epoch = seed, 0
        self._batches: list[list[int]] | None = None

    def set_epoch(self, epoch: int) -> None:
        if epoch != self.epoch:
            self.epoch, self._batches = epoch, None

    def batches(self) -> list[list[int]]:
        if self._batches is None:
            self._batches = self._make_batches()
        return self._batches

    def _make_batches(self) -> list[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        pools: dict[str, list[int]] = {}
        for index, spk in enumerate(self.speakers):
            pools.setdefault(spk, []).append(index)
        for spk in pools:
            pools[spk] = [pools[spk][i] for i in rng.permutation(len(pools[spk]))]
        names = sorted(pools)
        batches = []
        while any(pools.values()):
            ties = rng.permutation(len(names))
            ranked = sorted(range(len(names)), key=lambda i: (-len(pools[names[i]]), ties[i]))
            batch = []
            for i in ranked[: self.speakers_per_batch]:
                pool = pools[names[i]]
                take, pools[names[i]] = pool[: self.utts_per_speaker], pool[self.utts_per_speaker :]
                batch += take
            batches.append(batch)
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        return len(self.batches())
