"""Benchmark random-access feature reading: kaldinn's RandomAccessReader vs kaldiio.load_scp.

Builds a temporary archive (default 2000 utterances x 300 frames x 80 dims, plain float32
and Kaldi-compressed ``CM``), then reads every utterance in a shuffled order and prints
utterances/s, MB/s (of archive bytes) and ratios against kaldiio and against a raw
sequential read of the same file (the page-cache limit). Values are checked identical.

Example::

    .venv/bin/python bench/bench_feats_read.py --num-utts 500
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time

import kaldiio
import numpy as np

from kaldinn.io.tables import RandomAccessReader, Writer


def build(workdir: str, name: str, num_utts: int, frames: int, dim: int, method: int | None) -> str:
    rng = np.random.default_rng(0)
    base = (rng.standard_normal((frames, dim)) * 3).astype(np.float32)
    with Writer(f"ark,scp:{workdir}/{name}.ark,{workdir}/{name}.scp", compression_method=method) as writer:
        for i in range(num_utts):
            writer.write(f"utt{i:06d}", base + np.float32(i % 97) * 0.01)
    return f"{workdir}/{name}.scp"


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def raw_read(path: str) -> None:
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 20):
            pass


def consume(table, keys: list[str]) -> None:
    """Look every key up and drop the value, as a training loop does batch after batch."""
    for key in keys:
        table[key]


def run_case(label: str, scp: str, keys: list[str], repeats: int) -> None:
    ark_bytes = os.path.getsize(scp[:-4] + ".ark")
    mb = ark_bytes / 1e6
    raw_read(scp[:-4] + ".ark")  # warm the page cache for every contender
    ours = RandomAccessReader(f"scp:{scp}")
    theirs = kaldiio.load_scp(scp)
    for key in keys[:50]:
        assert ours[key].tobytes() == np.asarray(theirs[key], np.float32).tobytes(), f"values differ at {key}"
    t_raw = best_of(repeats, lambda: raw_read(scp[:-4] + ".ark"))
    t_ours = best_of(repeats, lambda: consume(ours, keys))
    t_kio = best_of(repeats, lambda: consume(theirs, keys))
    n = len(keys)
    print(f"[{label}] archive {mb:.1f} MB, {n} random lookups (values identical to kaldiio)")
    for name, t in (
        ("raw sequential read", t_raw),
        ("kaldinn RandomAccessReader", t_ours),
        ("kaldiio.load_scp", t_kio),
    ):
        print(f"  {name:28s} {t:7.3f} s  {n / t:9.0f} utt/s  {mb / t:8.1f} MB/s")
    print(
        f"  ratio kaldinn / kaldiio: {t_kio / t_ours:.2f}x   kaldinn / raw-read limit: {t_raw / t_ours:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--num-utts", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--dim", type=int, default=80)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_feats_") as workdir:
        start = time.perf_counter()
        plain = build(workdir, "plain", args.num_utts, args.frames, args.dim, None)
        compressed = build(workdir, "cm", args.num_utts, args.frames, args.dim, 2)
        print(f"built archives in {time.perf_counter() - start:.1f} s")
        keys = [f"utt{i:06d}" for i in range(args.num_utts)]
        random.Random(0).shuffle(keys)
        run_case("float32 FM", plain, keys, args.repeats)
        run_case("compressed CM", compressed, keys, args.repeats)


if __name__ == "__main__":
    main()
