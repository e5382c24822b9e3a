"""The resumable batch source the trainer consumes, built from a config's data section.

:class:`BatchSource` joins a :class:`~kaldinn.data.dataset.FeatureDataset`, a batch sampler
and :func:`~kaldinn.data.collate.collate`, reading with a torch DataLoader when
``data.num_workers > 0``. ``set_epoch(e)`` fixes the epoch's batches and random crops /
masks, so the batches of an epoch are the same with 0, 1 or N workers and after a resume.

Example::

    cfg = load_config("conf/lid_hgru.yaml")
    source = label_source(cfg)                              # "utt2lang" (set in the YAML)
    labels = build_label_map("data/lid_train", source)
    train = make_batch_source(cfg, "data/lid_train", load_targets("data/lid_train", source, labels), True)
    train.set_epoch(1)
    for batch in train:                                     # kaldinn.train.batch.Batch
        ...
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import torch

from kaldinn.data.collate import collate
from kaldinn.data.dataset import FeatureDataset, FeatureOptions
from kaldinn.data.labels import Targets
from kaldinn.data.samplers import BucketBatchSampler, SpeakerBatchSampler
from kaldinn.data.transforms import SpecAugment
from kaldinn.errors import ConfigError
from kaldinn.train.batch import Batch
from kaldinn.train.config import TrainConfig

# Speaker-verification batch strategies (SV.md §3): A = all (or up to data.max_utts_per_speaker)
# segments of each sampled speaker, B = two segments of each sampled speaker.
SV_STRATEGIES = {"sv_a": "A", "sv_b": "B"}

# What data.labels=auto means for each loss (utterance losses must name their table).
AUTO_LABELS = {"ctc": "text", "frame_cross_entropy": "ali"}


def label_source(cfg: TrainConfig) -> str:
    """The label table ``cfg`` trains on (``data.labels``, resolving ``auto`` by the loss)."""
    if cfg.data.labels != "auto":
        return cfg.data.labels
    if cfg.loss not in AUTO_LABELS:
        raise ConfigError(
            f"data.labels=auto has no default for loss {cfg.loss}; set data.labels to one of "
            "utt2lang, utt2spk, utt2label (e.g. --set data.labels=utt2lang)"
        )
    return AUTO_LABELS[cfg.loss]


def feature_options(cfg: TrainConfig, train: bool) -> FeatureOptions:
    """Feature preparation for training (crops, SpecAugment, audio augmentation) or validation
    (whole utterances of feats.scp)."""
    data = cfg.data
    augment = None
    if train and data.spec_augment:
        augment = SpecAugment(data.freq_masks, data.freq_mask_width, data.time_masks, data.time_mask_width)
    return FeatureOptions(
        cmvn=data.cmvn,
        norm_vars=data.norm_vars,
        vad=data.vad,
        max_frames=data.max_frames if train else 0,
        min_frames=data.min_frames,
        frame_subsample=int(cfg.model_args.get("subsample", 1)),
        in_memory=data.in_memory,
        spec_augment=augment,
        augment=data.augment if train else None,
    )


class EpochIndices:
    """A batch sampler's batches as ``(epoch, index)`` pairs: persistent DataLoader workers
    hold a copy of the dataset made once, so the epoch travels with each index."""

    def __init__(self, sampler):
        self.sampler, self.epoch = sampler, 0

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        return ([(self.epoch, i) for i in batch] for batch in self.sampler)

    def __len__(self) -> int:
        return len(self.sampler)


class BatchSource:
    """Batches of ``dataset`` in the order of ``sampler``; resumable through ``set_epoch``."""

    def __init__(self, dataset: FeatureDataset, sampler, num_workers: int = 0, seed: int = 0):
        self.dataset, self.sampler = dataset, sampler
        self.num_workers, self.seed, self.epoch = num_workers, seed, 0
        self._indices = EpochIndices(sampler)
        self._loader: torch.utils.data.DataLoader | None = None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = self._indices.epoch = epoch
        self.dataset.set_epoch(epoch)
        self.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self) -> Iterator[Batch]:
        if self.num_workers == 0:
            return (collate([self.dataset[i] for i in indices]) for indices in self.sampler)
        if self._loader is None:
            # Workers start once and live across epochs; the loader's own seed comes from a
            # private generator, leaving the global RNG alone (items carry their own seeds).
            self._loader = torch.utils.data.DataLoader(
                self.dataset,
                batch_sampler=self._indices,
                collate_fn=collate,
                num_workers=self.num_workers,
                persistent_workers=True,
                generator=torch.Generator().manual_seed(self.seed),
            )
        return iter(self._loader)


def make_sampler(cfg: TrainConfig, dataset: FeatureDataset, train: bool):
    """The batch sampler ``cfg.data`` asks for (speaker batches for training only)."""
    data = cfg.data
    if train and data.sampler == "speaker":
        speakers = [dataset.utt2spk[utt] for utt in dataset.utt_ids]
        per_batch = max(data.batch_size // data.utts_per_speaker, 1)
        return SpeakerBatchSampler(speakers, per_batch, data.utts_per_speaker, seed=cfg.train.seed)
    shuffle = train and data.shuffle
    return BucketBatchSampler(dataset.lengths, data.batch_size, data.batch_frames, shuffle, cfg.train.seed)


def make_batch_source(
    cfg: TrainConfig, data_dir: str | os.PathLike, targets: Targets | None, train: bool
) -> BatchSource:
    """Dataset, sampler and loader for ``data_dir`` as ``cfg.data`` describes them."""
    options = feature_options(cfg, train)
    if train and cfg.data.sampler in SV_STRATEGIES:
        from kaldinn.data.sv_sampling import sv_batch_source

        data = cfg.data
        return sv_batch_source(
            data_dir,
            targets,
            SV_STRATEGIES[data.sampler],
            speakers_per_batch=max(data.batch_size // data.utts_per_speaker, 2),
            max_per_speaker=data.max_utts_per_speaker,
            chunk_frames=data.max_frames,
            options=options,
            seed=cfg.train.seed,
            num_workers=data.num_workers,
        )
    dataset = FeatureDataset(data_dir, options, targets, train=train, seed=cfg.train.seed)
    return BatchSource(dataset, make_sampler(cfg, dataset, train), cfg.data.num_workers, cfg.train.seed)
