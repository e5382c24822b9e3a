"""Features of a frame range of an utterance, computed from its audio after augmentation.

The training path of ``data.augment``: for frames ``[first, last)`` of an utterance (its
frames as feats.scp numbers them), read just the audio those frames see (wav.scp, cut by
segments; a plain file is read by seeking), augment it, and compute the features with the
Kaldi option file feats.scp was made with. Frames at the utterance edges are reflected as
Kaldi's framing does and the dither noise is the one make_feats drew for those frames, so
with augmentation off the result equals feats.scp's rows ``[first, last)`` (up to feature
compression). The utterance's sample count must frame to the number of frames feats.scp
(and vad.scp) have, or the error says which config to use.

Example::

    wave = WaveformFeatures("data/train", AugmentConfig(feat_conf="conf/fbank.conf", prob=0.0), feat_dim=80)
    feats = wave.features("spk1-utt1", 100, 300, num_frames=812, rng=np.random.default_rng(0))  # (200, 80)
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from kaldinn.augment.config import AugmentConfig
from kaldinn.augment.policy import Augmenter
from kaldinn.errors import ConfigError, DataDirError
from kaldinn.feats.extract import KINDS, check_sample_rate, dither_rng
from kaldinn.feats.fbank import fbank_dim
from kaldinn.feats.frames import first_sample_of_frame, gaussian_noise_range, num_frames
from kaldinn.feats.options import load_options
from kaldinn.io.audio import AudioReader, Recording, segment_bounds


class WaveformFeatures:
    """Frame ranges of ``data_dir``'s utterances from audio, augmented as ``config`` says."""

    def __init__(
        self,
        data_dir: str | os.PathLike,
        config: AugmentConfig,
        feat_dim: int,
        base_dir: str | os.PathLike = ".",
    ) -> None:
        config.validate()
        self.data_dir, self.config = Path(data_dir), config
        if not (self.data_dir / "wav.scp").is_file():
            raise DataDirError(
                f"{self.data_dir / 'wav.scp'} does not exist: data.augment computes training "
                "features from the audio; remove data.augment to train on feats.scp alone"
            )
        self.conf_path = Path(base_dir) / config.feat_conf
        job_cls, self._compute = KINDS[config.feat_type]
        job = load_options(job_cls, self.conf_path)
        self.feature, self.extra = job.feature, job.compute
        if self.extra.subtract_mean:
            raise ConfigError(f"{self.conf_path}: --subtract-mean needs whole utterances; not supported here")
        self.frame = self.feature.frame
        # A span cut to whole frames is framed with snip-edges: frame i starts at sample i * shift.
        self._span_feature = dataclasses.replace(
            self.feature, frame=dataclasses.replace(self.frame, snip_edges=True)
        )
        dim = fbank_dim(self.feature) if config.feat_type == "fbank" else self.feature.num_ceps
        if dim != feat_dim:
            raise ConfigError(
                f"data.augment.feat_conf={config.feat_conf} gives {dim}-dim {config.feat_type} but "
                f"{self.data_dir / 'feats.scp'} has {feat_dim}; use the config feats.scp was made with"
            )
        self.audio = AudioReader(self.data_dir, channel=self.extra.channel)
        self.augmenter = Augmenter.from_config(config, int(self.frame.sample_frequency), base_dir)

    def describe(self) -> str:
        return f"training features from audio with {self.conf_path}; {self.augmenter.describe()}"

    def _utterance(self, utt_id: str) -> tuple[Recording, int, int]:
        """The recording of ``utt_id`` and the utterance's first sample and sample count in it."""
        if self.audio.segments is None:
            reco_id, start, end = utt_id, 0.0, -1.0
        elif utt_id in self.audio.segments:
            reco_id, start, end = self.audio.segments[utt_id]
        else:
            raise DataDirError(f"utterance {utt_id} is not in {self.data_dir / 'segments'}")
        if reco_id not in self.audio.wav_scp:
            raise DataDirError(f"recording {reco_id} is not in {self.data_dir / 'wav.scp'}")
        recording = Recording(self.audio.wav_scp[reco_id], self.extra.channel)
        check_sample_rate(utt_id, recording.rate, self.frame, str(self.conf_path))
        first, last = segment_bounds(recording.num_samples, recording.rate, start, end, utt_id)
        return recording, first, last - first

    def features(
        self, utt_id: str, first: int, last: int, num_frames_total: int, rng: np.random.Generator
    ) -> np.ndarray:
        """Features of frames ``[first, last)`` (float32, ``(last - first, dim)``) of ``utt_id``,
        whose features have ``num_frames_total`` frames; the audio is augmented with ``rng``."""
        recording, offset, num_samples = self._utterance(utt_id)
        expected = num_frames(num_samples, self.frame)
        if expected != num_frames_total:
            raise DataDirError(
                f"utterance {utt_id}: its {num_samples} samples make {expected} frames with "
                f"{self.conf_path}, but feats.scp/vad.scp have {num_frames_total}; data.augment.feat_conf "
                "must be the config feats.scp was made with (same framing, --snip-edges included)"
            )
        if not 0 <= first < last <= num_frames_total:
            raise ValueError(f"frames [{first}, {last}) outside [0, {num_frames_total}) of {utt_id}")
        length = self.frame.window_size
        begin = first_sample_of_frame(first, self.frame)
        end = first_sample_of_frame(last - 1, self.frame) + length
        lo, hi = max(begin, 0), min(end, num_samples)
        samples, _ = self.augmenter(recording.read(offset + lo, offset + hi), rng)
        if begin < lo or end > hi:  # Kaldi reflects the utterance at its edges
            samples = np.pad(samples, (lo - begin, end - hi), mode="symmetric")
        noise = None
        if self.frame.dither != 0.0:
            noise = gaussian_noise_range(
                num_frames_total * length, dither_rng(utt_id), first * length, last * length
            ).reshape(last - first, length)
        feats = self._compute(samples, self._span_feature, self.extra.vtln_warp, None, noise)
        if feats.shape[0] != last - first:  # internal: the span is cut to whole frames
            raise AssertionError(f"{utt_id}: {feats.shape[0]} frames computed for [{first}, {last})")
        return feats
