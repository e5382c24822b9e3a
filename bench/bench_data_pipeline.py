"""Benchmark the training data pipeline: loader overhead per step and DataLoader throughput.

Builds a temporary data dir (default 160 utterances of 200-400 frames x 40 dims, Kaldi-
compressed like make_feats' output, with cmvn.scp, vad.scp and utt2label), then measures:

1. overhead = time per training step of an LSTM classifier fed by the real DataLoader over
   scp offsets (speaker CMVN, VAD, random chunks, SpecAugment; ``--workers`` processes)
   divided by the time per step over the same batches already in memory (target <= 1.05
   with 2 workers on CPU);
2. throughput (frames/s) of the loader alone with 0, 1 and 2 workers, and as a ratio to 0.

Example::

    .venv/bin/python bench/bench_data_pipeline.py --num-utts 160 --repeats 1
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from kaldinn.data.labels import build_label_map, load_targets
from kaldinn.data.loader import make_batch_source
from kaldinn.feats.cmvn import accumulate_cmvn_stats
from kaldinn.io.tables import Writer
from kaldinn.train.config import load_config
from kaldinn.train.setup import build_setup
from kaldinn.train.trainer import train_step


def build_data_dir(root: Path, num_utts: int, dim: int, speakers: int = 16) -> Path:
    """A data dir with compressed feats, per-speaker cmvn, vad and 4 utterance classes."""
    rng = np.random.default_rng(0)
    data = root / "train"
    data.mkdir()
    utt2spk = {f"spk{i % speakers:03d}-utt{i:05d}": f"spk{i % speakers:03d}" for i in range(num_utts)}
    utt2spk = dict(sorted(utt2spk.items()))
    feats = {u: rng.standard_normal((int(rng.integers(200, 401)), dim)).astype(np.float32) for u in utt2spk}
    with Writer(f"ark,scp:{data}/feats.ark,{data}/feats.scp", compression_method=2) as w:
        for utt, mat in feats.items():
            w.write(utt, mat)
    with Writer(f"ark,scp:{data}/vad.ark,{data}/vad.scp") as w:
        for utt, mat in feats.items():
            w.write(utt, (rng.random(len(mat)) > 0.1).astype(np.float32))
    with Writer(f"ark,scp:{data}/cmvn.ark,{data}/cmvn.scp") as w:
        for spk in sorted(set(utt2spk.values())):
            w.write(spk, accumulate_cmvn_stats(m for u, m in feats.items() if utt2spk[u] == spk))
    (data / "utt2spk").write_text("".join(f"{u} {s}\n" for u, s in utt2spk.items()))
    (data / "utt2label").write_text("".join(f"{u} c{i % 4}\n" for i, u in enumerate(utt2spk)))
    (data / "utt2num_frames").write_text("".join(f"{u} {len(m)}\n" for u, m in feats.items()))
    return data


def make_source(data: Path, workers: int, batch_size: int):
    cfg = load_config(
        None,
        [
            "model=rnn_classifier",
            "model_args={cell: lstm, hidden_size: 128, num_layers: 2, dropout: 0.0}",
            "data.labels=utt2label",
            "data.cmvn=speaker",
            "data.vad=true",
            "data.max_frames=300",
            "data.spec_augment=true",
            f"data.batch_size={batch_size}",
            f"data.num_workers={workers}",
        ],
    )
    targets = load_targets(data, "utt2label", build_label_map(data, "utt2label"))
    return cfg, make_batch_source(cfg, data, targets, train=True)


def step_times(setup, batches) -> list[float]:
    """Seconds of each step, from asking for the batch to the end of the update."""
    times, start = [], time.perf_counter()
    for batch in batches:
        train_step(setup, batch)
        now = time.perf_counter()
        times.append(now - start)
        start = now
    return times


def overhead(data: Path, workers: int, batch_size: int, repeats: int) -> None:
    """Alternate epochs over in-memory batches and over the loader; compare the fastest
    time of each step (the machine may be shared: minima resist other load)."""
    cfg, source = make_source(data, workers, batch_size)
    setup = build_setup(cfg, data.parent / "exp", source.dataset.feat_dim, 4, log=lambda _: None)
    source.set_epoch(1)
    _, plain = make_source(data, 0, batch_size)  # the same epoch's batches, read up front
    plain.set_epoch(1)
    in_memory = list(plain)
    step_times(setup, in_memory[:2])  # warm up kernels and the allocator
    memory_runs, loader_runs = [], []
    for _ in range(repeats):
        memory_runs.append(step_times(setup, in_memory))
        loader_runs.append(step_times(setup, source))
    mem = float(np.sum(np.min(memory_runs, axis=0))) / len(in_memory)
    loader = float(np.sum(np.min(loader_runs, axis=0))) / len(in_memory)
    print(f"training step, batches in memory:           {1000 * mem:8.1f} ms/step ({len(in_memory)} steps)")
    print(f"training step, DataLoader ({workers} workers, scp):  {1000 * loader:8.1f} ms/step")
    print(f"data-pipeline overhead ratio: {loader / mem:.3f} (target <= 1.05)")


def throughput(data: Path, batch_size: int, repeats: int) -> None:
    base = None
    for workers in (0, 1, 2):
        _, source = make_source(data, workers, batch_size)
        source.set_epoch(1)
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            frames = sum(int(batch.feat_lens.sum()) for batch in source)
            best = min(best, time.perf_counter() - start)
        rate = frames / best
        base = base or rate
        print(
            f"loader throughput, {workers} workers: {rate:10.0f} frames/s  (x{rate / base:.2f} of 0 workers)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-utts", type=int, default=160)
    parser.add_argument("--dim", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads of the training process (0: torch's default)",
    )
    args = parser.parse_args()
    if args.threads > 0:  # leave cores to the workers: oversubscribed OpenMP threads spin and stall
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} intra-op threads")
    with tempfile.TemporaryDirectory() as tmp:
        data = build_data_dir(Path(tmp), args.num_utts, args.dim)
        throughput(data, args.batch_size, args.repeats)
        overhead(data, args.workers, args.batch_size, args.repeats)


if __name__ == "__main__":
    main()
