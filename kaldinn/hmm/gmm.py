"""Diagonal-covariance GMMs per pdf (Kaldi's ``AmDiagGmm``): likelihoods, ML re-estimation, mixing up.

Each pdf j is a mixture of Gaussians with weights w, means mu and variances v (float64). The
log-likelihood of frame x is logsumexp_m(gconst_m + (mu_m / v_m) . x - 0.5 (1 / v_m) . x^2),
gconst_m = log w_m - 0.5 (D log 2 pi + sum log v_m + sum mu_m^2 / v_m), as Kaldi stores it.

Training follows ``gmm-acc-stats-ali`` + ``gmm-est`` (Kaldi's MLE defaults): each aligned
frame's pdf is known, its posterior over that pdf's Gaussians gives zeroth, first and second
order statistics; a Gaussian with occupancy above ``min_gaussian_occupancy`` (10; 3 on the
first pass) gets mean = x / n and variance = x^2 / n - mean^2 floored at 0.001, weights are
occupancy shares, and Gaussians below the occupancy or weight floor (1e-5) are removed while
the pdf keeps at least one. Mixing up (``--mix-up N --power 0.25``): each pdf's target number
of Gaussians grows with occupancy^0.25, greedily by occupancy^0.25 per Gaussian, never below
20 frames per Gaussian; a pdf grows by splitting its heaviest Gaussian into two with half the
weight each and means moved by +-0.01 standard deviations along a random direction.

Example::

    am = AmDiagGmm.init_single([feats], num_pdfs=95)
    stats = am.accumulate(feats, pdfs)          # frames (N, D), their pdf-ids (N,)
    am = am.update(stats).mix_up(stats.pdf_occupancy(), 200, rng)
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from kaldinn.errors import ModelError

LOG_2PI = math.log(2.0 * math.pi)


@dataclass
class GmmStats:
    """Per-Gaussian occupancy (G,), first (G, D) and second (G, D) order sums; ``pdf`` (G,)."""

    pdf: np.ndarray
    occ: np.ndarray
    x: np.ndarray
    xx: np.ndarray
    loglike: float = 0.0
    frames: int = 0

    def pdf_occupancy(self) -> np.ndarray:
        return np.bincount(self.pdf, weights=self.occ, minlength=int(self.pdf.max()) + 1)


class AmDiagGmm:
    """All pdfs' Gaussians stacked, grouped by pdf: ``pdf[g]`` is non-decreasing."""

    def __init__(self, pdf: np.ndarray, weights: np.ndarray, means: np.ndarray, variances: np.ndarray):
        self.pdf = np.asarray(pdf, dtype=np.int64)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.means = np.asarray(means, dtype=np.float64)
        self.variances = np.asarray(variances, dtype=np.float64)
        if np.any(np.diff(self.pdf) < 0) or np.any(np.diff(np.unique(self.pdf)) != 1) or self.pdf[0] != 0:
            raise ModelError("AmDiagGmm: every pdf 0..N-1 needs at least one Gaussian, grouped by pdf")
        self.num_pdfs = int(self.pdf[-1]) + 1
        self.dim = self.means.shape[1]
        self._derive()

    def _derive(self) -> None:
        inv = 1.0 / self.variances
        self.inv_vars = inv
        self.means_invvars = self.means * inv
        with np.errstate(divide="ignore"):
            log_w = np.log(self.weights)
        self.gconsts = log_w - 0.5 * (
            self.dim * LOG_2PI + np.log(self.variances).sum(1) + (self.means**2 * inv).sum(1)
        )
        self.starts = np.flatnonzero(np.r_[True, np.diff(self.pdf) != 0])
        self._mi32 = self.means_invvars.T.astype(np.float32)
        self._iv32 = (-0.5 * inv).T.astype(np.float32)
        self._gconsts32 = self.gconsts.astype(np.float32)

    @property
    def num_gauss(self) -> int:
        return len(self.weights)

    @classmethod
    def init_single(cls, feats: list[np.ndarray], num_pdfs: int) -> AmDiagGmm:
        """One Gaussian per pdf, all the global mean and variance (``gmm-init-mono``)."""
        x = np.concatenate([np.asarray(f, dtype=np.float64) for f in feats])
        mean, var = x.mean(0), np.maximum(x.var(0), 1e-3)
        ones = np.ones(num_pdfs)
        return cls(np.arange(num_pdfs), ones, np.tile(mean, (num_pdfs, 1)), np.tile(var, (num_pdfs, 1)))

    def gauss_loglikes(self, feats: np.ndarray) -> np.ndarray:
        """(T, G) per-Gaussian log-likelihoods (weights included), float32 as Kaldi computes them."""
        x = np.asarray(feats, dtype=np.float32)
        g = x @ self._mi32
        g += (x * x) @ self._iv32
        g += self._gconsts32
        return g

    def loglikes(self, feats: np.ndarray) -> np.ndarray:
        """(T, num_pdfs) log-likelihoods (float64), as ``gmm-compute-likes``."""
        x = np.asarray(feats, dtype=np.float32)
        g = self._mi32.T @ x.T  # (G, T): Gaussians in rows, so the per-pdf reductions run over rows
        g += self._iv32.T @ (x * x).T
        g += self._gconsts32[:, None]
        top = np.maximum.reduceat(g, self.starts, axis=0)  # (P, T)
        g -= top[self.pdf]
        np.exp(g, out=g)
        total = np.add.reduceat(g, self.starts, axis=0)
        return (top.astype(np.float64) + np.log(total.astype(np.float64))).T

    def accumulate(self, feats: np.ndarray, pdfs: np.ndarray) -> GmmStats:
        """Statistics of frames ``feats`` (N, D) aligned to ``pdfs`` (N,)."""
        x = np.asarray(feats, dtype=np.float64)
        occ = np.zeros(self.num_gauss)
        sx = np.zeros((self.num_gauss, self.dim))
        sxx = np.zeros((self.num_gauss, self.dim))
        loglike = 0.0
        order = np.argsort(pdfs, kind="stable")
        bounds = np.searchsorted(pdfs[order], np.arange(self.num_pdfs + 1))
        ends = np.r_[self.starts[1:], self.num_gauss]
        for j in range(self.num_pdfs):
            rows = order[bounds[j] : bounds[j + 1]]
            if len(rows) == 0:
                continue
            g0, g1 = self.starts[j], ends[j]
            xj = x[rows]
            lj = (
                self.gconsts[g0:g1]
                + xj @ self.means_invvars[g0:g1].T
                - 0.5 * (xj * xj) @ self.inv_vars[g0:g1].T
            )
            top = lj.max(1, keepdims=True)
            post = np.exp(lj - top)
            norm = post.sum(1, keepdims=True)
            loglike += float((top + np.log(norm)).sum())
            post /= norm
            occ[g0:g1] += post.sum(0)
            sx[g0:g1] += post.T @ xj
            sxx[g0:g1] += post.T @ (xj * xj)
        return GmmStats(self.pdf.copy(), occ, sx, sxx, loglike, len(x))

    def update(
        self, stats: GmmStats, min_gaussian_occupancy: float = 10.0, min_gaussian_weight: float = 1e-5,
        min_variance: float = 1e-3,
    ) -> AmDiagGmm:  # fmt: skip
        """ML re-estimate (``gmm-est``'s MleAmDiagGmmUpdate); a pdf without frames is kept as it was."""
        pdf_occ = np.bincount(self.pdf, weights=stats.occ, minlength=self.num_pdfs)
        share = stats.occ / np.maximum(pdf_occ[self.pdf], 1e-300)
        weights, means, variances = self.weights.copy(), self.means.copy(), self.variances.copy()
        seen = pdf_occ[self.pdf] > 0
        weights[seen] = share[seen]
        good = seen & (stats.occ > min_gaussian_occupancy) & (share > min_gaussian_weight)
        n = stats.occ[good, None]
        means[good] = stats.x[good] / n
        variances[good] = np.maximum(stats.xx[good] / n - means[good] ** 2, min_variance)
        keep = good | ~seen
        for j in range(self.num_pdfs):  # a pdf keeps at least its heaviest Gaussian
            members = np.flatnonzero(self.pdf == j)
            if not keep[members].any():
                keep[members[np.argmax(stats.occ[members])]] = True
        pdf = self.pdf[keep]
        weights = weights[keep]
        weights /= np.bincount(pdf, weights=weights, minlength=self.num_pdfs)[pdf]
        return AmDiagGmm(pdf, weights, means[keep], variances[keep])

    def mix_up(
        self, pdf_occ: np.ndarray, target: int, rng: np.random.Generator, power: float = 0.25,
        min_count: float = 20.0, perturb: float = 0.01,
    ) -> AmDiagGmm:  # fmt: skip
        """Split Gaussians until about ``target`` in total (``gmm-est --mix-up``); never fewer."""
        goal = split_targets(pdf_occ, target, power, min_count)
        pdf, w, mu, var = [], [], [], []
        for j in range(self.num_pdfs):
            members = np.flatnonzero(self.pdf == j)
            wj, mj, vj = list(self.weights[members]), list(self.means[members]), list(self.variances[members])
            while len(wj) < goal[j]:
                k = int(np.argmax(wj))
                shift = perturb * rng.standard_normal(self.dim) * np.sqrt(vj[k])
                wj[k] /= 2.0
                wj.append(wj[k])
                mj.append(mj[k] + shift)
                vj.append(vj[k].copy())
                mj[k] = mj[k] - shift
            pdf += [j] * len(wj)
            w += wj
            mu += mj
            var += vj
        return AmDiagGmm(np.array(pdf), np.array(w), np.array(mu), np.array(var))


def split_targets(pdf_occ: np.ndarray, target: int, power: float, min_count: float) -> np.ndarray:
    """Gaussians per pdf for a total of ``target`` (Kaldi's GetSplitTargets)."""
    counts = np.ones(len(pdf_occ), dtype=np.int64)
    # max-heap on occ^power / count; a pdf that would fall below min_count per Gaussian stops
    heap = [(-(max(o, 0.0) ** power), j) for j, o in enumerate(pdf_occ)]
    heapq.heapify(heap)
    for _ in range(max(target - len(pdf_occ), 0)):
        score, j = heapq.heappop(heap)
        if score == 0.0:
            break
        if (counts[j] + 1) * min_count >= pdf_occ[j]:
            heapq.heappush(heap, (0.0, j))
            continue
        counts[j] += 1
        heapq.heappush(heap, (-(pdf_occ[j] ** power) / counts[j], j))
    return counts
