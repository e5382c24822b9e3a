"""Cosine scoring, mean-of-normalised enrolment, trial lists, calibrated cosine module."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kaldinn.backend.cosine import calibrate, cosine_score_matrix, enroll_mean, length_normalise, score_trials
from kaldinn.backend.quadratic import CalibratedCosine
from kaldinn.errors import KaldinnError


def test_cosine_scores_are_scale_invariant_and_bounded():
    rng = np.random.default_rng(0)
    e, t = rng.normal(size=(3, 8)), rng.normal(size=(4, 8))
    s = cosine_score_matrix(e, t)
    np.testing.assert_allclose(s, cosine_score_matrix(5 * e, 0.1 * t))
    assert np.all(np.abs(s) <= 1 + 1e-12)
    np.testing.assert_allclose(np.linalg.norm(length_normalise(e, to_sqrt_dim=True), axis=1), np.sqrt(8))


def test_multi_session_enrolment_is_mean_of_normalised_embeddings():
    a, b = np.array([[10.0, 0.0]]), np.array([[0.0, 1.0]])
    model = enroll_mean([np.concatenate([a, b])])
    np.testing.assert_allclose(model, [[0.5, 0.5]])  # not dominated by the long vector


def test_score_trials_follows_pairs_and_names_a_missing_embedding():
    enroll = {"spkA": np.array([1.0, 0.0]), "spkB": np.array([0.0, 2.0])}
    test = {"u1": np.array([1.0, 1.0]), "u2": np.array([-3.0, 0.0])}
    s = score_trials(enroll, test, [("spkA", "u2"), ("spkB", "u1")], chunk=1)
    np.testing.assert_allclose(s, [-1.0, 1 / np.sqrt(2)])
    with pytest.raises(KaldinnError, match="trial 'spkA u9': no test embedding"):
        score_trials(enroll, test, [("spkA", "u9")])


def test_calibration_and_trainable_calibrated_cosine_agree():
    x = torch.randn(5, 6, dtype=torch.float64)
    module = CalibratedCosine(scale=4.0, offset=-1.5).double()
    cos = cosine_score_matrix(x.numpy(), x.numpy())
    np.testing.assert_allclose(module(x).detach().numpy(), calibrate(cos, 4.0, -1.5), rtol=1e-6)
    np.testing.assert_allclose(
        module.score_pairs(x, x.flip(0)).detach().numpy(),
        np.diag(calibrate(cos, 4.0, -1.5)[:, ::-1]),
        rtol=1e-6,
    )
    with pytest.raises(KaldinnError):
        calibrate(cos, -1.0, 0.0)
