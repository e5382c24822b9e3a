"""Two-covariance PLDA trained by EM, with LDA and length normalisation in front.

Model: speaker y ~ N(mu, Sb), embedding x = y + noise N(0, Sw); T = Sb + Sw. The
verification LLR of a pair is exactly the quadratic form
s = x1' L x2 + x1' G x1 + x2' G x2 + c'(x1 + x2) + k with M = T - Sb T^-1 Sb,
Q = T^-1 - M^-1, P = T^-1 Sb M^-1: L = P, G = Q/2, c = -(Q + P) mu,
k = 1/2 log|T| - 1/2 log|M| + mu'(Q + P) mu.
Multi-session enrolment (n-aware): with n enrolment embeddings, y | X ~ N(m_n, C_n),
C_n = (Sb^-1 + n Sw^-1)^-1, m_n = C_n (Sb^-1 mu + Sw^-1 sum x), and
LLR = log N(x; m_n, C_n + Sw) - log N(x; mu, T). Averaging the sessions and scoring them
as one is not equivalent.

Example::

    from kaldinn.backend.plda import PLDABackend
    backend = PLDABackend.fit(train_emb, train_spk, lda_dim=150)
    scores = backend.score_matrix(enroll_emb, test_emb)              # (E, T)
    multi = backend.multi_session_scores([sessions_a, sessions_b], test_emb)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kaldinn.backend.cosine import length_normalise
from kaldinn.errors import KaldinnError


def _speaker_stats(x: np.ndarray, spk: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(codes (N,), counts (S,), sums (S, D)) of embeddings grouped by speaker."""
    _, codes, counts = np.unique(np.asarray(spk), return_inverse=True, return_counts=True)
    sums = np.zeros((len(counts), x.shape[1]))
    np.add.at(sums, codes, x)
    return codes, counts, sums


def _logdet(a: np.ndarray) -> float:
    sign, value = np.linalg.slogdet(a)
    if sign <= 0:
        raise KaldinnError(
            "PLDA covariance is not positive definite; train on more speakers or lower lda_dim"
        )
    return float(value)


def train_lda(x: np.ndarray, spk: Sequence, dim: int) -> np.ndarray:
    """LDA projection (dim, D): within-class covariance -> I, between-class diagonal, sorted."""
    x = np.asarray(x, dtype=np.float64)
    codes, counts, sums = _speaker_stats(x, spk)
    if not 0 < dim <= x.shape[1] or dim > len(counts) - 1:
        raise KaldinnError(
            f"lda_dim={dim} must be in [1, min(dim {x.shape[1]}, speakers - 1 = {len(counts) - 1})]"
        )
    means = sums / counts[:, None]
    centred = x - means[codes]
    s_w = centred.T @ centred / len(x) + 1e-10 * np.eye(x.shape[1])
    dev = means - x.mean(axis=0)
    s_b = (dev * counts[:, None]).T @ dev / len(x)
    chol_inv = np.linalg.inv(np.linalg.cholesky(s_w))
    eigval, eigvec = np.linalg.eigh(chol_inv @ s_b @ chol_inv.T)
    return eigvec[:, np.argsort(eigval)[::-1][:dim]].T @ chol_inv


