"""Score normalisation: z/t/s-norm by hand, AS-norm top-K, speaker-mean cohort."""

from __future__ import annotations

import numpy as np
import pytest

from kaldinn.backend.score_norm import cohort_stats, normalise_scores, speaker_mean_cohort
from kaldinn.errors import ConfigError

ENROLL_COHORT = np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 1.0, 3.0, 3.0]])
TEST_COHORT = np.array([[2.0, 2.0, 4.0, 4.0]])


def test_z_t_and_s_norm_by_hand():
    e, t = cohort_stats(ENROLL_COHORT), cohort_stats(TEST_COHORT)
    raw, ei, ti = np.array([4.0, 4.0]), np.array([0, 1]), np.array([0, 0])
    z = normalise_scores(raw, ei, ti, e, t, "z")
    np.testing.assert_allclose(z, [(4 - 1.5) / np.sqrt(1.25), (4 - 2) / 1.0])
    tn = normalise_scores(raw, ei, ti, e, t, "t")
    np.testing.assert_allclose(tn, [1.0, 1.0])
    np.testing.assert_allclose(normalise_scores(raw, ei, ti, e, t, "s"), (z + tn) / 2)


def test_adaptive_snorm_uses_top_k_and_equals_snorm_with_whole_cohort():
    e_top = cohort_stats(ENROLL_COHORT, top_k=2)
    np.testing.assert_allclose(e_top.mean, [2.5, 3.0])
    e_all, t_all = cohort_stats(ENROLL_COHORT, top_k=4), cohort_stats(TEST_COHORT, top_k=4)
    raw, ei, ti = np.array([4.0]), np.array([0]), np.array([0])
    s = normalise_scores(raw, ei, ti, cohort_stats(ENROLL_COHORT), cohort_stats(TEST_COHORT), "s")
    np.testing.assert_allclose(normalise_scores(raw, ei, ti, e_all, t_all, "as"), s)


def test_speaker_mean_cohort_and_errors():
    emb = np.array([[2.0, 0.0], [0.0, 5.0], [1.0, 1.0]])
    cohort = speaker_mean_cohort(emb, ["b", "b", "a"])
    np.testing.assert_allclose(cohort, [[1 / np.sqrt(2)] * 2, [0.5, 0.5]])
    with pytest.raises(ConfigError, match="top_k"):
        cohort_stats(ENROLL_COHORT, top_k=10)
    with pytest.raises(ConfigError, match="adaptive s-norm needs"):
        normalise_scores(np.zeros(1), [0], [0], cohort_stats(ENROLL_COHORT), cohort_stats(TEST_COHORT), "as")
    with pytest.raises(ConfigError, match="unknown score normalisation"):
        normalise_scores(np.zeros(1), [0], [0], None, None, "q")
