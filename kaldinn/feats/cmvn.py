"""Cepstral mean and variance normalisation with Kaldi's stats layout.

Stats are a ``2 x (D+1)`` float64 matrix: row 0 holds the per-dimension sums and the frame
count in column D; row 1 holds the sums of squares (column D is 0). This is what
``compute-cmvn-stats`` writes to cmvn.scp and ``apply-cmvn`` reads.

Example::

    stats = accumulate_cmvn_stats([feats_utt1, feats_utt2])   # one speaker
    normalised = apply_cmvn(feats_utt1, stats, norm_vars=True)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import numpy as np

from kaldinn.errors import KaldinnError

VARIANCE_FLOOR = 1.0e-20


def init_cmvn_stats(dim: int) -> np.ndarray:
    """Zero stats for ``dim``-dimensional features."""
    return np.zeros((2, dim + 1), dtype=np.float64)


def add_cmvn_stats(stats: np.ndarray, feats: np.ndarray, weights: np.ndarray | None = None) -> None:
    """Add the frames of ``feats`` (T x D), optionally weighted per frame, to ``stats`` in place."""
    dim = stats.shape[1] - 1
    if feats.ndim != 2 or feats.shape[1] != dim:
        raise KaldinnError(f"feature dimension {feats.shape[-1]} does not match CMVN stats dimension {dim}")
    x = feats.astype(np.float64, copy=False)
    if weights is None:
        stats[0, :dim] += x.sum(axis=0)
        stats[1, :dim] += np.einsum("ij,ij->j", x, x)
        stats[0, dim] += x.shape[0]
    else:
        w = np.asarray(weights, dtype=np.float64)
        stats[0, :dim] += w @ x
        stats[1, :dim] += w @ (x * x)
        stats[0, dim] += w.sum()


def accumulate_cmvn_stats(feats_list: Iterable[np.ndarray]) -> np.ndarray:
    """Stats over every matrix in ``feats_list`` (all with the same dimension; at least one)."""
    stats = None
    for feats in feats_list:
        if stats is None:
            stats = init_cmvn_stats(feats.shape[1])
        add_cmvn_stats(stats, feats)
    if stats is None:
        raise KaldinnError("no features to accumulate CMVN stats from")
    return stats


def apply_cmvn(
    feats: np.ndarray, stats: np.ndarray, norm_vars: bool = False, norm_means: bool = True
) -> np.ndarray:
    """Normalise ``feats`` with ``stats`` as Kaldi's apply-cmvn (float32 out).

    Means are subtracted; with ``norm_vars`` the result is scaled to unit variance, the
    variance being floored at 1e-20 with a warning, as in Kaldi.
    """
    dim = stats.shape[1] - 1
    if stats.shape[0] != 2 or feats.shape[1] != dim:
        raise KaldinnError(
            f"CMVN stats of shape {stats.shape} do not match features of dimension {feats.shape[1]}"
        )
    count = stats[0, dim]
    if count < 1.0:
        raise KaldinnError(
            f"insufficient stats for cepstral mean and variance normalization: count = {count}"
        )
    if not norm_means:
        if norm_vars:
            raise KaldinnError(
                "variance normalisation without mean normalisation is not supported (as in Kaldi)"
            )
        return feats.astype(np.float32, copy=True)
    mean = stats[0, :dim] / count
    if not norm_vars:
        return (feats - mean).astype(np.float32)
    var = stats[1, :dim] / count - mean * mean
    if np.any(var < VARIANCE_FLOOR):
        print(f"WARNING: flooring cepstral variance to {VARIANCE_FLOOR}", file=sys.stderr)
        var = np.maximum(var, VARIANCE_FLOOR)
    scale = 1.0 / np.sqrt(var)
    return (feats * scale - mean * scale).astype(np.float32)
