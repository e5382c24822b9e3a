"""Order-free per-utterance statistics of features, and a standardiser fitted on a training set.

For features x (T, D) the statistics are, per dimension and concatenated in this order
(4 * D values): the mean, the standard deviation (population, ddof 0), the standard deviation
of the first-order deltas, and the ``percentile``-th percentile (numpy's linear
interpolation). Deltas are Kaldi's (``add-deltas`` with ``--delta-window 2``): d_t =
sum_{n=1..2} n (x_{t+n} - x_{t-n}) / 10, with frames beyond the edges replaced by the first or
last frame. Shuffling the frames of an utterance changes only the delta block.

Features are read and prepared by ``kaldinn.data.FeatureDataset`` exactly as a network sees
them at inference: CMVN (speaker stats from cmvn.scp via utt2spk, per utterance, or none),
then VAD frame selection from vad.scp when asked (an utterance with no voiced frame is used
whole).

Example::

    dataset = open_features("data/lid_train", StatsOptions(cmvn="speaker", vad=True))
    x = np.stack([utterance_stats(dataset[i].feats) for i in range(len(dataset))])  # (N, 4 * D)
    z = Standardiser.fit(x).apply(x)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from kaldinn.errors import KaldinnError

STAT_NAMES = ("mean", "std", "delta_std", "percentile")
DELTA_WINDOW = 2
STD_FLOOR = 1.0e-8  # a constant dimension of the training set is left unscaled, not divided by 0


@dataclass(frozen=True)
class StatsOptions:
    """How features are prepared before the statistics (``kaldinn.data.FeatureOptions`` keys)."""

    cmvn: str = "speaker"  # speaker (cmvn.scp + utt2spk) | utterance | none
    norm_vars: bool = False
    vad: bool = False
    percentile: float = 90.0


def kaldi_deltas(feats: np.ndarray, window: int = DELTA_WINDOW) -> np.ndarray:
    """First-order deltas (T, D) as Kaldi's add-deltas computes them, edges replicated."""
    frames = len(feats)
    x = np.asarray(feats, dtype=np.float64)
    if frames == 0:
        return x.copy()
    norm = 2.0 * sum(n * n for n in range(1, window + 1))
    time = np.arange(frames)
    out = np.zeros_like(x)
    for n in range(1, window + 1):
        ahead = x[np.minimum(time + n, frames - 1)]
        behind = x[np.maximum(time - n, 0)]
        out += n * (ahead - behind)
    return out / norm


def utterance_stats(feats: np.ndarray, percentile: float = 90.0) -> np.ndarray:
    """float64 (4 * D,): mean, std, delta std and the ``percentile``-th percentile of (T, D) feats."""
    x = np.asarray(feats, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise KaldinnError(f"statistics need a (T, D) matrix with T >= 1, got shape {x.shape}")
    if not 0.0 <= percentile <= 100.0:
        raise KaldinnError(f"percentile must be in [0, 100], got {percentile}")
    return np.concatenate(
        [x.mean(axis=0), x.std(axis=0), kaldi_deltas(x).std(axis=0), np.percentile(x, percentile, axis=0)]
    )


def open_features(data_dir: str | os.PathLike, options: StatsOptions):
    """The data dir's utterances as a ``FeatureDataset`` prepared with ``options`` (no labels)."""
    from kaldinn.data.dataset import FeatureDataset, FeatureOptions

    feature_options = FeatureOptions(cmvn=options.cmvn, norm_vars=options.norm_vars, vad=options.vad)
    return FeatureDataset(data_dir, feature_options)


@dataclass(frozen=True)
class Standardiser:
    """z = (x - mean) / scale with the mean and standard deviation of a training matrix."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Standardiser:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or len(x) == 0:
            raise KaldinnError(f"standardisation needs a non-empty (N, D) matrix, got shape {x.shape}")
        std = x.std(axis=0)
        return cls(x.mean(axis=0), np.where(std > STD_FLOOR, std, 1.0))

    def apply(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.shape[-1] != len(self.mean):
            raise KaldinnError(
                f"statistics of dimension {x.shape[-1]} do not match the standardiser's {len(self.mean)}; "
                "were both sets made from the same features?"
            )
        return (x - self.mean) / self.scale
