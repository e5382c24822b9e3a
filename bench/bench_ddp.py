"""Benchmark CPU data-parallel scaling: 2 gloo ranks vs 1 process on the same global batch.

Each run trains a GRU utterance classifier with the trainer's own step
(``kaldinn.train.trainer.train_step``, DDP-wrapped under 2 ranks) on random global batches
of ``--batch-size`` utterances x ``--frames`` frames; every rank takes its slice of each
batch (``kaldinn.data.distributed.shard_bounds``). Both runs start through
``launch_local``, which gives each rank cpus/ranks OpenMP threads. Prints steps/s and
samples/s of each and the 2-rank / 1-rank ratio (> 1: DDP is faster on this machine).

Example::

    .venv/bin/python bench/bench_ddp.py --steps 20 --batch-size 32
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

from kaldinn.data.distributed import shard_bounds
from kaldinn.train import distributed as ddp
from kaldinn.train.batch import Batch
from kaldinn.train.config import load_config
from kaldinn.train.setup import build_setup
from kaldinn.train.trainer import quiet, train_step

DIM, CLASSES = 40, 8


def global_batch(step: int, batch_size: int, frames: int) -> Batch:
    gen = torch.Generator().manual_seed(step)
    feats = torch.randn(batch_size, frames, DIM, generator=gen)
    targets = torch.randint(0, CLASSES, (batch_size,), generator=gen)
    return Batch(feats, torch.full((batch_size,), frames), targets, None, [])


def worker(args: argparse.Namespace) -> int:
    """One rank (or the single process): time ``--steps`` training steps after a warm-up."""
    info = ddp.rank_from_env(os.environ)
    if info is not None:
        ddp.init_process_group(info, "cpu")
    cfg = load_config(
        None, ["model=rnn_classifier", "model_args={cell: gru, hidden_size: 128, dropout: 0.0}"]
    )
    setup = build_setup(cfg, Path(args.out), DIM, CLASSES, log=quiet)
    ddp.wrap_model(setup)
    start, stop = shard_bounds(args.batch_size, ddp.rank(), ddp.world_size())
    batches = []
    for step in range(args.steps + 2):
        whole = global_batch(step, args.batch_size, args.frames)
        batches.append(Batch(whole.feats[start:stop], whole.feat_lens[start:stop], whole.targets[start:stop]))
    for batch in batches[:2]:  # warm-up
        train_step(setup, batch)
    ddp.barrier()
    begin = time.perf_counter()
    for batch in batches[2:]:
        train_step(setup, batch)
    ddp.barrier()
    seconds = time.perf_counter() - begin
    if ddp.is_main():
        Path(args.out, f"result.{ddp.world_size()}.json").write_text(json.dumps({"seconds": seconds}))
    ddp.shutdown()
    return 0


def measure(ranks: int, args: argparse.Namespace, out: str) -> float:
    command = [sys.executable, __file__, "--worker", "--out", out, "--steps", str(args.steps)]
    command += ["--batch-size", str(args.batch_size), "--frames", str(args.frames)]
    if ddp.launch_local(command, ranks, log=lambda m: print(f"bench_ddp: {m}", file=sys.stderr)) != 0:
        raise SystemExit(f"bench_ddp: the {ranks}-rank run failed")
    return json.loads(Path(out, f"result.{ranks}.json").read_text())["seconds"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    with tempfile.TemporaryDirectory() as out:
        rates = {}
        for ranks in (1, 2):
            seconds = measure(ranks, args, out)
            rates[ranks] = rate = args.steps / seconds
            print(
                f"{ranks} rank(s): {rate:.2f} steps/s, {rate * args.batch_size:.1f} samples/s "
                f"(global batch {args.batch_size} x {args.frames} frames, {os.cpu_count()} CPUs)"
            )
    print(f"ratio 2 ranks / 1 rank (same global batch): {rates[2] / rates[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
