"""A map-style dataset over a data directory's feats.scp (lazy pread reads or all in memory).

Each item is the utterance's features after VAD frame selection (vad.scp), CMVN (speaker
stats from cmvn.scp, or per-utterance) and, for training, a random chunk of ``max_frames``
and SpecAugment; the randomness of item ``i`` comes from (seed, epoch, i) only, so batches
are identical with any number of DataLoader workers. Utterances without a label, too short
for the model, or whose alignment does not match their features are left out at
construction and counted in ``skipped`` (never a failed batch).

With ``options.augment`` (``data.augment``), training items are computed from the audio
instead (``kaldinn.data.waveform``): the chunk is drawn first, exactly as above, and only
its frames are made, from the augmented audio they span; VAD and CMVN then apply as for
feats.scp, except that ``cmvn=utterance`` normalises over the chunk (the whole augmented
utterance is never computed; WeSpeaker's per-chunk mean normalisation). The augmentation
draws come from a second stream, (seed, epoch, i, 1), so with augmentation off an item equals
its feats.scp version (up to compression) and turning it on moves no chunk or mask.

Example::

    targets = load_targets("data/lid_train", "utt2lang", build_label_map("data/lid_train", "utt2lang"))
    ds = FeatureDataset("data/lid_train", FeatureOptions(cmvn="speaker", max_frames=300), targets, train=True)
    print(ds.skip_report())
    utt_id, feats, target = ds[0]          # feats: float32 (T, D)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from kaldinn.augment.config import AugmentConfig
from kaldinn.data.labels import Targets
from kaldinn.data.transforms import (
    SpecAugment,
    normalise_utterance,
    random_chunk,
    spec_augment,
    voiced_mask,
)
from kaldinn.errors import ConfigError, DataDirError
from kaldinn.feats.cmvn import apply_cmvn
from kaldinn.io.datadir import DataDir
from kaldinn.io.tables import RandomAccessReader


@dataclass(frozen=True)
class FeatureOptions:
    """How features are prepared; see ``kaldinn.train.config.DataSection`` for the YAML keys."""

    cmvn: str = "utterance"  # speaker (cmvn.scp) | utterance | none
    norm_vars: bool = False
    vad: bool = False  # keep only the frames vad.scp marks voiced
    max_frames: int = 0  # training: random chunk of this many frames; 0 = whole utterance
    min_frames: int = 1  # shorter utterances are skipped
    frame_subsample: int = 1  # the model's time subsampling (CTC needs enough output frames)
    in_memory: bool = False
    spec_augment: SpecAugment | None = None
    augment: AugmentConfig | None = None  # training items from augmented audio (train=True only)
    base_dir: str = "."  # what augment's relative paths (feat_conf, corpora) are relative to


class Example(NamedTuple):
    utt_id: str
    feats: np.ndarray  # float32 (T, D)
    target: int | np.ndarray | None


class FeatureDataset:
    """Utterances of ``data_dir`` that can be trained on (all of them when ``targets`` is None)."""

    def __init__(
        self,
        data_dir: str | os.PathLike,
        options: FeatureOptions,
        targets: Targets | None = None,
        train: bool = False,
        seed: int = 0,
    ):
        if options.cmvn not in ("speaker", "utterance", "none"):
            raise ConfigError(f"data.cmvn={options.cmvn!r}: valid choices: speaker, utterance, none")
        if train and options.max_frames > 0 and targets is not None and targets.sequence:
            raise ConfigError(
                "data.max_frames crops utterances, which breaks transcripts: use 0 with text labels"
            )
        self.data_dir, self.options, self.targets = Path(data_dir), options, targets
        self.train, self.seed, self.epoch = train, seed, 0
        data = DataDir(self.data_dir)
        self._feats = RandomAccessReader(f"scp:{data.file('feats.scp')}")
        self.utt2spk = data.utt2spk()
        self._vad = self._reader(data, "vad.scp") if options.vad else None
        self._cmvn = self._reader(data, "cmvn.scp") if options.cmvn == "speaker" else None
        self._cmvn_cache: dict[str, np.ndarray] = {}
        self._num_frames: dict[str, int] = {}  # feats.scp frames (before VAD) by utterance
        self.skipped: dict[str, list[str]] = {}
        # Inference keeps every utterance: one with no voiced frame is used whole (counted here).
        self.unvoiced: set[str] = set()
        self.utt_ids, self.lengths = self._select(data)
        if not self.utt_ids:
            raise DataDirError(f"no usable utterances in {self.data_dir}: {self.skip_report()}")
        self.feat_dim = int(self._feats[self.utt_ids[0]].shape[1])
        self.waveform = None  # kaldinn.data.waveform.WaveformFeatures with data.augment
        if train and options.augment is not None:
            from kaldinn.data.waveform import WaveformFeatures

            self.waveform = WaveformFeatures(self.data_dir, options.augment, self.feat_dim, options.base_dir)
        in_memory = options.in_memory and self.waveform is None
        self._memory = [self._prepare(utt) for utt in self.utt_ids] if in_memory else None

    @staticmethod
    def _reader(data: DataDir, name: str) -> RandomAccessReader:
        if not data.has(name):
            option = "data.vad=false" if name == "vad.scp" else "data.cmvn=utterance"
            raise DataDirError(f"{data.file(name)} does not exist; compute it first or set {option}")
        return RandomAccessReader(f"scp:{data.file(name)}")

    def _select(self, data: DataDir) -> tuple[list[str], list[int]]:
        """Keep the utterances with features, a label and enough frames; record the rest."""
        num_frames = data.num_frames() or {}
        utt_ids, lengths = [], []
        for utt in self._feats.keys():
            reason, length = self._check(utt, num_frames)
            if reason:
                self.skipped.setdefault(reason, []).append(utt)
                continue
            utt_ids.append(utt)
            lengths.append(
                min(length, self.options.max_frames) if self.train and self.options.max_frames else length
            )
        return utt_ids, lengths

    def _check(self, utt: str, num_frames: dict[str, int]) -> tuple[str, int]:
        """("", frames) for a usable utterance, else (reason, 0)."""
        opts = self.options
        target = None
        if self.targets is not None:
            target = self.targets.get(utt)
            if target is None:
                return "without a label", 0
        if opts.cmvn == "speaker" and utt not in self.utt2spk:
            return "not in utt2spk", 0
        frames = num_frames.get(utt)
        if frames is None:
            frames = int(self._feats[utt].shape[0])
        self._num_frames[utt] = frames
        if self.targets is not None and self.targets.frame_level:
            if len(target) != frames:
                return "with an alignment length different from the features", 0
            if len(target) and int(target.max()) >= len(self.targets.label_map):
                return "with alignment ids outside the label map", 0
        if self._vad is not None:
            if utt not in self._vad:
                return "without a vad.scp entry", 0
            voiced = int(voiced_mask(self._vad[utt], utt, frames).sum())
            if voiced == 0 and self.targets is None and frames > 0:
                self.unvoiced.add(utt)
            else:
                frames = voiced
        if frames < max(opts.min_frames, 1):
            return f"shorter than {max(opts.min_frames, 1)} frames", 0
        if (
            self.targets is not None
            and self.targets.sequence
            and ctc_frames_needed(target) > -(-frames // opts.frame_subsample)
        ):
            return "too short for their transcript (CTC)", 0
        return "", frames

    def skip_report(self) -> str:
        """One line: how many utterances were skipped and why (with examples)."""
        total = sum(len(v) for v in self.skipped.values())
        if not total:
            return f"all {len(self.utt_ids)} utterances of {self.data_dir} used"
        reasons = "; ".join(
            f"{len(utts)} {reason} (e.g. {', '.join(utts[:3])})" for reason, utts in self.skipped.items()
        )
        return f"skipped {total} of {total + len(self.utt_ids)} utterances of {self.data_dir}: {reasons}"

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.utt_ids)

    def _prepare(self, utt: str) -> tuple[np.ndarray, int | np.ndarray | None]:
        """Features after CMVN and VAD (deterministic), with the matching target."""
        feats = self._feats[utt]
        target = None if self.targets is None else self.targets.get(utt)
        if self._cmvn is not None:
            feats = apply_cmvn(feats, self._speaker_stats(utt), norm_vars=self.options.norm_vars)
        if self._vad is not None and utt not in self.unvoiced:
            mask = voiced_mask(self._vad[utt], utt, len(feats))
            feats = feats[mask]
            if self.targets is not None and self.targets.frame_level:
                target = target[mask]
        if self.options.cmvn == "utterance":
            feats = normalise_utterance(feats, self.options.norm_vars)
        return np.asarray(feats, dtype=np.float32), target

    def _speaker_stats(self, utt: str) -> np.ndarray:
        key = utt if utt in self._cmvn else self.utt2spk[utt]  # cmvn.scp may be per utterance
        if key not in self._cmvn_cache:
            if key not in self._cmvn:
                raise DataDirError(f"{self.data_dir / 'cmvn.scp'} has no stats for {key!r}")
            self._cmvn_cache[key] = self._cmvn[key]
        return self._cmvn_cache[key]

    def __getitem__(self, index: int | tuple[int, int]) -> Example:
        """Item ``index`` of the current epoch, or of ``epoch`` for an ``(epoch, index)`` pair."""
        epoch, index = index if isinstance(index, tuple) else (self.epoch, index)
        utt = self.utt_ids[index]
        if not self.train:
            feats, target = self._memory[index] if self._memory is not None else self._prepare(utt)
            return Example(utt, feats, target)
        rng = np.random.default_rng([self.seed, epoch, index])
        if self.waveform is not None:
            feats, target = self._from_audio(utt, rng, np.random.default_rng([self.seed, epoch, index, 1]))
        else:
            feats, target = self._memory[index] if self._memory is not None else self._prepare(utt)
            start, end = random_chunk(len(feats), self.options.max_frames, rng)
            feats = feats[start:end]
            if self.targets is not None and self.targets.frame_level:
                target = target[start:end]
        augment = self.options.spec_augment
        if augment is not None and augment.active:
            feats = spec_augment(feats, augment, rng)
        return Example(utt, feats, target)

    def _from_audio(
        self, utt: str, rng: np.random.Generator, augment_rng: np.random.Generator
    ) -> tuple[np.ndarray, int | np.ndarray | None]:
        """A training chunk made from augmented audio; the chunk is drawn as ``_prepare``'s is."""
        frames = self._num_frames[utt]
        target = None if self.targets is None else self.targets.get(utt)
        mask = None
        if self._vad is not None and utt not in self.unvoiced:
            mask = voiced_mask(self._vad[utt], utt, frames)
        kept = np.flatnonzero(mask) if mask is not None else np.arange(frames)
        start, end = random_chunk(len(kept), self.options.max_frames, rng)
        first, last = int(kept[start]), int(kept[end - 1]) + 1  # the frames the chunk spans
        feats = self.waveform.features(utt, first, last, frames, augment_rng)
        if self._cmvn is not None:
            feats = apply_cmvn(feats, self._speaker_stats(utt), norm_vars=self.options.norm_vars)
        keep = mask[first:last] if mask is not None else slice(None)
        feats = feats[keep]
        if self.targets is not None and self.targets.frame_level:
            target = target[first:last][keep]
        if self.options.cmvn == "utterance":
            feats = normalise_utterance(feats, self.options.norm_vars)
        return np.asarray(feats, dtype=np.float32), target


def ctc_frames_needed(tokens: np.ndarray) -> int:
    """Output frames CTC needs for ``tokens``: one per token plus a blank between repeats."""
    tokens = np.asarray(tokens)
    return int(len(tokens) + np.count_nonzero(tokens[1:] == tokens[:-1]))
