"""Trial weights for pairwise verification objectives: uniform, closed-form BLUE, exact BLUE.

The trial losses of one class (target or non-target) are modelled as random variables with
a common mean, equal variance and correlation rho1 for trials sharing an utterance, rho2
for trials sharing the speaker(s) but no utterance (for non-targets: the same speaker
pair), 0 otherwise. The best linear unbiased estimate of the mean uses
w = R^-1 1 / (1' R^-1 1). Every weight vector returned sums to 1 within each class.

- closed form, target trials of a speaker with n utterances (all C(n,2) pairs):
  r(n) = 1 + 2(n-2) rho1 + (n-2)(n-3)/2 rho2, w proportional to 1/r(n) (exact: target
  trials of different speakers share nothing). Eigenvalues of R: r(n),
  1 + (n-4) rho1 - (n-3) rho2 (n >= 3), 1 - 2 rho1 + rho2 (n >= 4); all must be > 0.
- closed form, non-target trials between speakers of n_a and n_b utterances:
  q = 1 + (n_a + n_b - 2) rho1' + (n_a - 1)(n_b - 1) rho2', w proportional to 1/q
  (ignores correlation with trials of other speaker pairs that share an utterance).
- exact: conjugate gradient on the full R (cross-pair sharing included) with an O(N^2)
  structured matrix-vector product; no R is ever formed.

Example::

    import numpy as np
    from kaldinn.losses.trial_weights import batch_trials, trial_weights
    spk = np.array([0, 0, 0, 1, 1, 2])
    i, j, is_target = batch_trials(spk)
    w = trial_weights(spk, i, j, is_target, method="blue", rho=(0.2, 0.1, 0.2, 0.1))
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np

from kaldinn.errors import ConfigError

METHODS = ("uniform", "blue", "blue_exact")


def batch_trials(spk: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All unordered non-self pairs i < j of a batch: (i, j, is_target)."""
    spk = np.asarray(spk)
    i, j = np.triu_indices(len(spk), k=1)
    return i, j, spk[i] == spk[j]


def _per_class_normalise(raw: np.ndarray, is_target: np.ndarray) -> np.ndarray:
    w = np.zeros(len(raw))
    for cls in (True, False):
        mask = is_target == cls
        if mask.any():
            w[mask] = raw[mask] / raw[mask].sum()
    return w


def uniform_weights(is_target: np.ndarray) -> np.ndarray:
    """1/|tar| for each target trial, 1/|non| for each non-target trial."""
    return _per_class_normalise(np.ones(len(is_target)), np.asarray(is_target, dtype=bool))


def check_target_rho(counts: Sequence[int], rho1: float, rho2: float) -> None:
    """Raise ConfigError unless the target-trial correlation matrix is positive definite."""
    for n in sorted(set(int(c) for c in counts if c >= 2)):
        eig = [1 + 2 * (n - 2) * rho1 + (n - 2) * (n - 3) / 2 * rho2]
        if n >= 3:
            eig.append(1 + (n - 4) * rho1 - (n - 3) * rho2)
        if n >= 4:
            eig.append(1 - 2 * rho1 + rho2)
        if min(eig) <= 0:
            raise ConfigError(
                f"target trial correlations rho1={rho1}, rho2={rho2} are not positive definite for a "
                f"speaker with {n} utterances (eigenvalue {min(eig):.3g}); need 1 - 2 rho1 + rho2 > 0 "
                f"and 1 + (n-4) rho1 - (n-3) rho2 > 0 (with rho2 = 0: rho1 < 1/2)"
            )


def check_nontarget_rho(pairs: Sequence[tuple[int, int]], rho1: float, rho2: float) -> None:
    """Raise ConfigError unless each speaker-pair block of non-target trials is positive definite."""
    for na, nb in sorted(set((int(a), int(b)) for a, b in pairs)):
        eig = [1 + (na + nb - 2) * rho1 + (na - 1) * (nb - 1) * rho2]
        if na >= 2:
            eig.append(1 + (nb - 2) * rho1 - (nb - 1) * rho2)
        if nb >= 2:
            eig.append(1 + (na - 2) * rho1 - (na - 1) * rho2)
        if na >= 2 and nb >= 2:
            eig.append(1 - 2 * rho1 + rho2)
        if min(eig) <= 0:
            raise ConfigError(
                f"non-target trial correlations rho1'={rho1}, rho2'={rho2} are not positive definite for "
                f"speakers with {na} and {nb} utterances (eigenvalue {min(eig):.3g}); lower rho1'"
            )


