"""ROC convex hull and the optimal monotone (PAV) calibration it implies.

The ROC is described here by cumulative masses in ascending score order: ``x`` is the
non-target mass at or below a threshold, ``y`` the target mass at or below it (both start
at 0 for the accept-all threshold and are non-decreasing). The ROC convex hull (ROCCH) is
the lower convex hull of these points. Pool-adjacent-violators (PAV) on the labels sorted
by score yields exactly the hull's segments: each segment is one PAV block, and its
optimal log-likelihood ratio is log((dy / Y) / (dx / X)) (Brummer & du Preez). Tied scores
are never split: they form one ROC point, hence lie inside one block.

Example::

    import numpy as np
    from kaldinn.metrics.pav import lower_convex_hull, optimal_llr
    hull = lower_convex_hull(np.array([0, 1, 1, 3.]), np.array([0, 0, 2, 2.]))  # -> [0, 1, 3]
    llr = optimal_llr(np.array([0.1, 0.2, 0.9]), np.array([False, True, True]))
"""

from __future__ import annotations

import numpy as np


def _prune_pass(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Drop every interior point lying on or above the chord joining its two neighbours."""
    a, b, c = idx[:-2], idx[1:-1], idx[2:]
    cross = (x[b] - x[a]) * (y[c] - y[a]) - (y[b] - y[a]) * (x[c] - x[a])
    keep = cross > 0
    if keep.all():
        return idx
    return np.concatenate([idx[:1], b[keep], idx[-1:]])


def _monotone_chain(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Andrew's monotone chain (lower hull) over points already sorted by (x, y)."""
    hull: list[int] = []
    for k in idx.tolist():
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (x[b] - x[a]) * (y[k] - y[a]) - (y[b] - y[a]) * (x[k] - x[a]) > 0:
                break
            hull.pop()
        hull.append(k)
    return np.asarray(hull, dtype=np.int64)


def lower_convex_hull(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the lower convex hull vertices of points sorted by non-decreasing x and y.

    Vectorised pruning removes points that cannot be vertices (each pass is one numpy
    sweep); when a pass stops shrinking the set much, a monotone chain finishes exactly.
    Collinear interior points are not vertices. The first and last points always are.
    """
    idx = np.arange(len(x), dtype=np.int64)
    while len(idx) > 2:
        pruned = _prune_pass(x, y, idx)
        if len(pruned) == len(idx):
            return pruned
        shrunk_little = len(pruned) > 0.9 * len(idx)
        idx = pruned
        if shrunk_little:
            break
    if len(idx) <= 2:
        return idx
    return _monotone_chain(x, y, idx)


def hull_block_llrs(x: np.ndarray, y: np.ndarray, hull: np.ndarray) -> np.ndarray:
    """Optimal LLR of each hull segment: log((dy/Y)/(dx/X)); +-inf where one side is empty."""
    dx = np.diff(x[hull]) / x[-1]
    dy = np.diff(y[hull]) / y[-1]
    with np.errstate(divide="ignore"):
        return np.log(dy) - np.log(dx)


def optimal_llr(scores: np.ndarray, is_target: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-trial LLRs of the optimal monotone calibration (PAV with tied scores pooled).

    Trials in a block without non-targets get +inf, without targets -inf; the result is
    a non-decreasing function of the score that maps equal scores to equal values.
    """
    scores = np.asarray(scores, dtype=np.float64)
    is_target = np.asarray(is_target, dtype=bool)
    w = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=np.float64)
    order = np.argsort(scores, kind="stable")
    s = scores[order]
    last = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    y = np.r_[0.0, np.cumsum(np.where(is_target[order], w[order], 0.0))[last]]
    x = np.r_[0.0, np.cumsum(np.where(is_target[order], 0.0, w[order]))[last]]
    hull = lower_convex_hull(x, y)
    block_llr = hull_block_llrs(x, y, hull)
    # ROC point p (1-based distinct score index) belongs to the segment ending at the
    # first hull vertex >= p.
    point_block = np.searchsorted(hull, np.arange(1, len(last) + 1), side="left") - 1
    group_of_trial = np.cumsum(np.r_[0, s[1:] != s[:-1]])
    out = np.empty(len(scores))
    out[order] = block_llr[point_block[group_of_trial]]
    return out
