"""Score normalisation with a cohort: z-norm, t-norm, s-norm and adaptive s-norm.

For a trial (e, t) with raw score s, let (mu_e, sd_e) be the mean and standard deviation
of e's scores against the cohort and (mu_t, sd_t) those of t:
z-norm (s - mu_e)/sd_e; t-norm (s - mu_t)/sd_t; s-norm the average of the two;
adaptive s-norm (``"as"``) is s-norm with each side's statistics taken over its top-K
highest cohort scores only. The cohort is usually the training speakers' means
(:func:`speaker_mean_cohort`).

Example::

    import numpy as np
    from kaldinn.backend.cosine import cosine_score_matrix
    from kaldinn.backend.score_norm import cohort_stats, normalise_scores
    e_stats = cohort_stats(cosine_score_matrix(enroll, cohort), top_k=200)
    t_stats = cohort_stats(cosine_score_matrix(test, cohort), top_k=200)
    normed = normalise_scores(raw, e_idx, t_idx, e_stats, t_stats, method="as")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kaldinn.backend.cosine import length_normalise
from kaldinn.errors import ConfigError

METHODS = ("none", "z", "t", "s", "as")


@dataclass(frozen=True)
class CohortStats:
    """Per-side mean and standard deviation of scores against the cohort, shape (m,)."""

    mean: np.ndarray
    std: np.ndarray
    top_k: int | None


def speaker_mean_cohort(embeddings: np.ndarray, spk: Sequence) -> np.ndarray:
    """One cohort entry per training speaker: mean of its length-normalised embeddings (S, D)."""
    _, codes = np.unique(np.asarray(spk), return_inverse=True)
    x = length_normalise(embeddings)
    sums = np.zeros((int(codes.max()) + 1, x.shape[1]))
    np.add.at(sums, codes, x)
    return sums / np.bincount(codes)[:, None]


def cohort_stats(side_vs_cohort: np.ndarray, top_k: int | None = None) -> CohortStats:
    """Statistics of each row of an (m, C) score matrix, over its top-K scores if ``top_k``."""
    scores = np.asarray(side_vs_cohort, dtype=np.float64)
    n_cohort = scores.shape[1]
    if n_cohort < 2:
        raise ConfigError(f"a score-normalisation cohort needs at least 2 entries, got {n_cohort}")
    if top_k is not None:
        if not 2 <= top_k <= n_cohort:
            raise ConfigError(f"top_k={top_k} must be between 2 and the cohort size {n_cohort}")
        scores = np.partition(scores, n_cohort - top_k, axis=1)[:, n_cohort - top_k :]
    std = scores.std(axis=1)
    return CohortStats(scores.mean(axis=1), np.maximum(std, 1e-12), top_k)


def normalise_scores(
    scores: np.ndarray,
    enroll_idx: np.ndarray,
    test_idx: np.ndarray,
    enroll_stats: CohortStats | None,
    test_stats: CohortStats | None,
    method: str = "s",
) -> np.ndarray:
    """Normalised trial scores; ``*_idx`` map each trial to its row of the side statistics."""
    if method not in METHODS:
        raise ConfigError(f"unknown score normalisation {method!r}; choose one of {', '.join(METHODS)}")
    s = np.asarray(scores, dtype=np.float64)
    if method == "none":
        return s.copy()
    needs_enroll = method in ("z", "s", "as")
    needs_test = method in ("t", "s", "as")
    if (needs_enroll and enroll_stats is None) or (needs_test and test_stats is None):
        raise ConfigError(f"{method}-norm needs cohort statistics for both sides it normalises")
    for stats in (enroll_stats, test_stats):
        if method == "as" and stats is not None and stats.top_k is None:
            raise ConfigError("adaptive s-norm needs cohort statistics computed with top_k")
    z = (s - enroll_stats.mean[enroll_idx]) / enroll_stats.std[enroll_idx] if needs_enroll else None
    t = (s - test_stats.mean[test_idx]) / test_stats.std[test_idx] if needs_test else None
    if method == "z":
        return z
    if method == "t":
        return t
    return 0.5 * (z + t)
