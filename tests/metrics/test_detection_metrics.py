"""ROC AUC with ties (against brute-force pair counts and the mid-rank statistic), the ROC
curve, weighted AUC and the unit bootstrap interval."""

import itertools

import numpy as np
import pytest

from kaldinn.errors import KaldinnError
from kaldinn.metrics.detection import auc_bootstrap, roc_auc, roc_curve


def pair_count_auc(scores, labels) -> float:
    """Every (positive, negative) pair: 1 if the positive scores higher, 1/2 on a tie."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def mid_rank_auc(scores, labels) -> float:
    """Mann-Whitney U from mid-ranks: (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    ranks = np.empty(len(s))
    for value in np.unique(s):
        idx = np.flatnonzero(s == value)
        below = np.sum(s < value)
        ranks[idx] = below + (len(idx) + 1) / 2  # ranks below+1 .. below+len, averaged
    n_pos, n_neg = y.sum(), (~y).sum()
    return (ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def test_hand_computed_case_with_a_tie():
    assert roc_auc([0.9, 0.2, 0.5, 0.5], [1, 0, 1, 0]) == pytest.approx(3.5 / 4)
    assert roc_auc([1, 1, 1, 1], [1, 0, 1, 0]) == 0.5  # all tied: chance, not 0 or 1
    assert roc_auc([3, 2, 1], [1, 1, 0]) == 1.0 and roc_auc([1, 2, 3], [1, 1, 0]) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_auc_equals_pair_counts_and_the_mid_rank_statistic_with_many_ties(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 60)
    labels[:2] = [0, 1]
    scores = rng.integers(0, 6, 60) + labels  # integer scores: many ties across the classes
    auc = roc_auc(scores, labels)
    assert auc == pytest.approx(pair_count_auc(scores, labels), abs=1e-12)
    assert auc == pytest.approx(mid_rank_auc(scores, labels), abs=1e-12)


def test_roc_curve_area_is_the_auc_and_it_ignores_order():
    rng = np.random.default_rng(3)
    labels = np.r_[np.ones(30), np.zeros(40)]
    scores = np.round(rng.normal(size=70) + labels, 1)
    fpr, tpr, thresholds = roc_curve(scores, labels)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1 and np.all(np.diff(thresholds) < 0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc(scores, labels))
    perm = rng.permutation(70)
    assert roc_auc(scores[perm], labels[perm]) == roc_auc(scores, labels)


def test_integer_weights_equal_repeated_clips():
    scores, labels, weights = [0.3, 0.7, 0.7, 0.1, 0.9], [1, 0, 1, 0, 1], [2, 1, 3, 1, 2]
    repeated = [(s, y) for s, y, w in zip(scores, labels, weights, strict=True) for _ in range(w)]
    expected = pair_count_auc(*zip(*repeated, strict=True))
    assert roc_auc(scores, labels, weights) == pytest.approx(expected)


def test_bootstrap_interval_resamples_units_reproducibly():
    rng = np.random.default_rng(0)
    labels = np.tile([0, 1], 100)
    scores = rng.normal(size=200) + labels
    units = np.repeat(np.arange(20), 10)
    ci = auc_bootstrap(scores, labels, units, replications=500, seed=1)
    assert ci.point == pytest.approx(roc_auc(scores, labels))
    assert ci.low < ci.point < ci.high and ci.replications == 500
    assert auc_bootstrap(scores, labels, units, replications=500, seed=1) == ci
    perfect = auc_bootstrap(labels + 0.0, labels, units, replications=100)
    assert perfect.low == perfect.high == 1.0


def test_one_class_and_bad_input_are_errors():
    with pytest.raises(KaldinnError, match="positive and negative"):
        roc_auc([0.1, 0.2], [1, 1])
    with pytest.raises(KaldinnError, match="0/1"):
        roc_auc([0.1, 0.2], [1, 2])
    with pytest.raises(KaldinnError, match="finite"):
        roc_auc([0.1, np.nan], [1, 0])
    with pytest.raises(KaldinnError, match="2 scores but 3 labels"):
        roc_auc([0.1, 0.2], [1, 0, 1])
