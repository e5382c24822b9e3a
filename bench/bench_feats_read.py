"""Benchmark random-access feature reading: kaldinn's RandomAccessReader vs kaldiio.load_scp.

Builds a temporary archive (default 2000 utterances x 300 frames x 80 dims, plain float32
``FM`` and Kaldi-compressed ``CM``), then reads every utterance in a shuffled order, the
contenders taking turns in each of ``--repeats`` repetitions (after a check that every
value is identical to kaldiio's and an untimed warm-up). Prints the median and spread of each, utt/s
and MB/s (of archive bytes), the ratio of medians against kaldiio (target: >= 4x on ``CM``)
and against a raw sequential read of the same file (the page-cache limit).

Example::

    .venv-bench/bin/python bench/bench_feats_read.py --num-utts 500 --repeats 7
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time

import _timing
import kaldiio
import numpy as np

from kaldinn.io.tables import RandomAccessReader, Writer

CM_TARGET = 4.0


def build(workdir: str, name: str, num_utts: int, frames: int, dim: int, method: int | None) -> str:
    rng = np.random.default_rng(0)
    base = (rng.standard_normal((frames, dim)) * 3).astype(np.float32)
    with Writer(f"ark,scp:{workdir}/{name}.ark,{workdir}/{name}.scp", compression_method=method) as writer:
        for i in range(num_utts):
            writer.write(f"utt{i:06d}", base + np.float32(i % 97) * 0.01)
    return f"{workdir}/{name}.scp"


def raw_read(path: str) -> None:
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 20):
            pass


def consume(table, keys: list[str]) -> None:
    """Look every key up and drop the value, as a training loop does batch after batch."""
    for key in keys:
        table[key]


def check_identical(ours, theirs, keys: list[str]) -> None:
    for key in keys:
        if ours[key].tobytes() != np.asarray(theirs[key], np.float32).tobytes():
            raise SystemExit(f"bench_feats_read: values differ from kaldiio at {key}")


def run_case(label: str, scp: str, keys: list[str], args, target: float | None) -> None:
    ark = scp[:-4] + ".ark"
    mb = os.path.getsize(ark) / 1e6
    ours = RandomAccessReader(f"scp:{scp}")
    theirs = kaldiio.load_scp(scp)
    raw_read(ark)  # warm the page cache for every contender
    check_identical(ours, theirs, keys)
    times = _timing.measure(
        {
            "raw sequential read": lambda: raw_read(ark),
            "kaldinn RandomAccessReader": lambda: consume(ours, keys),
            "kaldiio.load_scp": lambda: consume(theirs, keys),
        },
        args.repeats,
        args.warmup,
    )
    print(f"[{label}] archive {mb:.1f} MB, {len(keys)} random lookups per repetition (values identical)")
    _timing.report(times, work=len(keys), unit="utt")
    _timing.print_ratio(times, "kaldinn RandomAccessReader", "kaldiio.load_scp", target)
    value, _, _ = _timing.ratio(times, "raw sequential read", "kaldinn RandomAccessReader")
    print(f"  kaldinn reaches {1 / value:.2f} of the raw sequential read rate (MB/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--num-utts", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--dim", type=int, default=80)
    _timing.add_arguments(parser, repeats=7)
    args = parser.parse_args()
    _timing.fix_threads(args.threads)
    _timing.print_header("bench_feats_read", utts=args.num_utts, frames=args.frames, dim=args.dim)
    with tempfile.TemporaryDirectory(prefix="bench_feats_") as workdir:
        start = time.perf_counter()
        plain = build(workdir, "plain", args.num_utts, args.frames, args.dim, None)
        compressed = build(workdir, "cm", args.num_utts, args.frames, args.dim, 2)
        print(f"built archives in {time.perf_counter() - start:.1f} s")
        keys = [f"utt{i:06d}" for i in range(args.num_utts)]
        random.Random(0).shuffle(keys)
        run_case("float32 FM", plain, keys, args, None)
        run_case("compressed CM", compressed, keys, args, CM_TARGET)


if __name__ == "__main__":
    main()
