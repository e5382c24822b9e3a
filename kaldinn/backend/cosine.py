"""Cosine scoring (numpy): length normalisation, score matrices, trial lists, calibration.

Calibrated cosine reads s = a cos(e1, e2) + b (a > 0) as an LLR; the trainable version
lives in :mod:`kaldinn.backend.quadratic` (torch). Multi-session enrolment with cosine
uses the mean of the length-normalised session embeddings.

Example::

    import numpy as np
import pandas as pd
    from kaldinn.backend.cosine import cosine_score_matrix, enroll_mean
    model = enroll_mean([np.random.randn(3, 16)])          # one speaker, three sessions
    scores = cosine_score_matrix(model, np.random.randn(5, 16))  # (1, 5)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kaldinn.errors import KaldinnError


def length_normalise(x: np.ndarray, to_sqrt_dim: bool = False) -> np.ndarray:
    """Rows scaled to unit norm (or to sqrt(dim), Kaldi's ivector-normalize-length)."""
    x = np.asarray(x, dtype=np.float64)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    if (norm == 0).any():
        raise KaldinnError("cannot length-normalise an all-zero embedding; check the extractor output")
    scale = np.sqrt(x.shape[-1]) if to_sqrt_dim else 1.0
    return x * (scale / norm)


def cosine_score_matrix(enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Cosine similarity of every enrolment row (E, D) with every test row (T, D) -> (E, T)."""
    return length_normalise(enroll) @ length_normalise(test).T


def cosine_score_pairs(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two (n, D) arrays -> (n,)."""
    return np.einsum("ij,ij->i", length_normalise(x1), length_normalise(x2))


def enroll_mean(sessions: Sequence[np.ndarray]) -> np.ndarray:
    """One model per speaker: mean of its length-normalised session embeddings -> (E, D)."""
    return np.stack([length_normalise(np.atleast_2d(s)).mean(axis=0) for s in sessions])


def calibrate(scores: np.ndarray, a: float, b: float) -> np.ndarray:
    """Affine calibration s = a * cos + b into LLRs; ``a`` must be positive."""
    if a <= 0:
        raise KaldinnError(f"calibration scale must be positive, got a={a}")
    return a * np.asarray(scores, dtype=np.float64) + b


def score_trials(
    enroll: Mapping[str, np.ndarray],
    test: Mapping[str, np.ndarray],
    pairs: Sequence[tuple[str, str]],
    chunk: int = 8192,
) -> np.ndarray:
    """Cosine scores of ``(enroll_id, test_id)`` pairs; a missing id raises naming the pair."""
    e_mat = length_normalise(np.stack([np.ravel(v) for v in enroll.values()]))
    t_mat = length_normalise(np.stack([np.ravel(v) for v in test.values()]))
    e_idx = pd.Index(list(enroll)).get_indexer([p[0] for p in pairs])
    t_idx = pd.Index(list(test)).get_indexer([p[1] for p in pairs])
    missing = np.flatnonzero((e_idx < 0) | (t_idx < 0))
    if len(missing):
        e, t = pairs[int(missing[0])]
        side = "enrolment" if e_idx[missing[0]] < 0 else "test"
        raise KaldinnError(f"trial '{e} {t}': no {side} embedding; extract embeddings for every trial")
    out = np.empty(len(pairs))
    for start in range(0, len(pairs), chunk):
        sl = slice(start, start + chunk)
        out[sl] = np.einsum("ij,ij->i", e_mat[e_idx[sl]], t_mat[t_idx[sl]])
    return out
