#!/usr/bin/env python3
"""Benchmark: CTC prefix beam search vs pyctcdecode (same inputs, beam and pruning), and greedy.

Inputs are random CTC-like log-posteriors (T frames, V units, unit 0 blank): a dominant
unit per frame (blank on ~70% of frames) with Gaussian noise of std ``--noise`` on the
logits (1.0: peaky, like a trained model; 2.0: many units above the pruning threshold on
most frames). Both decoders consider units with log-posterior >= -5 and drop hypotheses
more than 10 below the best (pyctcdecode's defaults). Prints utterances/s and ratios
against pyctcdecode measured in the same run, and how many best hypotheses agree.
pyctcdecode lives in the benchmarks' own venv, .venv-bench (`make bench-venv`), never in .venv:
its numpy<2 pin would break pandas 3 there. Without it the comparison is skipped with a
message. Pin to one core with ``taskset -c 0``.

Example::

    make bench-venv && taskset -c 0 .venv-bench/bin/python bench/bench_ctc_decode.py --utts 200 --noise 1.0
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from kaldinn.decode.greedy import greedy_decode  # noqa: E402
from kaldinn.decode.prefix_beam import BeamConfig, prefix_beam_search, prefix_beam_search_batch  # noqa: E402

LABELS = [""] + [chr(ord("a") + i) for i in range(26)] + [" ", "'", "-"]  # V = 30, blank first


def make_utts(n: int, frames: int, units: int, noise: float, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        logits = rng.normal(size=(frames, units)) * noise
        label = np.where(rng.random(frames) < 0.7, 0, rng.integers(1, units, frames))
        logits[np.arange(frames), label] += 8.0
        out.append((logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)).astype(np.float32))
    return out


def text_of(tokens: list[int]) -> str:
    return " ".join("".join(LABELS[t] for t in tokens).split())


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def run_pyctcdecode(utts, beam: int):
    try:
        from pyctcdecode import build_ctcdecoder
    except ImportError:
        print(
            "pyctcdecode: not installed, comparison skipped"
            " (`make bench-venv` installs it in .venv-bench; run this with .venv-bench/bin/python)"
        )
        return None
    decoder = build_ctcdecoder(LABELS)
    return timed(
        lambda: [
            " ".join(decoder.decode(u, beam_width=beam, token_min_logp=-5.0, beam_prune_logp=-10.0).split())
            for u in utts
        ]
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--utts", type=int, default=200)
    p.add_argument("--baseline-utts", type=int, default=40, help="utterances given to pyctcdecode")
    p.add_argument("--frames", type=int, default=500)
    p.add_argument("--beam", type=int, default=10)
    p.add_argument("--batch", type=int, default=64, help="utterances decoded in lock step")
    p.add_argument("--noise", type=float, default=1.0)
    args = p.parse_args()
    utts = make_utts(args.utts, args.frames, len(LABELS), args.noise)
    cfg = BeamConfig(beam=args.beam, token_min_logp=-5.0, beam_prune_logp=-10.0)
    print(f"T={args.frames} V={len(LABELS)} beam={args.beam} noise={args.noise} utts={args.utts}")

    t_greedy, _ = timed(lambda: [greedy_decode(u) for u in utts])
    print(f"greedy: {args.utts / t_greedy:,.0f} utt/s")
    t_single, single = timed(lambda: [prefix_beam_search(u, cfg)[0] for u in utts])
    print(f"prefix beam, one utterance at a time: {args.utts / t_single:,.1f} utt/s")
    chunks = [utts[i : i + args.batch] for i in range(0, len(utts), args.batch)]
    t_batch, batched = timed(lambda: [h[0] for c in chunks for h in prefix_beam_search_batch(c, cfg)])
    print(f"prefix beam, batches of {args.batch}: {args.utts / t_batch:,.1f} utt/s")
    assert [h.tokens for h in single] == [h.tokens for h in batched], "batched and single decodes differ"

    if args.baseline_utts <= 0:
        print("pyctcdecode comparison skipped (--baseline-utts 0)")
        return
    base = run_pyctcdecode(utts[: args.baseline_utts], args.beam)
    if base is None:
        return
    t_base, texts = base
    base_rate = args.baseline_utts / t_base
    print(f"pyctcdecode: {base_rate:,.1f} utt/s on {args.baseline_utts} utterances")
    single_x, batch_x = args.utts / t_single / base_rate, args.utts / t_batch / base_rate
    print(f"  speed-up: single x{single_x:.1f}, batched x{batch_x:.1f}")
    same = sum(text_of(h.tokens) == t for h, t in zip(single, texts, strict=False))
    print(f"  best hypotheses identical to pyctcdecode: {same} / {len(texts)}")


if __name__ == "__main__":
    main()