@dataclass
class PLDA:
    """Two-covariance PLDA parameters: mean (d,), between Sb (d, d), within Sw (d, d)."""

    mu: np.ndarray
    sb: np.ndarray
    sw: np.ndarray

    def quadratic_form(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """(L, G, c, k) of the pairwise LLR (SV.md section 1)."""
        t = self.sb + self.sw
        t_inv = np.linalg.inv(t)
        m = t - self.sb @ t_inv @ self.sb
        m_inv = np.linalg.inv(m)
        q = t_inv - m_inv
        p = t_inv @ self.sb @ m_inv
        p = (p + p.T) / 2
        qp = q + p
        k = 0.5 * _logdet(t) - 0.5 * _logdet(m) + float(self.mu @ qp @ self.mu)
        return p, (q + q.T) / 4, -qp @ self.mu, k

    def llr_matrix(self, enroll_sums: np.ndarray, counts: np.ndarray, test: np.ndarray) -> np.ndarray:
        """n-aware LLRs (E, T) of models given by sums (E, d) of ``counts`` (E,) sessions."""
        sb_inv, sw_inv = np.linalg.inv(self.sb), np.linalg.inv(self.sw)
        t_inv = np.linalg.inv(self.sb + self.sw)
        dev = test - self.mu
        out = np.empty((len(counts), len(test)))
        # log N(x; mu, T) of each test embedding, the null hypothesis term.
        null = -0.5 * np.einsum("ij,jk,ik->i", dev, t_inv, dev) + 0.5 * _logdet(t_inv)
        for n in np.unique(counts):
            rows = np.flatnonzero(counts == n)
            c_n = np.linalg.inv(sb_inv + n * sw_inv)
            mean = (sb_inv @ self.mu + enroll_sums[rows] @ sw_inv) @ c_n  # (E_n, d), c_n symmetric
            a_inv = np.linalg.inv(c_n + self.sw)
            quad_t = np.einsum("ij,jk,ik->i", test, a_inv, test)
            quad_e = np.einsum("ij,jk,ik->i", mean, a_inv, mean)
            maha = quad_e[:, None] - 2 * mean @ a_inv @ test.T + quad_t[None, :]
            out[rows] = -0.5 * maha + 0.5 * _logdet(a_inv) - null[None, :]
        return out

    def log_likelihood(self, x: np.ndarray, spk: Sequence) -> float:
        """Average per-embedding log-likelihood of the training data (EM never lowers it)."""
        codes, counts, sums = _speaker_stats(x, spk)
        total, d = 0.0, x.shape[1]
        for s in range(len(counts)):
            xs = x[codes == s] - self.mu
            n = len(xs)
            cov = np.kron(np.eye(n), self.sw) + np.kron(np.ones((n, n)), self.sb)
            v = xs.ravel()
            total += -0.5 * (v @ np.linalg.solve(cov, v) + _logdet(cov) + n * d * np.log(2 * np.pi))
        return total / len(x)


def train_plda(x: np.ndarray, spk: Sequence, n_iter: int = 10) -> PLDA:
    """Maximum-likelihood two-covariance PLDA by EM (Brummer's formulation)."""
    x = np.asarray(x, dtype=np.float64)
    codes, counts, sums = _speaker_stats(x, spk)
    if len(counts) < 2 or (counts >= 2).sum() == 0:
        raise KaldinnError("PLDA needs at least 2 speakers and some speaker with 2+ embeddings")
    d = x.shape[1]
    means = sums / counts[:, None]
    centred = x - means[codes]
    sw = centred.T @ centred / len(x) + 1e-6 * np.eye(d)
    mu = x.mean(axis=0)
    sb = np.cov(means.T, bias=True).reshape(d, d) + 1e-6 * np.eye(d)
    scatter = x.T @ x
    for _ in range(n_iter):
        sb_inv, sw_inv = np.linalg.inv(sb), np.linalg.inv(sw)
        post_mean = np.empty_like(sums)
        post_cov_sum = np.zeros((d, d))
        weighted_cov = np.zeros((d, d))
        for n in np.unique(counts):
            rows = np.flatnonzero(counts == n)
            c_n = np.linalg.inv(sb_inv + n * sw_inv)
            post_mean[rows] = (sb_inv @ mu + sums[rows] @ sw_inv) @ c_n
            post_cov_sum += len(rows) * c_n
            weighted_cov += len(rows) * n * c_n
        mu = post_mean.mean(axis=0)
        second = post_cov_sum + post_mean.T @ post_mean
        sb = second / len(counts) - np.outer(mu, mu)
        cross = post_mean.T @ sums
        sw = (scatter - cross - cross.T + weighted_cov + (post_mean * counts[:, None]).T @ post_mean) / len(x)
        sb, sw = (sb + sb.T) / 2, (sw + sw.T) / 2
    return PLDA(mu, sb, sw)


@dataclass
class PLDABackend:
    """Centering, LDA, length normalisation (to sqrt(dim)) and PLDA, applied to raw embeddings."""

    mean: np.ndarray
    lda: np.ndarray
    plda: PLDA
    length_norm: bool = True

    @classmethod
    def fit(
        cls, x, spk, lda_dim: int | None = None, n_iter: int = 10, length_norm: bool = True
    ) -> PLDABackend:
        x = np.asarray(x, dtype=np.float64)
        mean = x.mean(axis=0)
        lda = train_lda(x - mean, spk, lda_dim) if lda_dim else np.eye(x.shape[1])
        backend = cls(mean, lda, PLDA(np.zeros(0), np.zeros(0), np.zeros(0)), length_norm)
        backend.plda = train_plda(backend.transform(x), spk, n_iter)
        return backend

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Raw embeddings (n, D) -> PLDA space (n, d)."""
        y = (np.atleast_2d(np.asarray(x, dtype=np.float64)) - self.mean) @ self.lda.T
        return length_normalise(y, to_sqrt_dim=True) if self.length_norm else y

    def score_matrix(self, enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
        """Single-session LLRs of every enrolment row with every test row -> (E, T)."""
        e = self.transform(enroll)
        return self.plda.llr_matrix(e, np.ones(len(e), dtype=np.int64), self.transform(test))

    def multi_session_scores(self, sessions: Sequence[np.ndarray], test: np.ndarray) -> np.ndarray:
        """n-aware LLRs: one model per entry of ``sessions`` ((n_i, D) each) -> (E, T)."""
        transformed = [self.transform(s) for s in sessions]
        sums = np.stack([t.sum(axis=0) for t in transformed])
        counts = np.array([len(t) for t in transformed])
        return self.plda.llr_matrix(sums, counts, self.transform(test))
