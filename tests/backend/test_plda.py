"""PLDA: quadratic form vs brute-force Gaussians, n-aware multi-session, EM, LDA, torch init."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kaldinn.backend.plda import PLDA, PLDABackend, train_lda, train_plda
from kaldinn.backend.quadratic import QuadraticBackend
from kaldinn.losses.verification import batch_verification_loss


def log_gauss(x, mean, cov):
    d = x - mean
    return -0.5 * (d @ np.linalg.solve(cov, d) + np.linalg.slogdet(cov)[1] + len(x) * np.log(2 * np.pi))


def random_plda(d=4, seed=0):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    return PLDA(rng.normal(size=d), a @ a.T + 0.5 * np.eye(d), b @ b.T + 0.5 * np.eye(d)), rng


def joint_llr(plda, enroll, x):
    """log p(enroll..., x | same speaker) - log p(enroll...) - log p(x), by full covariances."""
    n, d = len(enroll) + 1, len(x)
    cov = np.kron(np.eye(n), plda.sw) + np.kron(np.ones((n, n)), plda.sb)
    stacked = np.concatenate([*enroll, x])
    t = plda.sb + plda.sw
    marg = log_gauss(stacked[:-d], np.tile(plda.mu, n - 1), cov[:-d, :-d]) + log_gauss(x, plda.mu, t)
    return log_gauss(stacked, np.tile(plda.mu, n), cov) - marg


def test_quadratic_form_equals_brute_force_gaussian_llr():
    plda, rng = random_plda()
    big_l, g, c, k = plda.quadratic_form()
    for _ in range(5):
        x1, x2 = rng.normal(size=4) * 2, rng.normal(size=4) * 2
        s = x1 @ big_l @ x2 + x1 @ g @ x1 + x2 @ g @ x2 + c @ (x1 + x2) + k
        assert s == pytest.approx(joint_llr(plda, [x1], x2), rel=1e-9)
    assert np.allclose(big_l, big_l.T) and np.allclose(g, g.T)


def test_n_aware_multi_session_llr_matches_joint_gaussian_and_differs_from_averaging():
    plda, rng = random_plda(seed=1)
    sessions = [rng.normal(size=(n, 4)) for n in (1, 2, 3, 5)]
    test = rng.normal(size=(3, 4))
    scores = plda.llr_matrix(np.stack([s.sum(0) for s in sessions]), np.array([1, 2, 3, 5]), test)
    for e, sess in enumerate(sessions):
        for t in range(3):
            assert scores[e, t] == pytest.approx(joint_llr(plda, list(sess), test[t]), rel=1e-9)
    averaged = plda.llr_matrix(np.stack([s.mean(0) for s in sessions]), np.ones(4, dtype=int), test)
    assert not np.allclose(scores[1:], averaged[1:], atol=1e-3)
    np.testing.assert_allclose(scores[0], averaged[0])


def synthetic(n_spk=60, per_spk=6, d=5, seed=2):
    rng = np.random.default_rng(seed)
    spk = np.repeat(np.arange(n_spk), per_spk)
    y = rng.normal(size=(n_spk, d)) * 2.0
    return y[spk] + rng.normal(size=(len(spk), d)) * 0.7 + 3.0, spk


def test_em_raises_likelihood_and_recovers_covariances():
    x, spk = synthetic(n_spk=200)
    lls = [train_plda(x, spk, n_iter=n).log_likelihood(x, spk) for n in (0, 1, 3)]
    assert lls[0] <= lls[1] <= lls[2]
    plda = train_plda(x, spk, n_iter=10)
    np.testing.assert_allclose(np.diag(plda.sb), 4.0, rtol=0.35)
    np.testing.assert_allclose(np.diag(plda.sw), 0.49, rtol=0.15)


def test_lda_whitens_within_class_covariance():
    x, spk = synthetic()
    w = train_lda(x - x.mean(0), spk, 3)
    y = x @ w.T
    means = np.stack([y[spk == s].mean(0) for s in np.unique(spk)])
    within = np.cov((y - means[spk]).T, bias=True)
    np.testing.assert_allclose(within, np.eye(3), atol=1e-8)


def test_plda_backend_separates_speakers_and_quadratic_module_reproduces_it():
    x, spk = synthetic()
    backend = PLDABackend.fit(x, spk, lda_dim=4, n_iter=5)
    scores = backend.score_matrix(x[:12], x[:12])
    same = spk[:12, None] == spk[None, :12]
    assert scores[same].mean() > scores[~same].mean() + 3
    module = QuadraticBackend.from_plda(backend, dtype=torch.float64)
    torch_scores = module(torch.as_tensor(x[:12])).detach().numpy()
    np.testing.assert_allclose(torch_scores, scores, rtol=1e-8, atol=1e-8)
    pairs = module.score_pairs(torch.as_tensor(x[:6]), torch.as_tensor(x[6:12])).detach().numpy()
    np.testing.assert_allclose(pairs, np.diag(scores[:6, 6:12]), rtol=1e-8, atol=1e-8)


def test_one_training_step_lowers_the_verification_loss():
    x, spk = synthetic(n_spk=8, per_spk=4)
    module = QuadraticBackend(dim=5)
    feats, labels = torch.as_tensor(x, dtype=torch.float32) - 3.0, torch.as_tensor(spk)
    opt = torch.optim.SGD(module.parameters(), lr=0.01)
    before = batch_verification_loss(module(feats), labels)
    before.backward()
    opt.step()
    after = batch_verification_loss(module(feats), labels)
    assert after.item() < before.item()
