"""Benchmark the training data pipeline: loader overhead per step and DataLoader throughput.

Builds a temporary data dir (default 96 utterances of 200-400 frames x 40 dims, Kaldi-
compressed like make_feats' output, with cmvn.scp, vad.scp and utt2label), then measures:

1. throughput (frames/s) of the loader alone with 0, 1 and 2 workers, and as a ratio to 0;
2. overhead = time of an epoch of training steps of an LSTM classifier fed by the real
   DataLoader over scp offsets (speaker CMVN, VAD, random 200-frame chunks, SpecAugment; ``--workers``
   processes) divided by the time over the same batches already in memory (target <= 1.05
   with 2 workers on CPU).

The setups of each part take turns in each of ``--repeats`` repetitions (after ``--warmup``);
prints the median and spread of each and ratios of medians with their paired range. The
training process uses ``--threads`` intra-op threads (1: leave cores to the workers).

Example::

    .venv/bin/python bench/bench_data_pipeline.py --num-utts 96 --batch-size 16 --repeats 3
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import _timing
import numpy as np

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
            "data.max_frames=200",
            "data.spec_augment=true",
            f"data.batch_size={batch_size}",
            f"data.num_workers={workers}",
        ],
    )
    targets = load_targets(data, "utt2label", build_label_map(data, "utt2label"))
    return cfg, make_batch_source(cfg, data, targets, train=True)


def overhead(data: Path, workers: int, batch_size: int, args) -> None:
    """Epochs of training steps over in-memory batches and over the loader, taking turns."""
    cfg, source = make_source(data, workers, batch_size)
    setup = build_setup(cfg, data.parent / "exp", source.dataset.feat_dim, 4, log=lambda _: None)
    source.set_epoch(1)
    _, plain = make_source(data, 0, batch_size)  # the same epoch's batches, read up front
    plain.set_epoch(1)
    in_memory = list(plain)

    def train_on(batches) -> None:
        for batch in batches:
            train_step(setup, batch)

    memory, loader = "batches in memory", f"DataLoader ({workers} workers, scp)"
    times = _timing.measure(
        {memory: lambda: train_on(in_memory), loader: lambda: train_on(source)}, args.repeats, args.warmup
    )
    print(f"training epoch of {len(in_memory)} steps:")
    _timing.report(times, work=len(in_memory), unit="steps")
    value, lo, hi = _timing.ratio(times, memory, loader)
    met = "met" if value <= 1.05 else "MISSED"
    print(f"  data-pipeline overhead ratio: {value:.3f} (ratio of medians; paired {lo:.3f}-{hi:.3f}), "
          f"target <= 1.05: {met}")  # fmt: skip


def throughput(data: Path, batch_size: int, args) -> None:
    sources = {}
    for workers in (0, 1, 2):
        _, source = make_source(data, workers, batch_size)
        source.set_epoch(1)
        sources[f"{workers} worker{'' if workers == 1 else 's'}"] = source
    frames = sum(int(batch.feat_lens.sum()) for batch in sources["0 workers"])
    times = _timing.measure(
        {name: lambda source=source: sum(1 for _ in source) for name, source in sources.items()},
        args.repeats,
        args.warmup,
    )
    print(f"loader alone, one epoch ({frames} frames):")
    _timing.report(times, work=frames, unit="frames")
    for name in ("1 worker", "2 workers"):
        _timing.print_ratio(times, name, "0 workers", label=f"{name} vs 0 workers, speed-up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-utts", type=int, default=96)
    parser.add_argument("--dim", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    _timing.add_arguments(parser, repeats=3)
    args = parser.parse_args()
    _timing.fix_threads(args.threads)  # leave cores to the workers: oversubscribed OpenMP threads stall
    _timing.print_header(
        "bench_data_pipeline", utts=args.num_utts, batch=args.batch_size, workers=args.workers
    )
    with tempfile.TemporaryDirectory() as tmp:
        data = build_data_dir(Path(tmp), args.num_utts, args.dim)
        throughput(data, args.batch_size, args)
        overhead(data, args.workers, args.batch_size, args)


if __name__ == "__main__":
    main()