def blue_closed_form(spk: Sequence, i: np.ndarray, j: np.ndarray, is_target: np.ndarray, rho) -> np.ndarray:
    """Closed-form BLUE weights from per-speaker utterance counts and (rho1, rho2, rho1', rho2')."""
    rho1, rho2, rho1n, rho2n = map(float, rho)
    _, codes, counts = np.unique(np.asarray(spk), return_inverse=True, return_counts=True)
    n_i, n_j = counts[codes[i]], counts[codes[j]]
    check_target_rho(n_i[is_target], rho1, rho2)
    check_nontarget_rho(zip(n_i[~is_target], n_j[~is_target], strict=True), rho1n, rho2n)
    r = 1 + 2 * (n_i - 2) * rho1 + (n_i - 2) * (n_i - 3) / 2 * rho2
    q = 1 + (n_i + n_j - 2) * rho1n + (n_i - 1) * (n_j - 1) * rho2n
    return _per_class_normalise(np.where(is_target, 1.0 / r, 1.0 / q), is_target)


def _class_matvec(v, i, j, codes, n_spk, rho_utt, rho_spk, target):
    """R v for the trials (i, j) of one class, R = I + rho_utt A_utt + rho_spk A_spk."""
    n = len(codes)
    mat = np.zeros((n, n))
    mat[i, j] = v
    mat[j, i] = v
    row = mat.sum(axis=1)
    shares_utt = row[i] + row[j] - 2 * v
    if target:
        spk_sum = np.bincount(codes[i], weights=v, minlength=n_spk)
        same_spk = spk_sum[codes[i]] - v - shares_utt
    else:
        onehot = np.eye(n_spk)[codes]  # (N, S)
        row_spk = mat @ onehot  # (N, S): mass of utterance n's trials against speaker s
        in_pair = row_spk[i, codes[j]] + row_spk[j, codes[i]] - 2 * v
        pair_sum = onehot.T @ row_spk  # (S, S)
        same_spk = pair_sum[codes[i], codes[j]] - v - in_pair
    return v + rho_utt * shares_utt + rho_spk * same_spk


def _conjugate_gradient(matvec, size: int, tol: float, max_iter: int) -> np.ndarray:
    """Solve R x = 1 for symmetric positive definite R given only x -> R x."""
    x = np.zeros(size)
    r = np.ones(size)
    p = r.copy()
    rs = r @ r
    for _ in range(max_iter):
        ap = matvec(p)
        curvature = p @ ap
        if curvature <= 0:
            raise ConfigError("trial correlation matrix is not positive definite; lower rho1/rho2")
        alpha = rs / curvature
        x += alpha * p
        r -= alpha * ap
        rs_new = r @ r
        if np.sqrt(rs_new) <= tol * np.sqrt(size):
            return x
        p = r + (rs_new / rs) * p
        rs = rs_new
    raise ConfigError(f"exact BLUE weights did not converge in {max_iter} iterations; lower rho")


def blue_exact(
    spk: Sequence, i: np.ndarray, j: np.ndarray, is_target: np.ndarray, rho, tol: float = 1e-10
) -> np.ndarray:
    """BLUE weights with all correlations of the batch, by conjugate gradient."""
    rho1, rho2, rho1n, rho2n = map(float, rho)
    _, codes, counts = np.unique(np.asarray(spk), return_inverse=True, return_counts=True)
    n_spk = len(counts)
    # Each speaker (pair) block is a principal submatrix of R: it must be positive definite.
    check_target_rho(counts[codes[i[is_target]]], rho1, rho2)
    non_counts = zip(counts[codes[i[~is_target]]], counts[codes[j[~is_target]]], strict=True)
    check_nontarget_rho(non_counts, rho1n, rho2n)
    raw = np.zeros(len(i))
    for target, r_utt, r_spk in ((True, rho1, rho2), (False, rho1n, rho2n)):
        mask = is_target == target
        if not mask.any():
            continue
        ci, cj = i[mask], j[mask]
        matvec = partial(
            _class_matvec, i=ci, j=cj, codes=codes, n_spk=n_spk, rho_utt=r_utt, rho_spk=r_spk, target=target
        )
        raw[mask] = _conjugate_gradient(matvec, int(mask.sum()), tol, max_iter=10 * int(mask.sum()) + 10)
    return _per_class_normalise(raw, is_target)


def trial_weights(
    spk: Sequence, i: np.ndarray, j: np.ndarray, is_target: np.ndarray, method: str = "uniform", rho=None
) -> np.ndarray:
    """Weights of the trials (i, j) by ``method`` in uniform | blue | blue_exact."""
    if method == "uniform":
        return uniform_weights(is_target)
    if method not in METHODS:
        raise ConfigError(f"unknown trial weighting {method!r}; choose one of {', '.join(METHODS)}")
    if rho is None or len(rho) != 4:
        raise ConfigError(f"trial weighting {method!r} needs rho = (rho1, rho2, rho1', rho2'), got {rho!r}")
    fn = blue_closed_form if method == "blue" else blue_exact
    return fn(spk, i, j, np.asarray(is_target, dtype=bool), rho)
