"""Kaldi's ``add-deltas``: features with their delta and delta-delta coefficients appended.

The order-k filter is the order-(k-1) filter convolved with the window filter
``n / (2 * sum_{m=1..w} m^2)``, n = -w..w (Kaldi's ``DeltaFeatures``), applied to the
original frames with indices clamped at the edges (the first and last frames repeat).

Example::

    feats39 = add_deltas(mfcc13)            # order 2, window 2: (T, 13) -> (T, 39)
"""

from __future__ import annotations

import numpy as np


def delta_filters(order: int = 2, window: int = 2) -> list[np.ndarray]:
    """Filter taps of each order (order 0 is [1]); order k has 2 * k * window + 1 taps."""
    norm = 2.0 * sum(m * m for m in range(1, window + 1))
    filters = [np.ones(1)]
    for _ in range(order):
        prev = filters[-1]
        cur = np.zeros(len(prev) + 2 * window)
        for j in range(-window, window + 1):
            cur[j + window : j + window + len(prev)] += j * prev / norm
        filters.append(cur)
    return filters


def add_deltas(feats: np.ndarray, order: int = 2, window: int = 2) -> np.ndarray:
    """(T, D) -> (T, D * (order + 1)) float32, as ``add-deltas --delta-order --delta-window``."""
    x = np.asarray(feats, dtype=np.float64)
    frames = len(x)
    blocks = []
    for taps in delta_filters(order, window):
        half = len(taps) // 2
        out = np.zeros_like(x)
        for k, tap in enumerate(taps):
            if tap != 0.0:
                out += tap * x[np.clip(np.arange(frames) + k - half, 0, max(frames - 1, 0))]
        blocks.append(out)
    return np.concatenate(blocks, axis=1).astype(np.float32)
