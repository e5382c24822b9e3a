#!/usr/bin/env python3
"""Benchmark: SV metrics on many trials, and cosine trial scoring throughput.

Prints figures as ratios against baselines measured in the same run:
- metrics: kaldinn.metrics.sv.compute_sv_metrics (EER, minDCF x2, actDCF, Cllr, minCllr)
  vs a straightforward sort-based implementation in the style of Kaldi's
  compute_min_dcf.py / compute_eer (Python sort of (score, label) pairs, one Python loop
  over thresholds) computing only EER and minDCF at the same priors;
- cosine scoring: kaldinn.backend.cosine.score_trials vs a per-trial Python loop.

Example::

    .venv/bin/python bench/bench_sv_metrics.py --trials 10000000 --baseline-trials 1000000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from kaldinn.backend.cosine import score_trials
from kaldinn.metrics.sv import compute_sv_metrics


def make_trials(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """1% targets; scores rounded to 1e-3 so that ties occur as in real score files."""
    rng = np.random.default_rng(seed)
    is_target = rng.random(n) < 0.01
    scores = np.round(rng.normal(size=n) + 3.0 * is_target, 3)
    return scores, is_target


def baseline_metrics(scores: np.ndarray, is_target: np.ndarray, priors) -> tuple[float, dict]:
    """Sort-based EER / minDCF with a Python loop (splits ties by order, like Kaldi)."""
    pairs = sorted(zip(scores.tolist(), is_target.tolist(), strict=True))
    n_tar = sum(1 for _, t in pairs if t)
    n_non = len(pairs) - n_tar
    miss, fa = 0, n_non
    fnr, fpr = [], []
    for _, t in pairs:
        if t:
            miss += 1
        else:
            fa -= 1
        fnr.append(miss / n_tar)
        fpr.append(fa / n_non)
    eer, best = 1.0, {p: float("inf") for p in priors}
    for pm, pf in zip(fnr, fpr, strict=True):
        if pm >= pf:
            eer = min(eer, (pm + pf) / 2)
        for p in priors:
            best[p] = min(best[p], p * pm + (1 - p) * pf)
    return eer, {p: best[p] / min(p, 1 - p) for p in priors}


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def bench_metrics(n: int, n_base: int) -> None:
    scores, is_target = make_trials(n)
    t_ours, m = timed(compute_sv_metrics, scores, is_target, (0.01, 0.05))
    print(f"metrics: {n} trials in {t_ours:.2f}s ({n / t_ours / 1e6:.2f} M trials/s)")
    print(
        f"  EER {100 * m.eer:.3f}% minDCF(0.01) {m.min_dcf[0.01]:.4f} "
        f"Cllr {m.cllr:.4f} minCllr {m.min_cllr:.4f}"
    )
    sub_s, sub_t = scores[:n_base], is_target[:n_base]
    t_ours_sub, m_sub = timed(compute_sv_metrics, sub_s, sub_t, (0.01, 0.05))
    t_base, (eer_b, dcf_b) = timed(baseline_metrics, sub_s, sub_t, (0.01, 0.05))
    print(f"baseline (sort + Python loop, EER and minDCF only): {n_base} trials in {t_base:.2f}s")
    print(f"  ours on the same {n_base} trials: {t_ours_sub:.2f}s -> speed-up x{t_base / t_ours_sub:.1f}")
    print(f"  agreement: minDCF(0.01) ours {m_sub.min_dcf[0.01]:.4f} baseline {dcf_b[0.01]:.4f}; "
          f"EER ours {100 * m_sub.eer:.3f}% (ROCCH) baseline {100 * eer_b:.3f}%")  # fmt: skip


def bench_cosine(n_trials: int, n_utts: int, dim: int, n_base: int) -> None:
    rng = np.random.default_rng(1)
    emb = {f"utt{k:06d}": rng.normal(size=dim).astype(np.float32) for k in range(n_utts)}
    keys = list(emb)
    pick = rng.integers(0, n_utts, size=(n_trials, 2))
    pairs = [(keys[a], keys[b]) for a, b in pick]
    t_ours, scores = timed(score_trials, emb, emb, pairs)

    def loop(sub):
        return [float(emb[e] @ emb[t] / (np.linalg.norm(emb[e]) * np.linalg.norm(emb[t]))) for e, t in sub]

    t_base, base = timed(loop, pairs[:n_base])
    assert np.allclose(base, scores[:n_base], atol=1e-5)
    ours_rate, base_rate = n_trials / t_ours, n_base / t_base
    print(f"cosine scoring: {ours_rate / 1e6:.2f} M trials/s (dim {dim}, {n_utts} embeddings)")
    print(
        f"  baseline per-trial loop: {base_rate / 1e3:.1f} k trials/s "
        f"-> speed-up x{ours_rate / base_rate:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=10_000_000)
    parser.add_argument("--baseline-trials", type=int, default=1_000_000)
    parser.add_argument("--cosine-trials", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=256)
    args = parser.parse_args()
    bench_metrics(args.trials, min(args.baseline_trials, args.trials))
    bench_cosine(args.cosine_trials, 20_000, args.dim, min(50_000, args.cosine_trials))


if __name__ == "__main__":
    main()
