"""Classification metrics: accuracy, per-class precision/recall, confusion, frame accuracy, Cavg.

Definitions (N trials, K classes, ``ref``/``hyp`` class ids 0..K-1):

- accuracy = #(hyp == ref) / N; frame accuracy is the same over every frame of every
  utterance (the utterance's reference and hypothesis must have equal length).
- confusion[i, j] = #trials with reference i decided as j (rows: reference, columns: hypothesis).
- precision_k = confusion[k, k] / column sum k, recall_k = confusion[k, k] / row sum k,
  F1 their harmonic mean; a zero denominator gives 0 (the class was never predicted / seen).
- Cavg (NIST LRE 2007-2017 detection cost, C_miss = C_fa = 1). The per-class scores s[n, k]
  are read as log-likelihoods (log-posteriors or logits under a flat prior give the same
  result: a per-trial constant cancels). For target language t the detection LLR is
  ``llr[n, t] = s[n, t] - log(mean_{j != t} exp s[n, j])`` and the Bayes decision accepts
  t iff ``llr[n, t] > log((1 - P_tar) / P_tar)`` (0 at the default P_tar = 0.5). Then
  ``Cavg = 1/K sum_t [P_tar P_miss(t) + (1 - P_tar)/(K - 1) sum_{u != t} P_fa(t, u)]``,
  P_miss(t) = share of class-t trials not accepted for t, P_fa(t, u) = share of class-u
  trials accepted for t. Each class present in ``ref`` must be a target at least once.
- Pairwise EER (languages a, b): over the trials of class a or b, the score ``s[:, a] -
  s[:, b]`` with class a as target; the ROCCH EER of :func:`kaldinn.metrics.sv.compute_eer`.

Example::

    from kaldinn.metrics.classification import accuracy, cavg, confusion_matrix
    ref, hyp = [0, 1, 1, 2], [0, 1, 2, 2]
    print(accuracy(ref, hyp), confusion_matrix(ref, hyp, 3))
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from kaldinn.errors import KaldinnError
from kaldinn.io.atomic import atomic_write
from kaldinn.metrics.sv import compute_eer


def _ids(ref: Sequence[int], hyp: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(ref, dtype=np.int64).ravel()
    h = np.asarray(hyp, dtype=np.int64).ravel()
    if r.shape != h.shape:
        raise KaldinnError(f"{len(r)} reference labels but {len(h)} hypotheses")
    if len(r) == 0:
        raise KaldinnError("no trials to score: the reference and hypothesis sets do not overlap")
    return r, h


def accuracy(ref: Sequence[int], hyp: Sequence[int]) -> float:
    """Share of trials whose hypothesis equals the reference."""
    r, h = _ids(ref, hyp)
    return float(np.mean(r == h))


def frame_accuracy(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[float, int]:
    """(accuracy over all frames, number of frames) of (ref, hyp) label vectors per utterance."""
    correct = total = 0
    for n, (ref, hyp) in enumerate(pairs):
        if len(ref) != len(hyp):
            raise KaldinnError(f"utterance {n}: {len(ref)} reference frames but {len(hyp)} hypothesis frames")
        correct += int(np.sum(np.asarray(ref) == np.asarray(hyp)))
        total += len(ref)
    if total == 0:
        raise KaldinnError("no frames to score")
    return correct / total, total


def confusion_matrix(ref: Sequence[int], hyp: Sequence[int], num_classes: int) -> np.ndarray:
    """(K, K) int64 counts; rows are the reference class, columns the decided class."""
    r, h = _ids(ref, hyp)
    if r.min() < 0 or h.min() < 0 or max(r.max(), h.max()) >= num_classes:
        raise KaldinnError(f"class ids must lie in 0..{num_classes - 1}")
    out = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(out, (r, h), 1)
    return out


@dataclass(frozen=True)
class ClassStats:
    """Precision, recall, F1 and number of reference trials (support) of one class."""

    precision: float
    recall: float
    f1: float
    support: int


def per_class_stats(confusion: np.ndarray) -> list[ClassStats]:
    """Per-class precision / recall / F1 / support from a confusion matrix (0 when undefined)."""
    diag = np.diag(confusion).astype(np.float64)
    predicted, seen = confusion.sum(0), confusion.sum(1)
    stats = []
    for k in range(len(diag)):
        p = diag[k] / predicted[k] if predicted[k] else 0.0
        r = diag[k] / seen[k] if seen[k] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        stats.append(ClassStats(float(p), float(r), float(f1), int(seen[k])))
    return stats


def _check_scores(scores: np.ndarray, ref: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    r = np.asarray(ref, dtype=np.int64).ravel()
    if s.ndim != 2 or s.shape[0] != len(r):
        raise KaldinnError(f"scores must be (trials, classes) for {len(r)} trials, got shape {s.shape}")
    if s.shape[1] < 2:
        raise KaldinnError("Cavg and pairwise EER need at least 2 classes")
    if not np.isfinite(s).all():
        raise KaldinnError("scores contain NaN or infinity; check the forward step's output")
    if r.min() < 0 or r.max() >= s.shape[1]:
        raise KaldinnError(f"reference class ids must lie in 0..{s.shape[1] - 1}")
    return s, r


def detection_llrs(scores: np.ndarray) -> np.ndarray:
    """(N, K) detection LLRs: s[n, t] - log mean_{j != t} exp s[n, j] (see the module header)."""
    s = np.asarray(scores, dtype=np.float64)
    k = s.shape[1]
    top = s.max(axis=1, keepdims=True)
    total = np.exp(s - top).sum(axis=1, keepdims=True)  # (N, 1)
    others = np.maximum(total - np.exp(s - top), np.finfo(np.float64).tiny)  # (N, K)
    return s - top - np.log(others / (k - 1))


def cavg(scores: np.ndarray, ref: Sequence[int], p_target: float = 0.5) -> float:
    """NIST LRE average detection cost (a fraction) of per-class scores; see the module header."""
    if not 0.0 < p_target < 1.0:
        raise KaldinnError(f"p_target must lie in (0, 1), got {p_target}")
    s, r = _check_scores(scores, ref)
    k = s.shape[1]
    accept = detection_llrs(s) > np.log((1 - p_target) / p_target)  # (N, K)
    present = [c for c in range(k) if np.any(r == c)]
    if len(present) < 2:
        raise KaldinnError("Cavg needs trials of at least 2 classes")
    costs = []
    for t in present:
        p_miss = 1.0 - accept[r == t, t].mean()
        p_fa = [accept[r == u, t].mean() for u in present if u != t]
        costs.append(p_target * p_miss + (1 - p_target) * float(np.mean(p_fa)))
    return float(np.mean(costs))


def pairwise_eer(scores: np.ndarray, ref: Sequence[int]) -> dict[tuple[int, int], float]:
    """EER of each pair (a, b), a < b, both with trials: score s[:, a] - s[:, b], a as target."""
    s, r = _check_scores(scores, ref)
    present = [c for c in range(s.shape[1]) if np.any(r == c)]
    out = {}
    for i, a in enumerate(present):
        for b in present[i + 1 :]:
            keep = (r == a) | (r == b)
            out[(a, b)] = compute_eer(s[keep, a] - s[keep, b], r[keep] == a)
    return out


def format_confusion(confusion: np.ndarray, labels: Sequence[str]) -> str:
    """Aligned text table: a header of decided classes, one row per reference class."""
    width = max([len(x) for x in labels] + [len(str(int(confusion.max(initial=0)))), 3])
    first = max([len(x) for x in labels] + [len("ref\\hyp")])
    head = "ref\\hyp".ljust(first) + " " + " ".join(x.rjust(width) for x in labels)
    rows = [
        labels[i].ljust(first) + " " + " ".join(str(int(v)).rjust(width) for v in confusion[i])
        for i in range(len(labels))
    ]
    return "\n".join([head, *rows]) + "\n"


def write_confusion_png(confusion: np.ndarray, labels: Sequence[str], path: str | os.PathLike) -> None:
    """Row-normalised confusion matrix as a heat map with counts, written atomically as png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = confusion.sum(1, keepdims=True)
    share = np.divide(confusion, rows, out=np.zeros(confusion.shape), where=rows > 0)
    size = 2.0 + 0.45 * len(labels)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, labels, rotation=90)
    ax.set_yticks(ticks, labels)
    ax.set_xlabel("hypothesis")
    ax.set_ylabel("reference")
    if len(labels) <= 30:  # counts stay legible up to about 30 classes
        for i, j in zip(*np.nonzero(confusion), strict=True):
            color = "white" if share[i, j] > 0.5 else "black"
            ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=7, color=color)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    with atomic_write(path, "wb") as f:
        f.write(buf.getvalue())
