#!/usr/bin/env python3
"""Benchmark: CTC prefix beam search vs pyctcdecode (same inputs, beam and pruning), and greedy.

Inputs are random CTC-like log-posteriors (T frames, V units, unit 0 blank): a dominant
unit per frame (blank on ~70% of frames) with Gaussian noise of std ``--noise`` on the
logits (1.0: peaky, like a trained model; 2.0: many units above the pruning threshold on
most frames). Both decoders consider units with log-posterior >= -5 and drop hypotheses
more than 10 below the best (pyctcdecode's defaults). The decoders take turns in each of
``--repeats`` repetitions (the slow ones on fewer utterances: ``--single-utts``,
``--baseline-utts``); prints the median and spread of seconds per utterance, ratios of
medians against pyctcdecode measured in the same run, and how many best hypotheses agree.
pyctcdecode lives in the benchmarks' own venv, .venv-bench (`make bench-venv`), never in .venv:
its numpy<2 pin would break pandas 3 there. Without it the comparison is skipped with a
message. Pin to one core with ``taskset -c 0``.

Example::

    make bench-venv && taskset -c 0 .venv-bench/bin/python bench/bench_ctc_decode.py --repeats 5
"""

from __future__ import annotations

import argparse

import _timing
import numpy as np

from kaldinn.decode.greedy import greedy_decode
from kaldinn.decode.prefix_beam import BeamConfig, prefix_beam_search, prefix_beam_search_batch

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


def pyctcdecode_decoder():
    try:
        from pyctcdecode import build_ctcdecoder
    except ImportError:
        print(
            "pyctcdecode: not installed, comparison skipped"
            " (`make bench-venv` installs it in .venv-bench; run this with .venv-bench/bin/python)"
        )
        return None
    return build_ctcdecoder(LABELS)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--utts", type=int, default=128, help="utterances for greedy and batched decoding")
    p.add_argument("--single-utts", type=int, default=16, help="utterances decoded one at a time")
    p.add_argument("--baseline-utts", type=int, default=32, help="utterances given to pyctcdecode")
    p.add_argument("--frames", type=int, default=500)
    p.add_argument("--beam", type=int, default=10)
    p.add_argument("--batch", type=int, default=64, help="utterances decoded in lock step")
    p.add_argument("--noise", type=float, default=1.0)
    _timing.add_arguments(p)
    args = p.parse_args()
    _timing.fix_threads(args.threads)
    _timing.print_header(
        "bench_ctc_decode", T=args.frames, V=len(LABELS), beam=args.beam, noise=args.noise, batch=args.batch
    )
    utts = make_utts(
        max(args.utts, args.single_utts, args.baseline_utts), args.frames, len(LABELS), args.noise
    )
    cfg = BeamConfig(beam=args.beam, token_min_logp=-5.0, beam_prune_logp=-10.0)
    many, few, base = utts[: args.utts], utts[: args.single_utts], utts[: args.baseline_utts]
    chunks = [many[i : i + args.batch] for i in range(0, len(many), args.batch)]
    single = [prefix_beam_search(u, cfg)[0] for u in few]
    batched = [h[0] for c in chunks for h in prefix_beam_search_batch(c, cfg)]
    assert [h.tokens for h in single] == [h.tokens for h in batched[: len(single)]], (
        "batched and single differ"
    )
    contenders = {
        "greedy": lambda: [greedy_decode(u) for u in many],
        "prefix beam, batched": lambda: [prefix_beam_search_batch(c, cfg) for c in chunks],
        "prefix beam, one at a time": lambda: [prefix_beam_search(u, cfg) for u in few],
    }
    work = {"greedy": len(many), "prefix beam, batched": len(many), "prefix beam, one at a time": len(few)}
    decoder = pyctcdecode_decoder() if args.baseline_utts > 0 else None
    if decoder is not None:
        opts = {"beam_width": args.beam, "token_min_logp": -5.0, "beam_prune_logp": -10.0}
        contenders["pyctcdecode"] = lambda: [decoder.decode(u, **opts) for u in base]
        work["pyctcdecode"] = len(base)
    times = _timing.per_item(_timing.measure(contenders, args.repeats, args.warmup), work)
    print(f"seconds per utterance ({', '.join(f'{k}: {n} utts' for k, n in work.items())} per repetition):")
    _timing.report(times, work=1, unit="utt")
    _timing.print_ratio(times, "prefix beam, batched", "prefix beam, one at a time")
    if decoder is None:
        print("pyctcdecode comparison skipped" + (" (--baseline-utts 0)" if args.baseline_utts <= 0 else ""))
        return
    _timing.print_ratio(times, "prefix beam, batched", "pyctcdecode")
    _timing.print_ratio(times, "prefix beam, one at a time", "pyctcdecode")
    texts = [" ".join(decoder.decode(u, **opts).split()) for u in base]
    ours = [h[0] for c in [base[i : i + args.batch] for i in range(0, len(base), args.batch)]
            for h in prefix_beam_search_batch(c, cfg)]  # fmt: skip
    same = sum(text_of(h.tokens) == t for h, t in zip(ours, texts, strict=True))
    print(f"  best hypotheses identical to pyctcdecode: {same} / {len(texts)}")


if __name__ == "__main__":
    main()
