"""Clip-level detection metrics: ROC curve, ROC AUC (ties count one half), bootstrap interval.

AUC is the Mann-Whitney statistic: the probability that a random positive clip scores
above a random negative one, a tie counting 1/2. It equals the rank-sum form with mid-ranks,
(R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg), and the trapezoidal area under the ROC
curve whose points are the thresholds at the distinct scores (a tie group is one diagonal
step). With clip weights w (bootstrap multiplicities) every pair counts w_i w_j.

The 95% interval resamples the independent units (``utt2spk``: recording sites or
speakers) with replacement, each bringing all its clips with its multiplicity, and takes
the percentile interval of the replicate AUCs; replicates without a positive or a
negative clip are dropped. Draws come from :mod:`kaldinn.metrics.bootstrap`.

Example::

    auc = roc_auc([0.9, 0.2, 0.5, 0.5], [1, 0, 1, 0])      # (1 + 1 + 0.5 + 1) / 4 = 0.875
    ci = auc_bootstrap(scores, labels, units, replications=1000, seed=0)
"""

from __future__ import annotations

import io
import os

import numpy as np

from kaldinn.errors import KaldinnError
from kaldinn.io.atomic import atomic_write
from kaldinn.metrics.bootstrap import SV_REPLICATIONS, Interval, _draws, _multiplicities, percentile_interval


class _TieGroups:
    """Scores sorted once: each clip's tie group (ascending) and its class."""

    def __init__(self, scores, labels):
        s = np.asarray(scores, dtype=np.float64).ravel()
        y = np.asarray(labels).ravel()
        if s.shape != y.shape:
            raise KaldinnError(f"{len(s)} scores but {len(y)} labels")
        if not np.all(np.isfinite(s)):
            raise KaldinnError("scores must be finite (found NaN or infinity)")
        if not np.isin(y, (0, 1, False, True)).all():
            raise KaldinnError("labels must be 0/1 (negative/positive)")
        self.positive = y.astype(bool)
        if self.positive.all() or not self.positive.any():
            raise KaldinnError(
                f"AUC needs positive and negative clips; got {int(self.positive.sum())} positive of {len(y)}"
            )
        order = np.argsort(s, kind="stable")
        sorted_s = s[order]
        starts = np.flatnonzero(np.r_[True, sorted_s[1:] != sorted_s[:-1]])
        self.group = np.empty(len(s), dtype=np.int64)
        self.group[order] = np.cumsum(np.r_[0, sorted_s[1:] != sorted_s[:-1]])
        self.thresholds = sorted_s[starts]  # ascending distinct scores
        self.n_groups = len(starts)

    def weighted_auc(self, weights: np.ndarray) -> np.ndarray:
        """(rows,) AUC under (rows, clips) weights; NaN where a row lacks a class."""
        w = np.atleast_2d(weights).astype(np.float64)
        pos = self._group_sums(w * self.positive)  # (rows, groups)
        neg = self._group_sums(w * ~self.positive)
        below = np.cumsum(neg, axis=1) - neg  # negative weight strictly below each group
        with np.errstate(invalid="ignore", divide="ignore"):
            return (pos * (below + 0.5 * neg)).sum(1) / (pos.sum(1) * neg.sum(1))

    def _group_sums(self, w: np.ndarray) -> np.ndarray:
        index = self.group[None, :] + self.n_groups * np.arange(len(w))[:, None]  # (rows, clips)
        sums = np.bincount(index.ravel(), weights=w.ravel(), minlength=len(w) * self.n_groups)
        return sums.reshape(len(w), self.n_groups)


def roc_auc(scores, labels, weights=None) -> float:
    """Area under the ROC curve, ties counting 1/2 (labels 1 = positive); optional clip weights."""
    groups = _TieGroups(scores, labels)
    w = np.ones(len(groups.group)) if weights is None else np.asarray(weights, dtype=np.float64)
    return float(groups.weighted_auc(w)[0])


def roc_curve(scores, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(false positive rates, true positive rates, thresholds): accepting score >= threshold,
    thresholds descending, starting at (0, 0) with threshold +inf."""
    groups = _TieGroups(scores, labels)
    pos = np.bincount(groups.group, weights=groups.positive, minlength=groups.n_groups)[::-1]
    neg = np.bincount(groups.group, weights=~groups.positive, minlength=groups.n_groups)[::-1]
    tpr = np.r_[0.0, np.cumsum(pos)] / pos.sum()
    fpr = np.r_[0.0, np.cumsum(neg)] / neg.sum()
    return fpr, tpr, np.r_[np.inf, groups.thresholds[::-1]]


def auc_bootstrap(scores, labels, units, replications: int = SV_REPLICATIONS, seed: int = 0) -> Interval:
    """AUC with a 95% percentile interval over resampled ``units`` (one unit id per clip)."""
    groups = _TieGroups(scores, labels)
    names, unit_of = np.unique(np.asarray(units), return_inverse=True)
    if len(unit_of) != len(groups.group):
        raise KaldinnError(f"{len(unit_of)} units for {len(groups.group)} clips")
    rng = np.random.default_rng(seed)
    reps = []
    for draws in _draws(len(names), replications, rng, len(unit_of)):
        mult = _multiplicities(draws, len(names))  # (rows, units)
        reps.append(groups.weighted_auc(mult[:, unit_of]))
    point = float(groups.weighted_auc(np.ones(len(unit_of)))[0])
    return percentile_interval(point, np.concatenate(reps))


def write_roc_png(
    curves: list[tuple[str, np.ndarray, np.ndarray]], path: str | os.PathLike, title: str
) -> None:
    """ROC curves ``(label, fpr, tpr)`` on one figure, written atomically as png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    for label, fpr, tpr in curves:
        ax.plot(fpr, tpr, drawstyle="default", label=label)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="chance")
    ax.set(
        xlabel="false positive rate", ylabel="true positive rate", title=title, xlim=(0, 1), ylim=(0, 1.01)
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    with atomic_write(path, "wb") as f:
        f.write(buf.getvalue())
