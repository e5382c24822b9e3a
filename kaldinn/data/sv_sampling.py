"""Speaker-verification mini-batches: S speakers per batch, epochs defined by speaker coverage.

Strategy ``A``: each batch holds S speakers with all of their utterances (or a random
``max_per_speaker`` of them); speakers contribute unequal numbers of segments, so trial
weighting matters. Strategy ``B``: S speakers x 2 different utterances (S target and
2S(S-1) non-target trials; balanced, so uniform trial weights are optimal). One epoch
shows every training speaker exactly once (speakers with fewer than 2 utterances give no
target trial and are left out, listed in ``excluded``). The batches of an epoch depend
only on (seed, epoch): resumable through ``set_epoch``. Features come from
``kaldinn.data.dataset.FeatureDataset`` held in memory, one random chunk per segment.

Example::

    sampler = SVBatchSampler(speakers, strategy="B", speakers_per_batch=16, seed=777)
    sampler.set_epoch(2)
    for indices in sampler:   # 32 dataset indices: 2 per speaker
        ...
    source = sv_batch_source("data/sv_train", targets, strategy="A", chunk_frames=200)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np

from kaldinn.data.dataset import FeatureDataset, FeatureOptions
from kaldinn.data.labels import Targets
from kaldinn.errors import ConfigError

STRATEGIES = ("A", "B")


class SVBatchSampler:
    """Index lists for verification batches (strategy A or B) over dataset items of ``speakers``."""

    def __init__(
        self,
        speakers: Sequence[str],
        strategy: str = "B",
        speakers_per_batch: int = 16,
        max_per_speaker: int = 0,
        seed: int = 0,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ConfigError(f"sampling strategy {strategy!r}: valid choices: {', '.join(STRATEGIES)}")
        if speakers_per_batch < 2:
            raise ConfigError(
                f"verification batches need >= 2 speakers, got speakers_per_batch={speakers_per_batch}"
            )
        if max_per_speaker == 1 or max_per_speaker < 0:
            raise ConfigError(f"max_per_speaker must be 0 (all) or >= 2, got {max_per_speaker}")
        pools: dict[str, list[int]] = {}
        for index, spk in enumerate(speakers):
            pools.setdefault(spk, []).append(index)
        self.excluded = sorted(spk for spk, idx in pools.items() if len(idx) < 2)
        self.pools = {spk: idx for spk, idx in sorted(pools.items()) if len(idx) >= 2}
        if len(self.pools) < 2:
            raise ConfigError(
                f"verification training needs >= 2 speakers with >= 2 utterances, found {len(self.pools)}"
            )
        self.strategy, self.speakers_per_batch = strategy, speakers_per_batch
        self.per_speaker = 2 if strategy == "B" else max_per_speaker
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _speaker_groups(self, rng: np.random.Generator) -> list[list[str]]:
        """Speakers shuffled into groups of S; a last group of one speaker joins the previous one."""
        names = list(self.pools)
        order = [names[i] for i in rng.permutation(len(names))]
        size = self.speakers_per_batch
        groups = [order[i : i + size] for i in range(0, len(order), size)]
        if len(groups) > 1 and len(groups[-1]) < 2:
            last = groups.pop()
            groups[-1] += last
        return groups

    def _take(self, spk: str, rng: np.random.Generator) -> list[int]:
        pool = self.pools[spk]
        if self.per_speaker == 0 or len(pool) <= self.per_speaker:
            return list(pool)
        return sorted(pool[i] for i in rng.choice(len(pool), self.per_speaker, replace=False))

    def batches(self) -> list[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        return [[i for spk in group for i in self._take(spk, rng)] for group in self._speaker_groups(rng)]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        groups = -(-len(self.pools) // self.speakers_per_batch)
        return groups - 1 if groups > 1 and len(self.pools) % self.speakers_per_batch == 1 else groups


def sv_batch_source(
    data_dir: str | os.PathLike,
    targets: Targets,
    strategy: str = "B",
    speakers_per_batch: int = 16,
    max_per_speaker: int = 0,
    chunk_frames: int = 200,
    options: FeatureOptions | None = None,
    seed: int = 0,
    num_workers: int = 0,
):
    """A resumable ``kaldinn.data.loader.BatchSource`` of verification batches over ``data_dir``.

    Features are read once into memory (after CMVN/VAD as ``options`` say) and each
    segment is a random ``chunk_frames`` window, drawn anew every epoch; with
    ``options.augment`` the windows are made from augmented audio instead (nothing is held).
    """
    from dataclasses import replace

    from kaldinn.data.loader import BatchSource

    options = replace(options or FeatureOptions(), in_memory=True, max_frames=chunk_frames)
    dataset = FeatureDataset(data_dir, options, targets, train=True, seed=seed)
    speakers = [dataset.utt2spk[utt] for utt in dataset.utt_ids]
    sampler = SVBatchSampler(speakers, strategy, speakers_per_batch, max_per_speaker, seed)
    return BatchSource(dataset, sampler, num_workers=num_workers, seed=seed)
