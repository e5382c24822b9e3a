#!/usr/bin/env python3
"""Benchmark: SV metrics on many trials, and cosine trial scoring throughput.

Prints figures as ratios against baselines measured in the same run:
- metrics: kaldinn.metrics.sv.compute_sv_metrics (EER, minDCF x2, actDCF, Cllr, minCllr)
  vs a straightforward sort-based implementation in the style of Kaldi's
  compute_min_dcf.py / compute_eer (Python sort of (score, label) pairs, one Python loop
  over thresholds) computing only EER and minDCF at the same priors;
- cosine scoring: kaldinn.backend.cosine.score_trials vs a per-trial Python loop.
Each pair takes turns in each of ``--repeats`` repetitions (the slow baselines on fewer
trials); prints the median and spread, ratios of medians with their paired range.

Example::

    .venv/bin/python bench/bench_sv_metrics.py --trials 10000000 --baseline-trials 1000000
"""

from __future__ import annotations

import argparse

import _timing
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


def bench_metrics(n: int, n_base: int, args) -> None:
    scores, is_target = make_trials(n)
    m = compute_sv_metrics(scores, is_target, (0.01, 0.05))
    sub_s, sub_t = scores[:n_base], is_target[:n_base]
    times = _timing.measure(
        {
            "kaldinn, all trials": lambda: compute_sv_metrics(scores, is_target, (0.01, 0.05)),
            "kaldinn": lambda: compute_sv_metrics(sub_s, sub_t, (0.01, 0.05)),
            "sort + Python loop": lambda: baseline_metrics(sub_s, sub_t, (0.01, 0.05)),
        },
        args.repeats,
        args.warmup,
    )
    print(f"metrics: kaldinn on all {n} trials, both on the first {n_base} (baseline: EER and minDCF only)")
    print(
        f"  {n} trials: EER {100 * m.eer:.3f}% minDCF(0.01) {m.min_dcf[0.01]:.4f} "
        f"Cllr {m.cllr:.4f} minCllr {m.min_cllr:.4f}"
    )
    per = _timing.per_item(times, {"kaldinn, all trials": n, "kaldinn": n_base, "sort + Python loop": n_base})
    _timing.report(per, work=1, unit="trials")
    _timing.print_ratio(times, "kaldinn", "sort + Python loop")
    m_sub = compute_sv_metrics(sub_s, sub_t, (0.01, 0.05))
    eer_b, dcf_b = baseline_metrics(sub_s, sub_t, (0.01, 0.05))
    print(f"  agreement: minDCF(0.01) ours {m_sub.min_dcf[0.01]:.4f} baseline {dcf_b[0.01]:.4f}; "
          f"EER ours {100 * m_sub.eer:.3f}% (ROCCH) baseline {100 * eer_b:.3f}%")  # fmt: skip


def bench_cosine(n_trials: int, n_utts: int, dim: int, n_base: int, args) -> None:
    rng = np.random.default_rng(1)
    emb = {f"utt{k:06d}": rng.normal(size=dim).astype(np.float32) for k in range(n_utts)}
    keys = list(emb)
    pick = rng.integers(0, n_utts, size=(n_trials, 2))
    pairs = [(keys[a], keys[b]) for a, b in pick]

    def loop(sub):
        return [float(emb[e] @ emb[t] / (np.linalg.norm(emb[e]) * np.linalg.norm(emb[t]))) for e, t in sub]

    assert np.allclose(loop(pairs[:n_base]), score_trials(emb, emb, pairs[:n_base]), atol=1e-5)
    times = _timing.measure(
        {
            "kaldinn score_trials": lambda: score_trials(emb, emb, pairs),
            "per-trial Python loop": lambda: loop(pairs[:n_base]),
        },
        args.repeats,
        args.warmup,
    )
    per = _timing.per_item(times, {"kaldinn score_trials": n_trials, "per-trial Python loop": n_base})
    print(
        f"cosine scoring: dim {dim}, {n_utts} embeddings; kaldinn on {n_trials} trials, the loop on {n_base}"
    )
    _timing.report(per, work=1, unit="trials")
    _timing.print_ratio(per, "kaldinn score_trials", "per-trial Python loop")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=2_000_000)
    parser.add_argument("--baseline-trials", type=int, default=200_000)
    parser.add_argument("--cosine-trials", type=int, default=500_000)
    parser.add_argument("--dim", type=int, default=256)
    _timing.add_arguments(parser)
    args = parser.parse_args()
    _timing.fix_threads(args.threads)
    _timing.print_header("bench_sv_metrics", trials=args.trials, baseline_trials=args.baseline_trials)
    bench_metrics(args.trials, min(args.baseline_trials, args.trials), args)
    bench_cosine(args.cosine_trials, 20_000, args.dim, min(20_000, args.cosine_trials), args)


if __name__ == "__main__":
    main()
