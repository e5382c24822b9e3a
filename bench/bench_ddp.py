"""Benchmark data-parallel scaling at equal cores: per-core (CPU) and per-GPU efficiency.

Each run trains a GRU utterance classifier with the trainer's own step
(``kaldinn.train.trainer.train_step``, DDP-wrapped with more than one rank) on random
batches of ``--batch-size`` utterances x ``--frames`` frames *per rank* (weak scaling: every
rank does the same work per step as the single process), started through ``launch_local``.

CPU: 1 rank x 1 thread against 2 ranks x 1 thread each, every rank pinned to a core of its own
when the affinity mask allows. Scaling efficiency = throughput(2 ranks) / (2 x throughput(1
rank)) = time per step of 1 rank / time per step of 2 ranks: 1.0 means a second core adds a
whole core's samples/s; what it loses is gloo's gradient all-reduce and the ranks' contention
for memory. (A 2-thread process against two 1-thread ranks on 2 cores compares thread
placement, not data parallelism, so it is not measured.)

GPU, only where CUDA devices are visible: 1 GPU against all of them (at most ``--max-gpus``),
same per-GPU batch (``--gpu-batch-size``), efficiency = throughput(N) / (N x throughput(1)).

Each configuration is launched ``--repeats`` times, 1 and N ranks alternating; each launch
times ``--windows`` windows of ``--steps`` steps after ``--warmup`` (2) steps. Prints the median and
spread of the seconds per window and the efficiency as a ratio of medians.

Example::

    .venv/bin/python bench/bench_ddp.py --steps 4 --windows 4 --repeats 2 --batch-size 8
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _timing
import torch

from kaldinn.train import distributed as ddp
from kaldinn.train.batch import Batch
from kaldinn.train.config import load_config
from kaldinn.train.setup import build_setup
from kaldinn.train.trainer import quiet, train_step

DIM, CLASSES = 40, 8


def rank_batch(step: int, rank: int, batch_size: int, frames: int) -> Batch:
    gen = torch.Generator().manual_seed(1000 * step + rank)
    feats = torch.randn(batch_size, frames, DIM, generator=gen)
    targets = torch.randint(0, CLASSES, (batch_size,), generator=gen)
    return Batch(feats, torch.full((batch_size,), frames), targets, None, [])


def pin_to_own_core(rank: int, world: int) -> str:
    """Pin this rank to the rank-th allowed CPU if there is one per rank; say what was done."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < world:
        return f"not pinned ({len(allowed)} CPUs allowed for {world} ranks)"
    os.sched_setaffinity(0, {allowed[rank]})
    return "pinned, one core per rank"


def worker(args: argparse.Namespace) -> int:
    """One rank: time ``--windows`` windows of ``--steps`` training steps after a warm-up."""
    _timing.fix_threads(args.threads)
    info = ddp.rank_from_env(os.environ)
    world, rank = (info.world_size, info.rank) if info else (1, 0)
    placement = pin_to_own_core(rank, world) if args.device == "cpu" else "GPU per rank"
    if info is not None:
        ddp.init_process_group(info, args.device)
    cfg = load_config(
        None,
        [
            "model=rnn_classifier",
            "model_args={cell: gru, hidden_size: 128, dropout: 0.0}",
            f"train.device={args.device}",
        ],
    )
    setup = build_setup(cfg, Path(args.out), DIM, CLASSES, log=quiet)
    ddp.wrap_model(setup)
    steps = args.steps * args.windows
    batches = [rank_batch(step, rank, args.batch_size, args.frames) for step in range(steps + args.warmup)]
    sync = torch.cuda.synchronize if setup.device.type == "cuda" else lambda: None
    for batch in batches[: args.warmup]:
        train_step(setup, batch)
    windows = []
    for w in range(args.windows):
        sync()
        ddp.barrier()
        begin = time.perf_counter()
        for batch in batches[args.warmup + w * args.steps : args.warmup + (w + 1) * args.steps]:
            train_step(setup, batch)
        sync()
        ddp.barrier()
        windows.append(time.perf_counter() - begin)
    if rank == 0:
        result = {"windows": windows, "placement": placement}
        Path(args.out, f"result.{world}.json").write_text(json.dumps(result))
    ddp.shutdown()
    return 0


def launch(ranks: int, device: str, batch_size: int, args: argparse.Namespace, out: str) -> dict:
    command = [sys.executable, __file__, "--worker", "--out", out, "--device", device]
    command += ["--steps", str(args.steps), "--windows", str(args.windows), "--warmup", str(args.warmup)]
    command += ["--threads", str(args.threads)]
    command += ["--batch-size", str(batch_size), "--frames", str(args.frames)]
    if ddp.launch_local(command, ranks, log=lambda m: None) != 0:
        raise SystemExit(f"bench_ddp: the {ranks}-rank {device} run failed")
    return json.loads(Path(out, f"result.{ranks}.json").read_text())


def scaling(device: str, ranks: int, batch_size: int, args: argparse.Namespace) -> None:
    """Alternate 1-rank and ``ranks``-rank launches; print seconds per window and efficiency."""
    names = {1: f"1 rank x {args.threads} thread", ranks: f"{ranks} ranks x {args.threads} thread"}
    if device == "cuda":
        names = {1: "1 GPU", ranks: f"{ranks} GPUs"}
    times: dict[str, list[float]] = {name: [] for name in names.values()}
    placement = ""
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.repeats):
            for n, name in names.items():
                result = launch(n, device, batch_size, args, out)
                times[name].extend(result["windows"])
                placement = result["placement"] if n > 1 else placement
    per_window = batch_size * args.steps
    print(
        f"[{device}] {batch_size} utterances x {args.frames} frames per rank and step, {args.steps} steps "
        f"per window, {args.windows} windows x {args.repeats} launches each; {ranks} ranks: {placement}"
    )
    for n, name in names.items():
        med = statistics.median(times[name])
        print(
            f"  {name:18s} {_timing.describe(times[name])}  {n * per_window / med:,.1f} samples/s, "
            f"{per_window / med:,.1f} per {'GPU' if device == 'cuda' else 'core'}"
        )
    label = f"scaling efficiency {ranks} vs 1 (throughput {ranks} / ({ranks} x throughput 1)):"
    _timing.print_ratio(times, names[ranks], names[1], label=label)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=4, help="training steps per timed window")
    parser.add_argument("--windows", type=int, default=4, help="timed windows per launch")
    parser.add_argument("--batch-size", type=int, default=8, help="utterances per rank and step (CPU)")
    parser.add_argument("--gpu-batch-size", type=int, default=256, help="utterances per GPU and step")
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--max-gpus", type=int, default=8)
    parser.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    _timing.add_arguments(parser, repeats=2)
    parser.set_defaults(warmup=2)  # warm-up steps per launch
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    _timing.fix_threads(args.threads)
    _timing.print_header("bench_ddp", batch=args.batch_size, frames=args.frames, steps=args.steps)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # the CPU comparison runs on CPU even on a GPU host
    try:
        scaling("cpu", 2, args.batch_size, args)
    finally:
        if visible is None:
            del os.environ["CUDA_VISIBLE_DEVICES"]
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = visible
    gpus = min(torch.cuda.device_count(), args.max_gpus) if torch.cuda.is_available() else 0
    if gpus >= 2:
        scaling("cuda", gpus, args.gpu_batch_size, args)
    else:
        print(f"[cuda] GPU scaling skipped: {gpus} CUDA device(s) visible (1 vs N GPUs needs N >= 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
