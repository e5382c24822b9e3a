"""Per-utterance feature transforms: CMVN, VAD frame selection, random chunks, SpecAugment.

All work on numpy float32 matrices (T, D) and take an explicit ``numpy.random.Generator``,
so a dataset item is reproducible from (seed, epoch, index) whichever worker computes it.

Example::

    rng = np.random.default_rng([777, 1, 42])
    feats = normalise_utterance(select_voiced(feats, vad), norm_vars=False)
    start, end = random_chunk(len(feats), 300, rng)
    feats = spec_augment(feats[start:end], SpecAugment(freq_masks=2, time_masks=2), rng)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kaldinn.errors import DataDirError

VARIANCE_FLOOR = 1.0e-10


def voiced_mask(vad: np.ndarray, utt_id: str, num_frames: int) -> np.ndarray:
    """Boolean mask of the voiced frames of a vad.scp vector (values 0/1)."""
    if vad.ndim != 1 or vad.shape[0] != num_frames:
        raise DataDirError(
            f"utterance {utt_id}: vad.scp has {vad.shape[0]} frames but feats.scp has {num_frames}; "
            "recompute VAD with steps/compute_vad.py"
        )
    return vad > 0.5


def select_voiced(feats: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The rows of ``feats`` where ``mask`` is true (Kaldi's select-voiced-frames)."""
    return feats[mask]


def normalise_utterance(feats: np.ndarray, norm_vars: bool = False) -> np.ndarray:
    """Subtract the utterance mean (and divide by its standard deviation with ``norm_vars``)."""
    if len(feats) == 0:
        return feats
    x = feats.astype(np.float64)
    mean = x.mean(axis=0)
    if not norm_vars:
        return (x - mean).astype(np.float32)
    std = np.sqrt(np.maximum(x.var(axis=0), VARIANCE_FLOOR))
    return ((x - mean) / std).astype(np.float32)


def random_chunk(num_frames: int, chunk_frames: int, rng: np.random.Generator) -> tuple[int, int]:
    """A random window ``[start, end)`` of ``chunk_frames`` (the whole when shorter or 0)."""
    if chunk_frames <= 0 or num_frames <= chunk_frames:
        return 0, num_frames
    start = int(rng.integers(0, num_frames - chunk_frames + 1))
    return start, start + chunk_frames


@dataclass(frozen=True)
class SpecAugment:
    """Masks of SpecAugment (Park et al., 2019) without time warping.

    ``freq_masks`` bands of up to ``freq_width`` bins and ``time_masks`` spans of up to
    ``time_width`` frames (never more than ``max_time_ratio`` of the utterance each) are
    set to the utterance mean, which is 0 after mean normalisation.
    """

    freq_masks: int = 2
    freq_width: int = 8
    time_masks: int = 2
    time_width: int = 20
    max_time_ratio: float = 0.2

    @property
    def active(self) -> bool:
        return (self.freq_masks > 0 and self.freq_width > 0) or (self.time_masks > 0 and self.time_width > 0)


def spec_augment(feats: np.ndarray, opts: SpecAugment, rng: np.random.Generator) -> np.ndarray:
    """A masked copy of ``feats`` (T, D)."""
    out = np.array(feats, dtype=np.float32, copy=True)
    frames, dim = out.shape
    if frames == 0:
        return out
    fill = out.mean(axis=0)
    for _ in range(opts.freq_masks):
        width = int(rng.integers(0, min(opts.freq_width, dim) + 1))
        start = int(rng.integers(0, dim - width + 1))
        out[:, start : start + width] = fill[start : start + width]
    max_time = min(opts.time_width, int(frames * opts.max_time_ratio))
    for _ in range(opts.time_masks):
        width = int(rng.integers(0, max_time + 1))
        start = int(rng.integers(0, frames - width + 1))
        out[start : start + width] = fill
    return out
